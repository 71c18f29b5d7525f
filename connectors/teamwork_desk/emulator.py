"""Teamwork Desk API v2, emulated for the sandbox and the tests.

Mounted at ``/sandbox/teamwork_desk/<account>/``: a connector's base URL for an account is
``http://host/sandbox/teamwork_desk/<account>`` and the paths below it are Teamwork
Desk's own (``/desk/api/v2/tickets.json``, ``/desk/api/v2/helpdocssites.json`` …).

What follows apidocs.teamwork.com (Teamwork Desk v2 reference and guides) and the
official Go SDK (github.com/teamwork/desksdkgo):

- Authentication: HTTP Basic with the API key as user name (any password), or
  ``Authorization: Bearer`` with an OAuth access token (or the API key). A refusal is a
  401 with ``{"errors": [...]}``, the body of every error.
- Records under their collection's name (``{"tickets": [...]}``, ``{"ticket": {...}}``),
  relationships as ``{"id", "type"}`` references, their contents in ``included`` when
  ``includes`` names them (``all`` for every one).
- Lists take ``page`` (from 1), ``pageSize`` (50 by default, more than 100 is quietly
  cut to 100), ``orderBy`` and ``orderMode`` (``asc``/``desc``), and a ``filter`` query
  parameter holding a JSON object of ``{"field": {"$op": value}}`` conditions
  (``$eq $ne $lt $lte $gt $gte $in $nin``, combined with ``$and``/``$or``) over the
  fields each list documents; they answer ``meta.page`` with ``pageOffset``, ``pageSize``,
  ``count`` and ``hasMore``.
- Tickets are created with their first message, updated with ``PATCH``; messages and
  notes are added with ``POST /tickets/{id}/messages.json``; deleted tickets go to the
  trash (``state: deleted``) and leave the lists.
- Files are uploaded in three steps: ``POST /files/ref.json`` describes the file and
  answers an upload URL with its form fields, the file is posted there (S3's
  ``PostObject``, emulated at ``/s3-upload/``), then ``PATCH /files/{id}.json`` confirms
  it. A confirmed file may go on a ticket or a message, at most 20 MB per message
  ("Each reply has a 20MB total size limit for attachments"). Files are downloaded
  from their ``url`` (``/desk/file/{id}/{name}``) with the account's credentials.
- Help docs: sites (``/helpdocssites.json``), their categories
  (``/helpdocscategories.json``, nested by ``parent_id``) and articles under their site
  (``/helpdocssites/{site}/helpdocarticles.json``, updated with ``PATCH``).
- Agents are users (``/users.json``); an invited agent who has not accepted yet has a
  ``pending`` invitation in ``/agentinvites.json``. Agents cannot be created here.
- 120 requests a minute per account; every answer carries ``X-Rate-Limit-Limit``,
  ``X-Rate-Limit-Remaining`` and ``X-Rate-Limit-Reset`` (UTC epoch seconds), a 429 also
  ``Retry-After``.

Every account starts, on its first request, with its owner (the administrator the
credentials belong to) and a "Support" inbox. Ticket statuses, priorities, types and
sources are the built-in ones.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from connectors.emulation import (
    EmulatorError,
    EmulatorProfile,
    blob_response,
    blob_store,
    isoformat,
    number_next,
    record_create,
    records,
)
from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord
from connectors.schema import EMAIL_ADDRESS

PLATFORM = "teamwork_desk"

#: "Our API has a rate limit of 120 requests per minute" (guides/desk/rate-limiting).
CALLS_PER_MINUTE = 120
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_MESSAGE_FILES_BYTES = 20 * 1024 * 1024

TICKET_STATUSES = (
    {"id": 1, "name": "Active", "code": "active", "color": "#4dabf7", "displayOrder": 1},
    {"id": 2, "name": "On-hold", "code": "onhold", "color": "#ff922b", "displayOrder": 2},
    {"id": 3, "name": "Waiting on customer", "code": "waiting", "color": "#ffa785",
     "displayOrder": 3},
    {"id": 4, "name": "Solved", "code": "solved", "color": "#51cf66", "displayOrder": 4},
    {"id": 5, "name": "Closed", "code": "closed", "color": "#868e96", "displayOrder": 5},
)  # fmt: skip
TICKET_PRIORITIES = (
    {"id": 1, "name": "Low", "color": "#51cf66", "displayOrder": 1},
    {"id": 2, "name": "Medium", "color": "#fcc419", "displayOrder": 2},
    {"id": 3, "name": "High", "color": "#ff922b", "displayOrder": 3},
    {"id": 4, "name": "Urgent", "color": "#fa5252", "displayOrder": 4},
)
TICKET_TYPES = (
    {"id": 1, "name": "Question", "displayOrder": 1},
    {"id": 2, "name": "Problem", "displayOrder": 2},
    {"id": 3, "name": "Incident", "displayOrder": 3},
    {"id": 4, "name": "Feature request", "displayOrder": 4},
)
TICKET_SOURCES = (
    {"id": 1, "name": "Email"},
    {"id": 2, "name": "Web form"},
    {"id": 3, "name": "Phone"},
    {"id": 4, "name": "Chat"},
    {"id": 5, "name": "API"},
)
STATIC_COLLECTIONS: dict[str, tuple[dict[str, Any], ...]] = {
    "ticketstatuses": TICKET_STATUSES,
    "ticketpriorities": TICKET_PRIORITIES,
    "tickettypes": TICKET_TYPES,
    "ticketsources": TICKET_SOURCES,
}
SOURCE_API = 5
STATUS_ACTIVE = 1
THREAD_TYPES = ("message", "note", "forward")
ARTICLE_STATUSES = ("draft", "published")

# Each kind of object has its own id space, with Teamwork-like magnitudes.
ID_STARTS = {
    "users": 230_001,
    "agentinvites": 9_001,
    "inboxes": 9_701,
    "customers": 550_001,
    "contacts": 880_001,
    "companies": 16_001,
    "domains": 1_601,
    "tickets": 14_400_001,
    "messages": 80_050_001,
    "files": 9_700_001,
    "tags": 3_001,
    "helpdocssites": 401,
    "helpdocscategories": 6_001,
    "helpdocarticles": 70_001,
}

EMAIL_PATTERN = EMAIL_ADDRESS


# --- Authentication, errors and the profile ----------------------------------------------


def _secret_matches(given: str | None, expected: Any) -> bool:
    return (
        bool(given)
        and isinstance(expected, str)
        and bool(expected)
        and hmac.compare_digest(str(given).encode(), expected.encode())
    )


def _authenticate(request: HttpRequest, account: EmulatedAccount) -> bool:
    """Basic with the API key as user name, or Bearer with the OAuth token or the key."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    secrets = account.secrets
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return _secret_matches(decoded.partition(":")[0], secrets.get("api_key"))
    if scheme.lower() == "bearer":
        token = value.strip()
        return _secret_matches(token, secrets.get("oauth_token")) or _secret_matches(
            token, secrets.get("api_key")
        )
    return False


def _errors(status: int, code: str, detail: str) -> dict[str, Any]:
    titles = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        429: "Too Many Requests",
    }
    title = titles.get(status, "Internal Server Error" if status >= 500 else "Error")
    return {"errors": [{"code": code, "title": title, "detail": detail}]}


def _error_body(status: int, code: str, message: str) -> Any:
    if status == 401:
        return _errors(401, "unauthorized", "You must be logged in to perform this action.")
    if status == 429:
        return _errors(429, "rate_limited", "You have exceeded your rate limit.")
    if status == 404:
        return _errors(404, "not_found", "Not found")
    if status >= 500:
        return _errors(status, "internal", "Something went wrong on our side.")
    return _errors(status, code.lower(), message)


