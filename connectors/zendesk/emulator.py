"""An emulator of Zendesk's Support and Help Center APIs, for the sandbox and the tests.

Mounted at ``/sandbox/zendesk/<account>/``: a connector's base URL for an account is
``http://host/sandbox/zendesk/<account>`` and every path below it is Zendesk's own
(``/api/v2/tickets.json``, ``/api/v2/help_center/articles.json``, …), with Zendesk's JSON
shapes, pagination (cursor and offset, with the 10,000-record offset cap), incremental
exports, error bodies, rate-limit headers and attachment downloads.

Objects are kept as Zendesk's own JSON in ``EmulatedRecord.data``; the record's ``number``
is the object's ``id``. Keys starting with ``_`` are the emulator's bookkeeping and never
leave it. URLs are not stored: they depend on the host that serves the request.

Every account starts, on its first request, with what a new Zendesk account has: its owner
(an admin, the user the credentials belong to), the "Support" group, the system ticket
fields, the five built-in ticket statuses and the Help Center's default permission groups
and user segments (see ``zendesk_account_defaults_ensure``).

Besides the lists, shows and writes of each kind of object, it answers the soft-deleted users
(``/api/v2/deleted_users``) and the sideloads a migration leans on: ``include=users`` on a
ticket's comments and ``include=metric_sets`` (solved and latest comment dates) on the
ticket export and show_many; the ticket event export is in :mod:`.emulator_events`.
Seeders store objects directly with ``record_unsaved`` and ``emulation.numbers_reserve``;
a stored comment body may point its inline images at ``src="/attachments/token/…"``, made
absolute with the serving host on every read.

Switches in ``EmulatedAccount.options`` (besides the shared latency, faults and rate limit):

- ``incremental_exports_per_minute`` (default 10, 0: none): the incremental exports' own
  rate limit, answered with 429 and ``zendesk-ratelimit-incremental-exports``.
- ``incremental_lag_seconds`` (default 60): exports leave out what changed this recently,
  and refuse a ``start_time`` this recent with Zendesk's 422.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import math
import mimetypes
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, wraps
from typing import Any
from urllib.parse import quote

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, re_path, register_converter
from django.utils import timezone
from django.utils.html import strip_tags

from connectors.emulation import (
    EmulatorError,
    EmulatorProfile,
    account_find,
    blob_find,
    blob_response,
    blob_store,
    isoformat,
    number_next,
    record_create,
    record_find,
    records,
    request_json,
    sequence_started,
)
from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord, EmulatedSequence

PLATFORM = "zendesk"
# Enterprise plan; Team is 200, Growth and Professional 400, Enterprise Plus 2,500.
DEFAULT_RATE_LIMIT_PER_MINUTE = 700
# The incremental export endpoints have their own, much tighter, bucket.
INCREMENTAL_EXPORTS_PER_MINUTE = 10
# Incremental exports leave out what changed in the minute before the request.
INCREMENTAL_LAG_SECONDS = 60
INCREMENTAL_PAGE_SIZE_MAX = 1000
HELP_CENTER_INCREMENTAL_PAGE_SIZE = 100
CURSOR_PAGE_SIZE_MAX = 100
OFFSET_PER_PAGE_MAX = 100
OFFSET_RECORDS_MAX = 10_000
HELP_CENTER_PER_PAGE_DEFAULT = 30
SHOW_MANY_MAX = 100
BULK_IMPORT_MAX = 100
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
UPLOAD_TOKEN_HOURS = 72

TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
STATUS_CATEGORIES = ("new", "open", "pending", "hold", "solved")
TICKET_PRIORITIES = ("urgent", "high", "normal", "low")
TICKET_TYPES = ("problem", "incident", "question", "task")
USER_ROLES = ("end-user", "agent", "admin")
STAFF_ROLES = ("agent", "admin")
CUSTOM_FIELD_TYPES = (
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "partialcreditcard",
    "multiselect",
    "tagger",
    "lookup",
)
FIELD_TYPES_WITH_OPTIONS = ("tagger", "multiselect")

# Bookkeeping keys inside stored JSON (never rendered).
BLOB_KEY = "_blob_token"
UPLOAD_KEY = "_upload_token"
UPLOAD_EXPIRY_KEY = "_upload_expires_at"
SOLVED_AT = "_solved_at"
DEFAULTS_MARKER = "zendesk_defaults"
FIELD_OPTIONS_SEQUENCE = "ticket_field_options"

ERROR_FORBIDDEN = (
    "You do not have access to this page. Please contact the account owner of this help desk "
    "for further help."
)


# --- Authentication, errors and rate limits ------------------------------------------------

# Zendesk serves these without credentials: attachment links carry their own token, and
# users/me answers an anonymous caller with the anonymous user instead of a 401.
PUBLIC_URL_NAMES = frozenset({"zendesk-attachment-content", "zendesk-hc-article-attachment"})
ANONYMOUS_URL_NAMES = frozenset({"zendesk-users-me"})


def _authenticate(request: HttpRequest, account: EmulatedAccount) -> bool:
    url_name = request.resolver_match.url_name if request.resolver_match else None
    if url_name in PUBLIC_URL_NAMES:
        return True
    header = request.headers.get("Authorization", "")
    if not header:
        return url_name in ANONYMOUS_URL_NAMES
    scheme, _, value = header.partition(" ")
    stored = account.secrets
    if scheme.lower() == "bearer":
        token = stored.get("oauth_token")
        return bool(token) and secrets.compare_digest(value.strip(), token)
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    username, _, password = decoded.partition(":")
    email = str(stored.get("email", "")).lower()
    if not email:
        return False
    if username.lower() == f"{email}/token" and stored.get("api_token"):
        return secrets.compare_digest(password, stored["api_token"])
    if username.lower() == email and stored.get("password"):
        return secrets.compare_digest(password, stored["password"])
    return False


def _error_body(status: int, code: str, message: str) -> dict[str, Any]:
    if status == 401:
        return {"error": "Couldn't authenticate you"}
    if status == 429:
        return {
            "error": "APIRateLimitExceeded",
            "description": "Number of allowed API requests per minute exceeded",
        }
    return {"error": code, "description": message}


def _rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "X-Rate-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(remaining),
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": str(reset),
    }


PROFILE = EmulatorProfile(
    platform=PLATFORM,
    default_rate_limit_per_minute=DEFAULT_RATE_LIMIT_PER_MINUTE,
    authenticate=_authenticate,
    error_body=_error_body,
    rate_limit_headers=_rate_limit_headers,
)


def _not_found() -> EmulatorError:
    return PROFILE.error(404, "RecordNotFound", "Not found")


def _invalid_endpoint() -> EmulatorError:
    return PROFILE.error(404, "InvalidEndpoint", "Not found")


def _forbidden() -> EmulatorError:
    return PROFILE.error(403, "Forbidden", ERROR_FORBIDDEN)


def _bad_request(code: str, description: str) -> EmulatorError:
    return PROFILE.error(400, code, description)


def _problem(description: str, error: str | None = None) -> dict[str, str]:
    problem = {"description": description}
    if error:
        problem["error"] = error
    return problem


def _record_invalid(details: dict[str, list[dict[str, str]]]) -> EmulatorError:
    return EmulatorError(
        422,
        {"error": "RecordInvalid", "description": "Record validation errors", "details": details},
    )


class _Problems:
    """Validation problems gathered field by field, raised together as Zendesk does."""

    def __init__(self) -> None:
        self.details: dict[str, list[dict[str, str]]] = {}

    def add(self, field: str, description: str, error: str | None = None) -> None:
        self.details.setdefault(field, []).append(_problem(description, error))

    def raise_any(self) -> None:
        if self.details:
            raise _record_invalid(self.details)


def _pagination_error(code: str, title: str, detail: str) -> EmulatorError:
    return EmulatorError(400, {"errors": [{"code": code, "title": title, "detail": detail}]})


def _spend_incremental_budget(account: EmulatedAccount) -> None:
    """The incremental exports' own per-minute bucket, beside the account-wide one."""
    limit = account.options.get("incremental_exports_per_minute", INCREMENTAL_EXPORTS_PER_MINUTE)
    if not limit:
        return
    now = time.time()
    window = int(now // 60)
    reset_in = max(1, math.ceil((window + 1) * 60 - now))
    key = f"emulator-rate:{PLATFORM}-incremental:{account.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
        used = 1
    if used > limit:
        remaining = 0
        raise EmulatorError(
            429,
            _error_body(429, "", ""),
            headers={
                "Retry-After": str(reset_in),
                "zendesk-ratelimit-incremental-exports": (
                    f"total={limit}; remaining={remaining}; resets={reset_in}"
                ),
            },
        )


# --- Request context -----------------------------------------------------------------------


class Ctx:
    """One request against one emulated account, with the URLs it answers with."""

    def __init__(self, request: HttpRequest, account: EmulatedAccount) -> None:
        self.request = request
        self.account = account

    @cached_property
    def root(self) -> str:
        """The account's base URL as the client reached it (what Zendesk calls the subdomain)."""
        marker = f"/{PLATFORM}/{self.account.slug}"
        request_path = self.request.path
        index = request_path.find(marker + "/")
        root_path = request_path[: index + len(marker)] if index >= 0 else marker
        return f"{self.request.scheme}://{self.request.get_host()}{root_path}"

    @cached_property
    def api(self) -> str:
        return f"{self.root}/api/v2"

    @cached_property
    def current_user(self) -> dict[str, Any]:
        """The user the credentials belong to: the account owner."""
        record = _owner_record(self.account)
        if record is None:
            return {"id": None, "role": "admin"}
        return record.data

    def params(self) -> Any:
        return self.request.GET

    def link(self, changes: dict[str, str | None], *, request_path: str | None = None) -> str:
        """This request's URL with some query parameters set or removed."""
        query = self.request.GET.copy()
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = value
        base = f"{self.request.scheme}://{self.request.get_host()}"
        encoded = query.urlencode(safe="[]")
        return f"{base}{request_path or self.request.path}" + (f"?{encoded}" if encoded else "")


def _require_admin(ctx: Ctx) -> None:
    if ctx.current_user.get("role") != "admin":
        raise _forbidden()


def _payload(ctx: Ctx, key: str) -> dict[str, Any]:
    body = request_json(ctx.request, PROFILE)
    payload = body.get(key)
    if not isinstance(payload, dict):
        raise _bad_request("InvalidValue", f"Parameter {key} is required and must be an object")
    return payload


def _dispatch(ctx: Ctx, **handlers: Callable[[], Any]) -> Any:
    """Run the handler of the request's method; Zendesk answers other methods as unknown."""
    handler = handlers.get(ctx.request.method or "GET")
    if handler is None:
        raise _invalid_endpoint()
    return handler()


def _int_param(ctx: Ctx, name: str, default: int) -> int:
    try:
        return int(ctx.params().get(name, default))
    except (TypeError, ValueError):
        return default


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _import_time(value: Any) -> datetime | None:
    """A date a ticket import sets: Zendesk rounds dates before 1970 up and takes none in
    the future."""
    moment = _parse_time(value)
    if moment is None:
        return None
    return min(max(moment, _from_epoch(0)), timezone.now())


def _parse_time(value: Any) -> datetime | None:
    """A timestamp from a request body, as Zendesk accepts them (ISO 8601)."""
    if not value:
        return None
    if isinstance(value, int | float):
        return _from_epoch(int(value))
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


# --- Kinds of objects: storage, URLs and rendering ----------------------------------------


@dataclass(frozen=True)
class Kind:
    """One collection of Zendesk objects: where it is stored and how it is named in JSON."""

    collection: str
    singular: str
    plural: str
    id_start: int
    #: The object's API URL below /api/v2, filled from its JSON (None: the object has none).
    url_template: str | None
    #: Deleting moves the object here (Zendesk keeps deleted tickets, users and groups).
    deleted_collection: str | None = None
    #: Adds what depends on the request (links, downloads) to a rendered object.
    render_extra: Callable[[Ctx, dict[str, Any], dict[str, Any]], None] | None = None


def _render(ctx: Ctx, kind: Kind, data: dict[str, Any]) -> dict[str, Any]:
    shown = {key: value for key, value in data.items() if not key.startswith("_")}
    if kind.url_template:
        shown["url"] = f"{ctx.api}/{kind.url_template.format_map(data)}.json"
    if kind.render_extra:
        kind.render_extra(ctx, shown, data)
    return shown


def _render_all(ctx: Ctx, kind: Kind, rows: Iterable[EmulatedRecord]) -> list[dict[str, Any]]:
    return [_render(ctx, kind, row.data) for row in rows]


def _attachment_links(ctx: Ctx, shown: dict[str, Any], data: dict[str, Any]) -> None:
    name = quote(data.get("file_name") or "file", safe="")
    content_url = f"{ctx.root}/attachments/token/{data[BLOB_KEY]}/?name={name}"
    shown["content_url"] = content_url
    shown["mapped_content_url"] = content_url


# Seeded bodies point their inline images at the account's root, which depends on the host
# serving the request: "/attachments/token/…" becomes the absolute content_url Zendesk writes.
ROOT_RELATIVE_IMAGE = 'src="/attachments/token/'


def _comment_links(ctx: Ctx, shown: dict[str, Any], data: dict[str, Any]) -> None:
    shown["attachments"] = [
        _render(ctx, ATTACHMENTS, attachment) for attachment in data.get("attachments", [])
    ]
    html_body = shown.get("html_body")
    if isinstance(html_body, str) and ROOT_RELATIVE_IMAGE in html_body:
        shown["html_body"] = html_body.replace(
            ROOT_RELATIVE_IMAGE, f'src="{ctx.root}/attachments/token/'
        )


def _help_center_slug(title: str) -> str:
    return re.sub(r"[^\w]+", "-", title or "").strip("-")


def _category_links(ctx: Ctx, shown: dict[str, Any], data: dict[str, Any]) -> None:
    shown["html_url"] = f"{ctx.root}/hc/{data.get('locale', 'en-us')}/categories/{data['id']}"


def _section_links(ctx: Ctx, shown: dict[str, Any], data: dict[str, Any]) -> None:
    shown["html_url"] = f"{ctx.root}/hc/{data.get('locale', 'en-us')}/sections/{data['id']}"


def _article_html_url(ctx: Ctx, article_id: int, locale: str, title: str) -> str:
    slug = _help_center_slug(title)
    return f"{ctx.root}/hc/{locale}/articles/{article_id}" + (f"-{slug}" if slug else "")


def _article_links(ctx: Ctx, shown: dict[str, Any], data: dict[str, Any]) -> None:
    shown["html_url"] = _article_html_url(ctx, data["id"], data["locale"], data.get("title", ""))


def _translation_links(ctx: Ctx, shown: dict[str, Any], data: dict[str, Any]) -> None:
    shown["html_url"] = _article_html_url(
        ctx, data["source_id"], data["locale"], data.get("title", "")
    )


def _article_attachment_links(ctx: Ctx, shown: dict[str, Any], data: dict[str, Any]) -> None:
    shown["content_url"] = f"{ctx.root}{data['relative_path']}"


def _job_status_links(ctx: Ctx, shown: dict[str, Any], data: dict[str, Any]) -> None:
    job_id = _job_status_id(data["id"])
    shown["id"] = job_id
    shown["url"] = f"{ctx.api}/job_statuses/{job_id}.json"


def _job_status_id(number: int) -> str:
    return format(number, "032x")


TICKETS = Kind(
    "tickets", "ticket", "tickets", 1, "tickets/{id}", deleted_collection="deleted_tickets"
)
COMMENTS = Kind(
    "ticket_comments", "comment", "comments", 10_000_000_001, None, render_extra=_comment_links
)
ATTACHMENTS = Kind(
    "attachments",
    "attachment",
    "attachments",
    360_006_000_001,
    "attachments/{id}",
    render_extra=_attachment_links,
)
USERS = Kind(
    "users", "user", "users", 360_000_000_001, "users/{id}", deleted_collection="deleted_users"
)
# Where deleted users are kept and how GET /api/v2/deleted_users shows them.
DELETED_USERS = Kind(
    "deleted_users", "deleted_user", "deleted_users", USERS.id_start, "deleted_users/{id}"
)
ORGANIZATIONS = Kind(
    "organizations", "organization", "organizations", 360_001_000_001, "organizations/{id}"
)
GROUPS = Kind(
    "groups", "group", "groups", 360_002_000_001, "groups/{id}", deleted_collection="deleted_groups"
)
GROUP_MEMBERSHIPS = Kind(
    "group_memberships",
    "group_membership",
    "group_memberships",
    360_003_000_001,
    "group_memberships/{id}",
)
TICKET_FIELDS = Kind(
    "ticket_fields", "ticket_field", "ticket_fields", 360_004_000_001, "ticket_fields/{id}"
)
CUSTOM_STATUSES = Kind(
    "custom_statuses", "custom_status", "custom_statuses", 360_005_000_001, "custom_statuses/{id}"
)
JOB_STATUSES = Kind(
    "job_statuses", "job_status", "job_statuses", 1, None, render_extra=_job_status_links
)
CATEGORIES = Kind(
    "hc_categories",
    "category",
    "categories",
    360_007_000_001,
    "help_center/categories/{id}",
    render_extra=_category_links,
)
SECTIONS = Kind(
    "hc_sections",
    "section",
    "sections",
    360_008_000_001,
    "help_center/sections/{id}",
    render_extra=_section_links,
)
ARTICLES = Kind(
    "hc_articles",
    "article",
    "articles",
    360_009_000_001,
    "help_center/{locale}/articles/{id}",
    render_extra=_article_links,
)
TRANSLATIONS = Kind(
    "hc_translations",
    "translation",
    "translations",
    360_010_000_001,
    "help_center/articles/{source_id}/translations/{id}",
    render_extra=_translation_links,
)
ARTICLE_ATTACHMENTS = Kind(
    "hc_article_attachments",
    "article_attachment",
    "article_attachments",
    360_011_000_001,
    "help_center/articles/attachments/{id}",
    render_extra=_article_attachment_links,
)
PERMISSION_GROUPS = Kind(
    "hc_permission_groups",
    "permission_group",
    "permission_groups",
    360_012_000_001,
    "guide/permission_groups/{id}",
)
USER_SEGMENTS = Kind(
    "hc_user_segments",
    "user_segment",
    "user_segments",
    360_013_000_001,
    "help_center/user_segments/{id}",
)


# --- Storage -------------------------------------------------------------------------------


def _rows(account: EmulatedAccount, kind: Kind) -> QuerySet[EmulatedRecord]:
    return records(account=account, collection=kind.collection)


def _insert(
    account: EmulatedAccount,
    kind: Kind,
    data: dict[str, Any],
    *,
    parent_number: int | None = None,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    number: int | None = None,
) -> EmulatedRecord:
    """Store a new object under the next id, its JSON carrying that id and its dates."""
    if number is None:
        number = _next_number(account, kind)
    row = record_unsaved(
        account,
        kind,
        data,
        number=number,
        parent_number=parent_number,
        created_at=created_at or timezone.now(),
        updated_at=updated_at,
    )
    return record_create(
        account=account,
        collection=row.collection,
        data=row.data,
        number=number,
        parent_number=parent_number,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def record_unsaved(
    account: EmulatedAccount,
    kind: Kind,
    data: dict[str, Any],
    *,
    number: int,
    created_at: datetime,
    updated_at: datetime | None = None,
    parent_number: int | None = None,
    collection: str | None = None,
) -> EmulatedRecord:
    """An object stored as the API stores it, not yet saved: seeders ``bulk_create`` these
    (with ids from ``numbers_reserve``). ``collection`` overrides the kind's own (deleted
    objects)."""
    updated = max(updated_at or created_at, created_at)
    stored = {
        "id": number,
        **data,
        "created_at": isoformat(created_at),
        "updated_at": isoformat(updated),
    }
    return EmulatedRecord(
        account=account,
        collection=collection or kind.collection,
        number=number,
        parent_number=parent_number,
        data=stored,
        created_at=created_at,
        updated_at=updated,
    )


def _next_number(account: EmulatedAccount, kind: Kind) -> int:
    return number_next(account=account, collection=kind.collection, start=kind.id_start)


def _save(record: EmulatedRecord, data: dict[str, Any], *, moment: datetime | None = None) -> None:
    """Write an object back, its JSON's updated_at following the record's."""
    moment = moment or timezone.now()
    data["updated_at"] = isoformat(moment)
    record.data = data
    record.updated_at = moment
    record.save(update_fields=["collection", "data", "updated_at"])


def _record(ctx: Ctx, kind: Kind, number: int, *, include_deleted: bool = False) -> EmulatedRecord:
    collections = [kind.collection]
    if include_deleted and kind.deleted_collection:
        collections.append(kind.deleted_collection)
    record = record_find(account=ctx.account, collection=collections, number=number)
    if record is None:
        raise _not_found()
    return record


def _numbers_present(account: EmulatedAccount, kind: Kind, numbers: Iterable[Any]) -> set[int]:
    wanted = {number for number in numbers if isinstance(number, int)}
    if not wanted:
        return set()
    return set(_rows(account, kind).filter(number__in=wanted).values_list("number", flat=True))


def _records_by_number(
    account: EmulatedAccount, kind: Kind, numbers: Iterable[Any]
) -> dict[int, dict[str, Any]]:
    wanted = {number for number in numbers if isinstance(number, int)}
    if not wanted:
        return {}
    return {
        number: data
        for number, data in _rows(account, kind)
        .filter(number__in=wanted)
        .values_list("number", "data")
    }


# --- Pagination ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """A sort over record fields, the last being ``number`` so that every row has its place."""

    fields: tuple[str, ...]
    descending: bool = False

    def order_by(self, *, forward: bool) -> list[str]:
        descending = self.descending == forward
        return [("-" if descending else "") + field for field in self.fields]

    def beyond(self, values: list[Any], *, forward: bool) -> Q:
        """Rows strictly after ``values`` (forward) or before them, in this order."""
        operator = "gt" if self.descending != forward else "lt"
        condition = Q()
        for index, field in enumerate(self.fields):
            step = Q(**{f"{field}__{operator}": values[index]})
            for earlier in range(index):
                step &= Q(**{self.fields[earlier]: values[earlier]})
            condition |= step
        return condition

    def cursor(self, record: EmulatedRecord) -> str:
        values = [
            value.isoformat() if isinstance(value, datetime) else value
            for value in (getattr(record, field) for field in self.fields)
        ]
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    def cursor_at(self, moment: datetime) -> str:
        """A cursor placed just before everything changed at or after ``moment``."""
        values = [moment.isoformat(), 0]
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    def values(self, cursor: str, *, parameter: str) -> list[Any]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(values, list) or len(values) != len(self.fields):
                raise ValueError(cursor)
            return [
                value if field == "number" else datetime.fromisoformat(value)
                for field, value in zip(self.fields, values, strict=True)
            ]
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise _pagination_error(
                "InvalidPaginationParameter",
                "Invalid Pagination Parameter",
                f"{parameter} is not a valid cursor",
            ) from None


BY_ID = Order(("number",))
BY_UPDATED = Order(("updated_at", "number"))
SORT_FIELDS = {
    "id": ("number",),
    "created_at": ("created_at", "number"),
    "updated_at": ("updated_at", "number"),
}


def _order(ctx: Ctx, *, default: Order) -> Order:
    """The order asked for with ``sort=-updated_at`` (cursor) or ``sort_by``/``sort_order``."""
    params = ctx.params()
    sort = params.get("sort") or params.get("sort_by") or ""
    descending = sort.startswith("-") or params.get("sort_order") == "desc"
    fields = SORT_FIELDS.get(sort.lstrip("-"))
    if fields is None:
        return Order(default.fields, descending or default.descending)
    return Order(fields, descending)


def _is_cursor_request(ctx: Ctx) -> bool:
    return any(key.startswith("page[") for key in ctx.params())


def _list_response(
    ctx: Ctx,
    kind: Kind,
    queryset: QuerySet[EmulatedRecord],
    *,
    default_order: Order = BY_ID,
    help_center: bool = False,
    render: Callable[[list[EmulatedRecord]], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """A page of a list endpoint: cursor pagination with ``page[size]``, else offset."""
    order = _order(ctx, default=default_order)
    render = render or (lambda rows: _render_all(ctx, kind, rows))
    if _is_cursor_request(ctx):
        return _cursor_page(ctx, kind, queryset, order, render)
    return _offset_page(ctx, kind, queryset, order, render, help_center=help_center)


def _cursor_page(
    ctx: Ctx,
    kind: Kind,
    queryset: QuerySet[EmulatedRecord],
    order: Order,
    render: Callable[[list[EmulatedRecord]], list[dict[str, Any]]],
) -> dict[str, Any]:
    params = ctx.params()
    size = min(max(_int_param(ctx, "page[size]", CURSOR_PAGE_SIZE_MAX), 1), CURSOR_PAGE_SIZE_MAX)
    before = params.get("page[before]")
    after = params.get("page[after]")
    if before:
        beyond = order.beyond(order.values(before, parameter="page[before]"), forward=False)
        rows = list(queryset.filter(beyond).order_by(*order.order_by(forward=False))[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size][::-1]
    else:
        if after:
            queryset = queryset.filter(
                order.beyond(order.values(after, parameter="page[after]"), forward=True)
            )
        rows = list(queryset.order_by(*order.order_by(forward=True))[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
    after_cursor = order.cursor(rows[-1]) if rows else None
    before_cursor = order.cursor(rows[0]) if rows else None
    return {
        kind.plural: render(rows),
        "meta": {
            "has_more": has_more,
            "after_cursor": after_cursor,
            "before_cursor": before_cursor,
        },
        "links": {
            "prev": ctx.link({"page[before]": before_cursor, "page[after]": None})
            if before_cursor
            else None,
            "next": ctx.link({"page[after]": after_cursor, "page[before]": None})
            if after_cursor
            else None,
        },
    }


def _offset_page(
    ctx: Ctx,
    kind: Kind,
    queryset: QuerySet[EmulatedRecord],
    order: Order,
    render: Callable[[list[EmulatedRecord]], list[dict[str, Any]]],
    *,
    help_center: bool,
) -> dict[str, Any]:
    default_per_page = HELP_CENTER_PER_PAGE_DEFAULT if help_center else OFFSET_PER_PAGE_MAX
    per_page = min(max(_int_param(ctx, "per_page", default_per_page), 1), OFFSET_PER_PAGE_MAX)
    page = max(_int_param(ctx, "page", 1), 1)
    if page * per_page > OFFSET_RECORDS_MAX:
        raise _pagination_error(
            "InvalidPaginationDepth",
            "Pagination requests using Offset Pagination are limited to page 100 or up to "
            "10000 records (page * per_page)",
            "There are limits to offset pagination: use cursor based pagination to fetch "
            "larger data sets.",
        )
    total = queryset.count()
    start = (page - 1) * per_page
    rows = list(queryset.order_by(*order.order_by(forward=True))[start : start + per_page])
    body: dict[str, Any] = {
        kind.plural: render(rows),
        "next_page": ctx.link({"page": str(page + 1)}) if start + per_page < total else None,
        "previous_page": ctx.link({"page": str(page - 1)}) if page > 1 else None,
        "count": total,
    }
    if help_center:
        body.update(
            {
                "page": page,
                "per_page": per_page,
                "page_count": max(1, math.ceil(total / per_page)),
                "sort_by": ctx.params().get("sort_by", "position"),
                "sort_order": ctx.params().get("sort_order", "asc"),
            }
        )
    return body


# --- Incremental exports -------------------------------------------------------------------


def _export_horizon(account: EmulatedAccount) -> datetime:
    """What changed after this moment waits for a later export."""
    lag = account.options.get("incremental_lag_seconds", INCREMENTAL_LAG_SECONDS)
    return timezone.now() - timedelta(seconds=lag)


def _start_time(ctx: Ctx) -> datetime:
    raw = ctx.params().get("start_time")
    if raw is None:
        raise _bad_request("InvalidValue", "start_time is required")
    try:
        seconds = int(raw)
    except ValueError:
        raise _bad_request("InvalidValue", "start_time must be a Unix epoch time") from None
    lag = ctx.account.options.get("incremental_lag_seconds", INCREMENTAL_LAG_SECONDS)
    if lag and seconds > time.time() - lag:
        raise PROFILE.error(
            422, "InvalidValue", "Too recent start_time. Use a start_time older than 1 minute"
        )
    return _from_epoch(max(seconds, 0))


def _cursor_export(
    ctx: Ctx,
    *,
    queryset: QuerySet[EmulatedRecord],
    plural: str,
    render: Callable[[list[EmulatedRecord]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """Cursor-based incremental export: everything changed since a start time, oldest first."""
    _spend_incremental_budget(ctx.account)
    cursor = ctx.params().get("cursor")
    if cursor:
        queryset = queryset.filter(
            BY_UPDATED.beyond(BY_UPDATED.values(cursor, parameter="cursor"), forward=True)
        )
        resume_cursor = cursor
    else:
        start = _start_time(ctx)
        queryset = queryset.filter(updated_at__gte=start)
        resume_cursor = BY_UPDATED.cursor_at(start)
    per_page = min(
        max(_int_param(ctx, "per_page", INCREMENTAL_PAGE_SIZE_MAX), 1), INCREMENTAL_PAGE_SIZE_MAX
    )
    rows = list(
        queryset.filter(updated_at__lte=_export_horizon(ctx.account)).order_by(
            *BY_UPDATED.order_by(forward=True)
        )[: per_page + 1]
    )
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    after_cursor = BY_UPDATED.cursor(rows[-1]) if rows else resume_cursor
    return {
        plural: render(rows),
        "after_url": ctx.link({"cursor": after_cursor, "start_time": None}),
        "after_cursor": after_cursor,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": not has_more,
    }


def _time_export(
    ctx: Ctx,
    *,
    queryset: QuerySet[EmulatedRecord],
    plural: str,
    render: Callable[[list[EmulatedRecord]], list[dict[str, Any]]],
    page_size: int = INCREMENTAL_PAGE_SIZE_MAX,
    next_page_at_end: bool = True,
    rate_limited: bool = True,
) -> dict[str, Any]:
    """Time-based incremental export: pages follow ``end_time``, duplicates and all."""
    if rate_limited:
        _spend_incremental_budget(ctx.account)
    start = _start_time(ctx)
    page_size = min(max(_int_param(ctx, "per_page", page_size), 1), page_size)
    queryset = queryset.filter(
        updated_at__gte=start, updated_at__lte=_export_horizon(ctx.account)
    ).order_by(*BY_UPDATED.order_by(forward=True))
    rows = list(queryset[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if has_more:
        # The whole last second comes along, so the next page's start_time cannot cut it.
        last = rows[-1]
        next_second = _from_epoch(_epoch(last.updated_at) + 1)
        rows += list(
            queryset.filter(
                BY_UPDATED.beyond([last.updated_at, last.number], forward=True),
                updated_at__lt=next_second,
            )
        )
    end_time = _epoch(rows[-1].updated_at) if rows else _epoch(start)
    if has_more and end_time <= _epoch(start):
        end_time = _epoch(start) + 1
    end_of_stream = not has_more
    next_page = ctx.link({"start_time": str(end_time)})
    return {
        plural: render(rows),
        "next_page": next_page if (next_page_at_end or not end_of_stream) else None,
        "count": len(rows),
        "end_time": end_time,
        "end_of_stream": end_of_stream,
    }


def _count_response(queryset: QuerySet[EmulatedRecord]) -> dict[str, Any]:
    return {"count": {"value": queryset.count(), "refreshed_at": isoformat(timezone.now())}}


def _show_many_response(ctx: Ctx, kind: Kind) -> dict[str, Any]:
    params = ctx.params()
    ids = [part for part in params.get("ids", "").split(",") if part.strip()]
    queryset = _rows(ctx.account, kind)
    if ids:
        try:
            numbers = [int(part) for part in ids[:SHOW_MANY_MAX]]
        except ValueError:
            raise _bad_request("InvalidValue", "ids must be a comma-separated list") from None
        queryset = queryset.filter(number__in=numbers)
    elif params.get("external_ids"):
        external_ids = [part for part in params["external_ids"].split(",") if part][:SHOW_MANY_MAX]
        queryset = queryset.filter(data__external_id__in=external_ids)
    else:
        raise _bad_request("InvalidValue", "ids or external_ids is required")
    return {kind.plural: _render_all(ctx, kind, queryset.order_by("number"))}


# --- Generic reads and writes --------------------------------------------------------------

#: Turns a request's object (and the stored one, on update) into the JSON to store.
Builder = Callable[[Ctx, dict[str, Any], dict[str, Any] | None], dict[str, Any]]


def _show_response(
    ctx: Ctx, kind: Kind, number: int, *, include_deleted: bool = False
) -> dict[str, Any]:
    record = _record(ctx, kind, number, include_deleted=include_deleted)
    return {kind.singular: _render(ctx, kind, record.data)}


def _create_response(
    ctx: Ctx,
    kind: Kind,
    build: Builder,
    *,
    parent_number: int | None = None,
    admin_only: bool = False,
    from_path: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Create an object from the request; ``from_path`` holds what the URL decides (the
    parent's id), which the body cannot override."""
    if admin_only:
        _require_admin(ctx)
    payload = {**_payload(ctx, kind.singular), **(from_path or {})}
    with transaction.atomic():
        data = build(ctx, payload, None)
        record = _insert(ctx.account, kind, data, parent_number=parent_number)
    return 201, {kind.singular: _render(ctx, kind, record.data)}


def _update_response(
    ctx: Ctx, kind: Kind, number: int, build: Builder, *, admin_only: bool = False
) -> dict[str, Any]:
    if admin_only:
        _require_admin(ctx)
    payload = _payload(ctx, kind.singular)
    with transaction.atomic():
        record = _record(ctx, kind, number)
        data = build(ctx, payload, dict(record.data))
        _save(record, data)
    return {kind.singular: _render(ctx, kind, record.data)}


def _delete_response(
    ctx: Ctx,
    kind: Kind,
    number: int,
    *,
    admin_only: bool = False,
    mark_deleted: Callable[[dict[str, Any]], None] | None = None,
    show_after: bool = False,
) -> HttpResponseBase | dict[str, Any]:
    """Delete an object: kinds Zendesk keeps move to their deleted collection, marked."""
    if admin_only:
        _require_admin(ctx)
    with transaction.atomic():
        record = _record(ctx, kind, number)
        if kind.deleted_collection:
            data = dict(record.data)
            if mark_deleted:
                mark_deleted(data)
            record.collection = kind.deleted_collection
            _save(record, data)
        else:
            record.delete()
    if show_after:
        return {kind.singular: _render(ctx, kind, record.data)}
    return HttpResponse(status=204)


def _pick(payload: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {field: payload[field] for field in fields if field in payload}


def _string_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(item) for item in value if item is not None]


def _tags(value: Any) -> list[str]:
    """Zendesk's tags: lower case, a space separates two tags, each kept once."""
    tags: list[str] = []
    for item in _string_list(value):
        for tag in item.lower().split():
            if tag not in tags:
                tags.append(tag)
    return tags


def _external_id(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _unique_external_id(
    payload: dict[str, Any],
    data: dict[str, Any],
    others: QuerySet[EmulatedRecord],
    problems: _Problems,
) -> str | None:
    """The external id a write asks for, which no other object of the kind may hold."""
    external_id = _external_id(payload.get("external_id", data.get("external_id")))
    changed = external_id and external_id != data.get("external_id")
    if changed and others.filter(data__external_id=external_id).exists():
        problems.add("external_id", "External: has already been taken", "DuplicateValue")
    return external_id


# --- Account defaults: the owner, the Support group, system fields, statuses ---------------


def _owner_email(account: EmulatedAccount) -> str:
    return str(account.secrets.get("email") or f"admin@{account.slug}.example.com").lower()


# Account -> its owner's id, so that every write finds the owner through the index instead
# of reading every user's e-mail; checked against the e-mail on each use (resets reuse ids).
_owner_numbers: dict[int, int] = {}


def _owner_record(account: EmulatedAccount) -> EmulatedRecord | None:
    users = _rows(account, USERS).filter(data__email=_owner_email(account))
    known = _owner_numbers.get(account.pk)
    record = users.filter(number=known).first() if known is not None else None
    if record is None:
        record = users.order_by("number").first()
        if record is not None:
            _owner_numbers[account.pk] = record.number
    return record


def zendesk_account_defaults_ensure(*, account: EmulatedAccount) -> None:
    """Give a new account what every Zendesk account starts with, once: its owner (an admin),
    the "Support" group, the system ticket fields, the five built-in ticket statuses and the
    Help Center's default permission groups and user segments."""
    if sequence_started(account=account, collection=DEFAULTS_MARKER):
        return
    with transaction.atomic():
        _marker, created = EmulatedSequence.objects.get_or_create(
            account=account, collection=DEFAULTS_MARKER
        )
        if not created:
            return
        owner = _owner_record(account)
        if owner is None:
            owner = _insert(
                account,
                USERS,
                user_defaults(
                    name=str(account.secrets.get("name") or "Account Owner"),
                    email=_owner_email(account),
                    role="admin",
                ),
            )
        group = _insert(
            account,
            GROUPS,
            {
                "name": "Support",
                "description": "",
                "default": True,
                "deleted": False,
                "is_public": True,
            },
        )
        _insert(
            account,
            GROUP_MEMBERSHIPS,
            {"user_id": owner.number, "group_id": group.number, "default": True},
        )
        for position, (field_type, title) in enumerate(SYSTEM_TICKET_FIELDS, start=1):
            _insert(account, TICKET_FIELDS, _system_ticket_field(field_type, title, position))
        for category, labels in DEFAULT_CUSTOM_STATUSES.items():
            _insert(account, CUSTOM_STATUSES, _custom_status_data(category, *labels, default=True))
        for name in ("Admins", "Agents and managers"):
            _insert(
                account,
                PERMISSION_GROUPS,
                {"name": name, "built_in": name == "Admins", "publish": [], "edit": []},
            )
        for name, user_type in (("Signed-in users", "signed_in_users"), ("Agents", "staff")):
            _insert(
                account,
                USER_SEGMENTS,
                {
                    "name": name,
                    "user_type": user_type,
                    "built_in": True,
                    "group_ids": [],
                    "organization_ids": [],
                    "tags": [],
                    "or_tags": [],
                    "added_user_ids": [],
                },
            )


SYSTEM_TICKET_FIELDS = (
    ("subject", "Subject"),
    ("description", "Description"),
    ("status", "Status"),
    ("custom_status", "Ticket status"),
    ("tickettype", "Type"),
    ("priority", "Priority"),
    ("group", "Group"),
    ("assignee", "Assignee"),
)
SYSTEM_FIELD_OPTIONS = {
    "status": [
        ("Open", "open"),
        ("Pending", "pending"),
        ("On-hold", "hold"),
        ("Solved", "solved"),
    ],
    "tickettype": [
        ("Question", "question"),
        ("Incident", "incident"),
        ("Problem", "problem"),
        ("Task", "task"),
    ],
    "priority": [("Low", "low"), ("Normal", "normal"), ("High", "high"), ("Urgent", "urgent")],
}
DEFAULT_CUSTOM_STATUSES = {
    "new": ("New", "Open", "Ticket is awaiting assignment to an agent"),
    "open": ("Open", "Open", "Staff is working on the ticket"),
    "pending": ("Pending", "Awaiting your reply", "Staff is waiting for the requester to reply"),
    "hold": ("On-hold", "Open", "Staff is waiting for a third party"),
    "solved": ("Solved", "Solved", "The ticket has been solved"),
}


def ticket_field_base(field_type: str, title: str, position: int) -> dict[str, Any]:
    return {
        "type": field_type,
        "title": title,
        "raw_title": title,
        "description": "",
        "raw_description": "",
        "agent_description": None,
        "position": position,
        "active": True,
        "required": False,
        "collapsed_for_agents": False,
        "regexp_for_validation": None,
        "title_in_portal": title,
        "raw_title_in_portal": title,
        "visible_in_portal": False,
        "editable_in_portal": False,
        "required_in_portal": False,
        "tag": None,
        "removable": True,
        "key": None,
    }


def _system_ticket_field(field_type: str, title: str, position: int) -> dict[str, Any]:
    field = ticket_field_base(field_type, title, position)
    field.update(
        {
            "removable": False,
            "visible_in_portal": field_type in ("subject", "description"),
            "editable_in_portal": field_type in ("subject", "description"),
            "required_in_portal": field_type in ("subject", "description"),
        }
    )
    if field_type in SYSTEM_FIELD_OPTIONS:
        field["system_field_options"] = [
            {"name": name, "value": value} for name, value in SYSTEM_FIELD_OPTIONS[field_type]
        ]
    return field


def _custom_status_data(
    category: str,
    agent_label: str,
    end_user_label: str,
    description: str,
    *,
    default: bool,
    end_user_description: str = "",
    active: bool = True,
) -> dict[str, Any]:
    return {
        "status_category": category,
        "agent_label": agent_label,
        "raw_agent_label": agent_label,
        "end_user_label": end_user_label,
        "raw_end_user_label": end_user_label,
        "description": description,
        "raw_description": description,
        "end_user_description": end_user_description,
        "raw_end_user_description": end_user_description,
        "active": active,
        "default": default,
    }


# --- Users ---------------------------------------------------------------------------------

USER_WRITABLE = (
    "name",
    "alias",
    "details",
    "notes",
    "phone",
    "shared_phone_number",
    "time_zone",
    "iana_time_zone",
    "locale",
    "locale_id",
    "signature",
    "verified",
    "suspended",
    "moderator",
    "only_private_comments",
    "ticket_restriction",
    "restricted_agent",
    "custom_role_id",
    "default_group_id",
    "report_csv",
)


def user_defaults(*, name: str, email: str | None, role: str = "end-user") -> dict[str, Any]:
    return {
        "name": name,
        "email": email,
        "time_zone": "UTC",
        "iana_time_zone": "Etc/UTC",
        "phone": None,
        "shared_phone_number": None,
        "photo": None,
        "locale_id": 1,
        "locale": "en-US",
        "organization_id": None,
        "role": role,
        "verified": False,
        "external_id": None,
        "tags": [],
        "alias": "",
        "active": True,
        "shared": False,
        "shared_agent": False,
        "last_login_at": None,
        "two_factor_auth_enabled": None,
        "signature": None,
        "details": "",
        "notes": "",
        "role_type": None,
        "custom_role_id": None,
        "moderator": role == "admin",
        "ticket_restriction": "requested" if role == "end-user" else None,
        "only_private_comments": False,
        "restricted_agent": role == "end-user",
        "suspended": False,
        "default_group_id": None,
        "report_csv": role == "admin",
        "user_fields": {},
    }


def _user_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    problems = _Problems()
    name = payload.get("name", current["name"] if current else None)
    email = payload.get("email", current["email"] if current else None)
    email = str(email).strip().lower() if email else None
    if not name and email and current is None:
        name = email.split("@")[0]  # Zendesk names a user created from an e-mail alone
    if not name or not str(name).strip():
        problems.add("name", "Name:  is too short (minimum is 1 character)", "TooShort")
    role = payload.get("role", current["role"] if current else "end-user")
    if role not in USER_ROLES:
        problems.add("role", f"Role: {role} is not a valid role", "InvalidValue")
        role = "end-user"
    data = current or user_defaults(name=str(name or ""), email=email, role=role)
    others = _rows(ctx.account, USERS).exclude(number=data.get("id"))
    if email and email != (current or {}).get("email"):
        if "@" not in email:
            problems.add("email", f"Email: {email} is not properly formatted", "InvalidFormat")
        elif others.filter(data__email=email).exists():
            problems.add(
                "email", f"Email: {email} is already being used by another user", "DuplicateValue"
            )
    external_id = _unique_external_id(payload, data, others, problems)
    organization_id = payload.get("organization_id", data.get("organization_id"))
    if organization_id is not None and not _numbers_present(
        ctx.account, ORGANIZATIONS, [organization_id]
    ):
        problems.add("organization_id", "Organization: is invalid", "InvalidValue")
    problems.raise_any()
    data.update(_pick(payload, USER_WRITABLE))
    data.update(
        {
            "name": str(name).strip(),
            "email": email,
            "role": role,
            "external_id": external_id,
            "organization_id": organization_id,
        }
    )
    if "tags" in payload:
        data["tags"] = _tags(payload["tags"])
    if isinstance(payload.get("user_fields"), dict):
        data["user_fields"] = {**data.get("user_fields", {}), **payload["user_fields"]}
    if "remote_photo_url" in payload:
        data["photo"] = {"content_url": payload["remote_photo_url"]}
    return data


def _users_queryset(ctx: Ctx) -> QuerySet[EmulatedRecord]:
    params = ctx.params()
    queryset = _rows(ctx.account, USERS)
    roles = params.getlist("role[]") or params.getlist("role")
    if roles:
        queryset = queryset.filter(data__role__in=roles)
    if params.get("external_id"):
        queryset = queryset.filter(data__external_id=params["external_id"])
    return queryset


def _users_search_queryset(ctx: Ctx) -> QuerySet[EmulatedRecord]:
    """``external_id=`` or ``query=`` (``email:…``, ``external_id:…``, ``name:…`` or text)."""
    params = ctx.params()
    queryset = _rows(ctx.account, USERS)
    if params.get("external_id"):
        return queryset.filter(data__external_id=params["external_id"])
    query = params.get("query", "").strip()
    if not query:
        return queryset.none()
    field, separator, value = query.partition(":")
    value = value.strip().strip('"')
    if separator and field == "email":
        return queryset.filter(data__email=value.lower())
    if separator and field == "external_id":
        return queryset.filter(data__external_id=value)
    if separator and field == "name":
        return queryset.filter(data__name__iexact=value)
    if separator and field == "role":
        return queryset.filter(data__role=value)
    return queryset.filter(Q(data__name__icontains=query) | Q(data__email__icontains=query))


def _user_mark_deleted(data: dict[str, Any]) -> None:
    data["active"] = False


# --- Organizations, groups, memberships ----------------------------------------------------

ORGANIZATION_WRITABLE = ("details", "notes", "group_id", "shared_tickets", "shared_comments")


def _organization_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    problems = _Problems()
    data = current or {
        "name": "",
        "shared_tickets": False,
        "shared_comments": False,
        "external_id": None,
        "domain_names": [],
        "details": "",
        "notes": "",
        "group_id": None,
        "tags": [],
        "organization_fields": {},
    }
    others = _rows(ctx.account, ORGANIZATIONS).exclude(number=data.get("id"))
    name = str(payload.get("name", data["name"]) or "").strip()
    if not name:
        problems.add("name", "Name: cannot be blank", "BlankValue")
    elif name.lower() != data["name"].lower() and others.filter(data__name__iexact=name).exists():
        problems.add("name", "Name: has already been taken", "DuplicateValue")
    external_id = _unique_external_id(payload, data, others, problems)
    problems.raise_any()
    data.update(_pick(payload, ORGANIZATION_WRITABLE))
    data.update({"name": name, "external_id": external_id})
    if "domain_names" in payload:
        data["domain_names"] = _string_list(payload["domain_names"])
    if "tags" in payload:
        data["tags"] = _tags(payload["tags"])
    if isinstance(payload.get("organization_fields"), dict):
        data["organization_fields"] = {
            **data.get("organization_fields", {}),
            **payload["organization_fields"],
        }
    return data


def _organizations_search_queryset(ctx: Ctx) -> QuerySet[EmulatedRecord]:
    params = ctx.params()
    queryset = _rows(ctx.account, ORGANIZATIONS)
    if params.get("external_id"):
        return queryset.filter(data__external_id=params["external_id"])
    if params.get("name"):
        return queryset.filter(data__name__iexact=params["name"])
    raise _bad_request("InvalidValue", "external_id or name is required")


def _group_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    problems = _Problems()
    data = current or {
        "name": "",
        "description": "",
        "default": False,
        "deleted": False,
        "is_public": True,
    }
    name = str(payload.get("name", data["name"]) or "").strip()
    if not name:
        problems.add("name", "Name: cannot be blank", "BlankValue")
    problems.raise_any()
    data.update(_pick(payload, ("description", "default", "is_public")))
    data["name"] = name
    return data


def _group_mark_deleted(data: dict[str, Any]) -> None:
    data["deleted"] = True


def _group_membership_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    problems = _Problems()
    user = _records_by_number(ctx.account, USERS, [payload.get("user_id")]).get(
        payload.get("user_id")
    )
    if user is None:
        problems.add("user_id", "User: cannot be blank", "BlankValue")
    elif user["role"] not in STAFF_ROLES:
        problems.add("user_id", "User: is not an agent", "InvalidValue")
    if not _numbers_present(ctx.account, GROUPS, [payload.get("group_id")]):
        problems.add("group_id", "Group: cannot be blank", "BlankValue")
    problems.raise_any()
    if (
        _rows(ctx.account, GROUP_MEMBERSHIPS)
        .filter(data__user_id=payload["user_id"], data__group_id=payload["group_id"])
        .exists()
    ):
        problems.add("user_id", "User: is already a member of this group", "DuplicateValue")
        problems.raise_any()
    return {
        "user_id": payload["user_id"],
        "group_id": payload["group_id"],
        "default": bool(payload.get("default", False)),
    }


# --- Ticket fields and statuses ------------------------------------------------------------

TICKET_FIELD_WRITABLE = (
    "description",
    "agent_description",
    "position",
    "active",
    "required",
    "collapsed_for_agents",
    "regexp_for_validation",
    "title_in_portal",
    "visible_in_portal",
    "editable_in_portal",
    "required_in_portal",
    "tag",
    "key",
)


def _ticket_field_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    problems = _Problems()
    field_type = current["type"] if current else payload.get("type")
    if current is None and field_type not in CUSTOM_FIELD_TYPES:
        problems.add("type", f"Type: {field_type} is not a valid field type", "InvalidValue")
    title = str(payload.get("title", current["title"] if current else "") or "").strip()
    if not title:
        problems.add("title", "Title: cannot be blank", "BlankValue")
    options = payload.get("custom_field_options")
    if field_type in FIELD_TYPES_WITH_OPTIONS and current is None and not options:
        problems.add(
            "custom_field_options", "Field options: must have at least one option", "BlankValue"
        )
    for option in options or []:
        if not isinstance(option, dict) or not option.get("name") or not option.get("value"):
            problems.add(
                "custom_field_options", "Field options: name and value are required", "BlankValue"
            )
            break
    problems.raise_any()
    data = current or {
        **ticket_field_base(field_type, title, payload.get("position", 9999)),
        "sub_type_id": 0,
    }
    data.update(_pick(payload, TICKET_FIELD_WRITABLE))
    data.update({"title": title, "raw_title": title})
    data.setdefault("title_in_portal", title)
    data["raw_title_in_portal"] = data["title_in_portal"]
    data["raw_description"] = data["description"]
    if field_type in FIELD_TYPES_WITH_OPTIONS and options is not None:
        data["custom_field_options"] = [
            {
                "id": option.get("id")
                or number_next(
                    account=ctx.account, collection=FIELD_OPTIONS_SEQUENCE, start=360_020_000_001
                ),
                "name": option["name"],
                "raw_name": option["name"],
                "value": option["value"],
                "default": bool(option.get("default", False)),
            }
            for option in options
        ]
    return data


def _custom_status_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    problems = _Problems()
    category = current["status_category"] if current else payload.get("status_category")
    if category not in STATUS_CATEGORIES:
        problems.add("status_category", "Status category: is invalid", "InvalidValue")
    agent_label = str(payload.get("agent_label", (current or {}).get("agent_label", "")) or "")
    if not agent_label.strip():
        problems.add("agent_label", "Agent label: cannot be blank", "BlankValue")
    problems.raise_any()
    data = current or _custom_status_data(category, agent_label, agent_label, "", default=False)
    for key in ("agent_label", "end_user_label", "description", "end_user_description"):
        if key in payload:
            data[key] = payload[key]
            data[f"raw_{key}"] = payload[key]
    if "active" in payload:
        data["active"] = bool(payload["active"])
    return data


# --- Tickets and their comments ------------------------------------------------------------

TICKET_WRITABLE = ("recipient", "due_at", "problem_id", "ticket_form_id", "brand_id")


@dataclass
class CommentDraft:
    payload: dict[str, Any]
    author_id: int | None
    public: bool
    created_at: datetime | None


def ticket_defaults() -> dict[str, Any]:
    return {
        "external_id": None,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
        "type": None,
        "subject": None,
        "raw_subject": None,
        "description": "",
        "priority": None,
        "status": "new",
        "recipient": None,
        "requester_id": None,
        "submitter_id": None,
        "assignee_id": None,
        "organization_id": None,
        "group_id": None,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": [],
        "custom_fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": None,
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": None,
        "brand_id": None,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }


def _comment_body(payload: dict[str, Any]) -> tuple[str, str]:
    """The plain and HTML bodies of a comment given as body, value or html_body."""
    html_body = payload.get("html_body")
    body = payload.get("body") or payload.get("value")
    if html_body and not body:
        body = html.unescape(strip_tags(str(html_body))).strip()
    body = str(body or "")
    if not html_body:
        paragraphs = "".join(
            f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>"
            for part in body.split("\n\n")
            if part
        )
        html_body = f'<div class="zd-comment" dir="auto">{paragraphs}</div>'
    return body, str(html_body)


def _ticket_write(
    ctx: Ctx,
    payload: dict[str, Any],
    *,
    record: EmulatedRecord | None = None,
    importing: bool = False,
) -> tuple[EmulatedRecord, list[EmulatedRecord]]:
    """Create or update a ticket and add its comments, validating as Zendesk does."""
    current = dict(record.data) if record else None
    if current and current["status"] == "closed":
        raise _record_invalid({"status": [_problem("Status: closed prevents ticket update")]})
    stamp = payload.get("updated_stamp") if payload.get("safe_update") else None
    if current and stamp and stamp != current["updated_at"]:
        raise PROFILE.error(
            409,
            "UpdateConflict",
            "Safe Update prevented the update due to outdated ticket data. Please fetch "
            "the latest ticket data and try again.",
        )
    problems = _Problems()
    account = ctx.account
    acting_user_id = ctx.current_user.get("id")
    data = current or ticket_defaults()

    comments = _ticket_comment_drafts(payload, importing=importing, creating=current is None)
    if current is None and not comments:
        problems.add("base", "Description: cannot be blank", "BlankValue")

    requester = payload.get("requester")
    requester_id = payload.get("requester_id", data["requester_id"])
    if isinstance(requester, dict):
        requester_id = _requester_from_object(ctx, requester, problems)
    submitter_id = payload.get("submitter_id", data["submitter_id"] or acting_user_id)
    if current is None and requester_id is None:
        requester_id = acting_user_id
    assignee_id = payload.get("assignee_id", data["assignee_id"])
    collaborator_ids = payload.get("collaborator_ids", data["collaborator_ids"])
    author_ids = [draft.author_id for draft in comments]
    users = _records_by_number(
        account,
        USERS,
        [requester_id, submitter_id, assignee_id, *author_ids, *(collaborator_ids or [])],
    )
    if requester_id is not None and requester_id not in users:
        problems.add("requester", "Requester: is invalid", "InvalidValue")
    if submitter_id is not None and submitter_id not in users:
        problems.add("submitter", "Submitter: is invalid", "InvalidValue")
    if assignee_id is not None and users.get(assignee_id, {}).get("role") not in STAFF_ROLES:
        problems.add("assignee", "Assignee: is invalid", "InvalidValue")
    for author_id in author_ids:
        if author_id is not None and author_id not in users:
            problems.add("comment", "Comment: author is invalid", "InvalidValue")
    group_id = payload.get("group_id", data["group_id"])
    if group_id is not None and not _numbers_present(account, GROUPS, [group_id]):
        problems.add("group", "Group: is invalid", "InvalidValue")
    organization_id = payload.get("organization_id", data["organization_id"])
    if "organization_id" not in payload and current is None:
        organization_id = users.get(requester_id, {}).get("organization_id")
    if organization_id is not None and not _numbers_present(
        account, ORGANIZATIONS, [organization_id]
    ):
        problems.add("organization", "Organization: is invalid", "InvalidValue")

    statuses = [row.data for row in _rows(account, CUSTOM_STATUSES)]
    status = payload.get("status", data["status"])
    custom_status = None
    if "custom_status_id" in payload:
        custom_status = _custom_status_chosen(statuses, payload["custom_status_id"], problems)
        if custom_status is not None and "status" not in payload:
            status = custom_status["status_category"]
    elif "status" not in payload and not importing:
        if current is None and assignee_id is not None:
            status = "open"  # an assigned new ticket starts open
        if current is not None and current["status"] == "new":
            status = "open"  # an agent's update takes a new ticket out of "New"
    if status not in TICKET_STATUSES:
        problems.add("status", f"Status: {status} is not valid", "InvalidValue")
    elif custom_status is None and (current is None or status != current["status"]):
        custom_status = _custom_status_default(statuses, status)
    priority = payload.get("priority", data["priority"])
    if priority not in (None, "", *TICKET_PRIORITIES):
        problems.add("priority", f"Priority: {priority} is not valid", "InvalidValue")
    ticket_type = payload.get("type", data["type"])
    if ticket_type not in (None, "", *TICKET_TYPES):
        problems.add("type", f"Type: {ticket_type} is not valid", "InvalidValue")
    problems.raise_any()

    now = timezone.now()
    created_at = _import_time(payload.get("created_at")) if importing else None
    updated_at = (_import_time(payload.get("updated_at")) if importing else None) or (
        now if current else created_at
    )
    data.update(_pick(payload, TICKET_WRITABLE))
    data.update(
        {
            "requester_id": requester_id,
            "submitter_id": submitter_id,
            "assignee_id": assignee_id,
            "group_id": group_id,
            "organization_id": organization_id,
            "status": status,
            "priority": priority or None,
            "type": ticket_type or None,
            "collaborator_ids": [uid for uid in collaborator_ids or [] if uid in users],
            "external_id": _external_id(payload.get("external_id", data["external_id"])),
        }
    )
    if "subject" in payload:
        data["subject"] = payload["subject"]
        data["raw_subject"] = payload["subject"]
    if custom_status is not None:
        data["custom_status_id"] = custom_status["id"]
    _ticket_tags(data, payload)
    _ticket_custom_fields(ctx, data, payload)
    if status in ("solved", "closed") and not data.get(SOLVED_AT):
        solved_at = _import_time(payload.get("solved_at")) if importing else None
        data[SOLVED_AT] = isoformat(solved_at or updated_at or now)
    elif status not in ("solved", "closed"):
        data.pop(SOLVED_AT, None)
    public_default = data["is_public"]
    for draft in comments:
        draft.author_id = draft.author_id or (submitter_id if current is None else acting_user_id)
        if draft.created_at is None:
            draft.created_at = created_at if current is None and importing else None
    if current is None:
        first = min(comments, key=lambda draft: draft.created_at or now)
        data["description"] = _comment_body(first.payload)[0]
        data["is_public"] = first.public if first.public is not None else True
        public_default = True

    if record is None:
        record = _insert(account, TICKETS, data, created_at=created_at, updated_at=updated_at)
    else:
        _save(record, data, moment=updated_at)
    added = [
        _comment_insert(ctx, record, draft, public_default=public_default) for draft in comments
    ]
    return record, added


def _ticket_comment_drafts(
    payload: dict[str, Any], *, importing: bool, creating: bool
) -> list[CommentDraft]:
    """The comments a ticket request adds: ``comment``, ``comments`` on import, or the
    ``description`` of a new ticket."""
    given: list[Any] = []
    if importing and isinstance(payload.get("comments"), list):
        given.extend(payload["comments"])
    if isinstance(payload.get("comment"), dict):
        given.append(payload["comment"])
    if creating and not given and payload.get("description"):
        given.append({"body": payload["description"]})
    drafts = []
    for comment in given:
        if not isinstance(comment, dict):
            continue
        has_body = any(comment.get(key) for key in ("body", "value", "html_body"))
        if not has_body and not comment.get("uploads"):
            continue
        created_at = _import_time(comment.get("created_at")) if importing else None
        drafts.append(
            CommentDraft(
                payload=comment,
                author_id=comment.get("author_id"),
                public=comment.get("public"),
                created_at=created_at,
            )
        )
    return drafts


def _requester_from_object(ctx: Ctx, requester: dict[str, Any], problems: _Problems) -> int | None:
    """A requester given by name and e-mail: that user, created as an end user if unknown."""
    email = str(requester.get("email") or "").strip().lower()
    if not email:
        problems.add("requester", "Requester: Email: cannot be blank", "BlankValue")
        return None
    existing = _rows(ctx.account, USERS).filter(data__email=email).first()
    if existing is not None:
        return existing.number
    data = user_defaults(name=str(requester.get("name") or email.split("@")[0]), email=email)
    if requester.get("locale_id"):
        data["locale_id"] = requester["locale_id"]
    return _insert(ctx.account, USERS, data).number


def _custom_status_chosen(
    statuses: list[dict[str, Any]], custom_status_id: Any, problems: _Problems
) -> dict[str, Any] | None:
    chosen = next((item for item in statuses if item["id"] == custom_status_id), None)
    if chosen is None or not chosen["active"]:
        problems.add("custom_status_id", "Custom status: is invalid", "InvalidValue")
        return None
    return chosen


def _custom_status_default(statuses: list[dict[str, Any]], status: str) -> dict[str, Any] | None:
    """The built-in custom status of a status' category (closed tickets stay "Solved")."""
    category = "solved" if status == "closed" else status
    return next(
        (item for item in statuses if item["status_category"] == category and item["default"]),
        None,
    )


def _ticket_tags(data: dict[str, Any], payload: dict[str, Any]) -> None:
    if "tags" in payload:
        data["tags"] = _tags(payload["tags"])
    if "additional_tags" in payload:
        data["tags"] = _tags(data["tags"] + _tags(payload["additional_tags"]))
    if "remove_tags" in payload:
        removed = set(_tags(payload["remove_tags"]))
        data["tags"] = [tag for tag in data["tags"] if tag not in removed]


def _ticket_custom_fields(ctx: Ctx, data: dict[str, Any], payload: dict[str, Any]) -> None:
    """Every active custom field shows on the ticket; writes set values by field id."""
    given = payload.get("custom_fields", payload.get("fields"))
    if given is None and data["custom_fields"]:
        return
    values = {item["id"]: item["value"] for item in data["custom_fields"]}
    for item in given or []:
        if isinstance(item, dict) and "id" in item:
            values[item["id"]] = item.get("value")
    field_ids = list(
        _rows(ctx.account, TICKET_FIELDS)
        .filter(data__removable=True, data__active=True)
        .values_list("number", flat=True)
    )
    data["custom_fields"] = [
        {"id": field_id, "value": values.get(field_id)} for field_id in field_ids
    ]
    data["fields"] = [dict(item) for item in data["custom_fields"]]


def _comment_insert(
    ctx: Ctx, ticket: EmulatedRecord, draft: CommentDraft, *, public_default: bool
) -> EmulatedRecord:
    body, html_body = _comment_body(draft.payload)
    tokens = _string_list(draft.payload.get("uploads"))
    attachments = [row.data for row in _upload_attachments(ctx.account, tokens)] if tokens else []
    public = draft.public if draft.public is not None else public_default
    request = ctx.request
    number = _next_number(ctx.account, COMMENTS)
    data = {
        "type": "Comment",
        "author_id": draft.author_id,
        "body": body,
        "html_body": html_body,
        "plain_body": body,
        "public": bool(public),
        "attachments": attachments,
        "audit_id": number,
        "via": ticket.data["via"],
        "metadata": {
            "system": {
                "client": request.headers.get("User-Agent", ""),
                "ip_address": request.META.get("REMOTE_ADDR"),
                "location": None,
                "latitude": None,
                "longitude": None,
            },
            "custom": {},
        },
    }
    return _insert(
        ctx.account,
        COMMENTS,
        data,
        parent_number=ticket.number,
        created_at=draft.created_at or ticket.updated_at,
        number=number,
    )


def _ticket_response(
    ctx: Ctx, record: EmulatedRecord, comments: list[EmulatedRecord]
) -> dict[str, Any]:
    ticket = _render(ctx, TICKETS, record.data)
    events = [{**_render(ctx, COMMENTS, comment.data)} for comment in comments]
    audit = {
        "id": comments[0].number if comments else record.number,
        "ticket_id": record.number,
        "created_at": record.data["updated_at"],
        "author_id": ctx.current_user.get("id"),
        "via": record.data["via"],
        "metadata": {"system": {}, "custom": {}},
        "events": events,
    }
    return {"ticket": ticket, "audit": audit}


def _tickets_queryset(ctx: Ctx) -> QuerySet[EmulatedRecord]:
    queryset = _rows(ctx.account, TICKETS)
    if ctx.params().get("external_id"):
        queryset = queryset.filter(data__external_id=ctx.params()["external_id"])
    return queryset


def _ticket_mark_deleted(data: dict[str, Any]) -> None:
    data["status"] = "deleted"


def _ticket_import_one(ctx: Ctx, payload: dict[str, Any]) -> EmulatedRecord:
    with transaction.atomic():
        record, _comments = _ticket_write(ctx, payload, importing=True)
    return record


def _flatten_details(error: EmulatorError) -> str:
    details = error.body.get("details") if isinstance(error.body, dict) else None
    if not details:
        return str(error.body.get("description", "")) if isinstance(error.body, dict) else ""
    return "; ".join(problem["description"] for items in details.values() for problem in items)


# --- Help Center ---------------------------------------------------------------------------

HELP_CENTER_LOCALE = "en-us"


def _category_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    problems = _Problems()
    name = str(payload.get("name", (current or {}).get("name", "")) or "").strip()
    if not name:
        problems.add("name", "Name: cannot be blank", "BlankValue")
    problems.raise_any()
    locale = payload.get("locale", HELP_CENTER_LOCALE)
    data = current or {
        "position": 0,
        "name": name,
        "description": "",
        "locale": locale,
        "source_locale": locale,
        "outdated": False,
    }
    data.update(_pick(payload, ("description", "position")))
    data["name"] = name
    return data


def _section_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    data = _category_fields(ctx, payload, current)
    data.setdefault("category_id", payload.get("category_id"))
    data.setdefault("sorting", "manual")
    data.setdefault("parent_section_id", None)
    data.setdefault("theme_template", "section_page")
    data.update(_pick(payload, ("sorting", "parent_section_id", "theme_template")))
    if current is not None and "category_id" in payload:
        if not _numbers_present(ctx.account, CATEGORIES, [payload["category_id"]]):
            raise _record_invalid({"category_id": [_problem("Category: is invalid")]})
        data["category_id"] = payload["category_id"]
    return data


ARTICLE_WRITABLE = (
    "comments_disabled",
    "promoted",
    "position",
    "label_names",
    "content_tag_ids",
    "author_id",
)


def _article_fields(
    ctx: Ctx, payload: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    """An article's own properties; its title and body belong to its translations, which
    is why updating an article leaves them alone."""
    refusals = []
    if current is None:
        if "user_segment_id" not in payload:
            refusals.append(
                "You passed an invalid value for the user_segment_id attribute. You must "
                "provide user_segment_id. Set to 'null' to make it visible to everyone."
            )
        if not payload.get("permission_group_id"):
            refusals.append(
                "You passed an invalid value for the permission_group_id attribute. You must "
                "provide permission_group_id."
            )
    permission_group_id = payload.get("permission_group_id")
    if permission_group_id and not _numbers_present(
        ctx.account, PERMISSION_GROUPS, [permission_group_id]
    ):
        refusals.append(
            "You passed an invalid value for the permission_group_id attribute. "
            "Permission group not found."
        )
    segment = payload.get("user_segment_id")
    if segment is not None and not _numbers_present(ctx.account, USER_SEGMENTS, [segment]):
        refusals.append(
            "You passed an invalid value for the user_segment_id attribute. User segment not found."
        )
    if refusals:
        raise EmulatorError(400, {"title": "Invalid attribute", "message": ". ".join(refusals)})
    title = str(payload.get("title", (current or {}).get("title", "")) or "").strip()
    if current is None and not title:
        raise _record_invalid({"title": [_problem("Title: cannot be blank", "BlankValue")]})
    locale = str(payload.get("locale") or HELP_CENTER_LOCALE).lower()
    data = current or {
        "author_id": ctx.current_user.get("id"),
        "comments_disabled": False,
        "draft": bool(payload.get("draft", False)),
        "promoted": False,
        "position": 0,
        "vote_sum": 0,
        "vote_count": 0,
        "section_id": payload.get("section_id"),
        "name": title,
        "title": title,
        "source_locale": locale,
        "locale": locale,
        "outdated": False,
        "outdated_locales": [],
        "edited_at": isoformat(timezone.now()),
        "user_segment_id": None,
        "permission_group_id": None,
        "content_tag_ids": [],
        "label_names": [],
        "body": payload.get("body") or "",
        "user_segment_ids": [],
    }
    data.update(_pick(payload, ARTICLE_WRITABLE))
    if "permission_group_id" in payload:
        data["permission_group_id"] = payload["permission_group_id"]
    if "user_segment_id" in payload:
        data["user_segment_id"] = segment
        data["user_segment_ids"] = [segment] if segment is not None else []
    if current is not None and "section_id" in payload:
        if not _numbers_present(ctx.account, SECTIONS, [payload["section_id"]]):
            raise _record_invalid({"section_id": [_problem("Section: is invalid")]})
        data["section_id"] = payload["section_id"]
    return data


def translation_data(
    article: dict[str, Any], *, locale: str, title: str, body: str, draft: bool, user_id: Any
) -> dict[str, Any]:
    return {
        "source_id": article["id"],
        "source_type": "Article",
        "locale": locale,
        "title": title,
        "body": body,
        "outdated": False,
        "draft": draft,
        "hidden": False,
        "created_by_id": user_id,
        "updated_by_id": user_id,
    }


def _articles_in_locale(
    ctx: Ctx, rows: list[EmulatedRecord], locale: str | None
) -> list[dict[str, Any]]:
    """Articles as seen in a locale: its translation's title and body where there is one."""
    rendered = _render_all(ctx, ARTICLES, rows)
    if not locale or not rows:
        return rendered
    translations = {
        row.parent_number: row.data
        for row in _rows(ctx.account, TRANSLATIONS).filter(
            parent_number__in=[row.number for row in rows], data__locale=locale.lower()
        )
    }
    for article in rendered:
        translation = translations.get(article["id"])
        if translation is not None:
            article.update(
                {
                    "locale": translation["locale"],
                    "title": translation["title"],
                    "name": translation["title"],
                    "body": translation["body"],
                    "draft": translation["draft"],
                    "outdated": translation["outdated"],
                }
            )
            article["url"] = (
                f"{ctx.api}/help_center/{translation['locale']}/articles/{article['id']}.json"
            )
            article["html_url"] = _article_html_url(
                ctx, article["id"], translation["locale"], translation["title"]
            )
    return rendered


def _article_queryset(ctx: Ctx) -> QuerySet[EmulatedRecord]:
    queryset = _rows(ctx.account, ARTICLES)
    if ctx.params().get("label_names"):
        # JSON list containment is not portable (SQLite has none): match in Python.
        labels = {label for label in ctx.params()["label_names"].split(",") if label}
        numbers = [
            number
            for number, names in queryset.values_list("number", "data__label_names")
            if labels <= set(names or [])
        ]
        queryset = queryset.filter(number__in=numbers)
    return queryset


# --- Views: account and users --------------------------------------------------------------


def _endpoint(view: Callable[..., Any]) -> Callable[..., HttpResponseBase]:
    """A Zendesk view: the shared behaviour around the call, the account's defaults, a Ctx."""

    @wraps(view)
    def handle(request: HttpRequest, account: EmulatedAccount, **kwargs: Any) -> Any:
        zendesk_account_defaults_ensure(account=account)
        return view(Ctx(request, account), **kwargs)

    return PROFILE.endpoint(handle)


@_endpoint
def users_me(ctx: Ctx) -> Any:
    if not ctx.request.headers.get("Authorization"):
        anonymous = user_defaults(name="Anonymous user", email="invalid@example.com")
        return {"user": {"id": None, "url": None, **anonymous}}
    return _dispatch(ctx, GET=lambda: {"user": _render(ctx, USERS, ctx.current_user)})


@_endpoint
def account_show(ctx: Ctx) -> Any:
    owner_id = ctx.current_user.get("id")
    return _dispatch(
        ctx,
        GET=lambda: {
            "account": {
                "url": ctx.root,
                "name": ctx.account.name,
                "sandbox": False,
                "subdomain": ctx.account.slug,
                "time_format": 24,
                "time_zone": "UTC",
                "owner_id": owner_id,
                "multiproduct": False,
            }
        },
    )


@_endpoint
def account_settings(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: {
            "settings": {
                "branding": {"header_color": "03363D", "page_background_color": "333333"},
                "tickets": {
                    "comments_public_by_default": True,
                    "is_first_comment_private_enabled": True,
                    "list_newest_comments_first": False,
                    "collaboration": True,
                    "private_attachments": False,
                    "maximum_personal_views_to_list": 8,
                    "tagging": True,
                },
                "localization": {"locale_ids": [1]},
                "active_features": {"custom_statuses": True, "ticket_forms": True},
            }
        },
    )


@_endpoint
def users_view(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(ctx, USERS, _users_queryset(ctx)),
        POST=lambda: _create_response(ctx, USERS, _user_fields),
    )


@_endpoint
def user_view(ctx: Ctx, number: int) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, USERS, number, include_deleted=True),
        PUT=lambda: _update_response(ctx, USERS, number, _user_fields),
        DELETE=lambda: _delete_response(
            ctx, USERS, number, admin_only=True, mark_deleted=_user_mark_deleted, show_after=True
        ),
    )


@_endpoint
def users_count(ctx: Ctx) -> Any:
    return _dispatch(ctx, GET=lambda: _count_response(_users_queryset(ctx)))


@_endpoint
def users_show_many(ctx: Ctx) -> Any:
    return _dispatch(ctx, GET=lambda: _show_many_response(ctx, USERS))


@_endpoint
def users_search(ctx: Ctx) -> Any:
    return _dispatch(ctx, GET=lambda: _list_response(ctx, USERS, _users_search_queryset(ctx)))


@_endpoint
def users_create_or_update(ctx: Ctx) -> Any:
    def create_or_update() -> Any:
        payload = _payload(ctx, "user")
        existing = None
        external_id = _external_id(payload.get("external_id"))
        if external_id:
            existing = _rows(ctx.account, USERS).filter(data__external_id=external_id).first()
        if existing is None and payload.get("email"):
            email = str(payload["email"]).strip().lower()
            existing = _rows(ctx.account, USERS).filter(data__email=email).first()
        if existing is None:
            return _create_response(ctx, USERS, _user_fields)
        return _update_response(ctx, USERS, existing.number, _user_fields)

    return _dispatch(ctx, POST=create_or_update)


@_endpoint
def deleted_users_view(ctx: Ctx) -> Any:
    """Soft-deleted users (``active: false``), which the users list leaves out."""
    return _dispatch(
        ctx, GET=lambda: _list_response(ctx, DELETED_USERS, _rows(ctx.account, DELETED_USERS))
    )


@_endpoint
def deleted_users_count(ctx: Ctx) -> Any:
    return _dispatch(ctx, GET=lambda: _count_response(_rows(ctx.account, DELETED_USERS)))


@_endpoint
def deleted_user_view(ctx: Ctx, number: int) -> Any:
    def permanently_delete() -> Any:
        """Only a soft-deleted user may be deleted for good; it leaves every list."""
        answer = _show_response(ctx, DELETED_USERS, number)
        _rows(ctx.account, DELETED_USERS).filter(number=number).delete()
        return answer

    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, DELETED_USERS, number),
        DELETE=permanently_delete,
    )


@_endpoint
def users_incremental(ctx: Ctx) -> Any:
    queryset = EmulatedRecord.objects.filter(
        account=ctx.account, collection__in=[USERS.collection, USERS.deleted_collection]
    )
    return _dispatch(
        ctx,
        GET=lambda: _cursor_export(
            ctx,
            queryset=queryset,
            plural="users",
            render=lambda rows: _render_all(ctx, USERS, rows),
        ),
    )


# --- Views: organizations and groups -------------------------------------------------------


@_endpoint
def organizations_view(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(ctx, ORGANIZATIONS, _rows(ctx.account, ORGANIZATIONS)),
        POST=lambda: _create_response(ctx, ORGANIZATIONS, _organization_fields),
    )


@_endpoint
def organization_view(ctx: Ctx, number: int) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, ORGANIZATIONS, number),
        PUT=lambda: _update_response(ctx, ORGANIZATIONS, number, _organization_fields),
        DELETE=lambda: _delete_response(ctx, ORGANIZATIONS, number, admin_only=True),
    )


@_endpoint
def organizations_count(ctx: Ctx) -> Any:
    return _dispatch(ctx, GET=lambda: _count_response(_rows(ctx.account, ORGANIZATIONS)))


@_endpoint
def organizations_show_many(ctx: Ctx) -> Any:
    return _dispatch(ctx, GET=lambda: _show_many_response(ctx, ORGANIZATIONS))


@_endpoint
def organizations_search(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(ctx, ORGANIZATIONS, _organizations_search_queryset(ctx)),
    )


@_endpoint
def organizations_incremental(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _time_export(
            ctx,
            queryset=_rows(ctx.account, ORGANIZATIONS),
            plural="organizations",
            render=lambda rows: _render_all(ctx, ORGANIZATIONS, rows),
        ),
    )


@_endpoint
def groups_view(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(ctx, GROUPS, _rows(ctx.account, GROUPS)),
        POST=lambda: _create_response(ctx, GROUPS, _group_fields, admin_only=True),
    )


@_endpoint
def group_view(ctx: Ctx, number: int) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, GROUPS, number),
        PUT=lambda: _update_response(ctx, GROUPS, number, _group_fields, admin_only=True),
        DELETE=lambda: _delete_response(
            ctx, GROUPS, number, admin_only=True, mark_deleted=_group_mark_deleted
        ),
    )


@_endpoint
def groups_count(ctx: Ctx) -> Any:
    return _dispatch(ctx, GET=lambda: _count_response(_rows(ctx.account, GROUPS)))


def _memberships(ctx: Ctx, **filters: Any) -> QuerySet[EmulatedRecord]:
    queryset = _rows(ctx.account, GROUP_MEMBERSHIPS)
    for key, value in filters.items():
        queryset = queryset.filter(**{f"data__{key}": value})
    return queryset


@_endpoint
def group_memberships_view(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(ctx, GROUP_MEMBERSHIPS, _memberships(ctx)),
        POST=lambda: _create_response(
            ctx, GROUP_MEMBERSHIPS, _group_membership_fields, admin_only=True
        ),
    )


@_endpoint
def group_membership_view(ctx: Ctx, number: int) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, GROUP_MEMBERSHIPS, number),
        DELETE=lambda: _delete_response(ctx, GROUP_MEMBERSHIPS, number, admin_only=True),
    )


@_endpoint
def group_memberships_of_group(ctx: Ctx, number: int) -> Any:
    def listing() -> Any:
        _record(ctx, GROUPS, number)
        return _list_response(ctx, GROUP_MEMBERSHIPS, _memberships(ctx, group_id=number))

    return _dispatch(ctx, GET=listing)


@_endpoint
def group_memberships_of_user(ctx: Ctx, number: int) -> Any:
    def listing() -> Any:
        _record(ctx, USERS, number)
        return _list_response(ctx, GROUP_MEMBERSHIPS, _memberships(ctx, user_id=number))

    return _dispatch(ctx, GET=listing)


# --- Views: ticket fields and statuses -----------------------------------------------------


@_endpoint
def ticket_fields_view(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(ctx, TICKET_FIELDS, _rows(ctx.account, TICKET_FIELDS)),
        POST=lambda: _create_response(ctx, TICKET_FIELDS, _ticket_field_fields, admin_only=True),
    )


@_endpoint
def ticket_field_view(ctx: Ctx, number: int) -> Any:
    def delete() -> Any:
        if not _record(ctx, TICKET_FIELDS, number).data.get("removable", True):
            raise PROFILE.error(403, "Forbidden", "System fields cannot be deleted")
        return _delete_response(ctx, TICKET_FIELDS, number, admin_only=True)

    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, TICKET_FIELDS, number),
        PUT=lambda: _update_response(
            ctx, TICKET_FIELDS, number, _ticket_field_fields, admin_only=True
        ),
        DELETE=delete,
    )


@_endpoint
def custom_statuses_view(ctx: Ctx) -> Any:
    def listing() -> Any:
        params = ctx.params()
        queryset = _rows(ctx.account, CUSTOM_STATUSES)
        for flag in ("active", "default"):
            if params.get(flag) in ("true", "false"):
                queryset = queryset.filter(**{f"data__{flag}": params[flag] == "true"})
        if params.get("status_categories"):
            categories = params["status_categories"].split(",")
            queryset = queryset.filter(data__status_category__in=categories)
        return {"custom_statuses": _render_all(ctx, CUSTOM_STATUSES, queryset)}

    return _dispatch(
        ctx,
        GET=listing,
        POST=lambda: _create_response(ctx, CUSTOM_STATUSES, _custom_status_fields, admin_only=True),
    )


@_endpoint
def custom_status_view(ctx: Ctx, number: int) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, CUSTOM_STATUSES, number),
        PUT=lambda: _update_response(
            ctx, CUSTOM_STATUSES, number, _custom_status_fields, admin_only=True
        ),
    )


# --- Views: tickets, comments, imports, jobs -----------------------------------------------


@_endpoint
def tickets_view(ctx: Ctx) -> Any:
    def create() -> Any:
        payload = _payload(ctx, "ticket")
        with transaction.atomic():
            record, comments = _ticket_write(ctx, payload)
        return 201, _ticket_response(ctx, record, comments)

    return _dispatch(
        ctx, GET=lambda: _list_response(ctx, TICKETS, _tickets_queryset(ctx)), POST=create
    )


@_endpoint
def ticket_view(ctx: Ctx, number: int) -> Any:
    def update() -> Any:
        payload = _payload(ctx, "ticket")
        with transaction.atomic():
            record = _record(ctx, TICKETS, number)
            record, comments = _ticket_write(ctx, payload, record=record)
        return _ticket_response(ctx, record, comments)

    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, TICKETS, number),
        PUT=update,
        DELETE=lambda: _delete_response(ctx, TICKETS, number, mark_deleted=_ticket_mark_deleted),
    )


