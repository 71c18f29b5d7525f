"""Zendesk Support and Help Center as a source and a target.

Reading:

* Full reads walk Zendesk's cursor-paginated lists (100 records a page at most), except
  tickets: the tickets list leaves out archived tickets (closed for 120 days), so tickets
  always come from the incremental ticket export, from the epoch for a full read.
* Users come in two passes: the live users of the roles asked for, then the soft-deleted
  ones (``/api/v2/deleted_users``), which the users list leaves out but tickets still name.
  Users Zendesk has scrubbed ("Permanently Deleted User", no e-mail) are left out.
* ``updated_since`` reads the incremental exports (tickets and users by cursor,
  organizations and articles by time, records of a boundary second skipped once read);
  groups and Help Center categories and sections have no export and are few, so their
  lists are filtered. Zendesk refuses an export starting within the last minute: the
  start moves back and the records before ``updated_since`` are dropped.
* ``ids`` reads use show_many where Zendesk has it, one call per record otherwise.
* :meth:`ZendeskConnector.count` asks the count endpoints where the list has one, and
  otherwise walks the same pages as the read, the largest Zendesk allows, without the
  per-record calls: the count always equals what the read returns.
* A page of tickets reads its comments from the incremental ticket events, their
  authors from ``users/show_many``, when that costs fewer calls than a call per ticket
  (:mod:`~connectors.zendesk.comment_events`); otherwise, and for the tickets the events
  could not vouch for, a ticket costs one more call for its comments (their authors
  sideloaded). Its solved date comes with it (ticket metrics sideloaded). An article
  costs two: translations and attachments. A record deleted between the page and those
  calls is skipped.

Writing: tickets through the ticket import API (dates and comment authors kept), their
files uploaded first and inline images pointed at the uploaded copies; in bulk, 100 a
request, through :mod:`connectors.zendesk.bulk` when the engine takes that path; Help Center
articles with the account's "Agents and managers" permission group, visible to everyone.
The marker is the external id of tickets, users and organizations (and a tag on tickets),
a label on articles; groups, categories and sections are found again by name.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import html
import json
import logging
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from django.db import connections

from connectors import naming
from connectors.base import (
    DEFAULT_PAGE_SIZE,
    NUMERIC_RECORD_IDS,
    AccountInfo,
    ApiConnector,
    AttachmentOpener,
    AttachmentStream,
    Credentials,
    HttpClientFactory,
    Page,
    Scope,
    ensure_record_matches,
    is_marker,
)
from connectors.errors import (
    AuthenticationError,
    ConnectorError,
    InvalidRecordError,
    NotFoundError,
)
from connectors.messages import Message, gettext_noop
from connectors.registry import register
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    ArticleStatusCategory,
    ArticleStatusOption,
    Attachment,
    Comment,
    Contact,
    Entity,
    FieldSchema,
    Group,
    Organization,
    Record,
    Ticket,
    html_to_text,
    text_to_html,
)
from connectors.wire import MalformedPayloadError, envelope_items
from connectors.zendesk import (
    CAPABILITIES,
    CHECKLIST,
    DISPLAY_NAME,
    HOSTED_DOMAIN,
    KEY,
    MAX_ATTACHMENT_BYTES,
    SOURCE_CHECKLIST,
    ZendeskCredentials,
    comment_events,
)
from connectors.zendesk import payloads as zd
from connectors.zendesk.bulk import ZendeskBulkImport
from connectors.zendesk.client import (
    EXPORT_PAGE_MAX,
    LIST_PAGE_MAX,
    ZendeskApi,
    http_client_options,
    refused_message,
)

logger = logging.getLogger(__name__)

STAFF_ROLES = frozenset({"agent", "admin"})
HELP_CENTER_LOCALE = "en-us"
#: Zendesk refuses an incremental export that starts less than a minute ago.
EXPORT_MIN_AGE_SECONDS = 61
#: An upload is copied to a temporary file before it is sent (so a retry can send it
#: again); files up to this size stay in memory.
UPLOAD_SPOOL_MEMORY_BYTES = 1024 * 1024
ARCHIVED = ArticleStatusOption(
    key="archived", name="Archived", category=ArticleStatusCategory.ARCHIVED
)

Item = Mapping[str, Any]


# --------------------------------------------------------------------------- read plans


def _is_staff(item: Item) -> bool:
    return item.get("role") in STAFF_ROLES and not zd.is_permanently_deleted_user(item)


def _is_end_user(item: Item) -> bool:
    return item.get("role") == "end-user" and not zd.is_permanently_deleted_user(item)


def _is_live_ticket(item: Item) -> bool:
    return not zd.is_deleted_ticket(item)


@dataclass(frozen=True)
class Listing:
    """A cursor-paginated list that full reads walk."""

    path: str
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Records of the list the entity holds (the list may hold others).
    keep: Callable[[Item], bool] | None = None
    #: A Support count endpoint giving the list's exact size (with ``params``).
    count_path: str | None = None
    #: Help Center lists say their size in the ``count`` of an offset page.
    help_center: bool = False


@dataclass(frozen=True)
class Export:
    """An incremental export that ``updated_since`` reads walk."""

    path: str
    key: str
    #: Cursor-based (``after_cursor``) or time-based (``start_time``/``end_time``).
    cursor_based: bool
    params: Mapping[str, Any] = field(default_factory=dict)
    keep: Callable[[Item], bool] | None = None


@dataclass(frozen=True)
class Lookup:
    """How records are read by id: show_many (``ids=1,2,3``), or one call per id (a
    ``path`` with ``{id}``)."""

    path: str
    key: str
    many: bool
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadPlan:
    """Where an entity's records are read from."""

    #: Walked one after the other by full reads; none: full reads use the export.
    listings: tuple[Listing, ...]
    #: None: ``updated_since`` filters the listings.
    export: Export | None
    by_ids: Lookup
    #: Records of the lookup the entity holds.
    belongs: Callable[[Item], bool] | None = None


def _users_plan(*, roles: Sequence[str], belongs: Callable[[Item], bool]) -> ReadPlan:
    return ReadPlan(
        listings=(
            Listing(
                "api/v2/users.json",
                "users",
                params={"role[]": list(roles)},
                count_path="api/v2/users/count.json",
            ),
            Listing("api/v2/deleted_users.json", "deleted_users", keep=belongs),
        ),
        export=Export("api/v2/incremental/users/cursor.json", "users", True, keep=belongs),
        by_ids=Lookup("api/v2/users/show_many.json", "users", many=True),
        belongs=belongs,
    )


