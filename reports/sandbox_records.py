"""The sandbox's page of one record, at the address the reports link to.

On a real platform the reports' links open the record in the platform's agent interface.
The sandbox's emulators only speak the platforms' APIs, so this serves a readable page at
those same addresses (``/sandbox/<platform>/<account>/agent/tickets/<id>`` …): the record's
title, its text, its fields and, for a ticket, its comments. It is read by a signed-in user
of the site who may see a migration connected to that sandbox account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.utils.html import strip_tags

from connectors.emulation import account_find, record_find
from connectors.models import EmulatedRecord
from connectors.schema import Entity
from migrator.models import Connection
from migrator.selectors import migrations_visible_to
from reports.links import record_paths

#: Where each platform's emulator keeps an entity's records, and their children (a
#: ticket's comments) when shown with it.
_COLLECTIONS: dict[str, dict[Entity, tuple[str, str]]] = {
    "zendesk": {
        Entity.ORGANIZATIONS: ("organizations", ""),
        Entity.GROUPS: ("groups", ""),
        Entity.AGENTS: ("users", ""),
        Entity.CONTACTS: ("users", ""),
        Entity.TICKETS: ("tickets", "ticket_comments"),
        Entity.ARTICLE_CATEGORIES: ("hc_categories", ""),
        Entity.ARTICLE_SECTIONS: ("hc_sections", ""),
        Entity.ARTICLES: ("hc_articles", ""),
    },
    "freshdesk": {
        Entity.ORGANIZATIONS: ("companies", ""),
        Entity.GROUPS: ("groups", ""),
        Entity.AGENTS: ("agents", ""),
        Entity.CONTACTS: ("contacts", ""),
        Entity.TICKETS: ("tickets", "conversations"),
        Entity.ARTICLE_CATEGORIES: ("solution_categories", ""),
        Entity.ARTICLE_SECTIONS: ("solution_folders", ""),
        Entity.ARTICLES: ("solution_articles", ""),
    },
    "teamwork_desk": {
        Entity.ORGANIZATIONS: ("companies", ""),
        Entity.CONTACTS: ("customers", ""),
        Entity.TICKETS: ("tickets", "messages"),
    },
}
_TITLE_KEYS = ("subject", "title", "name")
_TEXT_KEYS = ("description", "body", "description_text", "body_text", "details", "message")
#: Children shown under a record (a ticket's first comments).
MAX_CHILDREN = 200
_MAX_VALUE_CHARS = 300


@dataclass(frozen=True)
class SandboxRoute:
    platform: str
    entity: Entity
    #: A Django path pattern under /sandbox/, e.g. "zendesk/<slug:account_slug>/agent/…".
    pattern: str


@dataclass(frozen=True)
class SandboxRecordPage:
    platform: str
    account_name: str
    entity: Entity
    number: int
    title: str
    text: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def sandbox_record_routes() -> list[SandboxRoute]:
    """One route per address the reports link to on an emulated platform."""
    routes: list[SandboxRoute] = []
    seen: set[str] = set()
    for platform, paths in record_paths().items():
        if platform not in _COLLECTIONS:
            continue
        for entity, path in paths.items():
            pattern = f"{platform}/<slug:account_slug>" + path.replace("{id}", "<str:record_id>")
            if pattern not in seen:
                seen.add(pattern)
                routes.append(SandboxRoute(platform=platform, entity=entity, pattern=pattern))
    return routes


def _record_path_pattern() -> re.Pattern[str]:
    alternatives = [
        rf"{re.escape(platform)}/[^/]+" + re.escape(path).replace(re.escape("{id}"), "[^/]+")
        for platform, paths in record_paths().items()
        if platform in _COLLECTIONS
        for path in paths.values()
    ]
    return re.compile(rf"^/sandbox/(?:{'|'.join(alternatives)})/?$")


_RECORD_PATH = _record_path_pattern()


def is_sandbox_record_path(path: str) -> bool:
    """Whether ``path`` is a record page (served by the site, with its sessions), not an
    emulator's API (served without the site's middleware)."""
    return bool(_RECORD_PATH.match(path))


def _may_read(user: AbstractBaseUser | AnonymousUser, platform: str, slug: str) -> bool:
    """Staff, or a user who may see a migration connected to this sandbox account."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    connected = Connection.objects.filter(
        platform=platform,
        account_url__iregex=rf"/sandbox/{re.escape(platform)}/{re.escape(slug)}/?$",
    )
    return (
        migrations_visible_to(user=user)
        .filter(Q(source__in=connected) | Q(target__in=connected))
        .exists()
    )