@_endpoint
def tickets_count(ctx: Ctx) -> Any:
    return _dispatch(ctx, GET=lambda: _count_response(_rows(ctx.account, TICKETS)))


def _sideloads(ctx: Ctx) -> set[str]:
    """What ``include=`` asks to sideload (``include=users,metric_sets``)."""
    return {part.strip() for part in ctx.params().get("include", "").split(",") if part.strip()}


def _latest_comment_times(account: EmulatedAccount, numbers: Iterable[int]) -> dict[int, str]:
    """When each ticket's latest comment was added, by ticket number."""
    latest = (
        _rows(account, COMMENTS)
        .filter(parent_number__in=list(numbers))
        .values("parent_number")
        .annotate(latest=Max("created_at"))
    )
    return {row["parent_number"]: isoformat(row["latest"]) for row in latest}


def _ticket_metric(
    ctx: Ctx, data: dict[str, Any], *, latest_comment_added_at: str | None
) -> dict[str, Any]:
    return {
        "id": data["id"],
        "url": f"{ctx.api}/ticket_metrics/{data['id']}.json",
        "ticket_id": data["id"],
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
        "solved_at": data.get(SOLVED_AT),
        "status_updated_at": data["updated_at"],
        "assignee_updated_at": None,
        "requester_updated_at": None,
        "initially_assigned_at": None,
        "assigned_at": None,
        "latest_comment_added_at": latest_comment_added_at,
        "group_stations": 0,
        "assignee_stations": 0,
        "reopens": 0,
        "replies": 0,
    }