def _rate_limit_headers(limit: int, remaining: int, reset_in: int) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(remaining),
        "X-Rate-Limit-Reset": str(math.ceil(time.time()) + reset_in),
    }


PROFILE = EmulatorProfile(
    platform=PLATFORM,
    default_rate_limit_per_minute=CALLS_PER_MINUTE,
    authenticate=_authenticate,
    error_body=_error_body,
    rate_limit_headers=_rate_limit_headers,
)


def invalid(detail: str, *, code: str = "invalid", status: int = 400) -> EmulatorError:
    """A refusal in Teamwork Desk's words, e.g. ``"subject: must be set"``."""
    return EmulatorError(status, _errors(status, code, detail))


def not_found() -> EmulatorError:
    return EmulatorError(404, _errors(404, "not_found", "Not found"))


# --- Requests -----------------------------------------------------------------------------


def _body(request: HttpRequest) -> dict[str, Any]:
    raw = request.body
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if not isinstance(parsed, dict):
        raise invalid("the request body is not a valid JSON object", code="invalid_json")
    return parsed


def _wrapped(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The record of a write body: ``{"ticket": {...}}``."""
    record = body.get(key)
    if not isinstance(record, dict):
        raise invalid(f"{key}: must be set")
    return record


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _ref_id(value: Any, field: str) -> int | None:
    """The id of a reference written as ``{"id": 7}`` (or ``null``)."""
    if value is None:
        return None
    number = _as_int(value.get("id")) if isinstance(value, dict) else None
    if number is None:
        raise invalid(f"{field}: must be an object with an integer id")
    return number


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


# --- Filters, order and pages --------------------------------------------------------------

Accessor = Callable[[dict[str, Any]], Any]

_COMPARISONS = ("$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin")
DATE_FIELDS = frozenset({"createdAt", "updatedAt", "deletedAt"})


def _plain(field: str) -> Accessor:
    return lambda data: data.get(field)


def _ref_field(field: str) -> Accessor:
    def value(data: dict[str, Any]) -> Any:
        reference = data.get(field)
        return reference.get("id") if isinstance(reference, dict) else None

    return value


def _comparable(value: Any, field: str) -> Any:
    if field in DATE_FIELDS:
        moment = _moment(value)
        if moment is None:
            raise invalid(f"filter: {field} must be a date and time")
        return moment
    if isinstance(value, str):
        return value.lower()
    return value


def _compare(actual: Any, operator: str, wanted: Any, field: str) -> bool:
    values = actual if isinstance(actual, list) else [actual]
    values = [_comparable(value, field) if value is not None else None for value in values]
    if operator in ("$in", "$nin"):
        if not isinstance(wanted, list):
            raise invalid(f"filter: {operator} on {field} needs a list")
        targets = [_comparable(item, field) for item in wanted]
        hit = any(value in targets for value in values)
        return hit if operator == "$in" else not hit
    target = _comparable(wanted, field) if wanted is not None else None
    if operator == "$eq":
        return target in values
    if operator == "$ne":
        return target not in values
    present = [value for value in values if value is not None]
    if not present or target is None:
        return False
    checks = {
        "$lt": lambda value: value < target,
        "$lte": lambda value: value <= target,
        "$gt": lambda value: value > target,
        "$gte": lambda value: value >= target,
    }
    try:
        return any(checks[operator](value) for value in present)
    except TypeError:
        raise invalid(f"filter: {field} cannot be compared with {wanted!r}") from None


@dataclass(frozen=True)
class _Filter:
    """A parsed ``filter``: a predicate over a record's data."""

    node: dict[str, Any]
    fields: dict[str, Accessor]

    def matches(self, data: dict[str, Any]) -> bool:
        return self._matches(self.node, data)

    def _matches(self, node: dict[str, Any], data: dict[str, Any]) -> bool:
        for key, condition in node.items():
            if key in ("$and", "$or"):
                if not isinstance(condition, list) or not all(
                    isinstance(c, dict) for c in condition
                ):
                    raise invalid(f"filter: {key} needs a list of conditions")
                results = [self._matches(item, data) for item in condition]
                if not (all(results) if key == "$and" else any(results)):
                    return False
                continue
            accessor = self.fields.get(key)
            if accessor is None:
                allowed = ", ".join(sorted(self.fields))
                raise invalid(f"filter: {key} is not a filterable field (allowed: {allowed})")
            if not isinstance(condition, dict):
                condition = {"$eq": condition}
            for operator, wanted in condition.items():
                if operator not in _COMPARISONS:
                    raise invalid(f"filter: unknown operator {operator}")
                if not _compare(accessor(data), operator, wanted, key):
                    return False
        return True

    def check(self, node: dict[str, Any] | None = None) -> None:
        """Refuse unknown fields and operators at once, whether or not a record is met."""
        for key, condition in (self.node if node is None else node).items():
            if key in ("$and", "$or"):
                if not isinstance(condition, list) or not all(
                    isinstance(item, dict) for item in condition
                ):
                    raise invalid(f"filter: {key} needs a list of conditions")
                for item in condition:
                    self.check(item)
                continue
            if key not in self.fields:
                allowed = ", ".join(sorted(self.fields))
                raise invalid(f"filter: {key} is not a filterable field (allowed: {allowed})")
            for operator in condition if isinstance(condition, dict) else ():
                if operator not in _COMPARISONS:
                    raise invalid(f"filter: unknown operator {operator}")

    def mentions(self, field: str) -> bool:
        return field in json.dumps(self.node)


def _filter(request: HttpRequest, fields: dict[str, Accessor]) -> _Filter | None:
    raw = request.GET.get("filter")
    if not raw:
        return None
    try:
        node = json.loads(raw)
    except ValueError:
        node = None
    if not isinstance(node, dict):
        raise invalid("filter: must be a JSON object")
    parsed = _Filter(node=node, fields=fields)
    parsed.check()
    return parsed


@dataclass(frozen=True)
class _Page:
    number: int
    size: int


def _page(request: HttpRequest) -> _Page:
    number = _as_int(request.GET.get("page", "1"))
    if not number:
        raise invalid("page: must be a positive integer")
    size = _as_int(request.GET.get("pageSize", str(DEFAULT_PAGE_SIZE)))
    if not size:
        raise invalid("pageSize: must be a positive integer")
    return _Page(number=number, size=min(size, MAX_PAGE_SIZE))


def _ordered(
    request: HttpRequest, items: list[dict[str, Any]], fields: dict[str, Accessor]
) -> list[dict[str, Any]]:
    order_by = request.GET.get("orderBy", "id")
    mode = request.GET.get("orderMode", "asc").lower()
    if mode not in ("asc", "desc"):
        raise invalid("orderMode: must be asc or desc")
    accessor = fields.get(order_by)
    if accessor is None:
        raise invalid(f"orderBy: {order_by} is not a sortable field")

    def key(data: dict[str, Any]) -> tuple[Any, ...]:
        value = accessor(data)
        if isinstance(value, list):
            value = value[0] if value else None
        if order_by in DATE_FIELDS:
            value = _moment(value)
        elif isinstance(value, str):
            value = value.lower()
        # Records without the value come first; ties keep the order of their ids.
        return (value is not None, value if value is not None else 0, data["id"])

    return sorted(items, key=key, reverse=mode == "desc")


def _includes(request: HttpRequest, allowed: Iterable[str]) -> frozenset[str]:
    allowed = frozenset(allowed)
    wanted = {part.strip() for part in request.GET.get("includes", "").split(",") if part.strip()}
    if "all" in wanted:
        return allowed
    unknown = wanted - allowed
    if unknown:
        raise invalid(f"includes: {', '.join(sorted(unknown))} cannot be included")
    return frozenset(wanted)


def _meta(page: _Page, *, count: int) -> dict[str, Any]:
    return {
        "page": {
            "pageOffset": page.number - 1,
            "pageSize": page.size,
            "count": count,
            "hasMore": page.number * page.size < count,
        }
    }


# --- Records ------------------------------------------------------------------------------


def _ref(number: int | None, kind: str) -> dict[str, Any] | None:
    return None if number is None else {"id": number, "type": kind}


def _new(
    account: EmulatedAccount,
    collection: str,
    data: dict[str, Any],
    *,
    parent: int | None = None,
    moment: datetime | None = None,
) -> EmulatedRecord:
    moment = moment or timezone.now()
    number = number_next(account=account, collection=collection, start=ID_STARTS[collection])
    data.update(id=number, createdAt=isoformat(moment), updatedAt=isoformat(moment))
    data.setdefault("state", "active")
    return record_create(
        account=account,
        collection=collection,
        data=data,
        number=number,
        parent_number=parent,
        created_at=moment,
        updated_at=moment,
    )


def _touch(record: EmulatedRecord, *, moment: datetime | None = None) -> None:
    moment = moment or timezone.now()
    record.updated_at = moment
    record.data["updatedAt"] = isoformat(moment)
    record.save(update_fields=["data", "updated_at"])


#: Deleted tickets and customers leave the lists and cannot be read any more.
TRASHED_COLLECTIONS = frozenset({"tickets", "customers"})


def _hidden_when_deleted(data: dict[str, Any], condition: _Filter | None) -> bool:
    """A deleted record is listed only when the filter asks about ``state``."""
    return data.get("state") == "deleted" and not (condition and condition.mentions("state"))


def _get(account: EmulatedAccount, collection: str, number: int) -> EmulatedRecord:
    record = EmulatedRecord.objects.filter(
        account=account, collection=collection, number=number
    ).first()
    if record is None or (
        collection in TRASHED_COLLECTIONS and record.data.get("state") == "deleted"
    ):
        raise not_found()
    return record


def _by_numbers(
    account: EmulatedAccount, collection: str, numbers: Iterable[int]
) -> dict[int, dict[str, Any]]:
    wanted = {number for number in numbers if isinstance(number, int)}
    if not wanted:
        return {}
    rows = EmulatedRecord.objects.filter(
        account=account, collection=collection, number__in=wanted
    ).values_list("number", "data")
    return dict(rows)


def _exists(account: EmulatedAccount, collection: str, number: int | None) -> bool:
    if number is None:
        return False
    if collection in STATIC_COLLECTIONS:
        return any(item["id"] == number for item in STATIC_COLLECTIONS[collection])
    return EmulatedRecord.objects.filter(
        account=account, collection=collection, number=number
    ).exists()


def account_defaults_ensure(account: EmulatedAccount) -> None:
    """What every Teamwork Desk site has: its owner and an inbox."""
    owner_id = account.options.get("owner_user_id")
    if not owner_id or not _exists(account, "users", owner_id):
        owner = _new(
            account,
            "users",
            {
                "firstName": "Site",
                "lastName": "Owner",
                "email": f"owner@{account.slug}.example",
                "role": "admin",
                "isPartTime": False,
                "editMethod": "html",
                "avatarURL": "",
            },
        )
        account.options = {**account.options, "owner_user_id": owner.number}
        account.save(update_fields=["options"])
    if not records(account=account, collection="inboxes").exists():
        _new(account, "inboxes", inbox_template(name="Support", slug=account.slug))


def inbox_template(*, name: str, slug: str) -> dict[str, Any]:
    local = re.sub(r"[^a-z0-9]+", "", name.lower()) or "support"
    return {
        "name": name,
        "email": f"{local}@{slug}.teamwork.com",
        "localPart": local,
        "type": "email",
        "displayOrder": 0,
        "clientOnly": False,
        "autoReplyEnabled": False,
        "emailForwardingState": "verified",
    }


def _owner_id(account: EmulatedAccount) -> int:
    return int(account.options["owner_user_id"])


# --- Attachments: file references, the upload, downloads ----------------------------------


def file_url(account: EmulatedAccount, data: dict[str, Any]) -> str:
    return reverse(
        "teamwork-desk-file",
        kwargs={
            "account_slug": account.slug,
            "number": data["id"],
            "name": quote(data.get("filename") or "file", safe=""),
        },
    )


def _file_json(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    rendered = {key: value for key, value in data.items() if not key.startswith("_")}
    if rendered.get("url", "").startswith("/"):
        rendered["url"] = request.build_absolute_uri(rendered["url"])
    return rendered


def files_ref(request: HttpRequest, account: EmulatedAccount) -> Any:
    body = _body(request)
    file = body.get("file") if isinstance(body.get("file"), dict) else body
    filename = file.get("filename") or file.get("fileName")
    if not isinstance(filename, str) or not filename.strip():
        raise invalid("filename: must be set")
    if file.get("type", "attachment") != "attachment":
        raise invalid("type: must be attachment")
    disposition = file.get("disposition", "attachment")
    if disposition not in ("attachment", "attachment-inline"):
        raise invalid("disposition: must be attachment or attachment-inline")
    mime_type = file.get("mimeType") or "application/octet-stream"
    upload_key = f"desk/{account.slug}/{uuid.uuid4().hex}/{filename}"
    policy = uuid.uuid4().hex
    record = _new(
        account,
        "files",
        {
            "filename": filename,
            "mimeType": mime_type,
            "size": 0,
            "disposition": disposition,
            "type": "attachment",
            "state": "temp",
            "createdBy": _ref(_owner_id(account), "users"),
            "_key": upload_key,
            "_policy": policy,
        },
    )
    record.data["url"] = file_url(account, record.data)
    record.save(update_fields=["data"])
    upload_url = reverse("teamwork-desk-s3-upload", kwargs={"account_slug": account.slug})
    return (
        201,
        {
            "url": request.build_absolute_uri(upload_url),
            "params": {
                "Content-Type": mime_type,
                "bucket": "tw-desk-files",
                "key": upload_key,
                "policy": policy,
                "success_action_status": "201",
                "x-amz-algorithm": "AWS4-HMAC-SHA256",
                "x-amz-credential": f"EMULATED/{timezone.now():%Y%m%d}/us-east-1/s3/aws4_request",
                "x-amz-date": f"{timezone.now():%Y%m%dT%H%M%SZ}",
                "x-amz-signature": uuid.uuid4().hex,
            },
            "file": _file_json(request, record.data),
        },
    )


def _s3_error(status: int, code: str, message: str) -> HttpResponse:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return HttpResponse(body, status=status, content_type="application/xml")


@csrf_exempt
def s3_upload(request: HttpRequest, account_slug: str) -> HttpResponse:
    """S3's browser-form upload (``PostObject``): the form fields the reference answered,
    then ``file``. It is not the API: no credentials, no rate limit."""
    if request.method != "POST":
        return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed.")
    key = request.POST.get("key", "")
    record = EmulatedRecord.objects.filter(
        account__platform=PLATFORM,
        account__slug=account_slug,
        collection="files",
        data___key=key,
    ).first()
    if record is None or record.data.get("_policy") != request.POST.get("policy"):
        return _s3_error(403, "AccessDenied", "Invalid according to Policy.")
    upload = request.FILES.get("file")
    if upload is None:
        return _s3_error(400, "InvalidArgument", "POST requires exactly one file upload.")
    if (upload.size or 0) > MAX_MESSAGE_FILES_BYTES:
        return _s3_error(
            400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."
        )
    blob = blob_store(
        account=record.account,
        token=f"tw-{uuid.uuid4().hex}",
        file_name=record.data["filename"],
        content_type=record.data.get("mimeType") or "application/octet-stream",
        chunks=upload.chunks(),
    )
    record.data["_blob"] = blob.token
    record.save(update_fields=["data"])
    location = f"/tw-desk-files/{key}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
        f"<Location>{location}</Location><Bucket>tw-desk-files</Bucket>"
        f'<Key>{key}</Key><ETag>"{blob.sha256[:32]}"</ETag></PostResponse>'
    )
    return HttpResponse(body, status=201, content_type="application/xml")


def file_confirm(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    """``PATCH /files/{id}.json``: the file is uploaded; it becomes usable."""
    record = _get(account, "files", number)
    blob_token = record.data.get("_blob")
    if not blob_token:
        raise invalid(f"file {number}: the file has not been uploaded")
    blob = EmulatedBlob.objects.get(token=blob_token)
    record.data.update(state="active", size=blob.size)
    _touch(record)
    return {"file": _file_json(request, record.data)}


def file_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    return {"file": _file_json(request, _get(account, "files", number).data)}


def file_download(request: HttpRequest, account: EmulatedAccount, number: int, name: str) -> Any:
    record = _get(account, "files", number)
    blob_token = record.data.get("_blob")
    if record.data.get("state") != "active" or not blob_token:
        raise not_found()
    blob = EmulatedBlob.objects.filter(token=blob_token).first()
    if blob is None:
        raise not_found()
    return blob_response(blob)


def _checked_files(account: EmulatedAccount, value: Any, *, field: str = "files") -> list[int]:
    """The ids of ``files`` on a write: uploaded, confirmed, at most 20 MB together."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"{field}: must be a list")
    numbers = [_ref_id(item, field) for item in value]
    found = _by_numbers(account, "files", [n for n in numbers if n is not None])
    total = 0
    for number in numbers:
        data = found.get(number)  # type: ignore[arg-type]
        if data is None:
            raise invalid(f"{field}: file {number} does not exist")
        if data.get("state") != "active":
            raise invalid(f"{field}: file {number} has not been uploaded")
        total += int(data.get("size") or 0)
    if total > MAX_MESSAGE_FILES_BYTES:
        raise invalid(f"{field}: attachments exceed the 20MB total size limit")
    return [number for number in numbers if number is not None]


# --- People: users, agent invites, customers, companies -----------------------------------

USER_FIELDS: dict[str, Accessor] = {
    name: _plain(name)
    for name in ("id", "email", "firstName", "lastName", "role", "state", "isPartTime")
} | {
    "createdAt": _plain("createdAt"),
    "updatedAt": _plain("updatedAt"),
    "firstname": _plain("firstName"),
    "lastname": _plain("lastName"),
}


def _user_json(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data)


def me(request: HttpRequest, account: EmulatedAccount) -> Any:
    return {"user": _user_json(_get(account, "users", _owner_id(account)).data)}


def users_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    return _list(request, account, "users", fields=USER_FIELDS, include=())


def user_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    return {"user": _user_json(_get(account, "users", number).data)}


INVITE_FIELDS: dict[str, Accessor] = {
    "id": _plain("id"),
    "state": _plain("state"),
    "user": _ref_field("user"),
    "createdAt": _plain("createdAt"),
    "updatedAt": _plain("updatedAt"),
}


def agent_invites_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    return _list(request, account, "agentinvites", fields=INVITE_FIELDS, include=("users",))


def inboxes_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    fields = {name: _plain(name) for name in ("id", "name", "email", "state", "displayOrder")}
    return _list(request, account, "inboxes", fields=fields, include=())


def inbox_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    return {"inbox": _get(account, "inboxes", number).data}


def _customer_emails(data: dict[str, Any]) -> list[str]:
    return [value.lower() for value in data.get("_emails", []) if isinstance(value, str)]


CUSTOMER_FIELDS: dict[str, Accessor] = {
    name: _plain(name)
    for name in ("id", "email", "firstName", "lastName", "externalId", "phone", "mobile", "state")
} | {
    "createdAt": _plain("createdAt"),
    "updatedAt": _plain("updatedAt"),
    "contacts.value": _customer_emails,
    "companies.id": _ref_field("company"),
}


def _customer_json(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if not key.startswith("_")}


def _customer_email_taken(account: EmulatedAccount, email: str, *, owner: int | None) -> bool:
    wanted = email.lower()
    return any(
        number != owner and wanted in _customer_emails(data)
        for number, data in records(account=account, collection="customers").values_list(
            "number", "data"
        )
        if data.get("state") != "deleted"
    )


CUSTOMER_WRITABLE = (
    "firstName",
    "lastName",
    "email",
    "phone",
    "mobile",
    "externalId",
    "notes",
    "organization",
    "jobTitle",
    "address",
)


def _customer_apply(
    account: EmulatedAccount, data: dict[str, Any], fields: dict[str, Any], *, owner: int | None
) -> None:
    for name in CUSTOMER_WRITABLE:
        if name in fields:
            value = fields[name]
            if value is not None and not isinstance(value, str):
                raise invalid(f"{name}: must be a string")
            data[name] = value or ""
    email = data.get("email") or ""
    if email and not EMAIL_PATTERN.fullmatch(email):
        raise invalid("email: must be a valid email address")
    if email and _customer_email_taken(account, email, owner=owner):
        raise invalid(
            "email: a customer with this email already exists", code="conflict", status=409
        )
    if not (data.get("firstName") or email):
        raise invalid("firstName: must be set")
    if "company" in fields:
        company = _ref_id(fields["company"], "company")
        if company is not None and not _exists(account, "companies", company):
            raise invalid(f"company: company {company} does not exist")
        data["company"] = _ref(company, "companies")


def _customer_addresses(account: EmulatedAccount, record: EmulatedRecord) -> None:
    """The customer's main address as a contact record (``contacts`` relationship)."""
    data = record.data
    email = data.get("email") or ""
    main = next(
        (ref for ref in data.get("contacts", []) if ref.get("meta", {}).get("isMain")), None
    )
    if main is not None:
        contact = EmulatedRecord.objects.filter(
            account=account, collection="contacts", number=main["id"]
        ).first()
        if contact is not None:
            contact.data["value"] = email
            contact.save(update_fields=["data"])
    elif email:
        contact = _new(account, "contacts", {"type": "email", "value": email, "isMain": True})
        data.setdefault("contacts", []).append(
            {"id": contact.number, "type": "contacts", "meta": {"isMain": True}}
        )
    others = [
        row.data.get("value", "")
        for row in EmulatedRecord.objects.filter(
            account=account,
            collection="contacts",
            number__in=[ref["id"] for ref in data.get("contacts", [])],
        )
    ]
    data["_emails"] = [value for value in [email, *others] if value]


def customer_new(account: EmulatedAccount, fields: dict[str, Any]) -> EmulatedRecord:
    data = customer_template()
    _customer_apply(account, data, fields, owner=None)
    record = _new(account, "customers", data)
    _customer_addresses(account, record)
    record.save(update_fields=["data"])
    return record


def customer_template() -> dict[str, Any]:
    return {
        "firstName": "",
        "lastName": "",
        "email": "",
        "phone": "",
        "mobile": "",
        "externalId": "",
        "notes": "",
        "organization": "",
        "jobTitle": "",
        "address": "",
        "avatarURL": "",
        "trusted": False,
        "verifiedEmail": False,
        "welcomeEmailSent": False,
        "company": None,
        "contacts": [],
        "_emails": [],
    }


def customers_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    return _list(
        request,
        account,
        "customers",
        fields=CUSTOMER_FIELDS,
        include=("contacts", "companies"),
        render=_customer_json,
        hidden=_hidden_when_deleted,
    )


def customers_create(request: HttpRequest, account: EmulatedAccount) -> Any:
    fields = _wrapped(_body(request), "customer")
    with transaction.atomic():
        record = customer_new(account, fields)
    return 201, {"customer": _customer_json(record.data)}


def customer_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    record = _get(account, "customers", number)
    return {
        "customer": _customer_json(record.data),
        "included": _included(request, account, [record.data], ("contacts", "companies")),
    }


def customer_update(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    fields = _wrapped(_body(request), "customer")
    with transaction.atomic():
        record = _get(account, "customers", number)
        _customer_apply(account, record.data, fields, owner=number)
        _customer_addresses(account, record)
        _touch(record)
    return {"customer": _customer_json(record.data)}


def customer_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    record = _get(account, "customers", number)
    record.data.update(state="deleted", _emails=[])
    _touch(record)
    return HttpResponse(status=204)


COMPANY_FIELDS: dict[str, Accessor] = {
    name: _plain(name) for name in ("id", "name", "website", "industry", "state")
} | {"createdAt": _plain("createdAt"), "updatedAt": _plain("updatedAt")}


def companies_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    return _list(request, account, "companies", fields=COMPANY_FIELDS, include=("domains",))


def company_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    record = _get(account, "companies", number)
    return {
        "company": record.data,
        "included": _included(request, account, [record.data], ("domains",)),
    }


def company_template() -> dict[str, Any]:
    return {
        "name": "",
        "description": "",
        "details": "",
        "industry": "",
        "website": "",
        "permission": "own",
        "kind": "company",
        "domains": [],
    }


def companies_create(request: HttpRequest, account: EmulatedAccount) -> Any:
    fields = _wrapped(_body(request), "company")
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid("name: must be set")
    taken = any(
        (data.get("name") or "").lower() == name.strip().lower()
        for data in records(account=account, collection="companies").values_list("data", flat=True)
    )
    if taken:
        raise invalid("name: a company with this name already exists", code="conflict", status=409)
    data = company_template()
    for key in ("name", "description", "details", "industry", "website"):
        if isinstance(fields.get(key), str):
            data[key] = fields[key]
    with transaction.atomic():
        record = _new(account, "companies", data)
    return 201, {"company": record.data}


# --- Tickets and their messages -----------------------------------------------------------


TICKET_REFERENCES = (
    "customer", "contact", "inbox", "agent", "status", "priority", "source", "type", "company",
)  # fmt: skip
TICKET_FIELDS: dict[str, Accessor] = (
    {name: _plain(name) for name in ("id", "subject", "previewText", "originalRecipient", "state")}
    | {name: _ref_field(name) for name in TICKET_REFERENCES}
    | {name: _plain(name) for name in ("createdAt", "updatedAt", "deletedAt")}
)
TICKET_INCLUDES = (
    "customers",
    "users",
    "messages",
    "files",
    "tags",
    "ticketstatuses",
    "ticketpriorities",
    "tickettypes",
    "ticketsources",
    "inboxes",
    "companies",
    "contacts",
)
TICKET_WRITABLE_REFS = {
    "agent": "users",
    "status": "ticketstatuses",
    "priority": "ticketpriorities",
    "type": "tickettypes",
    "source": "ticketsources",
    "inbox": "inboxes",
}


def ticket_template() -> dict[str, Any]:
    return {
        "subject": "",
        "previewText": "",
        "originalRecipient": "",
        "inbox": None,
        "customer": None,
        "contact": None,
        "company": None,
        "agent": None,
        "status": _ref(STATUS_ACTIVE, "ticketstatuses"),
        "priority": None,
        "type": None,
        "source": _ref(SOURCE_API, "ticketsources"),
        "tags": [],
        "messages": [],
        "files": [],
        "messageCount": 0,
        "isRead": False,
        "imagesHidden": False,
        "responseTimeMins": 0,
        "resolutionTimeMins": 0,
        "createdBy": None,
        "updatedBy": None,
    }


def _preview(markup: str) -> str:
    text = re.sub(r"<[^>]+>", " ", markup)
    return " ".join(text.split())[:250]


def _ticket_apply(account: EmulatedAccount, data: dict[str, Any], fields: dict[str, Any]) -> None:
    if "subject" in fields:
        if not isinstance(fields["subject"], str) or not fields["subject"].strip():
            raise invalid("subject: must be set")
        data["subject"] = fields["subject"]
    for name, collection in TICKET_WRITABLE_REFS.items():
        if name not in fields:
            continue
        number = _ref_id(fields[name], name)
        if number is not None and not _exists(account, collection, number):
            raise invalid(f"{name}: {name} {number} does not exist")
        if name == "agent" and number is not None:
            agent = _get(account, "users", number).data
            if agent.get("state") != "active":
                raise invalid(f"agent: user {number} is not an active agent")
        if name == "inbox" and number is None:
            raise invalid("inbox: must be set")
        data[name] = _ref(number, collection)
    if "tags" in fields:
        tags = fields["tags"]
        if not isinstance(tags, list):
            raise invalid("tags: must be a list")
        numbers = [_ref_id(tag, "tags") for tag in tags]
        found = _by_numbers(account, "tags", [n for n in numbers if n is not None])
        missing = [n for n in numbers if n not in found]
        if missing:
            raise invalid(f"tags: tag {missing[0]} does not exist")
        data["tags"] = [_ref(number, "tags") for number in dict.fromkeys(numbers)]


def _ticket_customer(account: EmulatedAccount, value: Any) -> EmulatedRecord:
    """The ``customer`` of a new ticket: an id, or an e-mail address (created when new)."""
    if not isinstance(value, dict):
        raise invalid("customer: Customer ID or Email is required")
    number, email = value.get("id"), value.get("email")
    if number is not None and email:
        raise invalid("customer: Customer ID or Email is required, but not both")
    if number is not None:
        number = _ref_id(value, "customer")
        record = EmulatedRecord.objects.filter(
            account=account, collection="customers", number=number
        ).first()
        if record is None or record.data.get("state") == "deleted":
            raise invalid(f"customer: customer {number} does not exist")
        return record
    if not isinstance(email, str) or not EMAIL_PATTERN.fullmatch(email):
        raise invalid("customer: Customer ID or Email is required")
    for row in records(account=account, collection="customers"):
        if row.data.get("state") != "deleted" and email.lower() in _customer_emails(row.data):
            return row
    return customer_new(account, {"email": email, "firstName": email.split("@")[0]})


def message_template() -> dict[str, Any]:
    return {
        "message": "",
        "threadType": "message",
        "ticket": None,
        "createdBy": None,
        "files": [],
        "cc": [],
        "bcc": [],
        "editMethod": "html",
        "isPinned": False,
        "delayed": False,
        "deliveryStatus": "",
    }


def _message_add(
    account: EmulatedAccount,
    ticket: EmulatedRecord,
    *,
    body: str,
    thread_type: str,
    author: dict[str, Any],
    files: list[int],
    cc: list[str],
    bcc: list[str],
) -> EmulatedRecord:
    data = message_template()
    data.update(
        message=body,
        threadType=thread_type,
        ticket=_ref(ticket.number, "tickets"),
        createdBy=author,
        files=[_ref(number, "files") for number in files],
        cc=cc,
        bcc=bcc,
    )
    message = _new(account, "messages", data, parent=ticket.number)
    ticket.data["messages"].append(_ref(message.number, "messages"))
    ticket.data["files"].extend(_ref(number, "files") for number in files)
    ticket.data["messageCount"] = len(ticket.data["messages"])
    if thread_type != "note":
        ticket.data["previewText"] = _preview(body)
    _touch(ticket, moment=message.created_at)
    return message


def _addresses(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(item, str) and EMAIL_PATTERN.fullmatch(item) for item in value
    ):
        raise invalid(f"{field}: must be a list of email addresses")
    return list(value)


def tickets_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    return _list(
        request,
        account,
        "tickets",
        fields=TICKET_FIELDS,
        include=TICKET_INCLUDES,
        hidden=_hidden_when_deleted,
    )


def tickets_create(request: HttpRequest, account: EmulatedAccount) -> Any:
    fields = _wrapped(_body(request), "ticket")
    message = fields.get("message")
    if not isinstance(message, str) or not message.strip():
        raise invalid("message: must be set")
    if "inbox" not in fields or fields["inbox"] is None:
        raise invalid("inbox: must be set")
    if "subject" not in fields:
        raise invalid("subject: must be set")
    files = _checked_files(account, fields.get("files"))
    cc = _addresses(fields.get("cc"), "cc")
    bcc = _addresses(fields.get("bcc"), "bcc")
    with transaction.atomic():
        customer = _ticket_customer(account, fields.get("customer"))
        data = ticket_template()
        _ticket_apply(account, data, fields)
        data.update(
            customer=_ref(customer.number, "customers"),
            company=customer.data.get("company"),
            createdBy=_ref(_owner_id(account), "users"),
            updatedBy=_ref(_owner_id(account), "users"),
        )
        ticket = _new(account, "tickets", data)
        _message_add(
            account,
            ticket,
            body=message,
            thread_type="message",
            author=_ref(customer.number, "customers"),
            files=files,
            cc=cc,
            bcc=bcc,
        )
    return 201, {
        "ticket": ticket.data,
        "included": _included(request, account, [ticket.data], ("messages", "customers")),
    }


def ticket_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    record = _get(account, "tickets", number)
    return {
        "ticket": record.data,
        "included": _included(request, account, [record.data], _includes(request, TICKET_INCLUDES)),
    }


def ticket_update(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    fields = _wrapped(_body(request), "ticket")
    if "customer" in fields:
        raise invalid("customer: cannot be changed, move the ticket instead")
    with transaction.atomic():
        record = _get(account, "tickets", number)
        _ticket_apply(account, record.data, fields)
        record.data["updatedBy"] = _ref(_owner_id(account), "users")
        _touch(record)
    return {"ticket": record.data}


def ticket_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    record = _get(account, "tickets", number)
    record.data.update(state="deleted", deletedAt=isoformat(timezone.now()))
    _touch(record)
    return HttpResponse(status=204)


def ticket_messages_create(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    body = _body(request)
    # The SDK posts the message itself; a body wrapped in "message" is read the same way.
    fields = body["message"] if isinstance(body.get("message"), dict) else body
    text = fields.get("message")
    if not isinstance(text, str) or not text.strip():
        raise invalid("message: must be set")
    thread_type = fields.get("threadType", "message")
    if thread_type not in THREAD_TYPES:
        raise invalid(f"threadType: must be one of {', '.join(THREAD_TYPES)}")
    files = _checked_files(account, fields.get("files"))
    cc = _addresses(fields.get("cc"), "cc")
    bcc = _addresses(fields.get("bcc"), "bcc")
    with transaction.atomic():
        ticket = _get(account, "tickets", number)
        message = _message_add(
            account,
            ticket,
            body=text,
            thread_type=thread_type,
            author=_ref(_owner_id(account), "users"),
            files=files,
            cc=cc,
            bcc=bcc,
        )
    return 201, {
        "message": message.data,
        "included": _included(request, account, [message.data], ("files", "users")),
    }


TAG_FIELDS: dict[str, Accessor] = {name: _plain(name) for name in ("id", "name", "color", "state")}


def tags_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    return _list(request, account, "tags", fields=TAG_FIELDS, include=())


def tags_create(request: HttpRequest, account: EmulatedAccount) -> Any:
    fields = _wrapped(_body(request), "tag")
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid("name: must be set")
    with transaction.atomic():
        taken = any(
            (data.get("name") or "").lower() == name.strip().lower()
            for data in records(account=account, collection="tags").values_list("data", flat=True)
        )
        if taken:
            raise invalid("name: a tag with this name already exists", code="conflict", status=409)
        record = _new(account, "tags", {"name": name.strip(), "color": fields.get("color") or ""})
    return 201, {"tag": record.data}


def tag_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    return {"tag": _get(account, "tags", number).data}


def _static_list(collection: str) -> Callable[[HttpRequest, EmulatedAccount], Any]:
    def view(request: HttpRequest, account: EmulatedAccount) -> Any:
        items = [dict(item) for item in STATIC_COLLECTIONS[collection]]
        page = _page(request)
        chosen = items[(page.number - 1) * page.size : page.number * page.size]
        return {collection: chosen, "included": {}, "meta": _meta(page, count=len(items))}

    view.__name__ = f"{collection}_list"
    return view


# --- Help docs ----------------------------------------------------------------------------

SITE_FIELDS: dict[str, Accessor] = {
    name: _plain(name) for name in ("id", "name", "subdomain", "state")
} | {"createdAt": _plain("createdAt"), "updatedAt": _plain("updatedAt")}
CATEGORY_FIELDS: dict[str, Accessor] = {
    "id": _plain("id"),
    "name": _plain("name"),
    "parent_id": _plain("parent_id"),
    "sites.id": _plain("helpDocsSites_id"),
    "displayOrder": _plain("displayOrder"),
    "createdAt": _plain("createdAt"),
    "updatedAt": _plain("updatedAt"),
}
ARTICLE_FIELDS: dict[str, Accessor] = {
    "id": _plain("id"),
    "title": _plain("title"),
    "status": _plain("status"),
    "categories.id": _plain("categories"),
    "displayOrder": _plain("displayOrder"),
    "createdAt": _plain("createdAt"),
    "updatedAt": _plain("updatedAt"),
}


def site_template() -> dict[str, Any]:
    return {
        "name": "",
        "description": "",
        "subdomain": "",
        "languageCode": "en",
        "publicSiteEnabled": True,
        "editMethod": "html",
        "customDomain": "",
        "contributors": [],
    }


def sites_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    return _list(request, account, "helpdocssites", fields=SITE_FIELDS, include=())


def _site_apply(
    account: EmulatedAccount, data: dict[str, Any], fields: dict[str, Any], *, owner: int | None
) -> None:
    for key in ("name", "description", "subdomain", "languageCode"):
        if key in fields:
            if not isinstance(fields[key], str):
                raise invalid(f"{key}: must be a string")
            data[key] = fields[key]
    if not data["name"].strip():
        raise invalid("name: must be set")
    subdomain = data["subdomain"]
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", subdomain or ""):
        raise invalid("subdomain: must be set to lowercase letters, digits and dashes")
    taken = any(
        number != owner and data_.get("subdomain") == subdomain
        for number, data_ in records(account=account, collection="helpdocssites").values_list(
            "number", "data"
        )
    )
    if taken:
        raise invalid("subdomain: is already in use", code="conflict", status=409)


def sites_create(request: HttpRequest, account: EmulatedAccount) -> Any:
    fields = _wrapped(_body(request), "helpdocssite")
    data = site_template()
    with transaction.atomic():
        _site_apply(account, data, fields, owner=None)
        record = _new(account, "helpdocssites", data)
    return 201, {"helpdocssite": record.data}


def site_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    return {"helpdocssite": _get(account, "helpdocssites", number).data}


def site_update(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    fields = _wrapped(_body(request), "helpdocssite")
    with transaction.atomic():
        record = _get(account, "helpdocssites", number)
        _site_apply(account, record.data, fields, owner=number)
        _touch(record)
    return {"helpdocssite": record.data}


def site_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    with transaction.atomic():
        record = _get(account, "helpdocssites", number)
        EmulatedRecord.objects.filter(
            account=account, collection__in=("helpdocarticles",), parent_number=number
        ).delete()
        EmulatedRecord.objects.filter(
            account=account, collection="helpdocscategories", data__helpDocsSites_id=number
        ).delete()
        record.delete()
    return HttpResponse(status=204)


def category_template() -> dict[str, Any]:
    return {
        "name": "",
        "slug": "",
        "parent_id": None,
        "helpDocsSites_id": None,
        "displayOrder": 0,
        "oldURL": "",
        "displayOnDocHomepage": True,
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _category_apply(
    account: EmulatedAccount, data: dict[str, Any], fields: dict[str, Any], *, owner: int | None
) -> None:
    if "name" in fields:
        if not isinstance(fields["name"], str):
            raise invalid("name: must be a string")
        data["name"] = fields["name"]
    if not (data.get("name") or "").strip():
        raise invalid("name: must be set")
    data["slug"] = _slug(data["name"])
    if "helpDocsSites_id" in fields:
        if owner is not None and fields["helpDocsSites_id"] != data["helpDocsSites_id"]:
            raise invalid("helpDocsSites_id: cannot be changed")
        site = _as_int(fields["helpDocsSites_id"])
        if site is None or not _exists(account, "helpdocssites", site):
            raise invalid("helpDocsSites_id: the help docs site does not exist")
        data["helpDocsSites_id"] = site
    if data.get("helpDocsSites_id") is None:
        raise invalid("helpDocsSites_id: must be set")
    if "parent_id" in fields:
        parent = fields["parent_id"]
        if parent is not None:
            parent = _as_int(parent)
            row = EmulatedRecord.objects.filter(
                account=account, collection="helpdocscategories", number=parent
            ).first()
            if row is None or row.data.get("helpDocsSites_id") != data["helpDocsSites_id"]:
                raise invalid("parent_id: the parent category is not in this site")
            if owner is not None and parent == owner:
                raise invalid("parent_id: a category cannot be its own parent")
        data["parent_id"] = parent
    if "displayOrder" in fields:
        order = fields["displayOrder"]
        if not isinstance(order, int) or isinstance(order, bool):
            raise invalid("displayOrder: must be an integer")
        data["displayOrder"] = order


def categories_list(request: HttpRequest, account: EmulatedAccount) -> Any:
    return _list(request, account, "helpdocscategories", fields=CATEGORY_FIELDS, include=())


def categories_create(request: HttpRequest, account: EmulatedAccount) -> Any:
    fields = _wrapped(_body(request), "helpdocscategory")
    data = category_template()
    with transaction.atomic():
        _category_apply(account, data, fields, owner=None)
        record = _new(account, "helpdocscategories", data)
    return 201, {"helpdocscategory": record.data}


def category_show(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    return {"helpdocscategory": _get(account, "helpdocscategories", number).data}


def category_update(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    fields = _wrapped(_body(request), "helpdocscategory")
    with transaction.atomic():
        record = _get(account, "helpdocscategories", number)
        _category_apply(account, record.data, fields, owner=number)
        _touch(record)
    return {"helpdocscategory": record.data}


def category_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> Any:
    record = _get(account, "helpdocscategories", number)
    record.delete()
    return HttpResponse(status=204)


def article_template() -> dict[str, Any]:
    return {
        "title": "",
        "slug": "",
        "description": "",
        "contents": "",
        "status": "draft",
        "isPrivate": False,
        "editMethod": "html",
        "displayOrder": 0,
        "popularity": 0,
        "disqusEnabled": False,
        "oldURL": "",
        "categories": [],
        "relatedArticles": [],
        "helpdocsite": None,
    }


def _article_apply(
    account: EmulatedAccount, site: int, data: dict[str, Any], fields: dict[str, Any]
) -> None:
    for key in ("title", "description", "contents"):
        if key in fields:
            if not isinstance(fields[key], str):
                raise invalid(f"{key}: must be a string")
            data[key] = fields[key]
    if not data["title"].strip():
        raise invalid("title: must be set")
    data["slug"] = _slug(data["title"])
    if "editMethod" in fields:
        data["editMethod"] = fields["editMethod"]
    if data["editMethod"] != "html" or not data["contents"].strip():
        raise invalid("contents: must be set")
    if "status" in fields:
        status = str(fields["status"]).lower()
        if status not in ARTICLE_STATUSES:
            raise invalid("status: must be Draft or Published")
        data["status"] = status
    if "isPrivate" in fields:
        data["isPrivate"] = bool(fields["isPrivate"])
    if "categories" in fields:
        categories = fields["categories"]
        if not isinstance(categories, list) or not all(_as_int(c) is not None for c in categories):
            raise invalid("categories: must be a list of category ids")
        numbers = [int(c) for c in categories]
        found = _by_numbers(account, "helpdocscategories", numbers)
        for number in numbers:
            if number not in found or found[number].get("helpDocsSites_id") != site:
                raise invalid(f"categories: category {number} is not in this site")
        data["categories"] = list(dict.fromkeys(numbers))
    if not data["categories"]:
        raise invalid("categories: at least one category is required")


def _site_articles(account: EmulatedAccount, site: int) -> QuerySet[EmulatedRecord]:
    _get(account, "helpdocssites", site)
    return records(account=account, collection="helpdocarticles").filter(parent_number=site)


def _site_article(account: EmulatedAccount, site: int, number: int) -> EmulatedRecord:
    record = _site_articles(account, site).filter(number=number).first()
    if record is None:
        raise not_found()
    return record


def articles_list(request: HttpRequest, account: EmulatedAccount, site: int) -> Any:
    return _list(
        request,
        account,
        "helpdocarticles",
        fields=ARTICLE_FIELDS,
        include=(),
        queryset=_site_articles(account, site),
    )


def articles_create(request: HttpRequest, account: EmulatedAccount, site: int) -> Any:
    fields = _wrapped(_body(request), "helpdocarticle")
    with transaction.atomic():
        _get(account, "helpdocssites", site)
        data = article_template()
        data["helpdocsite"] = _ref(site, "helpdocssites")
        _article_apply(account, site, data, fields)
        record = _new(account, "helpdocarticles", data, parent=site)
    return 201, {"helpdocarticle": record.data}


def article_show(request: HttpRequest, account: EmulatedAccount, site: int, number: int) -> Any:
    return {"helpdocarticle": _site_article(account, site, number).data}


def article_update(request: HttpRequest, account: EmulatedAccount, site: int, number: int) -> Any:
    fields = _wrapped(_body(request), "helpdocarticle")
    with transaction.atomic():
        record = _site_article(account, site, number)
        _article_apply(account, site, record.data, fields)
        _touch(record)
    return {"helpdocarticle": record.data}


def article_delete(request: HttpRequest, account: EmulatedAccount, site: int, number: int) -> Any:
    _site_article(account, site, number).delete()
    return HttpResponse(status=204)


# --- Lists and included records -----------------------------------------------------------


def _list(
    request: HttpRequest,
    account: EmulatedAccount,
    collection: str,
    *,
    fields: dict[str, Accessor],
    include: Iterable[str],
    queryset: QuerySet[EmulatedRecord] | None = None,
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    hidden: Callable[[dict[str, Any], _Filter | None], bool] | None = None,
) -> Any:
    """One page of a collection, filtered and ordered as asked, with ``included`` and
    ``meta.page``."""
    condition = _filter(request, fields)
    page = _page(request)
    wanted = _includes(request, include)
    rows = queryset if queryset is not None else records(account=account, collection=collection)
    rows = _narrowed(rows, condition)
    items = [data for data in rows.values_list("data", flat=True)]
    if hidden is not None:
        items = [data for data in items if not hidden(data, condition)]
    if condition is not None:
        items = [data for data in items if condition.matches(data)]
    items = _ordered(request, items, fields)
    chosen = items[(page.number - 1) * page.size : page.number * page.size]
    return {
        collection: [render(data) if render else data for data in chosen],
        "included": _included(request, account, chosen, wanted),
        "meta": _meta(page, count=len(items)),
    }


def _narrowed(
    rows: QuerySet[EmulatedRecord], condition: _Filter | None
) -> QuerySet[EmulatedRecord]:
    """The database does the first cut of the usual "changed since" filter."""
    if condition is None:
        return rows
    updated = condition.node.get("updatedAt")
    if isinstance(updated, dict):
        for operator, lookup in (("$gte", "updated_at__gte"), ("$gt", "updated_at__gt")):
            moment = _moment(updated.get(operator))
            if moment is not None:
                rows = rows.filter(**{lookup: moment})
    return rows


def _refs(items: Iterable[dict[str, Any]], *keys: str) -> set[int]:
    found: set[int] = set()
    for data in items:
        for key in keys:
            value = data.get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and isinstance(item.get("id"), int):
                    found.add(item["id"])
    return found


def _included(
    request: HttpRequest,
    account: EmulatedAccount,
    items: list[dict[str, Any]],
    wanted: Iterable[str],
) -> dict[str, list[dict[str, Any]]]:
    """The related records of ``items`` for each collection of ``wanted``."""
    wanted = set(wanted)
    included: dict[str, list[dict[str, Any]]] = {}
    messages: list[dict[str, Any]] = []
    if "messages" in wanted or "files" in wanted or "users" in wanted or "customers" in wanted:
        message_ids = _refs(items, "messages")
        messages = list(_by_numbers(account, "messages", message_ids).values())
        if "messages" in wanted:
            included["messages"] = sorted(messages, key=lambda data: data["id"])
    related = [*items, *messages]
    for collection, keys in (
        ("customers", ("customer",)),
        ("companies", ("company",)),
        ("inboxes", ("inbox",)),
        ("tags", ("tags",)),
    ):
        if collection in wanted:
            numbers = _refs(related, *keys)
            if collection == "customers":
                numbers |= {
                    ref["id"]
                    for data in related
                    if isinstance(ref := data.get("createdBy"), dict)
                    and ref.get("type") == "customers"
                }
            rows = _by_numbers(account, collection, numbers)
            render = _customer_json if collection == "customers" else dict
            included[collection] = [render(rows[n]) for n in sorted(rows)]
    if "users" in wanted:
        numbers = _refs(related, "agent", "user") | {
            ref["id"]
            for data in related
            if isinstance(ref := data.get("createdBy"), dict) and ref.get("type") == "users"
        }
        rows = _by_numbers(account, "users", numbers)
        included["users"] = [rows[n] for n in sorted(rows)]
    if "files" in wanted:
        rows = _by_numbers(account, "files", _refs(related, "files"))
        included["files"] = [_file_json(request, rows[n]) for n in sorted(rows)]
    if "contacts" in wanted:
        rows = _by_numbers(account, "contacts", _refs(items, "contacts"))
        included["contacts"] = [rows[n] for n in sorted(rows)]
    if "domains" in wanted:
        rows = _by_numbers(account, "domains", _refs(items, "domains"))
        included["domains"] = [rows[n] for n in sorted(rows)]
    for collection, key in (
        ("ticketstatuses", "status"),
        ("ticketpriorities", "priority"),
        ("tickettypes", "type"),
        ("ticketsources", "source"),
    ):
        if collection in wanted:
            numbers = _refs(items, key)
            included[collection] = [
                dict(item) for item in STATIC_COLLECTIONS[collection] if item["id"] in numbers
            ]
    return included


# --- Routing ------------------------------------------------------------------------------


def _endpoint(**handlers: Callable[..., Any]) -> Callable[..., HttpResponseBase]:
    """One URL of the API: auth, rate limits and faults from the profile, then the handler
    of the HTTP method (405 otherwise)."""
    allowed = ", ".join(handlers)

    def dispatch(request: HttpRequest, account: EmulatedAccount, **kwargs: Any) -> Any:
        handler = handlers.get(request.method or "")
        if handler is None:
            raise EmulatorError(
                405,
                _errors(405, "method_not_allowed", f"{request.method} is not allowed"),
                headers={"Allow": allowed},
            )
        writes = request.method in ("POST", "PUT", "PATCH") and request.body.strip()
        if writes and request.content_type != "application/json":
            raise invalid("the request body must be application/json", code="bad_content_type")
        account_defaults_ensure(account)
        return handler(request, account, **kwargs)

    dispatch.__name__ = "_".join(handler.__name__ for handler in handlers.values())
    return PROFILE.endpoint(dispatch)


@csrf_exempt
def route_not_found(request: HttpRequest, account_slug: str, rest: str) -> HttpResponse:
    return JsonResponse(_errors(404, "not_found", "Not found"), status=404)


API_ROUTES: list[tuple[str, Callable[..., HttpResponseBase]]] = [
    ("me.json", _endpoint(GET=me)),
    ("users.json", _endpoint(GET=users_list)),
    ("users/<int:number>.json", _endpoint(GET=user_show)),
    ("agentinvites.json", _endpoint(GET=agent_invites_list)),
    ("inboxes.json", _endpoint(GET=inboxes_list)),
    ("inboxes/<int:number>.json", _endpoint(GET=inbox_show)),
    ("customers.json", _endpoint(GET=customers_list, POST=customers_create)),
    (
        "customers/<int:number>.json",
        _endpoint(GET=customer_show, PUT=customer_update, DELETE=customer_delete),
    ),
    ("companies.json", _endpoint(GET=companies_list, POST=companies_create)),
    ("companies/<int:number>.json", _endpoint(GET=company_show)),
    ("tickets.json", _endpoint(GET=tickets_list, POST=tickets_create)),
    (
        "tickets/<int:number>.json",
        _endpoint(GET=ticket_show, PATCH=ticket_update, DELETE=ticket_delete),
    ),
    ("tickets/<int:number>/messages.json", _endpoint(POST=ticket_messages_create)),
    *(
        (f"{collection}.json", _endpoint(GET=_static_list(collection)))
        for collection in STATIC_COLLECTIONS
    ),
    ("tags.json", _endpoint(GET=tags_list, POST=tags_create)),
    ("tags/<int:number>.json", _endpoint(GET=tag_show)),
    ("files/ref.json", _endpoint(POST=files_ref)),
    ("files/<int:number>.json", _endpoint(GET=file_show, PATCH=file_confirm)),
    ("helpdocssites.json", _endpoint(GET=sites_list, POST=sites_create)),
    (
        "helpdocssites/<int:number>.json",
        _endpoint(GET=site_show, PUT=site_update, DELETE=site_delete),
    ),
    ("helpdocscategories.json", _endpoint(GET=categories_list, POST=categories_create)),
    (
        "helpdocscategories/<int:number>.json",
        _endpoint(GET=category_show, PATCH=category_update, DELETE=category_delete),
    ),
    (
        "helpdocssites/<int:site>/helpdocarticles.json",
        _endpoint(GET=articles_list, POST=articles_create),
    ),
    (
        "helpdocssites/<int:site>/helpdocarticles/<int:number>.json",
        _endpoint(GET=article_show, PATCH=article_update, DELETE=article_delete),
    ),
]

urlpatterns = [
    *(path(f"desk/api/v2/{route}", view) for route, view in API_ROUTES),
    path(
        "desk/file/<int:number>/<str:name>",
        _endpoint(GET=file_download),
        name="teamwork-desk-file",
    ),
    path("s3-upload/", s3_upload, name="teamwork-desk-s3-upload"),
    path("desk/<path:rest>", route_not_found),
]