READ_PLANS: dict[Entity, ReadPlan] = {
    Entity.ORGANIZATIONS: ReadPlan(
        listings=(
            Listing(
                "api/v2/organizations.json",
                "organizations",
                count_path="api/v2/organizations/count.json",
            ),
        ),
        export=Export("api/v2/incremental/organizations.json", "organizations", False),
        by_ids=Lookup("api/v2/organizations/show_many.json", "organizations", many=True),
    ),
    Entity.GROUPS: ReadPlan(
        listings=(Listing("api/v2/groups.json", "groups", count_path="api/v2/groups/count.json"),),
        export=None,
        by_ids=Lookup("api/v2/groups/{id}.json", "group", many=False),
    ),
    Entity.AGENTS: _users_plan(roles=sorted(STAFF_ROLES), belongs=_is_staff),
    Entity.CONTACTS: _users_plan(roles=["end-user"], belongs=_is_end_user),
    Entity.TICKETS: ReadPlan(
        listings=(),
        export=Export(
            "api/v2/incremental/tickets/cursor.json",
            "tickets",
            True,
            params={"exclude_deleted": "true", "include": "metric_sets"},
            keep=_is_live_ticket,
        ),
        by_ids=Lookup(
            "api/v2/tickets/show_many.json", "tickets", many=True, params={"include": "metric_sets"}
        ),
    ),
    Entity.ARTICLE_CATEGORIES: ReadPlan(
        listings=(Listing("api/v2/help_center/categories.json", "categories", help_center=True),),
        export=None,
        by_ids=Lookup("api/v2/help_center/categories/{id}.json", "category", many=False),
    ),
    Entity.ARTICLE_SECTIONS: ReadPlan(
        listings=(Listing("api/v2/help_center/sections.json", "sections", help_center=True),),
        export=None,
        by_ids=Lookup("api/v2/help_center/sections/{id}.json", "section", many=False),
    ),
    Entity.ARTICLES: ReadPlan(
        listings=(Listing("api/v2/help_center/articles.json", "articles", help_center=True),),
        export=Export("api/v2/help_center/incremental/articles.json", "articles", False),
        by_ids=Lookup("api/v2/help_center/articles/{id}.json", "article", many=False),
    ),
}


@dataclass
class RawPage:
    """One page of platform objects, filtered, before they become canonical records."""

    items: list[Item]
    #: The whole answer, for what it sideloads.
    payload: Item
    #: Where the next page starts; None after the last one.
    state: dict[str, Any] | None


# --------------------------------------------------------------------------- cursors


