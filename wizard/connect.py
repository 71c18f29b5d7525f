"""What the connect step shows for each side (source, target): the connected account, or
the platform picker, the platform's checklist, earlier connections to reuse, the sandbox
helper and the credentials form.

The page's state lives in its query string so that it survives a reload and works
without JavaScript: ``source_platform`` / ``target_platform`` (the platform picked on a
side not connected yet, or being changed), ``change`` (a connected side being changed)
and ``sandbox`` (the side whose form is filled with the sandbox account).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from connectors.base import ConnectorBase
from connectors.registry import PlatformChoice, UnknownConnectorError, registry
from connectors.sandbox import sandbox_account_credentials
from migrator import selectors
from migrator.models import Connection, Migration, User
from wizard.forms_connect import CredentialsForm
from wizard.text import translate_sentence

Role = Literal["source", "target"]
SIDES: tuple[Role, ...] = ("source", "target")
#: Earlier connections offered for reuse, per side.
EARLIER_LIMIT = 5

SIDE_TITLES: dict[Role, str | Promise] = {
    "source": _("Source: the help desk you are leaving"),
    "target": _("Target: the help desk you are moving to"),
}


def other_side(role: Role) -> Role:
    return "target" if role == "source" else "source"


def platform_param(role: Role) -> str:
    return f"{role}_platform"


Params = dict[str, list[str]]


def merge_params(*parts: Mapping[str, list[str]]) -> Params:
    merged: Params = {}
    for part in parts:
        for name, values in part.items():
            merged[name] = list(dict.fromkeys([*merged.get(name, []), *values]))
    return merged


def connect_url(migration: Migration, params: Mapping[str, list[str]] | None = None) -> str:
    url = reverse("wizard_connect", args=[migration.pk])
    query = urlencode({k: v for k, v in (params or {}).items() if v}, doseq=True)
    return f"{url}?{query}" if query else url


def connector_for(platform: str | None, role: Role) -> type[ConnectorBase] | None:
    if not platform:
        return None
    try:
        return registry.get(platform, role=role)
    except UnknownConnectorError:
        return None


@dataclass
class Refusal:
    """A side whose form was sent and refused: the bound form and the platform's words."""

    role: Role
    platform: type[ConnectorBase]
    form: CredentialsForm
    message: str = ""


@dataclass
class ConnectSide:
    role: Role
    title: str | Promise
    connection: Connection | None
    editing: bool
    choices: list[PlatformChoice]
    platform: type[ConnectorBase] | None
    #: Query parameters that keep the other side as it is (hidden inputs, links).
    keep: Params
    #: With ``keep``, those that keep this side's form open (the picker's hidden inputs).
    picker_params: Params = field(default_factory=dict)
    checklist: list[str] = field(default_factory=list)
    form: CredentialsForm | None = None
    message: str = ""
    earlier: list[Connection] = field(default_factory=list)
    sandbox_url: str | None = None
    sandbox_filled: bool = False
    change_url: str = ""
    cancel_url: str | None = None

    @property
    def platform_param(self) -> str:
        return platform_param(self.role)

    # Templates call what is callable, so they read the platform through these.
    @property
    def platform_key(self) -> str:
        return self.platform.key if self.platform else ""

    @property
    def platform_name(self) -> str:
        return self.platform.display_name if self.platform else ""

    @property
    def connected_platform_name(self) -> str:
        connector = connector_for(self.connection.platform, self.role) if self.connection else None
        return connector.display_name if connector else (self.connection.platform or "")

    @property
    def keep_items(self) -> list[tuple[str, str]]:
        """``keep`` flattened for hidden inputs."""
        return [(name, value) for name, values in self.keep.items() for value in values]

    @property
    def picker_items(self) -> list[tuple[str, str]]:
        return [(name, value) for name, values in self.picker_params.items() for value in values]