def _with_metric_sets(ctx: Ctx, body: dict[str, Any], tickets: Iterable[dict[str, Any]]) -> Any:
    """``include=metric_sets``: the metrics of the page's tickets beside them, as Zendesk
    sideloads them (from the stored tickets, whose bookkeeping holds the solved date)."""
    if "metric_sets" in _sideloads(ctx):
        stored = _records_by_number(ctx.account, TICKETS, [ticket["id"] for ticket in tickets])
        latest = _latest_comment_times(ctx.account, stored)
        body["metric_sets"] = [
            _ticket_metric(ctx, data, latest_comment_added_at=latest.get(number))
            for number, data in sorted(stored.items())
        ]
    return body


def _users_sideloaded(ctx: Ctx, user_ids: Iterable[Any]) -> list[dict[str, Any]]:
    """Users named by a page, deleted ones included (as Zendesk sideloads them)."""
    wanted = {number for number in user_ids if isinstance(number, int)}
    rows = EmulatedRecord.objects.filter(
        account=ctx.account,
        collection__in=[USERS.collection, USERS.deleted_collection],
        number__in=wanted,
    ).order_by("number")
    return _render_all(ctx, USERS, rows)


@_endpoint
def tickets_show_many(ctx: Ctx) -> Any:
    def show_many() -> Any:
        body = _show_many_response(ctx, TICKETS)
        return _with_metric_sets(ctx, body, body["tickets"])

    return _dispatch(ctx, GET=show_many)