def _cursor_encode(*, entity: Entity, state: dict[str, Any]) -> str:
    text = json.dumps({"e": entity.value, **state}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _cursor_decode(*, entity: Entity, cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor of the Zendesk connector") from None
    if not isinstance(state, dict) or state.pop("e", None) != entity.value:
        raise ValueError(f"this cursor does not belong to a read of {entity.value}")
    return state


def _updated_at(item: Item) -> datetime:
    value = item.get("updated_at")
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise MalformedPayloadError(
            Message(
                gettext_noop(
                    "Zendesk returned a record without a readable updated_at ('%(value)s')."
                ),
                {"value": str(value)},
            ),
            field="updated_at",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _kept(
    keep: Callable[[Item], bool] | None,
    payload: Item,
    *,
    key: str,
    updated_since: datetime | None,
) -> list[Item]:
    """The records of a page the read keeps: of the entity, updated since the date."""
    items = envelope_items(payload, key=key, platform="Zendesk", what=key)
    return [
        item
        for item in items
        if isinstance(item, Mapping)
        and (keep is None or keep(item))
        and (updated_since is None or _updated_at(item) >= updated_since)
    ]


def _export_key(item: Item) -> tuple[datetime, int]:
    return _updated_at(item), int(item.get("id") or 0)


def _rewrite_sources(markup: str, urls: Mapping[str, str]) -> str:
    """``markup`` with its links to the source's files pointed at their uploaded copies."""
    for old, new in urls.items():
        markup = markup.replace(html.escape(old), html.escape(new)).replace(old, new)
    return markup


# --------------------------------------------------------------------------- connector


#: Tickets whose comments a page reads at the same time.
COMMENT_READERS = 4
_Thread = comment_events.Thread

#: Characters of a comment's text (whitespace left out) that tell it from the others.
COMMENT_KEY_CHARS = 200


def comment_key(comment: Comment) -> str:
    """The start of a comment's text without whitespace, from its HTML (Zendesk gives
    back the HTML it was sent, wrapped and spaced its own way); plain text is escaped
    first, so that nothing in it is read as a tag."""
    markup = comment.html_body or text_to_html(comment.text_body or "")
    return re.sub(r"\s+", "", html_to_text(markup))[:COMMENT_KEY_CHARS]


@register
class ZendeskConnector(ApiConnector[ZendeskApi], ZendeskBulkImport):
    key = KEY
    display_name = DISPLAY_NAME
    record_id_pattern = NUMERIC_RECORD_IDS
    credentials_model = ZendeskCredentials
    capabilities = CAPABILITIES
    checklist = CHECKLIST
    source_checklist = SOURCE_CHECKLIST

    credentials: ZendeskCredentials

    def __init__(
        self,
        *,
        credentials: Credentials,
        http_client_factory: HttpClientFactory,
        scope: Scope | None = None,
    ) -> None:
        super().__init__(
            credentials=credentials, http_client_factory=http_client_factory, scope=scope
        )
        self._custom_statuses: Any | None = None
        self._custom_statuses_read = False
        self._section_categories: dict[str, str | None] = {}
        self._sections_read = False
        self._permission_group: int | None = None

    def open_api(self) -> ZendeskApi:
        return ZendeskApi(http=self.open_http_client(**http_client_options(self.credentials)))

    # ------------------------------------------------------------------ account

    def check_credentials(self) -> AccountInfo:
        try:
            me = self.api.get("api/v2/users/me.json", entity="account").get("user")
        except NotFoundError as error:
            raise NotFoundError(
                Message(
                    gettext_noop("There is no Zendesk account at %(url)s; check the address."),
                    {"url": self.credentials.url},
                ),
                status=error.status,
                detail=error.detail,
            ) from error
        # Zendesk answers users/me with the anonymous user (id null) rather than a 401
        # when it does not recognise the credentials.
        if not isinstance(me, Mapping) or me.get("id") is None:
            raise AuthenticationError(refused_message(self.credentials))
        return AccountInfo(
            account_name=self._account_name(),
            account_url=self.credentials.url,
            user_email=me.get("email"),
        )

    def _account_name(self) -> str:
        try:
            account = self.api.get("api/v2/account.json", entity="account").get("account")
        except (NotFoundError, AuthenticationError):
            account = None
        if isinstance(account, Mapping) and account.get("name"):
            return str(account["name"])
        # Accounts that do not show their name are known by their subdomain.
        return naming.account_name_from_url(
            self.credentials.url, hosted_domain=HOSTED_DOMAIN, display_name=DISPLAY_NAME
        )

    def describe_fields(self) -> FieldSchema:
        fields: list[Any] = []
        for page in self.api.cursor_pages("api/v2/ticket_fields.json", entity="fields"):
            fields.extend(
                envelope_items(page, key="ticket_fields", platform="Zendesk", what="field")
            )
        schema = zd.field_schema_from_zendesk(
            ticket_fields={"ticket_fields": fields}, custom_statuses=self._custom_statuses_payload()
        )
        return schema.model_copy(update={"article_statuses": [*schema.article_statuses, ARCHIVED]})

    def _custom_statuses_payload(self) -> Any | None:
        """The account's custom ticket statuses, or None when it has none: status keys
        are custom status ids with them, system statuses without."""
        if not self._custom_statuses_read:
            try:
                payload = self.api.get("api/v2/custom_statuses.json", entity="fields")
            except NotFoundError:
                payload = None
            has_any = isinstance(payload, Mapping) and payload.get("custom_statuses")
            self._custom_statuses = payload if has_any else None
            self._custom_statuses_read = True
        return self._custom_statuses

    # ------------------------------------------------------------------ reading

    def count(
        self,
        entity: Entity,
        *,
        updated_since: datetime | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> int:
        if filters:
            raise ValueError(f"Zendesk counts cannot be filtered by {', '.join(sorted(filters))}")
        plan = READ_PLANS[entity]
        if updated_since is not None and updated_since > datetime.now(UTC):
            return 0
        if updated_since is None and plan.listings:
            return sum(self._listing_size(entity, listing) for listing in plan.listings)
        total = 0
        state: dict[str, Any] | None = self._first_state(plan, updated_since=updated_since)
        while state is not None:
            page = self._raw_page(
                entity,
                state=state,
                page_size=EXPORT_PAGE_MAX,
                updated_since=updated_since,
                sideloads=False,
            )
            total += len(page.items)
            state = page.state
            # A page of the export holds a thousand records: let it go before the next
            # one arrives, so that counting holds one page whatever the account's size.
            del page
        return total

    def _listing_size(self, entity: Entity, listing: Listing) -> int:
        if listing.count_path:
            return self.api.count(listing.count_path, entity=entity.value, params=listing.params)
        if listing.help_center:
            payload = self.api.get(listing.path, entity=entity.value, params={"per_page": 1})
            if not isinstance(payload.get("count"), int):
                raise MalformedPayloadError(
                    Message(gettext_noop("Zendesk returned a Help Center page without its count.")),
                    field="count",
                )
            return payload["count"]
        total = 0
        for payload in self.api.cursor_pages(
            listing.path, entity=entity.value, params=listing.params
        ):
            total += len(_kept(listing.keep, payload, key=listing.key, updated_since=None))
        return total

    def read_page(
        self,
        entity: Entity,
        *,
        cursor: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        updated_since: datetime | None = None,
        ids: Sequence[str] | None = None,
    ) -> Page[Record]:
        plan = READ_PLANS[entity]
        if ids is None and updated_since is not None and updated_since > datetime.now(UTC):
            return Page()
        if cursor is None:
            state = self._first_state(plan, updated_since=updated_since, ids=ids)
        else:
            state = _cursor_decode(entity=entity, cursor=cursor)
        page = self._raw_page(
            entity,
            state=state,
            page_size=max(1, page_size),
            updated_since=updated_since,
            ids=ids,
        )
        records = self._records(entity, page.items, payload=page.payload)
        if page.state is None:
            return Page(records=records)
        return Page(
            records=records,
            next_cursor=_cursor_encode(entity=entity, state=page.state),
            has_more=True,
        )

    def _first_state(
        self,
        plan: ReadPlan,
        *,
        updated_since: datetime | None,
        ids: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        if ids is not None:
            return {"m": "ids", "o": 0}
        if updated_since is None:
            if plan.listings:
                return {"m": "list", "p": 0, "a": None}
            return {"m": "cx", "s": 0, "c": None}
        if plan.export is None:
            return {"m": "list", "p": 0, "a": None}
        start = min(int(updated_since.timestamp()), int(time.time()) - EXPORT_MIN_AGE_SECONDS)
        if plan.export.cursor_based:
            return {"m": "cx", "s": max(start, 0), "c": None}
        return {"m": "tx", "s": max(start, 0), "l": None}

    def _raw_page(
        self,
        entity: Entity,
        *,
        state: dict[str, Any],
        page_size: int,
        updated_since: datetime | None,
        ids: Sequence[str] | None = None,
        sideloads: bool = True,
    ) -> RawPage:
        """``sideloads=False`` leaves out the records' related objects (a count needs
        none, and they would double an export page of a thousand tickets)."""
        plan = READ_PLANS[entity]
        mode = state.get("m")
        if mode == "ids":
            if ids is None:
                raise ValueError("this cursor continues a read by ids: pass the same ids")
            return self._ids_page(entity, plan, state=state, page_size=page_size, ids=ids)
        if mode == "list":
            return self._listing_page(
                entity, plan, state=state, page_size=page_size, updated_since=updated_since
            )
        if mode in ("cx", "tx") and plan.export is not None:
            export = plan.export
            if not sideloads and "include" in export.params:
                params = {k: v for k, v in export.params.items() if k != "include"}
                export = dataclasses.replace(export, params=params)
            if mode == "cx":
                return self._cursor_export_page(
                    entity, export, state=state, page_size=page_size, since=updated_since
                )
            return self._time_export_page(
                entity, export, state=state, page_size=page_size, since=updated_since
            )
        raise ValueError(f"not a cursor of a Zendesk {entity.value} read")

    def _listing_page(
        self,
        entity: Entity,
        plan: ReadPlan,
        *,
        state: dict[str, Any],
        page_size: int,
        updated_since: datetime | None,
    ) -> RawPage:
        phase = int(state.get("p", 0))
        listing = plan.listings[phase]
        payload, after, has_more = self.api.cursor_page(
            listing.path,
            entity=entity.value,
            page_size=page_size,
            after=state.get("a"),
            params=listing.params,
        )
        items = _kept(listing.keep, payload, key=listing.key, updated_since=updated_since)
        next_state: dict[str, Any] | None = None
        if has_more:
            next_state = {"m": "list", "p": phase, "a": after}
        elif phase + 1 < len(plan.listings):
            next_state = {"m": "list", "p": phase + 1, "a": None}
        return RawPage(items=items, payload=payload, state=next_state)

    def _cursor_export_page(
        self,
        entity: Entity,
        export: Export,
        *,
        state: dict[str, Any],
        page_size: int,
        since: datetime | None,
    ) -> RawPage:
        params: dict[str, Any] = {**export.params, "per_page": min(page_size, EXPORT_PAGE_MAX)}
        if state.get("c"):
            params["cursor"] = state["c"]
        else:
            params["start_time"] = int(state.get("s", 0))
        payload = self.api.get(export.path, entity=entity.value, params=params)
        items = _kept(export.keep, payload, key=export.key, updated_since=since)
        if payload.get("end_of_stream", True):
            return RawPage(items=items, payload=payload, state=None)
        after = payload.get("after_cursor")
        if not after:
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "Zendesk announced more exported records without a cursor (after_cursor)."
                    )
                ),
                field="after_cursor",
            )
        return RawPage(items=items, payload=payload, state={**state, "c": str(after)})

    def _time_export_page(
        self,
        entity: Entity,
        export: Export,
        *,
        state: dict[str, Any],
        page_size: int,
        since: datetime | None,
    ) -> RawPage:
        start = int(state.get("s", 0))
        params = {**export.params, "start_time": start, "per_page": min(page_size, EXPORT_PAGE_MAX)}
        payload = self.api.get(export.path, entity=entity.value, params=params)
        rows = sorted(
            _kept(export.keep, payload, key=export.key, updated_since=None), key=_export_key
        )
        # A page ends on a whole second and the next one starts on it: what this read
        # already returned comes again and is skipped.
        last = state.get("l")
        last_key = (datetime.fromisoformat(last[0]), int(last[1])) if last else None
        fresh = [row for row in rows if last_key is None or _export_key(row) > last_key]
        items = [row for row in fresh if since is None or _updated_at(row) >= since]
        more = not payload.get("end_of_stream", not payload.get("next_page"))
        if not more:
            return RawPage(items=items, payload=payload, state=None)
        end_time = payload.get("end_time")
        if not isinstance(end_time, int) or (end_time <= start and not fresh):
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "Zendesk announced more exported records without moving its end_time."
                    )
                ),
                field="end_time",
            )
        if fresh:
            newest = _export_key(fresh[-1])
            last = [newest[0].isoformat(), newest[1]]
        return RawPage(items=items, payload=payload, state={"m": "tx", "s": end_time, "l": last})

    def _ids_page(
        self,
        entity: Entity,
        plan: ReadPlan,
        *,
        state: dict[str, Any],
        page_size: int,
        ids: Sequence[str],
    ) -> RawPage:
        offset = int(state.get("o", 0))
        size = min(page_size, LIST_PAGE_MAX)
        chunk = list(ids[offset : offset + size])
        # Zendesk ids are numbers: anything else names no record there.
        wanted = [identifier for identifier in chunk if identifier.isdigit()]
        lookup = plan.by_ids
        items: list[Item] = []
        payload: Item = {}
        if lookup.many and wanted:
            payload = self.api.get(
                lookup.path, entity=entity.value, params={**lookup.params, "ids": ",".join(wanted)}
            )
            found = {
                str(item.get("id")): item
                for item in _kept(None, payload, key=lookup.key, updated_since=None)
            }
            items = [found[identifier] for identifier in wanted if identifier in found]
        elif wanted:
            for identifier in wanted:
                try:
                    shown = self.api.get(lookup.path.format(id=identifier), entity=entity.value)
                except NotFoundError:
                    continue
                if isinstance(shown.get(lookup.key), Mapping):
                    items.append(shown[lookup.key])
        if plan.belongs is not None:
            items = [item for item in items if plan.belongs(item)]
        next_state = {"m": "ids", "o": offset + size} if offset + size < len(ids) else None
        return RawPage(items=items, payload=payload, state=next_state)

    # ------------------------------------------------------------------ records

    def _records(self, entity: Entity, items: list[Item], *, payload: Item) -> list[Record]:
        match entity:
            case Entity.ORGANIZATIONS:
                return [zd.organization_from_zendesk(item) for item in items]
            case Entity.GROUPS:
                return [zd.group_from_zendesk(item) for item in items]
            case Entity.AGENTS | Entity.CONTACTS:
                return [zd.user_from_zendesk(item) for item in items]
            case Entity.TICKETS:
                return list(self._tickets(items, payload=payload))
            case Entity.ARTICLE_CATEGORIES:
                return [zd.category_from_zendesk(item) for item in items]
            case Entity.ARTICLE_SECTIONS:
                return [zd.section_from_zendesk(item) for item in items]
            case Entity.ARTICLES:
                return list(self._articles(items))
        raise ValueError(f"Zendesk does not read {entity.value}")

    def _tickets(self, items: list[Item], *, payload: Item) -> Iterator[Ticket]:
        solved_dates = zd.solved_dates_from_zendesk(payload)
        use_custom_statuses = self._custom_statuses_payload() is not None
        threads = self._threads_of(
            items, latest=zd.latest_comment_dates_from_zendesk(payload) if items else {}
        )
        for item, thread in zip(items, threads, strict=True):
            ticket_id = item.get("id")
            if thread is None:
                logger.info("Zendesk ticket %s was deleted while being read; skipped", ticket_id)
                continue
            comments, authors = thread
            ticket = zd.ticket_from_zendesk(
                item,
                comments=comments,
                use_custom_statuses=use_custom_statuses,
                solved_at=solved_dates.get(str(ticket_id)),
            )
            requester = authors.get(ticket.requester_id or "")
            if requester is not None and requester.email:
                ticket.requester_email = requester.email
            yield ticket

    def _threads_of(
        self, items: list[Item], *, latest: Mapping[str, datetime]
    ) -> list[_Thread | None]:
        """The comments of a page's tickets: from the ticket events when that costs fewer
        calls, the others a few tickets at a time (each one is a call of its own); None
        for a ticket deleted since it was listed."""
        in_bulk = comment_events.read_threads(self.api, items, latest=latest)
        rest = [item for item in items if str(item.get("id")) not in in_bulk]
        one_by_one = iter(self._threads_one_by_one(rest))
        return [
            in_bulk[str(item.get("id"))] if str(item.get("id")) in in_bulk else next(one_by_one)
            for item in items
        ]

    def _threads_one_by_one(self, items: list[Item]) -> list[_Thread | None]:

        def thread(item: Item) -> _Thread | None:
            try:
                return self._ticket_comments(item.get("id"))
            except NotFoundError:
                return None

        def thread_in_pool(item: Item) -> _Thread | None:
            try:
                return thread(item)
            finally:
                # An emulator served in this process (tests) opens this thread's own.
                connections.close_all()

        if len(items) < 2 or COMMENT_READERS < 2:
            return [thread(item) for item in items]
        with ThreadPoolExecutor(
            max_workers=min(COMMENT_READERS, len(items)), thread_name_prefix="zendesk-comments"
        ) as pool:
            futures = [pool.submit(thread_in_pool, item) for item in items]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def _ticket_comments(self, ticket_id: Any) -> _Thread:
        """Every comment of a ticket, oldest first, with the users who wrote them."""
        comments: list[Comment] = []
        authors: dict[str, zd.ZendeskUser] = {}
        for page in self.api.cursor_pages(
            f"api/v2/tickets/{ticket_id}/comments.json",
            entity="comments",
            params={"include": "users"},
        ):
            comments.extend(zd.comments_from_zendesk(page))
            authors.update(zd.sideloaded_users(page))
        return comments, authors

    def _articles(self, items: list[Item]) -> Iterator[Article]:
        for item in items:
            article_id = item.get("id")
            try:
                translations = self.api.get(
                    f"api/v2/help_center/articles/{article_id}/translations.json",
                    entity="articles",
                    params={"per_page": 100},
                )
                attachments = self.api.get(
                    f"api/v2/help_center/articles/{article_id}/attachments.json",
                    entity="articles",
                )
            except NotFoundError:
                logger.info("Zendesk article %s was deleted while being read; skipped", article_id)
                continue
            yield zd.article_from_zendesk(
                item,
                category_id=self._section_category(item.get("section_id")),
                translations=translations,
                attachments=attachments,
            )

    def _section_category(self, section_id: Any) -> str | None:
        """The category of a section (articles do not carry it): every section is read
        once, a section created since then on its own."""
        key = str(section_id)
        if key not in self._section_categories and not self._sections_read:
            for page in self.api.cursor_pages(
                "api/v2/help_center/sections.json", entity=Entity.ARTICLE_SECTIONS.value
            ):
                for section in zd.sections_from_zendesk(page):
                    self._section_categories[section.source_id] = section.category_id
            self._sections_read = True
        if key not in self._section_categories:
            try:
                section = self.api.get(
                    f"api/v2/help_center/sections/{key}.json", entity=Entity.ARTICLE_SECTIONS.value
                ).get("section")
            except NotFoundError:
                section = None
            category = section.get("category_id") if isinstance(section, Mapping) else None
            self._section_categories[key] = None if category is None else str(category)
        return self._section_categories[key]

    def download_attachment(self, attachment: Attachment) -> AttachmentStream:
        # content_url redirects to Zendesk's file storage, which gets no credentials.
        return self.api.http.download(attachment.url, entity="attachments")

    # ------------------------------------------------------------------ writing

    def create(
        self,
        entity: Entity,
        record: Record,
        *,
        marker: str,
        attachments: AttachmentOpener | None = None,
        on_created: Callable[[str], None] | None = None,
    ) -> str:
        ensure_record_matches(entity, record)
        match record:
            case Organization():
                body = zd.organization_to_zendesk(record, marker=marker)
                created = self.api.post("api/v2/organizations.json", entity=entity.value, body=body)
                return self._created_id(created, "organization")
            case Group():
                body = zd.group_to_zendesk(record)
                created = self.api.post("api/v2/groups.json", entity=entity.value, body=body)
                return self._created_id(created, "group")
            case Agent() | Contact():
                return self._user_create(entity, record, marker=marker)
            case Ticket():
                return self._ticket_import(record, marker=marker, attachments=attachments)
            case ArticleCategory():
                body = zd.category_to_zendesk(record, locale=self._locale(record.locale))
                created = self.api.post(
                    "api/v2/help_center/categories.json", entity=entity.value, body=body
                )
                return self._created_id(created, "category")
            case ArticleSection():
                category_id = self._id(record.category_id, field="category_id", record=record)
                body = zd.section_to_zendesk(record, locale=self._locale(record.locale))
                created = self.api.post(
                    f"api/v2/help_center/categories/{category_id}/sections.json",
                    entity=entity.value,
                    body=body,
                )
                return self._created_id(created, "section")
            case Article():
                return self._article_create(
                    record, marker=marker, attachments=attachments, on_created=on_created
                )
        raise ValueError(f"Zendesk does not write {entity.value}")

    def update(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        ensure_record_matches(entity, record)
        target = self._id(target_id, field="id", record=record)
        match record:
            case Organization():
                body = zd.organization_to_zendesk(record, marker="")
                body["organization"].pop("external_id", None)
                self.api.put(f"api/v2/organizations/{target}.json", entity=entity.value, body=body)
            case Group():
                body = zd.group_to_zendesk(record)
                self.api.put(f"api/v2/groups/{target}.json", entity=entity.value, body=body)
            case Agent() | Contact():
                self._user_update(entity, target, record)
            case Ticket():
                self._ticket_update(target, record, attachments=attachments)
            case ArticleCategory():
                body = zd.category_to_zendesk(record, locale=self._locale(record.locale))
                self.api.put(
                    f"api/v2/help_center/categories/{target}.json", entity=entity.value, body=body
                )
            case ArticleSection():
                body = zd.section_to_zendesk(record, locale=self._locale(record.locale))
                body["section"]["category_id"] = self._id(
                    record.category_id, field="category_id", record=record
                )
                self.api.put(
                    f"api/v2/help_center/sections/{target}.json", entity=entity.value, body=body
                )
            case Article():
                self._article_update(target, record, attachments=attachments)

    def complete(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        if entity is Entity.TICKETS:
            # A ticket is imported with all its comments in one request: found is whole.
            return
        self.update(entity, target_id, record, attachments=attachments)

    def delete(self, entity: Entity, target_id: str) -> None:
        paths = {
            Entity.ORGANIZATIONS: "api/v2/organizations/{id}.json",
            Entity.GROUPS: "api/v2/groups/{id}.json",
            Entity.AGENTS: "api/v2/users/{id}.json",
            Entity.CONTACTS: "api/v2/users/{id}.json",
            Entity.TICKETS: "api/v2/tickets/{id}.json",
            Entity.ARTICLE_CATEGORIES: "api/v2/help_center/categories/{id}.json",
            Entity.ARTICLE_SECTIONS: "api/v2/help_center/sections/{id}.json",
            Entity.ARTICLES: "api/v2/help_center/articles/{id}.json",
        }
        if not target_id.isdigit():
            return
        path = paths[entity].format(id=target_id)
        try:
            if entity in (Entity.AGENTS, Entity.CONTACTS):
                # A user found by e-mail rather than created is the account's own: keep it.
                user = self.api.get(path, entity=entity.value).get("user") or {}
                if not is_marker(str(user.get("external_id") or "")):
                    logger.info("Zendesk user %s was not created by a migration; kept", target_id)
                    return
            self.api.delete(path, entity=entity.value)
        except NotFoundError:
            if entity not in (Entity.AGENTS, Entity.CONTACTS):
                return
        if entity in (Entity.AGENTS, Entity.CONTACTS):
            # A deleted user stays among the deleted users (its address taken) until it is
            # deleted for good, which Zendesk allows once it is soft-deleted.
            try:
                self.api.delete(f"api/v2/deleted_users/{target_id}.json", entity=entity.value)
            except NotFoundError:
                return

    def expected_on_target(self, entity: Entity, record: Record) -> Record | None:
        # An archived article is deleted once written: the API no longer reads it back.
        if isinstance(record, Article) and record.status == ARCHIVED.key:
            return None
        return record

    def find_by_marker(
        self, entity: Entity, marker: str, *, record: Record | None = None
    ) -> str | None:
        found: Any = None
        match entity:
            case Entity.TICKETS:
                found = self.api.get(
                    "api/v2/tickets.json", entity=entity.value, params={"external_id": marker}
                ).get("tickets")
            case Entity.AGENTS | Entity.CONTACTS:
                found = self.api.get(
                    "api/v2/users/search.json", entity=entity.value, params={"external_id": marker}
                ).get("users")
            case Entity.ORGANIZATIONS:
                found = self.api.get(
                    "api/v2/organizations/search.json",
                    entity=entity.value,
                    params={"external_id": marker},
                ).get("organizations")
            case Entity.ARTICLES:
                found = self._articles_labelled(marker)
            case Entity.GROUPS | Entity.ARTICLE_CATEGORIES | Entity.ARTICLE_SECTIONS:
                return self._find_by_name(entity, record)
        for item in found or []:
            if isinstance(item, Mapping) and item.get("id") is not None:
                return str(item["id"])
        return None

    def _articles_labelled(self, label: str) -> list[Item]:
        payload, _after, _more = self.api.cursor_page(
            "api/v2/help_center/articles.json",
            entity=Entity.ARTICLES.value,
            page_size=LIST_PAGE_MAX,
            params={"label_names": label},
        )
        items = envelope_items(payload, key="articles", platform="Zendesk", what="article")
        return [item for item in items if label in (item.get("label_names") or [])]

    def _find_by_name(self, entity: Entity, record: Record | None) -> str | None:
        """Groups, categories and sections have no slot for a marker: same name, same record."""
        name = getattr(record, "name", None)
        if not name:
            return None
        if isinstance(record, ArticleSection):
            path, key = (
                f"api/v2/help_center/categories/{record.category_id}/sections.json",
                "sections",
            )
        elif entity is Entity.GROUPS:
            path, key = "api/v2/groups.json", "groups"
        else:
            path, key = "api/v2/help_center/categories.json", "categories"
        wanted = name.strip().casefold()
        try:
            for page in self.api.cursor_pages(path, entity=entity.value):
                for item in envelope_items(page, key=key, platform="Zendesk", what=key):
                    if str(item.get("name", "")).strip().casefold() == wanted:
                        return str(item["id"])
        except NotFoundError:
            return None
        return None

    # ------------------------------------------------------------------ write helpers

    @staticmethod
    def _id(value: str | None, *, field: str, record: Record) -> int:
        identifier = zd.zendesk_id(
            value, field=field, record=f"{record.entity.value} {record.source_id}"
        )
        if identifier is None:
            raise InvalidRecordError(
                Message(
                    gettext_noop("%(value)s %(source_id)s: %(field)s is missing."),
                    {"value": record.entity.value, "source_id": record.source_id, "field": field},
                ),
                detail=field,
            )
        return identifier

    @staticmethod
    def _created_id(payload: Item, key: str) -> str:
        created = payload.get(key)
        if not isinstance(created, Mapping) or created.get("id") is None:
            raise MalformedPayloadError(
                Message(
                    gettext_noop("Zendesk answered the creation of a %(key)s without its id."),
                    {"key": key},
                ),
                field=f"{key}.id",
            )
        return str(created["id"])

    def _user_create(self, entity: Entity, user: Agent | Contact, *, marker: str) -> str:
        body = zd.user_to_zendesk(user, marker=marker)
        try:
            created = self.api.post("api/v2/users.json", entity=entity.value, body=body)
        except InvalidRecordError as error:
            existing = self._user_with_email(entity, user.email) if _email_taken(error) else None
            if existing is None:
                raise
            # Zendesk keeps one user per address: the person is already there, and an
            # end user the migration needs as an agent becomes one.
            existing_id, role = existing
            if isinstance(user, Agent) and role == "end-user":
                self.api.put(
                    f"api/v2/users/{existing_id}.json",
                    entity=entity.value,
                    body={"user": {"role": body["user"]["role"]}},
                )
            return self.existing_taken(entity, existing_id)
        user_id = self._created_id(created, "user")
        if isinstance(user, Agent):
            for group_id in user.group_ids:
                self._group_membership_add(user_id=user_id, group_id=group_id, user=user)
        return user_id

    def _group_membership_add(self, *, user_id: str, group_id: str, user: Agent) -> None:
        body = {
            "group_membership": {
                "user_id": int(user_id),
                "group_id": self._id(group_id, field="group_ids", record=user),
            }
        }
        try:
            self.api.post("api/v2/group_memberships.json", entity="agents", body=body)
        except InvalidRecordError as error:
            logger.info("agent %s not added to group %s: %s", user_id, group_id, error.detail)

    def _user_with_email(self, entity: Entity, email: str | None) -> tuple[str, str] | None:
        """Id and role of the user with this address."""
        if not email:
            return None
        users = self.api.get(
            "api/v2/users/search.json", entity=entity.value, params={"query": f"email:{email}"}
        ).get("users")
        for user in users or []:
            if isinstance(user, Mapping) and str(user.get("email", "")).lower() == email:
                return str(user["id"]), str(user.get("role"))
        return None

    def _user_update(self, entity: Entity, target: int, user: Agent | Contact) -> None:
        body = zd.user_to_zendesk(user, marker="")["user"]
        # The marker stays as created; a user's role and identities are the account's.
        for kept in ("external_id", "role", "identities"):
            body.pop(kept, None)
        if user.email:
            body["email"] = user.email
        self.api.put(f"api/v2/users/{target}.json", entity=entity.value, body={"user": body})

    @contextmanager
    def _spooled(
        self, attachment: Attachment, opener: AttachmentOpener
    ) -> Iterator[tuple[IO[bytes], int]]:
        """The attachment's bytes in a temporary file (in memory while small)."""
        with tempfile.SpooledTemporaryFile(max_size=UPLOAD_SPOOL_MEMORY_BYTES) as spool:
            with opener(attachment) as chunks:
                for chunk in chunks:
                    spool.write(chunk)
            size = spool.tell()
            yield spool, size

    def _uploaded(
        self, comments: Sequence[Comment], opener: AttachmentOpener | None
    ) -> tuple[list[Comment], dict[str, list[str]]]:
        """Upload the comments' files; returns the comments with their inline images
        pointed at the uploads, and the upload token of each comment."""
        if opener is None:
            return list(comments), {}
        prepared: list[Comment] = []
        tokens: dict[str, list[str]] = {}
        for comment in comments:
            token: str | None = None
            urls: dict[str, str] = {}
            for attachment in comment.attachments:
                if attachment.size is not None and attachment.size > MAX_ATTACHMENT_BYTES:
                    raise InvalidRecordError(
                        Message(
                            gettext_noop("%(file_name)s is larger than the 50 MB Zendesk accepts."),
                            {"file_name": attachment.file_name},
                        ),
                        detail=f"attachment {attachment.source_id}",
                    )
                with self._spooled(attachment, opener) as (content, size):
                    token, url = self.api.upload(
                        file_name=attachment.file_name,
                        content=content,
                        size=size,
                        content_type=attachment.content_type,
                        token=token,
                    )
                urls[attachment.url] = url
            if token is not None:
                tokens[comment.source_id] = [token]
            markup = _rewrite_sources(comment.html_body, urls)
            prepared.append(
                comment
                if markup == comment.html_body
                else comment.model_copy(update={"html_body": markup})
            )
        return prepared, tokens

    def _ticket_import(
        self, ticket: Ticket, *, marker: str, attachments: AttachmentOpener | None
    ) -> str:
        comments, tokens = self._uploaded(ticket.comments, attachments)
        body = zd.ticket_to_zendesk_import(
            ticket.model_copy(update={"comments": comments}), marker=marker, upload_tokens=tokens
        )
        created = self.api.post("api/v2/imports/tickets.json", entity="tickets", body=body)
        return self._created_id(created, "ticket")

    def _ticket_update(
        self, target: int, ticket: Ticket, *, attachments: AttachmentOpener | None
    ) -> None:
        path = f"api/v2/tickets/{target}.json"
        current = self.api.get(path, entity="tickets").get("ticket") or {}
        if current.get("status") == "closed":
            raise _closed_ticket_error(target)
        # The comments the target lacks, told apart by their text: Zendesk dates a comment
        # added by an update when it arrives, so dates cannot say which ones it has.
        on_target: Counter[str] = Counter()
        for page in self.api.cursor_pages(
            f"api/v2/tickets/{target}/comments.json", entity="comments"
        ):
            on_target.update(comment_key(comment) for comment in zd.comments_from_zendesk(page))
        added = []
        for comment in ticket.comments:
            key = comment_key(comment)
            if on_target[key]:
                on_target[key] -= 1  # a comment said twice is there twice
            else:
                added.append(comment)
        added, tokens = self._uploaded(added, attachments)
        try:
            for comment in added:
                body = {
                    "ticket": {
                        "comment": zd.comment_to_zendesk(
                            comment, upload_tokens=tokens.get(comment.source_id, ())
                        )
                    }
                }
                self.api.put(path, entity="tickets", body=body, idempotent=False)
            fields = zd.ticket_update_to_zendesk(ticket)
            markers = [tag for tag in current.get("tags") or [] if is_marker(tag)]
            fields["ticket"]["tags"] = [*fields["ticket"]["tags"], *markers]
            self.api.put(path, entity="tickets", body=fields)
        except InvalidRecordError as error:
            if "closed" in error.detail:
                raise _closed_ticket_error(target) from error
            raise

    def _locale(self, locale: str | None) -> str:
        return (locale or HELP_CENTER_LOCALE).lower()

    def _permission_group_id(self) -> int:
        """The permission group of migrated articles: "Agents and managers", Zendesk's
        default for new articles, or the account's first."""
        if self._permission_group is None:
            groups: list[Item] = []
            for page in self.api.cursor_pages(
                "api/v2/guide/permission_groups.json", entity="articles"
            ):
                groups.extend(
                    envelope_items(
                        page, key="permission_groups", platform="Zendesk", what="permission group"
                    )
                )
            if not groups:
                raise InvalidRecordError(
                    Message(
                        gettext_noop(
                            "Zendesk Help Center has no permission group: activate Help Center "
                            "first."
                        )
                    )
                )
            chosen = next(
                (g for g in groups if str(g.get("name", "")).casefold() == "agents and managers"),
                groups[0],
            )
            self._permission_group = int(chosen["id"])
        return self._permission_group

    def _article_create(
        self,
        article: Article,
        *,
        marker: str,
        attachments: AttachmentOpener | None,
        on_created: Callable[[str], None] | None,
    ) -> str:
        locale = self._locale(article.locale)
        section_id = self._id(article.section_id, field="section_id", record=article)
        # The API creates drafts and published articles; archiving comes after.
        written = (
            article.model_copy(update={"status": "draft"})
            if article.status == ARCHIVED.key
            else article
        )
        body = zd.article_to_zendesk(
            written, marker=marker, permission_group_id=self._permission_group_id(), locale=locale
        )
        created = self.api.post(
            f"api/v2/help_center/{locale}/sections/{section_id}/articles.json",
            entity="articles",
            body=body,
        )
        article_id = self._created_id(created, "article")
        if on_created is not None:
            on_created(article_id)
        for translation in article.translations:
            if translation.locale.lower() == locale:
                continue
            self.api.post(
                f"api/v2/help_center/articles/{article_id}/translations.json",
                entity="articles",
                body=zd.article_translation_to_zendesk(translation, article_status=written.status),
            )
        if attachments is not None and article.attachments:
            urls = self._article_files(article_id, article.attachments, attachments)
            markup = _rewrite_sources(article.html_body, urls)
            if markup != article.html_body:
                self.api.put(
                    f"api/v2/help_center/articles/{article_id}/translations/{locale}.json",
                    entity="articles",
                    body={"translation": {"body": markup}},
                )
        if article.status == ARCHIVED.key:
            self.api.delete(f"api/v2/help_center/articles/{article_id}.json", entity="articles")
        return article_id

    def _article_files(
        self, article_id: str, files: Sequence[Attachment], opener: AttachmentOpener
    ) -> dict[str, str]:
        urls: dict[str, str] = {}
        for attachment in files:
            with self._spooled(attachment, opener) as (content, _size):
                uploaded = self.api.http.post(
                    f"api/v2/help_center/articles/{article_id}/attachments.json",
                    entity="articles",
                    data={"inline": "true" if attachment.inline else "false"},
                    files={"file": (attachment.file_name, content, attachment.content_type)},
                    idempotent=False,
                )
            shown = uploaded.get("article_attachment") if isinstance(uploaded, Mapping) else None
            if isinstance(shown, Mapping) and shown.get("content_url"):
                urls[attachment.url] = str(shown["content_url"])
        return urls

    def _article_files_missing(
        self, article_id: str, files: Sequence[Attachment], opener: AttachmentOpener
    ) -> dict[str, str]:
        """The article's files on Zendesk by source URL: those already attached (a write
        cut short, an earlier run) are found by name, the others uploaded once."""
        listed = self.api.get(
            f"api/v2/help_center/articles/{article_id}/attachments.json", entity="articles"
        ).get("article_attachments")
        there = {
            str(item.get("file_name")): str(item.get("content_url") or "")
            for item in listed or []
            if isinstance(item, Mapping)
        }
        urls = {a.url: there[a.file_name] for a in files if there.get(a.file_name)}
        missing = [a for a in files if not there.get(a.file_name)]
        return urls | self._article_files(article_id, missing, opener)

    def _article_update(
        self, target: int, article: Article, *, attachments: AttachmentOpener | None = None
    ) -> None:
        path = f"api/v2/help_center/articles/{target}.json"
        current = self.api.get(path, entity="articles").get("article") or {}
        markup = article.html_body
        if attachments is not None and article.attachments:
            urls = self._article_files_missing(str(target), article.attachments, attachments)
            markup = _rewrite_sources(article.html_body, urls)
        markers = [label for label in current.get("label_names") or [] if is_marker(label)]
        properties: dict[str, Any] = {
            "label_names": [*article.tags, *markers],
            "section_id": self._id(article.section_id, field="section_id", record=article),
        }
        if article.author_id is not None:
            properties["author_id"] = self._id(article.author_id, field="author_id", record=article)
        self.api.put(path, entity="articles", body={"article": properties})
        locale = str(current.get("source_locale") or current.get("locale") or self._locale(None))
        draft = article.status != "published"
        self.api.put(
            f"api/v2/help_center/articles/{target}/translations/{locale}.json",
            entity="articles",
            body={"translation": {"title": article.title, "body": markup, "draft": draft}},
        )
        for translation in article.translations:
            if translation.locale.lower() == locale:
                continue
            body = zd.article_translation_to_zendesk(translation, article_status=article.status)
            try:
                self.api.put(
                    f"api/v2/help_center/articles/{target}/translations/{translation.locale.lower()}.json",
                    entity="articles",
                    body=body,
                )
            except NotFoundError:
                self.api.post(
                    f"api/v2/help_center/articles/{target}/translations.json",
                    entity="articles",
                    body=body,
                )
        if article.status == ARCHIVED.key:
            self.api.delete(path, entity="articles")


def _email_taken(error: ConnectorError) -> bool:
    return '"email"' in error.detail and "DuplicateValue" in error.detail


def _closed_ticket_error(target: int) -> InvalidRecordError:
    return InvalidRecordError(
        Message(
            gettext_noop(
                "Zendesk does not allow changes to closed tickets: ticket %(target)s was left as "
                "it is."
            ),
            {"target": target},
        ),
        status=422,
        detail="status: closed",
    )