def _state(params: QueryDict, role: Role, connection: Connection | None) -> tuple[bool, str]:
    """Whether the side shows its form, and the platform picked on it ("" for none)."""
    changing = role in params.getlist("change")
    editing = connection is None or changing
    picked = params.get(platform_param(role), "")
    if connector_for(picked, role) is None:
        picked = connection.platform if (changing and connection) else ""
    return editing, picked


def keep_params(params: QueryDict, role: Role, migration: Migration) -> Params:
    """The query parameters of ``role``'s side, kept while the other side changes."""
    connection = getattr(migration, role)
    editing, picked = _state(params, role, connection)
    if not editing:
        return {}
    keep: Params = {platform_param(role): [picked] if picked else []}
    if connection is not None:
        keep["change"] = [role]
    return keep


def _earlier_connections(
    *, migration: Migration, user: User, key: str, current: Connection | None
) -> list[Connection]:
    """The owner's earlier connections of this platform, one per account, newest first."""
    seen: set[tuple[str, str]] = set()
    earlier: list[Connection] = []
    owned = selectors.connections_reusable_on(migration=migration, user=user, platform=key)
    for connection in owned[:100]:
        account = (connection.account_url, connection.user_email)
        if account in seen:
            continue
        seen.add(account)
        if current is not None and connection.pk == current.pk:
            continue
        earlier.append(connection)
        if len(earlier) >= EARLIER_LIMIT:
            break
    return earlier


def connect_sides(
    *,
    request: HttpRequest,
    migration: Migration,
    params: QueryDict,
    refusal: Refusal | None = None,
) -> list[ConnectSide]:
    site_url = request.build_absolute_uri("/")
    sides: list[ConnectSide] = []
    for role in SIDES:
        connection: Connection | None = getattr(migration, role)
        editing, picked = _state(params, role, connection)
        if refusal is not None and refusal.role == role:
            editing, picked = True, refusal.platform.key
        keep = keep_params(params, other_side(role), migration)
        own: Params = {"change": [role]} if connection is not None else {}
        side = ConnectSide(
            role=role,
            title=SIDE_TITLES[role],
            connection=connection,
            editing=editing,
            choices=registry.choices(role=role),
            platform=connector_for(picked, role),
            keep=keep,
            picker_params=merge_params(keep, own),
            change_url=connect_url(migration, merge_params(keep, {"change": [role]})),
        )
        if editing and connection is not None:
            side.cancel_url = connect_url(migration, keep)
        shown = side.platform if editing else connector_for(connection.platform, role)
        if shown is not None:
            side.checklist = [
                translate_sentence(item) for item in shown.pre_migration_checklist(role=role)
            ]
        if editing and side.platform is not None:
            _fill_form(
                side,
                migration=migration,
                params=params,
                refusal=refusal,
                site_url=site_url,
                user=request.user,
            )
        sides.append(side)
    return sides


def _fill_form(
    side: ConnectSide,
    *,
    migration: Migration,
    params: QueryDict,
    refusal: Refusal | None,
    site_url: str,
    user: User,
) -> None:
    platform = side.platform
    assert platform is not None
    side.earlier = _earlier_connections(
        migration=migration, user=user, key=platform.key, current=side.connection
    )
    sandbox = None
    if settings.SANDBOX_ENABLED:
        sandbox = sandbox_account_credentials(key=platform.key, site_url=site_url)
        if sandbox is not None:
            side.sandbox_url = connect_url(
                migration,
                merge_params(
                    side.picker_params,
                    {platform_param(side.role): [platform.key], "sandbox": [side.role]},
                ),
            )
    if refusal is not None and refusal.role == side.role:
        side.form, side.message = refusal.form, refusal.message
        return
    side.sandbox_filled = sandbox is not None and params.get("sandbox") == side.role
    side.form = CredentialsForm(
        credentials_model=platform.credentials_model,
        prefix=side.role,
        initial=sandbox if side.sandbox_filled else None,
        show_secrets=side.sandbox_filled,
    )