@_endpoint
def ticket_comments_view(ctx: Ctx, number: int) -> Any:
    def listing() -> Any:
        _record(ctx, TICKETS, number)
        queryset = EmulatedRecord.objects.filter(
            account=ctx.account, collection=COMMENTS.collection, parent_number=number
        )
        body = _list_response(
            ctx, COMMENTS, queryset, default_order=Order(("created_at", "number"))
        )
        if "users" in _sideloads(ctx):
            body["users"] = _users_sideloaded(
                ctx, [comment["author_id"] for comment in body["comments"]]
            )
        return body

    return _dispatch(ctx, GET=listing)


@_endpoint
def ticket_metrics_view(ctx: Ctx, number: int) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: {
            "ticket_metric": _ticket_metric(
                ctx,
                _record(ctx, TICKETS, number).data,
                latest_comment_added_at=_latest_comment_times(ctx.account, [number]).get(number),
            )
        },
    )


@_endpoint
def tickets_incremental(ctx: Ctx) -> Any:
    collections = [TICKETS.collection, TICKETS.deleted_collection]
    if ctx.params().get("exclude_deleted") == "true":
        collections = [TICKETS.collection]
    queryset = EmulatedRecord.objects.filter(account=ctx.account, collection__in=collections)

    def render(rows: list[EmulatedRecord]) -> list[dict[str, Any]]:
        return [
            {**_render(ctx, TICKETS, row.data), "generated_timestamp": _epoch(row.updated_at)}
            for row in rows
        ]

    def export() -> Any:
        body = _cursor_export(ctx, queryset=queryset, plural="tickets", render=render)
        return _with_metric_sets(ctx, body, body["tickets"])

    return _dispatch(ctx, GET=export)