def sandbox_record_page(
    *,
    user: AbstractBaseUser | AnonymousUser,
    platform: str,
    account_slug: str,
    entity: Entity,
    record_id: str,
) -> SandboxRecordPage | None:
    """The record as the sandbox holds it, or None when it is not there (or the user may
    not read that account: the same answer, so that nothing is told about it)."""
    collections = _COLLECTIONS.get(platform, {}).get(entity)
    if collections is None or not re.fullmatch(r"\d{1,18}", record_id or ""):
        return None
    if not _may_read(user, platform, account_slug):
        return None
    account = account_find(platform=platform, slug=account_slug)
    if account is None:
        return None
    collection, children = collections
    record = record_find(account=account, collection=collection, number=int(record_id))
    if record is None:
        return None
    data = record.data if isinstance(record.data, dict) else {}
    return SandboxRecordPage(
        platform=platform,
        account_name=account.name,
        entity=_person_kind(data) if collection == "users" else entity,
        number=record.number,
        title=_title(data) or f"#{record.number}",
        text=_text(data),
        fields=_fields(data),
        children=_children(record, children) if children else [],
    )


def _person_kind(data: dict[str, Any]) -> Entity:
    """Zendesk keeps agents and end users together (one address for both)."""
    return Entity.CONTACTS if data.get("role") == "end-user" else Entity.AGENTS


def _title(data: dict[str, Any]) -> str:
    for key in _TITLE_KEYS:
        if isinstance(data.get(key), str) and data[key].strip():
            return data[key].strip()
    contact = data.get("contact")
    if isinstance(contact, dict) and isinstance(contact.get("name"), str):
        return contact["name"]
    names = [data.get(key) for key in ("firstName", "lastName")]
    return " ".join(name.strip() for name in names if isinstance(name, str) and name.strip())


def _text(data: dict[str, Any]) -> str:
    for key in _TEXT_KEYS:
        if isinstance(data.get(key), str) and data[key].strip():
            return _plain(data[key])
    return ""


_BLOCK_END = re.compile(r"<(?:br|/p|/div|/li|/h[1-6]|/tr|/blockquote|/pre)\b[^>]*>", re.I)


def _plain(html: str) -> str:
    """The text of an HTML body: one line per paragraph, entities decoded."""
    text = unescape(strip_tags(_BLOCK_END.sub("\n", html)))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _fields(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The record's simple fields (numbers, words, lists of words), by name."""
    shown = []
    for key in sorted(data):
        value = data[key]
        if key.startswith("_") or key in _TEXT_KEYS or value in (None, "", [], {}):
            continue
        if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
            value = ", ".join(str(item) for item in value)
        if isinstance(value, str | int | float | bool):
            shown.append((key, str(value)[:_MAX_VALUE_CHARS]))
    return shown


def _children(record: EmulatedRecord, collection: str) -> list[str]:
    rows = EmulatedRecord.objects.filter(
        account_id=record.account_id, collection=collection, parent_number=record.number
    ).order_by("number")[:MAX_CHILDREN]
    texts = []
    for child in rows:
        data = child.data if isinstance(child.data, dict) else {}
        texts.append(_text(data) or _plain(str(data.get("html_body", ""))))
    return [text for text in texts if text]