@_endpoint
def ticket_import_view(ctx: Ctx) -> Any:
    def create() -> Any:
        _require_admin(ctx)
        record = _ticket_import_one(ctx, _payload(ctx, "ticket"))
        return 201, {"ticket": _render(ctx, TICKETS, record.data)}

    return _dispatch(ctx, POST=create)


# --- Views: uploads and attachments --------------------------------------------------------


ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
UPLOAD_TOKEN_RANDOM_LENGTH = 16


def _new_token(length: int = 25) -> str:
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


def _upload_token_for(group: int) -> str:
    """An upload token naming its upload: random letters, then the number (base 36) that its
    attachments share as parent, so they are found through the index."""
    digits = ""
    while group:
        group, digit = divmod(group, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return _new_token(UPLOAD_TOKEN_RANDOM_LENGTH) + digits


def _upload_attachments(account: EmulatedAccount, tokens: list[str]) -> QuerySet[EmulatedRecord]:
    groups = set()
    for token in tokens:
        try:
            groups.add(int(token[UPLOAD_TOKEN_RANDOM_LENGTH:], 36))
        except ValueError:
            continue
    return _rows(account, ATTACHMENTS).filter(
        parent_number__in=groups, **{f"data__{UPLOAD_KEY}__in": tokens}
    )


def _request_chunks(request: HttpRequest, size: int = 64 * 1024) -> Iterable[bytes]:
    while chunk := request.read(size):
        yield chunk


def _content_type(declared: str | None, file_name: str) -> str:
    if declared and declared not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return declared
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


@_endpoint
def uploads_view(ctx: Ctx) -> Any:
    """Upload one file (the raw body) under a new upload token, or add it to ``token``."""

    def upload() -> Any:
        request = ctx.request
        file_name = ctx.params().get("filename", "").strip()
        if not file_name:
            raise _bad_request("InvalidValue", "filename is required")
        if int(request.META.get("CONTENT_LENGTH") or 0) > UPLOAD_MAX_BYTES:
            raise PROFILE.error(
                413, "AttachmentTooLarge", "Attachments are limited to 50 MB per file"
            )
        number = _next_number(ctx.account, ATTACHMENTS)
        upload_token = ctx.params().get("token") or ""
        expires_at = timezone.now() + timedelta(hours=UPLOAD_TOKEN_HOURS)
        if upload_token:
            existing = _upload_attachments(ctx.account, [upload_token]).first()
            if existing is None:
                raise _not_found()
            expires_at = datetime.fromisoformat(existing.data[UPLOAD_EXPIRY_KEY])
            group = existing.parent_number
        else:
            upload_token = _upload_token_for(number)
            group = number
        content_type = _content_type(request.content_type, file_name)
        blob = blob_store(
            account=ctx.account,
            token=_new_token(),
            file_name=file_name,
            content_type=content_type,
            chunks=iter(_request_chunks(request)),
        )
        _insert(
            ctx.account,
            ATTACHMENTS,
            {
                "file_name": file_name,
                "content_type": content_type,
                "size": blob.size,
                "width": None,
                "height": None,
                "inline": False,
                "deleted": False,
                "malware_access_override": False,
                "malware_scan_result": "malware_not_found",
                "thumbnails": [],
                BLOB_KEY: blob.token,
                UPLOAD_KEY: upload_token,
                UPLOAD_EXPIRY_KEY: expires_at.isoformat(),
            },
            number=number,
            parent_number=group,
        )
        attachments = _render_all(
            ctx, ATTACHMENTS, _upload_attachments(ctx.account, [upload_token])
        )
        return 201, {
            "upload": {
                "token": upload_token,
                "expires_at": isoformat(expires_at),
                "attachment": attachments[-1],
                "attachments": attachments,
            }
        }

    return _dispatch(ctx, POST=upload)


@_endpoint
def upload_view(ctx: Ctx, token: str) -> Any:
    def delete() -> Any:
        deleted, _ = _upload_attachments(ctx.account, [token]).delete()
        if not deleted:
            raise _not_found()
        return HttpResponse(status=204)

    return _dispatch(ctx, DELETE=delete)


@_endpoint
def attachment_view(ctx: Ctx, number: int) -> Any:
    return _dispatch(ctx, GET=lambda: _show_response(ctx, ATTACHMENTS, number))


def _blob(account: EmulatedAccount, token: str) -> EmulatedBlob:
    blob = blob_find(token=token)
    if blob is None or blob.account_id != account.pk:
        raise _not_found()
    return blob


@_endpoint
def attachment_content(ctx: Ctx, token: str) -> Any:
    """An attachment's content_url: like Zendesk, a redirect to the file's storage host."""

    def redirect() -> Any:
        blob = _blob(ctx.account, token)
        return HttpResponseRedirect(
            f"{ctx.root}/zdusercontent/attachment/{blob.token}/{quote(blob.file_name, safe='')}"
        )

    return _dispatch(ctx, GET=redirect)


def attachment_download(
    request: HttpRequest, account_slug: str, token: str, file_name: str
) -> HttpResponseBase:
    """The storage host behind content_url: no credentials, no API rate limit."""
    blob = blob_find(token=token)
    account = account_find(platform=PLATFORM, slug=account_slug) if blob is not None else None
    if blob is None or account is None or blob.account_id != account.pk:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    return blob_response(blob)


# --- Views: Help Center --------------------------------------------------------------------


@_endpoint
def permission_groups_view(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(
            ctx, PERMISSION_GROUPS, _rows(ctx.account, PERMISSION_GROUPS), help_center=True
        ),
    )


@_endpoint
def user_segments_view(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(
            ctx, USER_SEGMENTS, _rows(ctx.account, USER_SEGMENTS), help_center=True
        ),
    )


@_endpoint
def categories_view(ctx: Ctx, locale: str | None = None) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(
            ctx, CATEGORIES, _rows(ctx.account, CATEGORIES), help_center=True
        ),
        POST=lambda: _create_response(ctx, CATEGORIES, _category_fields),
    )


@_endpoint
def category_view(ctx: Ctx, number: int, locale: str | None = None) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, CATEGORIES, number),
        PUT=lambda: _update_response(ctx, CATEGORIES, number, _category_fields),
        DELETE=lambda: _delete_response(ctx, CATEGORIES, number),
    )


@_endpoint
def sections_view(ctx: Ctx, locale: str | None = None) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _list_response(ctx, SECTIONS, _rows(ctx.account, SECTIONS), help_center=True),
    )


@_endpoint
def category_sections_view(ctx: Ctx, number: int, locale: str | None = None) -> Any:
    def create() -> Any:
        _record(ctx, CATEGORIES, number)
        return _create_response(ctx, SECTIONS, _section_fields, from_path={"category_id": number})

    def listing() -> Any:
        _record(ctx, CATEGORIES, number)
        queryset = _rows(ctx.account, SECTIONS).filter(data__category_id=number)
        return _list_response(ctx, SECTIONS, queryset, help_center=True)

    return _dispatch(ctx, GET=listing, POST=create)


@_endpoint
def section_view(ctx: Ctx, number: int, locale: str | None = None) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _show_response(ctx, SECTIONS, number),
        PUT=lambda: _update_response(ctx, SECTIONS, number, _section_fields),
        DELETE=lambda: _delete_response(ctx, SECTIONS, number),
    )


def _articles_list(ctx: Ctx, queryset: QuerySet[EmulatedRecord], locale: str | None) -> Any:
    return _list_response(
        ctx,
        ARTICLES,
        queryset,
        help_center=True,
        render=lambda rows: _articles_in_locale(ctx, rows, locale),
    )


@_endpoint
def articles_view(ctx: Ctx, locale: str | None = None) -> Any:
    return _dispatch(ctx, GET=lambda: _articles_list(ctx, _article_queryset(ctx), locale))


@_endpoint
def section_articles_view(ctx: Ctx, number: int, locale: str | None = None) -> Any:
    def create() -> Any:
        _record(ctx, SECTIONS, number)
        payload = _payload(ctx, "article")
        payload = {**payload, "section_id": number, "locale": locale or payload.get("locale")}
        with transaction.atomic():
            data = _article_fields(ctx, payload, None)
            article = _insert(ctx.account, ARTICLES, data)
            _insert(
                ctx.account,
                TRANSLATIONS,
                translation_data(
                    article.data,
                    locale=data["locale"],
                    title=data["title"],
                    body=data["body"],
                    draft=data["draft"],
                    user_id=ctx.current_user.get("id"),
                ),
                parent_number=article.number,
            )
        return 201, {"article": _render(ctx, ARTICLES, article.data)}

    def listing() -> Any:
        _record(ctx, SECTIONS, number)
        return _articles_list(ctx, _article_queryset(ctx).filter(data__section_id=number), locale)

    return _dispatch(ctx, GET=listing, POST=create)


@_endpoint
def article_view(ctx: Ctx, number: int, locale: str | None = None) -> Any:
    def show() -> Any:
        record = _record(ctx, ARTICLES, number)
        return {"article": _articles_in_locale(ctx, [record], locale)[0]}

    def delete() -> Any:
        with transaction.atomic():
            _rows(ctx.account, TRANSLATIONS).filter(parent_number=number).delete()
            return _delete_response(ctx, ARTICLES, number)

    return _dispatch(
        ctx,
        GET=show,
        PUT=lambda: _update_response(ctx, ARTICLES, number, _article_fields),
        DELETE=delete,
    )


@_endpoint
def article_translations_view(ctx: Ctx, number: int) -> Any:
    def create() -> Any:
        article = _record(ctx, ARTICLES, number)
        payload = _payload(ctx, "translation")
        locale = str(payload.get("locale") or "").lower()
        problems = _Problems()
        if not locale:
            problems.add("locale", "Locale: cannot be blank", "BlankValue")
        if not str(payload.get("title") or "").strip():
            problems.add("title", "Title: cannot be blank", "BlankValue")
        translations = _rows(ctx.account, TRANSLATIONS).filter(parent_number=number)
        if locale and translations.filter(data__locale=locale).exists():
            problems.add("locale", "Locale: has already been taken", "DuplicateValue")
        problems.raise_any()
        record = _insert(
            ctx.account,
            TRANSLATIONS,
            translation_data(
                article.data,
                locale=locale,
                title=str(payload["title"]).strip(),
                body=str(payload.get("body") or ""),
                draft=bool(payload.get("draft", False)),
                user_id=ctx.current_user.get("id"),
            ),
            parent_number=number,
        )
        return 201, {"translation": _render(ctx, TRANSLATIONS, record.data)}

    def listing() -> Any:
        _record(ctx, ARTICLES, number)
        queryset = _rows(ctx.account, TRANSLATIONS).filter(parent_number=number)
        return _list_response(ctx, TRANSLATIONS, queryset, help_center=True)

    return _dispatch(ctx, GET=listing, POST=create)


@_endpoint
def article_translation_view(ctx: Ctx, number: int, locale: str) -> Any:
    def find() -> EmulatedRecord:
        record = (
            _rows(ctx.account, TRANSLATIONS)
            .filter(parent_number=number, data__locale=locale.lower())
            .first()
        )
        if record is None:
            raise _not_found()
        return record

    def update() -> Any:
        payload = _payload(ctx, "translation")
        with transaction.atomic():
            record = find()
            data = dict(record.data)
            data.update(_pick(payload, ("title", "body", "draft", "outdated", "hidden")))
            data["updated_by_id"] = ctx.current_user.get("id")
            _save(record, data)
            article = _record(ctx, ARTICLES, number)
            if article.data["source_locale"] == data["locale"]:
                article_data = dict(article.data)
                article_data.update(
                    {
                        "title": data["title"],
                        "name": data["title"],
                        "body": data["body"],
                        "draft": data["draft"],
                        "edited_at": isoformat(timezone.now()),
                    }
                )
                _save(article, article_data)
        return {"translation": _render(ctx, TRANSLATIONS, record.data)}

    return _dispatch(
        ctx, GET=lambda: {"translation": _render(ctx, TRANSLATIONS, find().data)}, PUT=update
    )


@_endpoint
def article_attachments_view(ctx: Ctx, number: int) -> Any:
    def create() -> Any:
        article = _record(ctx, ARTICLES, number)
        uploaded = ctx.request.FILES.get("file")
        if uploaded is None:
            raise _bad_request("InvalidValue", "file is required")
        if uploaded.size > UPLOAD_MAX_BYTES:
            raise PROFILE.error(
                413, "AttachmentTooLarge", "Attachments are limited to 50 MB per file"
            )
        file_name = uploaded.name or "file"
        content_type = _content_type(uploaded.content_type, file_name)
        blob = blob_store(
            account=ctx.account,
            token=_new_token(),
            file_name=file_name,
            content_type=content_type,
            chunks=iter(uploaded.chunks()),
        )
        attachment_number = _next_number(ctx.account, ARTICLE_ATTACHMENTS)
        record = _insert(
            ctx.account,
            ARTICLE_ATTACHMENTS,
            {
                "article_id": article.number,
                "display_file_name": file_name,
                "file_name": file_name,
                "locale": article.data["locale"],
                "content_type": content_type,
                "relative_path": (
                    f"/hc/article_attachments/{attachment_number}/{quote(file_name, safe='')}"
                ),
                "size": blob.size,
                "inline": ctx.request.POST.get("inline") == "true",
                BLOB_KEY: blob.token,
            },
            number=attachment_number,
            parent_number=number,
        )
        return 201, {"article_attachment": _render(ctx, ARTICLE_ATTACHMENTS, record.data)}

    def listing() -> Any:
        _record(ctx, ARTICLES, number)
        queryset = _rows(ctx.account, ARTICLE_ATTACHMENTS).filter(parent_number=number)
        return {"article_attachments": _render_all(ctx, ARTICLE_ATTACHMENTS, queryset)}

    return _dispatch(ctx, GET=listing, POST=create)


@_endpoint
def article_attachment_view(ctx: Ctx, number: int) -> Any:
    return _dispatch(ctx, GET=lambda: _show_response(ctx, ARTICLE_ATTACHMENTS, number))


@_endpoint
def article_attachment_content(ctx: Ctx, number: int, file_name: str) -> Any:
    def download() -> Any:
        record = _record(ctx, ARTICLE_ATTACHMENTS, number)
        return blob_response(_blob(ctx.account, record.data[BLOB_KEY]))

    return _dispatch(ctx, GET=download)


@_endpoint
def articles_incremental(ctx: Ctx) -> Any:
    return _dispatch(
        ctx,
        GET=lambda: _time_export(
            ctx,
            queryset=_rows(ctx.account, ARTICLES),
            plural="articles",
            render=lambda rows: _render_all(ctx, ARTICLES, rows),
            page_size=HELP_CENTER_INCREMENTAL_PAGE_SIZE,
            next_page_at_end=False,
            rate_limited=False,
        ),
    )


@_endpoint
def invalid_endpoint(ctx: Ctx, **_ignored: Any) -> Any:
    raise _invalid_endpoint()


# --- URLs ----------------------------------------------------------------------------------


class HelpCenterLocaleConverter:
    """A Help Center locale in a path: ``en-us``, ``fr``, ``pt-br``."""

    regex = "[a-z]{2}(?:-[a-z]{2,4})?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(HelpCenterLocaleConverter, "hclocale")


def _api(route: str, view: Callable[..., Any], name: str | None = None) -> list[URLPattern]:
    """An API path, with or without the ``.json`` suffix Zendesk accepts on every path."""
    return [
        path(f"api/v2/{route}.json", view, name=name),
        path(f"api/v2/{route}", view),
    ]


def _help_center(route: str, view: Callable[..., Any]) -> list[URLPattern]:
    """A Help Center path, also reachable with a locale: ``help_center/fr/articles``."""
    return [
        *_api(f"help_center/{route}", view),
        *_api(f"help_center/<hclocale:locale>/{route}", view),
    ]


def _ticket_events(request: HttpRequest, **kwargs: Any) -> Any:
    """The ticket event export, kept in a module of its own that builds on this one."""
    from connectors.zendesk import emulator_events

    return emulator_events.ticket_events_incremental(request, **kwargs)


def _job_routes() -> list[URLPattern]:
    """The bulk import and its job statuses (:mod:`connectors.zendesk.emulator_jobs`, which
    builds on this module)."""
    from connectors.zendesk import emulator_jobs

    return emulator_jobs.urlpatterns()


urlpatterns = [
    *_api("incremental/ticket_events", _ticket_events),
    *_api("users/me", users_me, name="zendesk-users-me"),
    *_api("account", account_show),
    *_api("account/settings", account_settings),
    # Tickets
    *_api("tickets", tickets_view, name="zendesk-tickets"),
    *_api("tickets/count", tickets_count),
    *_api("tickets/show_many", tickets_show_many),
    *_api("tickets/<int:number>", ticket_view),
    *_api("tickets/<int:number>/comments", ticket_comments_view),
    *_api("tickets/<int:number>/metrics", ticket_metrics_view),
    *_api("imports/tickets", ticket_import_view),
    *_job_routes(),
    *_api("incremental/tickets/cursor", tickets_incremental),
    # Attachments
    *_api("uploads", uploads_view),
    *_api("uploads/<str:token>", upload_view),
    *_api("attachments/<int:number>", attachment_view),
    path(
        "attachments/token/<str:token>/",
        attachment_content,
        name="zendesk-attachment-content",
    ),
    path("zdusercontent/attachment/<str:token>/<str:file_name>", attachment_download),
    # Users
    *_api("users", users_view),
    *_api("users/count", users_count),
    *_api("users/show_many", users_show_many),
    *_api("users/search", users_search),
    *_api("users/create_or_update", users_create_or_update),
    *_api("users/<int:number>", user_view),
    *_api("users/<int:number>/group_memberships", group_memberships_of_user),
    *_api("incremental/users/cursor", users_incremental),
    *_api("deleted_users", deleted_users_view),
    *_api("deleted_users/count", deleted_users_count),
    *_api("deleted_users/<int:number>", deleted_user_view),
    # Organizations and groups
    *_api("organizations", organizations_view),
    *_api("organizations/count", organizations_count),
    *_api("organizations/show_many", organizations_show_many),
    *_api("organizations/search", organizations_search),
    *_api("organizations/<int:number>", organization_view),
    *_api("incremental/organizations", organizations_incremental),
    *_api("groups", groups_view),
    *_api("groups/count", groups_count),
    *_api("groups/<int:number>", group_view),
    *_api("groups/<int:number>/memberships", group_memberships_of_group),
    *_api("group_memberships", group_memberships_view),
    *_api("group_memberships/<int:number>", group_membership_view),
    # Ticket fields and statuses
    *_api("ticket_fields", ticket_fields_view),
    *_api("ticket_fields/<int:number>", ticket_field_view),
    *_api("custom_statuses", custom_statuses_view),
    *_api("custom_statuses/<int:number>", custom_status_view),
    # Help Center
    *_api("guide/permission_groups", permission_groups_view),
    *_api("help_center/user_segments", user_segments_view),
    *_api("help_center/incremental/articles", articles_incremental),
    *_api("help_center/articles/attachments/<int:number>", article_attachment_view),
    *_help_center("categories", categories_view),
    *_help_center("categories/<int:number>", category_view),
    *_help_center("categories/<int:number>/sections", category_sections_view),
    *_help_center("sections", sections_view),
    *_help_center("sections/<int:number>", section_view),
    *_help_center("sections/<int:number>/articles", section_articles_view),
    *_help_center("articles", articles_view),
    *_help_center("articles/<int:number>", article_view),
    *_api("help_center/articles/<int:number>/translations", article_translations_view),
    *_api(
        "help_center/articles/<int:number>/translations/<hclocale:locale>",
        article_translation_view,
    ),
    *_api("help_center/articles/<int:number>/attachments", article_attachments_view),
    path(
        "hc/article_attachments/<int:number>/<str:file_name>",
        article_attachment_content,
        name="zendesk-hc-article-attachment",
    ),
    # Anything else under the account is Zendesk's "InvalidEndpoint".
    re_path(r"^.*$", invalid_endpoint),
]
