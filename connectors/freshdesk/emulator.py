"""Freshdesk API v2, emulated for the sandbox and the tests.

Paths, JSON shapes, pagination (``page``/``per_page`` with a ``Link: <…>; rel="next"``
header), authentication, error bodies and rate-limit headers follow
developers.freshdesk.com; the recorded payloads in ``tests/fixtures/freshdesk_*.json``
keep the shapes honest where the documentation is silent.

Every object is stored as Freshdesk's own JSON in ``EmulatedRecord.data`` and its id is
``EmulatedRecord.number``. Some keys are hidden or added when an object is rendered, as the
real API does: a ticket list carries no description unless ``include=description`` asks
for it, ticket stats only come with ``include=stats``, a soft-deleted ticket says
``"deleted": true``.

Mounted under ``/sandbox/freshdesk/<account>/``, so a connector's base URL for an account
is ``http://host/sandbox/freshdesk/<account>`` and the paths are the real ones
(``/api/v2/tickets`` ...).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, IntegerField, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import strip_tags
from django.views.decorators.csrf import csrf_exempt

from connectors.emulation import (
    EmulatorError,
    EmulatorProfile,
    blob_response,
    blob_store,
    isoformat,
    number_next,
    record_create,
    record_data_save,
    record_find,
    record_first,
    record_list,
    record_numbers,
    records,
)
from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord
from connectors.schema import EMAIL_ADDRESS

PLATFORM = "freshdesk"

# The Growth plan: 200 calls a minute for the whole account (support.freshdesk.com, "What
# are the rate limits for the API calls to Freshdesk?": Growth 200, Pro 400, Enterprise 700).
GROWTH_PLAN_CALLS_PER_MINUTE = 200

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
# "You cannot access tickets beyond the 300th page": the ticket list stops at page 300.
MAX_TICKET_PAGE = 300
SEARCH_PER_PAGE = 30
MAX_SEARCH_PAGE = 10
MAX_SEARCH_QUERY_LENGTH = 512
# Without updated_since, the ticket list only shows tickets created in the last 30 days.
DEFAULT_TICKET_WINDOW = timedelta(days=30)
# Attachments of one ticket or one conversation may not exceed 20 MB in total.
MAX_ATTACHMENTS_BYTES = 20 * 1024 * 1024
# GET /tickets/{id}?include=conversations embeds at most ten conversations.
MAX_INCLUDED_CONVERSATIONS = 10

TICKET_STATUSES = {
    2: ("Open", "Being Processed"),
    3: ("Pending", "Awaiting your Reply"),
    4: ("Resolved", "This ticket has been Resolved"),
    5: ("Closed", "This ticket has been Closed"),
}
STATUS_PENDING, STATUS_RESOLVED, STATUS_CLOSED = 3, 4, 5
TICKET_PRIORITIES = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
TICKET_SOURCES = {
    1: "Email",
    2: "Portal",
    3: "Phone",
    7: "Chat",
    9: "Feedback Widget",
    10: "Outbound Email",
}
TICKET_TYPES = ("Question", "Incident", "Problem", "Feature Request", "Refund")
TICKET_SCOPES = (1, 2, 3)  # global, group, restricted access
FOLDER_VISIBILITIES = (1, 2, 3, 4)  # all users, logged-in users, agents, selected companies
ARTICLE_STATUSES = (1, 2)  # draft, published
ARTICLE_TYPES = (1, 2)  # permanent, workaround
NOTE_SOURCE, REPLY_SOURCE = 2, 0
CUSTOM_TICKET_FIELD_TYPES = (
    "custom_text",
    "custom_paragraph",
    "custom_checkbox",
    "custom_number",
    "custom_decimal",
    "custom_date",
    "custom_dropdown",
)

# Each kind of object has its own id space, with Freshdesk-like magnitudes. Contacts and
# agents are both users and share one sequence, so a user id never names two people.
USERS_SEQUENCE = "users"
USER_ID_START = 43_000_000_001
COMPANY_ID_START = 43_100_000_001
GROUP_ID_START = 43_200_000_001
CONVERSATION_ID_START = 43_300_000_001
ATTACHMENT_ID_START = 43_400_000_001
CATEGORY_ID_START = 43_500_000_001
FOLDER_ID_START = 43_600_000_001
ARTICLE_ID_START = 43_700_000_001
TICKET_FIELD_ID_START = 43_800_000_101
DEFAULT_FIELD_ID_START = 43_800_000_001
ADMIN_ROLE_ID = 43_900_000_001
AGENT_ROLE_ID = 43_900_000_004

MANDATORY = "It should not be blank as this is a mandatory field"
UNEXPECTED_FIELD = "Unexpected/invalid field in request"
UNIQUE_VALUE = "It should be a unique value"
REQUESTER_MISSING = (
    "Please fill at least 1 of requester_id, phone, email, twitter_id, facebook_id fields"
)
POSITIVE_INTEGER = "Positive Integer"
ISO_DATETIME = "combined date and time ISO8601"
#: Freshdesk's reference documents the refusal ("It should be in the 'valid email
#: address' format") but no character set: an internationalised address (accents in the
#: local part or the domain, RFC 6531) is taken like any other.
EMAIL_PATTERN = EMAIL_ADDRESS


def _names(text: str) -> frozenset[str]:
    """A set of field names written as one string, a space apart."""
    return frozenset(text.split())


# --- Authentication, errors and the profile ----------------------------------------------


def _api_key_of(request: HttpRequest) -> str | None:
    """The user name of an HTTP Basic header: Freshdesk's API key (the password is ignored,
    clients conventionally send "X")."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


def _key_matches(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


def _authenticate(request: HttpRequest, account: EmulatedAccount) -> bool:
    given = _api_key_of(request)
    return _key_matches(given, account.secrets.get("api_key")) or _key_matches(
        given, account.secrets.get("agent_api_key")
    )


def _error_body(status: int, code: str, message: str) -> Any:
    """Freshdesk's bodies for the errors the shared emulator machinery raises."""
    if status == 401:
        return {
            "code": "invalid_credentials",
            "message": "You have to be logged in to perform this action.",
        }
    if status == 403:
        return {
            "code": "access_denied",
            "message": "You are not authorized to perform this action.",
        }
    if status == 429:
        return {"message": "You have exceeded the limit of requests per minute"}
    if status == 404:
        return None  # Freshdesk answers 404 without a body.
    if status >= 500:
        return {"code": "internal_error", "message": "We're sorry, but something went wrong."}
    if code == "InvalidJSON":
        return {"code": "invalid_json", "message": "Request body has invalid json format"}
    return {"code": code, "message": message}


def _rate_limit_headers(limit: int, remaining: int, reset_in: int) -> dict[str, str]:
    return {
        "X-RateLimit-Total": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        # Embedding (include=...) costs extra credits on Freshdesk; every call costs one here.
        "X-RateLimit-Used-CurrentRequest": "1",
    }


PROFILE = EmulatorProfile(
    platform=PLATFORM,
    default_rate_limit_per_minute=GROWTH_PLAN_CALLS_PER_MINUTE,
    authenticate=_authenticate,
    error_body=_error_body,
    rate_limit_headers=_rate_limit_headers,
)


class _NotFound(Exception):
    """A missing record: Freshdesk answers a bare 404."""


def _field_error(field_name: str, message: str, code: str = "invalid_value", **extra: Any) -> dict:
    error: dict[str, Any] = {"field": field_name}
    error.update(extra)
    error.update(message=message, code=code)
    return error


def _invalid(errors: list[dict], *, status: int = 400) -> EmulatorError:
    return EmulatorError(status, {"description": "Validation failed", "errors": errors})


def _request_error(status: int, code: str, message: str, **headers: str) -> EmulatorError:
    return EmulatorError(status, {"code": code, "message": message}, headers=headers)


def _one_of(values: Iterable[Any]) -> str:
    return "It should be one of these values: '{}'".format(",".join(str(v) for v in values))


def _datatype(expected: str) -> str:
    return f"It should be a/an {expected}"


def _no_match(resource: str, attribute: str) -> str:
    return f"There is no {resource} matching the given {attribute}"


def _invalid_date(accepted: str) -> str:
    return f"It should be a valid date in the '{accepted}' format"


def _missing_params() -> EmulatorError:
    """An update without any field."""
    return _request_error(
        400,
        "missing_params",
        "Your update call does not have any parameter. Atleast one parameter is required.",
    )


def _duplicate(field_name: str, **extra: Any) -> EmulatorError:
    return _invalid(
        [_field_error(field_name, UNIQUE_VALUE, "duplicate_value", **extra)], status=409
    )


def _require_admin(request: HttpRequest, account: EmulatedAccount) -> None:
    """Admin-only calls refuse the key of an ordinary agent (``secrets["agent_api_key"]``)."""
    if _key_matches(_api_key_of(request), account.secrets.get("agent_api_key")):
        raise _request_error(403, "access_denied", "You are not authorized to perform this action.")


# --- Request bodies and query strings ----------------------------------------------------

# Multipart forms carry strings; Freshdesk reads these fields as numbers or booleans.
_FORM_INTEGER_FIELDS = _names(
    """
    status priority source requester_id responder_id group_id company_id product_id
    email_config_id user_id ticket_scope visibility type
    """
)
_FORM_BOOLEAN_FIELDS = frozenset({"private", "incoming", "occasional", "view_all_tickets"})


@dataclass
class _Payload:
    fields: dict[str, Any]
    files: list[UploadedFile] = field(default_factory=list)
    multipart: bool = False

    @property
    def empty(self) -> bool:
        return not self.fields and not self.files


def _form_value(name: str, value: str) -> Any:
    if name in _FORM_INTEGER_FIELDS and value.isdigit():
        return int(value)
    if name in _FORM_BOOLEAN_FIELDS and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _form_fields(form: Any) -> dict[str, Any]:
    """``tags[]`` → a list, ``custom_fields[cf_x]`` → a nested dict, the rest as scalars."""
    fields: dict[str, Any] = {}
    for key in form:
        if key == "attachments[]":
            continue
        if key.endswith("[]"):
            fields[key[:-2]] = form.getlist(key)
        elif match := re.fullmatch(r"(\w+)\[(\w+)\]", key):
            fields.setdefault(match[1], {})[match[2]] = form[key]
        else:
            fields[key] = _form_value(key, form[key])
    return fields


def _payload(request: HttpRequest) -> _Payload:
    if request.content_type == "multipart/form-data":
        try:
            if request.method == "POST":
                form, files = request.POST, request.FILES
            else:  # Django only parses multipart bodies of POST requests by itself.
                form, files = MultiPartParser(
                    request.META, request, request.upload_handlers, request.encoding
                ).parse()
        except MultiPartParserError:
            raise _request_error(
                400, "invalid_multipart", "Multipart data is not properly formatted."
            ) from None
        return _Payload(_form_fields(form), files.getlist("attachments[]"), multipart=True)
    raw = request.body
    if not raw.strip():
        return _Payload({})
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if not isinstance(parsed, dict):
        raise _request_error(400, "invalid_json", "Request body has invalid json format")
    return _Payload(parsed)


def _check_content_type(request: HttpRequest) -> None:
    if request.method not in ("POST", "PUT") or not int(request.META.get("CONTENT_LENGTH") or 0):
        return
    if request.content_type in ("application/json", "multipart/form-data"):
        return
    raise _request_error(
        415,
        "invalid_content_type",
        f"Content-Type header is set to {request.content_type or 'nil'}. "
        "It should be set to application/json",
    )


def _unexpected_fields(fields: dict[str, Any], allowed: Iterable[str]) -> list[dict]:
    allowed = set(allowed)
    return [
        _field_error(name, UNEXPECTED_FIELD, "invalid_field")
        for name in fields
        if name not in allowed
    ]


def _check_query(request: HttpRequest, allowed: Iterable[str]) -> None:
    """Freshdesk refuses query parameters it does not know, like body fields."""
    if errors := _unexpected_fields(dict.fromkeys(request.GET), allowed):
        raise _invalid(errors)


def _date_or_none(value: Any) -> date | None:
    """A ``yyyy-mm-dd`` date, or None for anything else (including impossible dates)."""
    try:
        return parse_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _moment_or_none(value: Any) -> datetime | None:
    """An ISO 8601 moment or date (UTC when it gives no offset), or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None and (day := _date_or_none(value)) is not None:
        moment = datetime.combine(day, time.min)
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _query_moment(request: HttpRequest, name: str) -> datetime | None:
    value = request.GET.get(name)
    if value is None:
        return None
    if (moment := _moment_or_none(value)) is None:
        raise _invalid([_field_error(name, _invalid_date(ISO_DATETIME))])
    return moment


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _is_email(value: Any) -> bool:
    return isinstance(value, str) and bool(EMAIL_PATTERN.fullmatch(value))


def _text_of(html: str | None) -> str:
    """The plain text Freshdesk derives from an HTML body (``description_text``, ``body_text``)."""
    return " ".join(unescape(strip_tags(html or "")).split())


# --- Responses and pagination ------------------------------------------------------------


def _json(body: Any, *, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, encoder=DjangoJSONEncoder)


def _created(request: HttpRequest, body: dict, *, location: str) -> JsonResponse:
    """201 with the new object and, as Freshdesk does, a Location header."""
    response = _json(body, status=201)
    response["Location"] = request.build_absolute_uri(location)
    return response


def _no_content() -> HttpResponse:
    return HttpResponse(status=204)


def _account_root(request: HttpRequest) -> str:
    """The path of the account's root, e.g. ``/sandbox/freshdesk/acme``."""
    return request.path[: request.path.index("/api/v2/")]


@dataclass(frozen=True)
class _Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _page(request: HttpRequest, *, max_page: int | None = None) -> _Page:
    errors = []
    number = _as_int(request.GET.get("page", "1"))
    if not number:
        errors.append(_field_error("page", _datatype(POSITIVE_INTEGER), "datatype_mismatch"))
    elif max_page is not None and number > max_page:
        errors.append(
            _field_error(
                "page",
                f"You cannot access tickets beyond the {max_page}th page. "
                "Please provide a smaller page number.",
            )
        )
    size = _as_int(request.GET.get("per_page", str(DEFAULT_PER_PAGE)))
    if not size or size > MAX_PER_PAGE:
        errors.append(
            _field_error(
                "per_page", f"It should be a Positive Integer less than or equal to {MAX_PER_PAGE}"
            )
        )
    if errors:
        raise _invalid(errors)
    return _Page(number, size)


def _next_link(request: HttpRequest, page_number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page_number)
    return f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'


def _paginated(
    request: HttpRequest,
    queryset: QuerySet[EmulatedRecord],
    page: _Page,
    render: Callable[[list[EmulatedRecord]], list[dict]],
) -> JsonResponse:
    """One page of records and, when there are more, the Link to the next page. One row more
    than the page is read to know whether a next page exists, never a count."""
    rows = list(queryset[page.offset : page.offset + page.size + 1])
    response = _json(render(rows[: page.size]))
    if len(rows) > page.size:
        response["Link"] = _next_link(request, page.number + 1)
    return response


def _data_of(rows: list[EmulatedRecord]) -> list[dict]:
    return [row.data for row in rows]


# --- Records -----------------------------------------------------------------------------


def _new_record(
    *,
    account: EmulatedAccount,
    collection: str,
    data: dict[str, Any],
    id_start: int,
    number: int | None = None,
    parent_number: int | None = None,
    moment: datetime | None = None,
) -> EmulatedRecord:
    """Store a new object with its id and both timestamps written into its JSON."""
    moment = moment or timezone.now()
    if number is None:
        number = number_next(account=account, collection=collection, start=id_start)
    data.update(id=number, created_at=isoformat(moment), updated_at=isoformat(moment))
    return record_create(
        account=account,
        collection=collection,
        data=data,
        number=number,
        parent_number=parent_number,
        created_at=moment,
        updated_at=moment,
    )


def _touch(record: EmulatedRecord, *, moment: datetime | None = None) -> None:
    """Save a changed object; ``updated_at`` moves in its JSON and on the row together."""
    moment = moment or timezone.now()
    record.updated_at = moment
    record.data["updated_at"] = isoformat(moment)
    record_data_save(record)


def _get(account: EmulatedAccount, collection: str, number: int) -> EmulatedRecord:
    record = record_find(account=account, collection=collection, number=number)
    if record is None:
        raise _NotFound
    return record


def _exists(account: EmulatedAccount, collections: Iterable[str], number: Any) -> bool:
    return isinstance(number, int) and bool(
        record_numbers(account=account, collections=collections, numbers=[number])
    )


# --- Attachments -------------------------------------------------------------------------


def _human_size(size: int) -> str:
    """Sizes the way Freshdesk prints them ("20 MB", "20.5 MB")."""
    if size < 1024:
        return f"{size} Bytes"
    value, units = size / 1024, ["KB", "MB", "GB", "TB"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    decimals = max(0, 3 - len(str(int(value))))  # three significant digits
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".") + f" {units[0]}"


def _attachment_errors(files: list[UploadedFile], *, already: int = 0) -> list[dict]:
    total = already + sum(upload.size or 0 for upload in files)
    if total <= MAX_ATTACHMENTS_BYTES:
        return []
    message = (
        f"Total attachment(s) size is {_human_size(total)}, "
        f"it should not exceed {_human_size(MAX_ATTACHMENTS_BYTES)}"
    )
    return [_field_error("attachments", message, "invalid_size")]


def _json_attachment_errors(fields: dict[str, Any]) -> list[dict]:
    """Files only travel in multipart bodies; a JSON body can only say "no attachments"."""
    if fields.pop("attachments", None):
        return [
            _field_error(
                "attachments",
                "It should contain elements of type valid file format only",
                "datatype_mismatch",
            )
        ]
    return []


def _attachments_store(account: EmulatedAccount, files: list[UploadedFile]) -> list[dict]:
    """Keep the uploaded bytes and describe them as Freshdesk does."""
    stored = []
    for upload in files:
        token = f"fd-{uuid.uuid4().hex}"
        content_type = upload.content_type or "application/octet-stream"
        blob = blob_store(
            account=account,
            token=token,
            file_name=upload.name or "attachment",
            content_type=content_type,
            chunks=upload.chunks(),
        )
        number = number_next(account=account, collection="attachments", start=ATTACHMENT_ID_START)
        moment = isoformat(timezone.now())
        stored.append(
            {
                "id": number,
                "content_type": content_type,
                "size": blob.size,
                "name": blob.file_name,
                "attachment_url": reverse(
                    "freshdesk-attachment", kwargs={"account_slug": account.slug, "token": token}
                ),
                "created_at": moment,
                "updated_at": moment,
            }
        )
    return stored


def _attachments_json(request: HttpRequest, attachments: list[dict]) -> list[dict]:
    """Stored URLs are paths on the emulator; the API hands out absolute URLs."""
    return [
        {**attachment, "attachment_url": request.build_absolute_uri(attachment["attachment_url"])}
        if attachment.get("attachment_url", "").startswith("/")
        else attachment
        for attachment in attachments
    ]


def _attachments_size(attachments: list[dict]) -> int:
    return sum(attachment.get("size") or 0 for attachment in attachments)


def attachment_download(request: HttpRequest, account_slug: str, token: str) -> HttpResponseBase:
    """An attachment's bytes. Like Freshdesk's signed file URLs, it needs no credentials
    (the token is the secret) and costs no API call."""
    blob = EmulatedBlob.objects.filter(
        account__platform=PLATFORM, account__slug=account_slug, token=token
    ).first()
    if blob is None:
        return HttpResponse(status=404)
    return blob_response(blob)


# --- Users: contacts and agents ----------------------------------------------------------

USER_COLLECTIONS = ("contacts", "agents")
DEFAULT_TIME_ZONE = "Eastern Time (US & Canada)"


def _contact_template() -> dict[str, Any]:
    return {
        "active": False,
        "address": None,
        "company_id": None,
        "description": None,
        "email": None,
        "id": None,
        "job_title": None,
        "language": "en",
        "mobile": None,
        "name": None,
        "phone": None,
        "time_zone": DEFAULT_TIME_ZONE,
        "twitter_id": None,
        "custom_fields": {},
        "facebook_id": None,
        "created_at": None,
        "updated_at": None,
        "csat_rating": None,
        "preferred_source": None,
        "other_emails": [],
        "unique_external_id": None,
        "avatar": None,
        "view_all_tickets": False,
        "other_companies": [],
        "tags": [],
        "deleted": False,
        # Older payloads still seen from Freshdesk (see tests/fixtures/freshdesk_contact.json).
        "customer_id": None,
        "external_id": None,
        "fb_profile_id": None,
        "helpdesk_agent": False,
        "custom_field": {},
    }


def _agent_template() -> dict[str, Any]:
    return {
        "available": False,
        "occasional": False,
        "id": None,
        "ticket_scope": 1,
        "signature": None,
        "group_ids": [],
        "role_ids": [AGENT_ROLE_ID],
        "skill_ids": [],
        "available_since": None,
        "contact": {
            "active": True,
            "email": None,
            "job_title": None,
            "language": "en",
            "last_login_at": None,
            "mobile": None,
            "name": None,
            "phone": None,
            "time_zone": DEFAULT_TIME_ZONE,
            "created_at": None,
            "updated_at": None,
        },
        "created_at": None,
        "updated_at": None,
        "type": "support_agent",
        "focus_mode": True,
        "last_active_at": None,
        "deactivated": False,
    }


AGENT_PERSON_FIELDS = ("email", "name", "phone", "mobile", "job_title", "language", "time_zone")


def _person(record: EmulatedRecord) -> dict[str, Any]:
    """The contact details of a user, whether a contact or an agent."""
    return record.data["contact"] if record.collection == "agents" else record.data


def _person_summary(record: EmulatedRecord) -> dict[str, Any]:
    person = _person(record)
    return {
        "id": record.number,
        "name": person.get("name"),
        "email": person.get("email"),
        "mobile": person.get("mobile"),
        "phone": person.get("phone"),
    }


def _users(account: EmulatedAccount) -> QuerySet[EmulatedRecord]:
    return EmulatedRecord.objects.filter(account=account, collection__in=USER_COLLECTIONS)


def _users_by_number(account: EmulatedAccount, numbers: Iterable[Any]) -> dict[int, EmulatedRecord]:
    wanted = {number for number in numbers if isinstance(number, int)}
    if not wanted:
        return {}
    return {
        user.number: user
        for user in record_list(account=account, collections=USER_COLLECTIONS, numbers=wanted)
    }


def _user_with_email(account: EmulatedAccount, email: str) -> EmulatedRecord | None:
    return (
        _users(account)
        .filter(Q(data__email__iexact=email) | Q(data__contact__email__iexact=email))
        .first()
    )


def _duplicate_email(user: EmulatedRecord) -> EmulatorError:
    return _duplicate("email", additional_info={"user_id": user.number})


def _new_user(
    account: EmulatedAccount, collection: str, data: dict[str, Any], number: int | None = None
) -> EmulatedRecord:
    if number is None:
        number = number_next(account=account, collection=USERS_SEQUENCE, start=USER_ID_START)
    moment = timezone.now()
    if collection == "agents":
        data["contact"].update(created_at=isoformat(moment), updated_at=isoformat(moment))
    return _new_record(
        account=account,
        collection=collection,
        data=data,
        id_start=USER_ID_START,
        number=number,
        moment=moment,
    )


def _contact_new(account: EmulatedAccount, fields: dict[str, Any]) -> EmulatedRecord:
    data = _contact_template()
    data.update(fields)
    return _new_user(account, "contacts", data)


def _agent_new(
    account: EmulatedAccount,
    fields: dict[str, Any],
    *,
    person: dict[str, Any],
    number: int | None = None,
) -> EmulatedRecord:
    data = _agent_template()
    data.update(fields)
    data["contact"].update(person)
    return _new_user(account, "agents", data, number)


def _owner_agent(account: EmulatedAccount) -> EmulatedRecord:
    """The agent whose API key the calls carry: the account's first agent, created on the
    first call that needs one."""
    if owner := record_first(account=account, collection="agents"):
        return owner
    with transaction.atomic():
        EmulatedAccount.objects.select_for_update().filter(pk=account.pk).first()
        if owner := record_first(account=account, collection="agents"):
            return owner
        return _agent_new(
            account,
            {"role_ids": [ADMIN_ROLE_ID], "available": True},
            person={
                "email": account.secrets.get("agent_email") or f"admin@{account.slug}.example.com",
                "name": account.secrets.get("agent_name") or f"{account.name} Admin",
            },
        )


# --- Tickets -----------------------------------------------------------------------------

TICKET_CREATE_FIELDS = _names(
    """
    name requester_id email phone twitter_id facebook_id unique_external_id subject type status
    priority description responder_id cc_emails custom_fields due_by fr_due_by email_config_id
    group_id product_id source tags company_id
    """
)
TICKET_UPDATE_FIELDS = TICKET_CREATE_FIELDS - {"cc_emails"}
REQUESTER_FIELDS = (
    "requester_id",
    "email",
    "phone",
    "twitter_id",
    "facebook_id",
    "unique_external_id",
)
TICKET_LIST_PARAMS = _names(
    """
    page per_page filter requester_id email company_id updated_since order_by order_type include
    """
)
TICKET_LIST_FILTERS = ("new_and_my_open", "watching", "spam", "deleted")
TICKET_LIST_INCLUDES = ("requester", "stats", "description", "company")
TICKET_SHOW_INCLUDES = ("conversations", "requester", "company", "stats")
TICKET_ORDER_BY = ("created_at", "due_by", "updated_at", "status")
TICKET_ORDER_TYPES = ("asc", "desc")


def _ticket_template() -> dict[str, Any]:
    return {
        "cc_emails": [],
        "fwd_emails": [],
        "reply_cc_emails": [],
        "ticket_cc_emails": [],
        "ticket_bcc_emails": [],
        "fr_escalated": False,
        "spam": False,
        "email_config_id": None,
        "group_id": None,
        "priority": 1,
        "requester_id": None,
        "responder_id": None,
        "source": 2,
        "company_id": None,
        "status": 2,
        "subject": None,
        "association_type": None,
        "support_email": None,
        "to_emails": None,
        "product_id": None,
        "id": None,
        "type": None,
        "due_by": None,
        "fr_due_by": None,
        "is_escalated": False,
        "custom_fields": {},
        "created_at": None,
        "updated_at": None,
        "associated_tickets_count": None,
        "tags": [],
        "description": None,
        "description_text": None,
        "attachments": [],
        "structured_description": None,
        "nr_due_by": None,
        "nr_escalated": False,
        "deleted": False,
        "stats": {
            "agent_responded_at": None,
            "requester_responded_at": None,
            "first_responded_at": None,
            "status_updated_at": None,
            "reopened_at": None,
            "resolved_at": None,
            "closed_at": None,
            "pending_since": None,
        },
    }


def _include(request: HttpRequest, allowed: tuple[str, ...]) -> frozenset[str]:
    value = request.GET.get("include")
    if value is None:
        return frozenset()
    wanted = frozenset(part.strip() for part in value.split(","))
    if not wanted <= set(allowed):
        raise _invalid([_field_error("include", _one_of(allowed).replace(",", ", "))])
    return wanted


def _ticket_fields_defined(account: EmulatedAccount) -> dict[str, dict]:
    """The account's custom ticket fields by name (``cf_...``)."""
    return {
        row.data["name"]: row.data
        for row in record_list(account=account, collections=["ticket_fields"])
    }


# custom field type → (Freshdesk's name for the type it expects, the JSON values it takes)
_CUSTOM_VALUE_TYPES: dict[str, tuple[str, tuple[type, ...]]] = {
    "custom_text": ("String", (str,)),
    "custom_paragraph": ("String", (str,)),
    "custom_number": ("Integer", (int,)),
    "custom_decimal": ("Number", (int, float)),
    "custom_checkbox": ("Boolean", (bool,)),
}


def _custom_form_value(kind: str, value: str) -> Any:
    """A multipart form's string read as the custom field's type, when it is one."""
    if kind == "custom_number" and value.lstrip("-").isdigit():
        return int(value)
    if kind == "custom_decimal":
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "custom_checkbox" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _custom_value_error(name: str, value: Any, definition: dict) -> dict | None:
    kind = definition["type"]
    if kind == "custom_dropdown":
        choices = [choice["value"] for choice in definition.get("choices", [])]
        return None if value in choices else _field_error(name, _one_of(choices))
    if kind == "custom_date":
        valid_date = _date_or_none(value) is not None
        return None if valid_date else _field_error(name, _invalid_date("yyyy-mm-dd"))
    expected, accepted = _CUSTOM_VALUE_TYPES[kind]
    # JSON booleans are Python ints: only a checkbox takes them.
    valid = isinstance(value, accepted) and (bool in accepted or not isinstance(value, bool))
    return None if valid else _field_error(name, _datatype(expected), "datatype_mismatch")


def _custom_fields_errors(
    values: Any, definitions: dict[str, dict], *, multipart: bool, creating: bool
) -> tuple[dict[str, Any], list[dict]]:
    if not isinstance(values, dict):
        return {}, [_field_error("custom_fields", _datatype("key/value pair"), "datatype_mismatch")]
    cleaned, errors = {}, []
    for name, value in values.items():
        definition = definitions.get(name)
        if definition is None:
            errors.append(_field_error(name, UNEXPECTED_FIELD, "invalid_field"))
            continue
        if multipart and isinstance(value, str):
            value = _custom_form_value(definition["type"], value)
        cleaned[name] = value
        if value is not None and (error := _custom_value_error(name, value, definition)):
            errors.append(error)
    if creating:
        errors.extend(
            _field_error(name, MANDATORY, "missing_field")
            for name, definition in definitions.items()
            if definition.get("required_for_agents") and values.get(name) in (None, "")
        )
    return cleaned, errors


def _email_list_errors(fields: dict[str, Any], name: str) -> list[dict]:
    value = fields.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        return [_field_error(name, _datatype("Array"), "datatype_mismatch")]
    if not all(_is_email(email) for email in value):
        return [
            _field_error(
                name, "It should contain elements that are in the 'valid email address' format"
            )
        ]
    return []


def _choice_errors(fields: dict[str, Any], name: str, choices: Iterable[Any]) -> list[dict]:
    choices = list(choices)
    if name in fields and fields[name] not in choices:
        return [_field_error(name, _one_of(choices))]
    return []


def _reference_errors(
    account: EmulatedAccount,
    fields: dict[str, Any],
    references: dict[str, tuple[str, tuple[str, ...]]],
) -> list[dict]:
    """``{"group_id": ("group", ("groups",))}``: the ids given must name existing records."""
    errors = []
    for name, (resource, collections) in references.items():
        value = fields.get(name)
        if value is None:
            continue
        if not _exists(account, collections, value):
            errors.append(_field_error(name, _no_match(resource, name)))
    return errors


def _ticket_errors(
    account: EmulatedAccount,
    payload: _Payload,
    *,
    creating: bool,
    definitions: dict[str, dict],
    attachments_already: int = 0,
) -> list[dict]:
    """Freshdesk's complaints about a ticket's fields; custom field values given as form
    strings are read as their types on the way."""
    fields = payload.fields
    errors = _unexpected_fields(fields, TICKET_CREATE_FIELDS if creating else TICKET_UPDATE_FIELDS)
    errors += _json_attachment_errors(fields)
    if creating:
        if not any(fields.get(name) for name in REQUESTER_FIELDS):
            errors.append(_field_error("requester_id", REQUESTER_MISSING, "missing_field"))
        for name in ("subject", "description"):
            if name not in fields:
                errors.append(_field_error(name, MANDATORY, "missing_field"))
    for name in ("subject", "description"):
        if name in fields and (not isinstance(fields[name], str) or not fields[name].strip()):
            errors.append(_field_error(name, MANDATORY))
    if fields.get("email") is not None and not _is_email(fields["email"]):
        errors.append(_field_error("email", "It should be in the 'valid email address' format"))
    if (
        "phone" in fields
        and not fields.get("email")
        and not fields.get("requester_id")
        and not fields.get("name")
    ):
        errors.append(
            _field_error("name", "It should not be blank if phone is only given", "missing_field")
        )
    errors += _choice_errors(fields, "status", TICKET_STATUSES)
    errors += _choice_errors(fields, "priority", TICKET_PRIORITIES)
    errors += _choice_errors(fields, "source", TICKET_SOURCES)
    if fields.get("type") is not None:
        errors += _choice_errors(fields, "type", TICKET_TYPES)
    if "tags" in fields and (
        not isinstance(fields["tags"], list)
        or not all(isinstance(tag, str) for tag in fields["tags"])
    ):
        errors.append(_field_error("tags", _datatype("Array"), "datatype_mismatch"))
    errors += _email_list_errors(fields, "cc_emails")
    for name in ("due_by", "fr_due_by"):
        if fields.get(name) is not None and _moment_or_none(fields[name]) is None:
            errors.append(_field_error(name, _invalid_date(ISO_DATETIME)))
    errors += _reference_errors(
        account,
        fields,
        {
            "requester_id": ("contact", USER_COLLECTIONS),
            "responder_id": ("agent", ("agents",)),
            "group_id": ("group", ("groups",)),
            "company_id": ("company", ("companies",)),
        },
    )
    if "custom_fields" in fields or creating:
        cleaned, custom_errors = _custom_fields_errors(
            fields.get("custom_fields", {}),
            definitions,
            multipart=payload.multipart,
            creating=creating,
        )
        fields["custom_fields"] = cleaned
        errors += custom_errors
    return errors + _attachment_errors(payload.files, already=attachments_already)


def _requester(account: EmulatedAccount, fields: dict[str, Any]) -> EmulatedRecord | None:
    """The contact a ticket is for: by id, else found or created from its details, as
    Freshdesk adds an unknown requester as a new contact."""
    if fields.get("requester_id"):
        return _users_by_number(account, [fields["requester_id"]]).get(fields["requester_id"])
    lookups = [
        (
            "email",
            Q(data__email__iexact=fields.get("email"))
            | Q(data__contact__email__iexact=fields.get("email")),
        ),
        ("phone", Q(data__phone=fields.get("phone"))),
        ("twitter_id", Q(data__twitter_id=fields.get("twitter_id"))),
        ("facebook_id", Q(data__facebook_id=fields.get("facebook_id"))),
        ("unique_external_id", Q(data__unique_external_id=fields.get("unique_external_id"))),
    ]
    for name, lookup in lookups:
        if fields.get(name):
            if found := _users(account).filter(lookup).first():
                return found
            name_given = fields.get("name") or (fields.get("email") or "").split("@")[0] or None
            return _contact_new(account, {"name": name_given, name: fields[name]})
    return None


def _stats_after_status(stats: dict, *, old: int | None, new: int, moment: str) -> None:
    if old == new:
        return
    stats["status_updated_at"] = moment
    if new == STATUS_PENDING:
        stats["pending_since"] = moment
    if new == STATUS_RESOLVED:
        stats["resolved_at"] = moment
    if new == STATUS_CLOSED:
        stats["closed_at"] = moment
        stats["resolved_at"] = stats["resolved_at"] or moment
    if old in (STATUS_RESOLVED, STATUS_CLOSED) and new not in (STATUS_RESOLVED, STATUS_CLOSED):
        stats["reopened_at"] = moment


def _ticket_apply(account: EmulatedAccount, data: dict[str, Any], fields: dict[str, Any]) -> None:
    """Write validated request fields into a ticket's JSON."""
    requester = (
        _requester(account, fields) if any(fields.get(n) for n in REQUESTER_FIELDS) else None
    )
    for name in (*REQUESTER_FIELDS, "name"):
        fields.pop(name, None)
    if requester is not None:
        data["requester_id"] = requester.number
        if "company_id" not in fields and data["company_id"] is None:
            data["company_id"] = _person(requester).get("company_id")
    if "description" in fields:
        data["description_text"] = _text_of(fields["description"])
    if "tags" in fields:
        data["tags"] = list(dict.fromkeys(tag.strip() for tag in fields.pop("tags") if tag.strip()))
    if "cc_emails" in fields:
        data["cc_emails"] = data["reply_cc_emails"] = data["ticket_cc_emails"] = fields.pop(
            "cc_emails"
        )
    if "custom_fields" in fields:
        data["custom_fields"].update(fields.pop("custom_fields"))
    if "status" in fields:
        _stats_after_status(
            data["stats"],
            old=data["status"],
            new=fields["status"],
            moment=isoformat(timezone.now()),
        )
    data.update(fields)


def _ticket_json(
    request: HttpRequest,
    data: dict[str, Any],
    *,
    listing: bool,
    include: frozenset[str] = frozenset(),
    people: dict[int, EmulatedRecord] | None = None,
    companies: dict[int, EmulatedRecord] | None = None,
) -> dict[str, Any]:
    shown = dict(data)
    stats = shown.pop("stats")
    if not shown.get("deleted"):
        shown.pop("deleted", None)
    if listing:
        shown.pop("attachments")
        if "description" not in include:
            shown.pop("description")
            shown.pop("description_text")
    else:
        shown["attachments"] = _attachments_json(request, shown["attachments"])
        shown["priority_name"] = TICKET_PRIORITIES.get(shown["priority"])
    if "stats" in include:
        shown["stats"] = stats
    if "requester" in include:
        requester = (people or {}).get(shown["requester_id"])
        shown["requester"] = _person_summary(requester) if requester else None
    if "company" in include:
        company = (companies or {}).get(shown["company_id"])
        shown["company"] = {"id": company.number, "name": company.data["name"]} if company else None
    return shown


def _tickets_json(
    request: HttpRequest,
    account: EmulatedAccount,
    rows: list[EmulatedRecord],
    include: frozenset[str],
) -> list[dict]:
    """A page of tickets with what they embed, read in one query per kind of embedded object."""
    people = (
        _users_by_number(account, (row.data["requester_id"] for row in rows))
        if "requester" in include
        else {}
    )
    companies = {}
    if "company" in include:
        wanted = {row.data["company_id"] for row in rows if row.data["company_id"]}
        companies = {
            company.number: company
            for company in records(account=account, collection="companies").filter(
                number__in=wanted
            )
        }
    return [
        _ticket_json(
            request, row.data, listing=True, include=include, people=people, companies=companies
        )
        for row in rows
    ]


def _tickets(account: EmulatedAccount) -> QuerySet[EmulatedRecord]:
    return records(account=account, collection="tickets")


def _live_tickets(account: EmulatedAccount) -> QuerySet[EmulatedRecord]:
    return _tickets(account).filter(data__deleted=False, data__spam=False)


def _ticket_for_change(account: EmulatedAccount, number: int) -> EmulatedRecord:
    """Deleted tickets can be read but not changed: Freshdesk answers 404."""
    ticket = _get(account, "tickets", number)
    if ticket.data.get("deleted"):
        raise _NotFound
    return ticket


def _ticket_order(order_by: str, *, descending: bool) -> list[OrderBy]:
    """Freshdesk's sort keys (newest created first by default), ties broken by id."""
    keys: dict[str, Any] = {
        "created_at": F("created_at"),
        "updated_at": F("updated_at"),
        # ISO 8601 strings of one format sort like the moments they name.
        "due_by": KeyTextTransform("due_by", "data"),
        "status": Cast(KeyTextTransform("status", "data"), IntegerField()),
    }
    return [key.desc() if descending else key.asc() for key in (keys[order_by], F("number"))]


def tickets_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    _check_query(request, TICKET_LIST_PARAMS)
    page = _page(request, max_page=MAX_TICKET_PAGE)
    include = _include(request, TICKET_LIST_INCLUDES)
    errors = []
    errors += _choice_errors(request.GET, "filter", TICKET_LIST_FILTERS)
    errors += _choice_errors(request.GET, "order_by", TICKET_ORDER_BY)
    errors += _choice_errors(request.GET, "order_type", TICKET_ORDER_TYPES)
    if errors:
        raise _invalid(errors)
    list_filter = request.GET.get("filter")
    if list_filter in ("deleted", "spam"):
        queryset = _tickets(account).filter(**{f"data__{list_filter}": True})
    else:
        queryset = _live_tickets(account)
    if list_filter == "new_and_my_open":
        queryset = queryset.filter(data__status=2)
    elif list_filter == "watching":
        queryset = queryset.none()  # nobody watches tickets through the API here
    updated_since = _query_moment(request, "updated_since")
    if updated_since is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    else:
        queryset = queryset.filter(created_at__gte=timezone.now() - DEFAULT_TICKET_WINDOW)
    for name in ("requester_id", "company_id"):
        if name in request.GET:
            if (number := _as_int(request.GET[name])) is None:
                raise _invalid(
                    [_field_error(name, _datatype(POSITIVE_INTEGER), "datatype_mismatch")]
                )
            queryset = queryset.filter(**{f"data__{name}": number})
    if "email" in request.GET:
        requester = _user_with_email(account, request.GET["email"])
        if requester is None:
            raise _invalid([_field_error("email", _no_match("contact", "email"))])
        queryset = queryset.filter(data__requester_id=requester.number)
    queryset = queryset.order_by(
        *_ticket_order(
            request.GET.get("order_by", "created_at"),
            descending=request.GET.get("order_type", "desc") == "desc",
        )
    )
    return _paginated(
        request, queryset, page, lambda rows: _tickets_json(request, account, rows, include)
    )


def tickets_create(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    payload = _payload(request)
    definitions = _ticket_fields_defined(account)
    if errors := _ticket_errors(account, payload, creating=True, definitions=definitions):
        raise _invalid(errors)
    with transaction.atomic():
        data = _ticket_template()
        data["custom_fields"] = dict.fromkeys(definitions)
        # The stats of a new ticket start from its creation, not from a change of status.
        data["status"] = payload.fields.pop("status", data["status"])
        _ticket_apply(account, data, payload.fields)
        data["attachments"] = _attachments_store(account, payload.files)
        created = timezone.now()
        # Due dates as the default SLA policy sets them when the request gives none.
        data["due_by"] = data["due_by"] or isoformat(created + timedelta(days=3))
        data["fr_due_by"] = data["fr_due_by"] or isoformat(created + timedelta(days=1))
        _stats_after_status(data["stats"], old=None, new=data["status"], moment=isoformat(created))
        ticket = _new_record(
            account=account, collection="tickets", data=data, id_start=1, moment=created
        )
    return _created(
        request,
        _ticket_json(request, ticket.data, listing=False),
        location=f"{_account_root(request)}/api/v2/tickets/{ticket.number}",
    )


def ticket_show(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    _check_query(request, {"include"})
    include = _include(request, TICKET_SHOW_INCLUDES)
    ticket = _get(account, "tickets", number)
    people = (
        _users_by_number(account, [ticket.data["requester_id"]]) if "requester" in include else {}
    )
    companies = {}
    if "company" in include and ticket.data["company_id"]:
        companies = {
            company.number: company
            for company in records(account=account, collection="companies").filter(
                number=ticket.data["company_id"]
            )
        }
    shown = _ticket_json(
        request, ticket.data, listing=False, include=include, people=people, companies=companies
    )
    if "conversations" in include:
        shown["conversations"] = [
            _conversation_json(request, row.data)
            for row in _conversations(account, number)[:MAX_INCLUDED_CONVERSATIONS]
        ]
    return _json(shown)


def ticket_update(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    ticket = _ticket_for_change(account, number)
    payload = _payload(request)
    if payload.empty:
        raise _missing_params()
    errors = _ticket_errors(
        account,
        payload,
        creating=False,
        definitions=_ticket_fields_defined(account),
        attachments_already=_attachments_size(ticket.data["attachments"]),
    )
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        _ticket_apply(account, ticket.data, payload.fields)
        ticket.data["attachments"] += _attachments_store(account, payload.files)
        _touch(ticket)
    return _json(_ticket_json(request, ticket.data, listing=False))


def ticket_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    """Freshdesk moves a deleted ticket to the trash: it stays readable, says so, and leaves
    the list."""
    ticket = _ticket_for_change(account, number)
    ticket.data["deleted"] = True
    _touch(ticket)
    return _no_content()


def ticket_restore(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    ticket = _get(account, "tickets", number)
    if not ticket.data.get("deleted"):
        raise _NotFound
    ticket.data["deleted"] = False
    _touch(ticket)
    return _no_content()


# --- Conversations -----------------------------------------------------------------------

NOTE_FIELDS = frozenset({"body", "incoming", "notify_emails", "private", "user_id"})
REPLY_FIELDS = frozenset({"body", "cc_emails", "bcc_emails", "from_email", "user_id"})


def _conversations(account: EmulatedAccount, ticket_number: int) -> QuerySet[EmulatedRecord]:
    return records(account=account, collection="conversations").filter(parent_number=ticket_number)


def _conversation_template() -> dict[str, Any]:
    return {
        "body": None,
        "body_text": None,
        "id": None,
        "incoming": False,
        "private": False,
        "user_id": None,
        "support_email": None,
        "source": NOTE_SOURCE,
        "category": 2,
        "ticket_id": None,
        "to_emails": [],
        "from_email": None,
        "cc_emails": [],
        "bcc_emails": [],
        "email_failure_count": None,
        "outgoing_failures": None,
        "thread_id": None,
        "thread_message_id": None,
        "created_at": None,
        "updated_at": None,
        "last_edited_at": None,
        "last_edited_user_id": None,
        "attachments": [],
        "automation_id": None,
        "automation_type_id": None,
        "auto_response": False,
        "source_additional_info": None,
    }


def _conversation_json(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "attachments": _attachments_json(request, data["attachments"])}


def _conversation_errors(
    account: EmulatedAccount, payload: _Payload, allowed: frozenset[str]
) -> list[dict]:
    fields = payload.fields
    errors = _unexpected_fields(fields, allowed)
    errors += _json_attachment_errors(fields)
    if "body" not in fields:
        errors.append(_field_error("body", MANDATORY, "missing_field"))
    elif not isinstance(fields["body"], str) or not fields["body"].strip():
        errors.append(_field_error("body", MANDATORY))
    for name in ("private", "incoming"):
        if name in fields and not isinstance(fields[name], bool):
            errors.append(_field_error(name, _datatype("Boolean"), "datatype_mismatch"))
    for name in ("notify_emails", "cc_emails", "bcc_emails"):
        errors += _email_list_errors(fields, name)
    errors += _reference_errors(account, fields, {"user_id": ("user", USER_COLLECTIONS)})
    return errors + _attachment_errors(payload.files)


def conversations_list(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    _check_query(request, {"page", "per_page"})
    page = _page(request)
    _get(account, "tickets", number)
    return _paginated(
        request,
        _conversations(account, number),
        page,
        lambda rows: [_conversation_json(request, row.data) for row in rows],
    )


def _conversation_add(
    request: HttpRequest, account: EmulatedAccount, number: int, *, reply: bool
) -> HttpResponseBase:
    ticket = _ticket_for_change(account, number)
    payload = _payload(request)
    if errors := _conversation_errors(account, payload, REPLY_FIELDS if reply else NOTE_FIELDS):
        raise _invalid(errors)
    fields = payload.fields
    data = _conversation_template()
    data.update(
        body=fields["body"],
        body_text=_text_of(fields["body"]),
        ticket_id=number,
        user_id=fields.get("user_id") or _owner_agent(account).number,
    )
    if reply:
        requester = _users_by_number(account, [ticket.data["requester_id"]]).get(
            ticket.data["requester_id"]
        )
        requester_email = _person(requester).get("email") if requester else None
        data.update(
            source=REPLY_SOURCE,
            category=3,
            private=False,
            from_email=fields.get("from_email") or f"support@{account.slug}.freshdesk.com",
            to_emails=[requester_email] if requester_email else [],
            cc_emails=fields.get("cc_emails", []),
            bcc_emails=fields.get("bcc_emails", []),
        )
    else:
        data.update(
            private=fields.get("private", True),
            incoming=fields.get("incoming", False),
            to_emails=fields.get("notify_emails", []),
        )
    with transaction.atomic():
        data["attachments"] = _attachments_store(account, payload.files)
        conversation = _new_record(
            account=account,
            collection="conversations",
            data=data,
            id_start=CONVERSATION_ID_START,
            parent_number=number,
        )
        # A new conversation makes the ticket "updated", which delta reads rely on.
        stats = ticket.data["stats"]
        stamp = conversation.data["created_at"]
        if reply:
            stats["agent_responded_at"] = stamp
            stats["first_responded_at"] = stats["first_responded_at"] or stamp
        elif data["incoming"]:
            stats["requester_responded_at"] = stamp
        _touch(ticket, moment=conversation.created_at)
    body = _conversation_json(request, conversation.data)
    if not reply:
        body["notified_to"] = data["to_emails"]
    return _created(
        request,
        body,
        location=f"{_account_root(request)}/api/v2/conversations/{conversation.number}",
    )


def ticket_note_create(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    return _conversation_add(request, account, number, reply=False)


def ticket_reply_create(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    return _conversation_add(request, account, number, reply=True)


def conversation_update(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    conversation = _get(account, "conversations", number)
    payload = _payload(request)
    if payload.empty:
        raise _missing_params()
    errors = _unexpected_fields(payload.fields, {"body"}) + _json_attachment_errors(payload.fields)
    if "body" in payload.fields and not str(payload.fields["body"] or "").strip():
        errors.append(_field_error("body", MANDATORY))
    errors += _attachment_errors(
        payload.files, already=_attachments_size(conversation.data["attachments"])
    )
    if errors:
        raise _invalid(errors)
    moment = timezone.now()
    if "body" in payload.fields:
        conversation.data.update(
            body=payload.fields["body"],
            body_text=_text_of(payload.fields["body"]),
            last_edited_at=isoformat(moment),
            last_edited_user_id=_owner_agent(account).number,
        )
    conversation.data["attachments"] += _attachments_store(account, payload.files)
    _touch(conversation, moment=moment)
    return _json(_conversation_json(request, conversation.data))


def conversation_delete(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    _get(account, "conversations", number).delete()
    return _no_content()


# --- Search ------------------------------------------------------------------------------

_QUERY_FORMAT_ERROR = (
    "Given query is invalid, expected format \"keyword:value  OPERATOR keyword:'string' "
    "OPERATOR keyword:>'yyyy-mm-dd' OPERATOR keyword:<integer\". Space is mandatory between "
    "key/value pair and operator. Please check the paranthesis if there are any."
)
_SEARCH_TOKEN = re.compile(
    r"\s*(\(|\)|AND(?=[\s(])|OR(?=[\s(])|[A-Za-z_][A-Za-z0-9_]*:[<>]?(?:'[^']*'|[^\s()']+))"
)
# query keyword → (where the value lives in the ticket, its kind)
_SEARCH_FIELDS = {
    "status": ("status", "integer"),
    "priority": ("priority", "integer"),
    "group_id": ("group_id", "integer"),
    "agent_id": ("responder_id", "integer"),
    "requester_id": ("requester_id", "integer"),
    "type": ("type", "string"),
    "tag": ("tags", "tag"),
    "due_by": ("due_by", "date"),
    "fr_due_by": ("fr_due_by", "date"),
    "created_at": ("created_at", "date"),
    "updated_at": ("updated_at", "date"),
}


class _QueryError(Exception):
    """The query does not follow Freshdesk's filter grammar."""


@dataclass(frozen=True)
class _Term:
    key: str  # "status", or "custom_fields.cf_order"
    kind: str
    operator: str  # ":", ":>" (on or after / at least), ":<" (on or before / at most)
    value: Any


@dataclass(frozen=True)
class _Combined:
    operator: str  # "AND" or "OR"
    left: Any
    right: Any


def _search_value(raw: str) -> Any:
    if raw.startswith("'"):
        return raw[1:-1]
    if raw == "null":
        return None
    if raw in ("true", "false"):
        return raw == "true"
    if raw.isdigit():
        return int(raw)
    raise _QueryError


def _search_term(token: str, custom: dict[str, dict]) -> _Term:
    keyword, _, rest = token.partition(":")
    operator = ":"
    if rest[:1] in "<>" and rest:
        operator, rest = ":" + rest[0], rest[1:]
    value = _search_value(rest)
    if keyword in _SEARCH_FIELDS:
        key, kind = _SEARCH_FIELDS[keyword]
    else:
        # Custom fields are searched by name, with or without the "cf_" of the ticket JSON.
        name = keyword if keyword in custom else f"cf_{keyword}"
        if name not in custom:
            raise _invalid([_field_error(keyword, UNEXPECTED_FIELD, "invalid_field")])
        key, kind = f"custom_fields.{name}", "custom"
    if kind == "date" and value is not None:
        day = _date_or_none(value)
        if day is None:
            raise _invalid([_field_error(keyword, _invalid_date("yyyy-mm-dd"))])
        value = day
    return _Term(key, kind, operator, value)


def _search_parse(query: str, custom: dict[str, dict]) -> Any:
    tokens, position = [], 0
    while position < len(query.rstrip()):
        match = _SEARCH_TOKEN.match(query, position)
        if not match:
            raise _QueryError
        tokens.append(match[1])
        position = match.end()

    def expression(index: int, operator: str) -> tuple[Any, int]:
        lower = "AND" if operator == "OR" else None
        node, index = expression(index, lower) if lower else atom(index)
        while index < len(tokens) and tokens[index] == operator:
            right, index = expression(index + 1, lower) if lower else atom(index + 1)
            node = _Combined(operator, node, right)
        return node, index

    def atom(index: int) -> tuple[Any, int]:
        if index >= len(tokens) or tokens[index] in ("AND", "OR", ")"):
            raise _QueryError
        if tokens[index] == "(":
            node, index = expression(index + 1, "OR")
            if index >= len(tokens) or tokens[index] != ")":
                raise _QueryError
            return node, index + 1
        return _search_term(tokens[index], custom), index + 1

    node, end = expression(0, "OR")
    if end != len(tokens):
        raise _QueryError
    return node


def _compare(actual: Any, operator: str, wanted: Any) -> bool:
    if operator == ":":
        return actual == wanted
    if actual is None or wanted is None:
        return False
    try:
        return actual >= wanted if operator == ":>" else actual <= wanted
    except TypeError:
        return False


def _search_matches(node: Any, row: EmulatedRecord) -> bool:
    if isinstance(node, _Combined):
        left = _search_matches(node.left, row)
        return (
            (left and _search_matches(node.right, row))
            if node.operator == "AND"
            else (left or _search_matches(node.right, row))
        )
    if node.key in ("created_at", "updated_at"):
        actual: Any = getattr(row, node.key).astimezone(UTC).date()
    elif node.key.startswith("custom_fields."):
        actual = row.data["custom_fields"].get(node.key.split(".", 1)[1])
    else:
        actual = row.data.get(node.key)
    if node.kind == "tag":
        return any(str(tag).lower() == str(node.value).lower() for tag in actual or [])
    if node.kind == "date" and isinstance(actual, str):
        actual = _date_or_none(actual[:10])
    if isinstance(actual, str) and isinstance(node.value, str):
        return _compare(actual.lower(), node.operator, node.value.lower())
    return _compare(actual, node.operator, node.value)


def _search_prefilter(node: Any) -> Q | None:
    """A database condition every match satisfies (None: no narrowing), so that only a few
    tickets are checked against the query in Python."""
    if isinstance(node, _Combined):
        left, right = _search_prefilter(node.left), _search_prefilter(node.right)
        if node.operator == "OR":
            return None if left is None or right is None else left | right
        if left is None or right is None:
            return left or right
        return left & right
    if node.value is None:
        return None
    if node.key in ("created_at", "updated_at"):
        start = datetime.combine(node.value, time.min, tzinfo=UTC)
        end = start + timedelta(days=1)
        if node.operator == ":>":
            return Q(**{f"{node.key}__gte": start})
        if node.operator == ":<":
            return Q(**{f"{node.key}__lt": end})
        return Q(**{f"{node.key}__gte": start, f"{node.key}__lt": end})
    if node.operator != ":":
        return None
    lookup = "data__" + node.key.replace(".", "__")
    if node.kind == "tag":
        return Q(**{f"{lookup}__icontains": node.value})
    if isinstance(node.value, str) and node.kind != "date":
        return Q(**{f"{lookup}__iexact": node.value})
    if isinstance(node.value, int) and not isinstance(node.value, bool):
        return Q(**{lookup: node.value})
    return None


def search_tickets(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    """The filter API: ``query="tag:'x' AND cf_order:'42'"``, 30 results a page, 10 pages."""
    _check_query(request, {"query", "page"})
    raw = request.GET.get("query", "")
    errors = []
    if len(raw) > MAX_SEARCH_QUERY_LENGTH:
        errors.append(
            _field_error(
                "query",
                f"Has {len(raw)} characters, it can have maximum of "
                f"{MAX_SEARCH_QUERY_LENGTH} characters",
            )
        )
    page = _as_int(request.GET.get("page", "1"))
    if not page or page > MAX_SEARCH_PAGE:
        errors.append(
            _field_error(
                "page", f"It should be a Positive Integer less than or equal to {MAX_SEARCH_PAGE}"
            )
        )
    if errors:
        raise _invalid(errors)
    if len(raw) < 2 or not (raw.startswith('"') and raw.endswith('"')):
        raise _invalid([_field_error("query", _QUERY_FORMAT_ERROR)])
    try:
        tree = _search_parse(raw[1:-1], _ticket_fields_defined(account))
    except _QueryError:
        raise _invalid([_field_error("query", _QUERY_FORMAT_ERROR)]) from None
    queryset = _live_tickets(account)
    if (narrowing := _search_prefilter(tree)) is not None:
        queryset = queryset.filter(narrowing)
    matches = [
        row for row in queryset.order_by("-created_at", "-number") if _search_matches(tree, row)
    ]
    start = (page - 1) * SEARCH_PER_PAGE
    results = [
        _ticket_json(request, row.data, listing=True)
        for row in matches[start : start + SEARCH_PER_PAGE]
    ]
    return _json({"results": results, "total": len(matches)})


# --- Contacts ----------------------------------------------------------------------------

CONTACT_FIELDS = _names(
    """
    name email phone mobile twitter_id facebook_id unique_external_id other_emails company_id
    view_all_tickets other_companies address custom_fields description job_title language tags
    time_zone
    """
)
CONTACT_IDENTIFIERS = ("email", "mobile", "phone", "twitter_id", "unique_external_id")
CONTACT_STATES = ("blocked", "deleted", "unverified", "verified")


def _contact_errors(
    account: EmulatedAccount, fields: dict[str, Any], *, creating: bool
) -> list[dict]:
    errors = _unexpected_fields(fields, CONTACT_FIELDS)
    if creating and "name" not in fields:
        errors.append(_field_error("name", MANDATORY, "missing_field"))
    elif "name" in fields and (not isinstance(fields["name"], str) or not fields["name"].strip()):
        errors.append(_field_error("name", MANDATORY))
    if creating and not any(fields.get(name) for name in CONTACT_IDENTIFIERS):
        message = (
            "Please fill at least 1 of email, mobile, phone, twitter_id, unique_external_id fields"
        )
        errors.append(_field_error("email", message, "missing_field"))
    if fields.get("email") is not None and not _is_email(fields["email"]):
        errors.append(_field_error("email", "It should be in the 'valid email address' format"))
    errors += _email_list_errors(fields, "other_emails")
    if "custom_fields" in fields and not isinstance(fields["custom_fields"], dict):
        errors.append(
            _field_error("custom_fields", _datatype("key/value pair"), "datatype_mismatch")
        )
    return errors + _reference_errors(account, fields, {"company_id": ("company", ("companies",))})


def _check_email_free(account: EmulatedAccount, email: Any, *, owner: int | None = None) -> None:
    if (
        isinstance(email, str)
        and (user := _user_with_email(account, email))
        and user.number != owner
    ):
        raise _duplicate_email(user)


def contacts_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    _check_query(
        request,
        {"page", "per_page", "email", "mobile", "phone", "company_id", "state", "_updated_since"},
    )
    page = _page(request)
    if errors := _choice_errors(request.GET, "state", CONTACT_STATES):
        raise _invalid(errors)
    queryset = records(account=account, collection="contacts")
    queryset = queryset.filter(data__deleted=request.GET.get("state") == "deleted")
    if "email" in request.GET:
        queryset = queryset.filter(data__email__iexact=request.GET["email"])
    for name in ("mobile", "phone"):
        if name in request.GET:
            queryset = queryset.filter(**{f"data__{name}": request.GET[name]})
    if "company_id" in request.GET:
        queryset = queryset.filter(data__company_id=_as_int(request.GET["company_id"]))
    if request.GET.get("state") == "verified":
        queryset = queryset.filter(data__active=True)
    elif request.GET.get("state") == "unverified":
        queryset = queryset.filter(data__active=False)
    elif request.GET.get("state") == "blocked":
        queryset = queryset.none()
    if (updated_since := _query_moment(request, "_updated_since")) is not None:
        queryset = queryset.filter(updated_at__gte=updated_since)
    return _paginated(request, queryset, page, _data_of)


def contacts_create(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    fields = _payload(request).fields
    if errors := _contact_errors(account, fields, creating=True):
        raise _invalid(errors)
    with transaction.atomic():
        _check_email_free(account, fields.get("email"))
        contact = _contact_new(account, fields)
    return _created(
        request, contact.data, location=f"{_account_root(request)}/api/v2/contacts/{contact.number}"
    )


def contact_show(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    return _json(_get(account, "contacts", number).data)


def contact_update(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    contact = _get(account, "contacts", number)
    fields = _payload(request).fields
    if not fields:
        raise _missing_params()
    if errors := _contact_errors(account, fields, creating=False):
        raise _invalid(errors)
    with transaction.atomic():
        _check_email_free(account, fields.get("email"), owner=number)
        if isinstance(fields.get("custom_fields"), dict):
            fields["custom_fields"] = {**contact.data["custom_fields"], **fields["custom_fields"]}
        contact.data.update(fields)
        _touch(contact)
    return _json(contact.data)


def contact_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    """A soft delete: the contact keeps its id and email, says ``deleted`` and leaves lists."""
    contact = _get(account, "contacts", number)
    if contact.data["deleted"]:
        raise _NotFound
    contact.data["deleted"] = True
    _touch(contact)
    return _no_content()


def contact_hard_delete(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    """Deletes for good a contact soft-deleted before, or any contact with ``force=true``."""
    _check_query(request, {"force"})
    contact = _get(account, "contacts", number)
    if not contact.data["deleted"] and request.GET.get("force") != "true":
        raise _invalid(
            [
                _field_error(
                    "contact", "Contact should be deleted before hard delete", "invalid_value"
                )
            ],
            status=400,
        )
    contact.delete()
    return _no_content()


def contacts_autocomplete(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    _check_query(request, {"term"})
    term = request.GET.get("term", "").strip()
    if not term:
        raise _invalid([_field_error("term", MANDATORY, "missing_field")])
    matches = (
        records(account=account, collection="contacts")
        .filter(data__deleted=False)
        .filter(Q(data__name__istartswith=term) | Q(data__email__istartswith=term))
    )
    return _json([{"id": row.number, "name": row.data["name"]} for row in matches])


def contact_make_agent(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    """Turn a contact into an agent; the answer is the contact with its new ``agent``."""
    _require_admin(request, account)
    contact = _get(account, "contacts", number)
    fields = _payload(request).fields
    errors = _unexpected_fields(fields, MAKE_AGENT_FIELDS)
    errors += _choice_errors(fields, "ticket_scope", TICKET_SCOPES)
    errors += _choice_errors(fields, "type", AGENT_TYPES.values())
    if errors:
        raise _invalid(errors)
    if not contact.data.get("email"):
        raise _invalid(
            [
                _field_error(
                    "email",
                    "Email should be associated to the contact before converting it to an agent",
                    "inconsistent_state",
                )
            ],
            status=409,
        )
    person = {name: contact.data.get(name) for name in AGENT_PERSON_FIELDS}
    with transaction.atomic():
        contact.delete()
        agent = _agent_new(account, fields, person=person, number=number)
    agent_part = {name: value for name, value in agent.data.items() if name != "contact"}
    return _json({**contact.data, "agent": agent_part})


# --- Agents ------------------------------------------------------------------------------

AGENT_OWN_FIELDS = _names(
    """
    occasional signature ticket_scope group_ids role_ids skill_ids focus_mode
    """
)
# Creating or updating an agent names its type by number, making a contact an agent by name.
AGENT_TYPES = {1: "support_agent", 2: "field_agent", 3: "collaborator"}
AGENT_FIELDS = AGENT_OWN_FIELDS | set(AGENT_PERSON_FIELDS) | {"agent_type"}
MAKE_AGENT_FIELDS = AGENT_OWN_FIELDS | {"type"}


def _agent_errors(
    account: EmulatedAccount, fields: dict[str, Any], *, creating: bool
) -> list[dict]:
    errors = _unexpected_fields(fields, AGENT_FIELDS)
    for name in ("email", "ticket_scope") if creating else ():
        if name not in fields:
            errors.append(_field_error(name, MANDATORY, "missing_field"))
    if "email" in fields and not _is_email(fields["email"]):
        errors.append(_field_error("email", "It should be in the 'valid email address' format"))
    errors += _choice_errors(fields, "ticket_scope", TICKET_SCOPES)
    errors += _choice_errors(fields, "agent_type", AGENT_TYPES)
    if "occasional" in fields and not isinstance(fields["occasional"], bool):
        errors.append(_field_error("occasional", _datatype("Boolean"), "datatype_mismatch"))
    for name in ("group_ids", "role_ids", "skill_ids"):
        value = fields.get(name)
        if value is not None and (
            not isinstance(value, list) or not all(_as_int(v) for v in value)
        ):
            errors.append(
                _field_error(
                    name,
                    "It should contain elements of type Positive Integer only",
                    "datatype_mismatch",
                )
            )
    if isinstance(fields.get("group_ids"), list) and not errors:
        unknown = set(fields["group_ids"]) - record_numbers(
            account=account, collections=["groups"], numbers=fields["group_ids"]
        )
        if unknown:
            listed = ", ".join(str(group) for group in sorted(unknown))
            errors.append(
                _field_error("group_ids", f"There are no records matching the ids: '{listed}'")
            )
    return errors


def _agent_split(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Request fields → (the agent's own, its contact details)."""
    own = {name: value for name, value in fields.items() if name in AGENT_OWN_FIELDS}
    if "agent_type" in fields:
        own["type"] = AGENT_TYPES[fields["agent_type"]]
    person = {name: value for name, value in fields.items() if name in AGENT_PERSON_FIELDS}
    return own, person


def agents_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    _check_query(request, {"page", "per_page", "email", "mobile", "phone", "state"})
    page = _page(request)
    if errors := _choice_errors(request.GET, "state", ("fulltime", "occasional")):
        raise _invalid(errors)
    _owner_agent(account)
    queryset = records(account=account, collection="agents")
    if "email" in request.GET:
        queryset = queryset.filter(data__contact__email__iexact=request.GET["email"])
    for name in ("mobile", "phone"):
        if name in request.GET:
            queryset = queryset.filter(**{f"data__contact__{name}": request.GET[name]})
    if "state" in request.GET:
        queryset = queryset.filter(data__occasional=request.GET["state"] == "occasional")
    return _paginated(request, queryset, page, _data_of)


def agent_me(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    return _json(_owner_agent(account).data)


def agents_create(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    _require_admin(request, account)
    fields = _payload(request).fields
    if errors := _agent_errors(account, fields, creating=True):
        raise _invalid(errors)
    own, person = _agent_split(fields)
    person.setdefault("name", person["email"].split("@")[0])
    with transaction.atomic():
        _owner_agent(account)
        _check_email_free(account, person["email"])
        agent = _agent_new(account, own, person=person)
    return _created(
        request, agent.data, location=f"{_account_root(request)}/api/v2/agents/{agent.number}"
    )


def agent_show(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    return _json(_get(account, "agents", number).data)


def agent_update(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    _require_admin(request, account)
    agent = _get(account, "agents", number)
    fields = _payload(request).fields
    if not fields:
        raise _missing_params()
    if errors := _agent_errors(account, fields, creating=False):
        raise _invalid(errors)
    own, person = _agent_split(fields)
    with transaction.atomic():
        _check_email_free(account, person.get("email"), owner=number)
        agent.data.update(own)
        agent.data["contact"].update(person)
        moment = timezone.now()
        agent.data["contact"]["updated_at"] = isoformat(moment)
        _touch(agent, moment=moment)
    return _json(agent.data)


def agent_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    """Deleting an agent downgrades it to a contact with the same id."""
    _require_admin(request, account)
    agent = _get(account, "agents", number)
    person = {name: agent.data["contact"].get(name) for name in AGENT_PERSON_FIELDS}
    with transaction.atomic():
        agent.delete()
        data = _contact_template()
        data.update(person)
        _new_user(account, "contacts", data, number)
    return _no_content()


# --- Companies, groups and the knowledge base: plain collections --------------------------


@dataclass(frozen=True)
class _Resource:
    """A collection whose calls only differ by fields: list, show, create, update, delete."""

    collection: str
    #: Where one record lives, under /api/v2/ (``solutions/folders``).
    member_path: str
    id_start: int
    template: Callable[[], dict[str, Any]]
    writable: frozenset[str]
    required: tuple[str, ...] = ()
    unique_field: str | None = None
    #: The JSON field holding the parent's id (folders live in a category...).
    parent_field: str | None = None
    #: Extra checks of the request fields: (fields, creating) -> errors.
    validate: Callable[[dict[str, Any], bool], list[dict]] | None = None
    #: Fields derived from the request's (``description_text`` from ``description``...).
    derive: Callable[[dict[str, Any]], None] | None = None
    admin_only: bool = False
    #: Collections of children removed with a record (their parent_number is its id).
    children: tuple[str, ...] = ()


def _resource_errors(resource: _Resource, fields: dict[str, Any], *, creating: bool) -> list[dict]:
    errors = _unexpected_fields(fields, resource.writable)
    for name in resource.required:
        if creating and name not in fields:
            errors.append(_field_error(name, MANDATORY, "missing_field"))
        elif name in fields and fields[name] in (None, ""):
            errors.append(_field_error(name, MANDATORY))
    if resource.validate:
        errors += resource.validate(fields, creating)
    return errors


def _check_unique(
    resource: _Resource,
    account: EmulatedAccount,
    fields: dict[str, Any],
    *,
    parent_number: int | None,
    owner: int | None = None,
) -> None:
    name = resource.unique_field
    if name is None or not isinstance(fields.get(name), str):
        return
    clash = records(account=account, collection=resource.collection).filter(
        **{f"data__{name}__iexact": fields[name]}
    )
    if resource.parent_field:
        clash = clash.filter(parent_number=parent_number)
    if clash.exclude(number=owner).exists():
        raise _duplicate(name)


def resource_list(
    resource: _Resource, request: HttpRequest, account: EmulatedAccount, parent: int | None = None
) -> HttpResponseBase:
    _check_query(request, {"page", "per_page"})
    page = _page(request)
    queryset = records(account=account, collection=resource.collection)
    if resource.parent_field:
        queryset = queryset.filter(parent_number=parent)
    return _paginated(request, queryset, page, _data_of)


def resource_create(
    resource: _Resource,
    request: HttpRequest,
    account: EmulatedAccount,
    parent: EmulatedRecord | None = None,
    defaults: dict[str, Any] | None = None,
) -> HttpResponseBase:
    if resource.admin_only:
        _require_admin(request, account)
    fields = _payload(request).fields
    if errors := _resource_errors(resource, fields, creating=True):
        raise _invalid(errors)
    parent_number = parent.number if parent else None
    with transaction.atomic():
        _check_unique(resource, account, fields, parent_number=parent_number)
        data = resource.template()
        data.update(defaults or {})
        data.update(fields)
        if resource.derive:
            resource.derive(data)
        record = _new_record(
            account=account,
            collection=resource.collection,
            data=data,
            id_start=resource.id_start,
            parent_number=parent_number,
        )
    location = f"{_account_root(request)}/api/v2/{resource.member_path}/{record.number}"
    return _created(request, record.data, location=location)


def resource_show(
    resource: _Resource, request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    return _json(_get(account, resource.collection, number).data)


def resource_update(
    resource: _Resource, request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    if resource.admin_only:
        _require_admin(request, account)
    record = _get(account, resource.collection, number)
    fields = _payload(request).fields
    if not fields:
        raise _missing_params()
    if errors := _resource_errors(resource, fields, creating=False):
        raise _invalid(errors)
    with transaction.atomic():
        _check_unique(resource, account, fields, parent_number=record.parent_number, owner=number)
        record.data.update(fields)
        if resource.derive:
            resource.derive(record.data)
        _touch(record)
    return _json(record.data)


def resource_delete(
    resource: _Resource, request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    if resource.admin_only:
        _require_admin(request, account)
    record = _get(account, resource.collection, number)
    with transaction.atomic():
        doomed = [record.number]
        _translations_delete(account, resource.collection, doomed)
        for collection in resource.children:
            children = EmulatedRecord.objects.filter(
                account=account, collection=collection, parent_number__in=doomed
            )
            doomed = list(children.values_list("number", flat=True))
            _translations_delete(account, collection, doomed)
            children.delete()
        record.delete()
    return _no_content()


def _translations_delete(account: EmulatedAccount, collection: str, numbers: list[int]) -> None:
    """The translations of removed solution objects go with them."""
    if collection in TRANSLATION_COLLECTIONS:
        EmulatedRecord.objects.filter(
            account=account,
            collection=TRANSLATION_COLLECTIONS[collection],
            parent_number__in=numbers,
        ).delete()


#: Where the translations of solution objects are kept (see :mod:`.emulator_languages`).
TRANSLATION_COLLECTIONS = {
    "solution_categories": "solution_category_translations",
    "solution_folders": "solution_folder_translations",
    "solution_articles": "solution_article_translations",
}


def _company_template() -> dict[str, Any]:
    return {
        "id": None,
        "name": None,
        "description": None,
        "domains": [],
        "note": None,
        "created_at": None,
        "updated_at": None,
        "custom_fields": {},
        "health_score": None,
        "account_tier": None,
        "renewal_date": None,
        "industry": None,
    }


def _company_validate(fields: dict[str, Any], creating: bool) -> list[dict]:
    errors = []
    if "domains" in fields and not isinstance(fields["domains"], list):
        errors.append(_field_error("domains", _datatype("Array"), "datatype_mismatch"))
    if "custom_fields" in fields and not isinstance(fields["custom_fields"], dict):
        errors.append(
            _field_error("custom_fields", _datatype("key/value pair"), "datatype_mismatch")
        )
    return errors


def _group_template() -> dict[str, Any]:
    return {
        "id": None,
        "name": None,
        "description": None,
        "escalate_to": None,
        "unassigned_for": "30m",
        "business_hour_id": None,
        "group_type": "support_agent_group",
        "agent_ids": [],
        "auto_ticket_assign": False,
        "allow_agents_to_change_availability": False,
        "created_at": None,
        "updated_at": None,
    }


def _category_template() -> dict[str, Any]:
    return {
        "id": None,
        "name": None,
        "description": None,
        "visible_in_portals": [],
        "created_at": None,
        "updated_at": None,
    }


def _folder_template() -> dict[str, Any]:
    return {
        "id": None,
        "name": None,
        "description": None,
        "visibility": None,
        "category_id": None,
        "created_at": None,
        "updated_at": None,
    }


def _folder_validate(fields: dict[str, Any], creating: bool) -> list[dict]:
    errors = _choice_errors(fields, "visibility", FOLDER_VISIBILITIES)
    if fields.get("visibility") == 4 and creating and not fields.get("company_ids"):
        errors.append(
            _field_error(
                "company_ids", "It should not be blank if 'visibility' is set", "missing_field"
            )
        )
    return errors


def _article_template() -> dict[str, Any]:
    return {
        "id": None,
        "type": 1,
        "status": None,
        "agent_id": None,
        "created_at": None,
        "category_id": None,
        "folder_id": None,
        "title": None,
        "updated_at": None,
        "description": None,
        "description_text": None,
        "seo_data": {"meta_title": "", "meta_description": ""},
        "tags": [],
        "attachments": [],
        "cloud_files": [],
        "thumbs_up": 0,
        "thumbs_down": 0,
        "hits": 0,
        "suggested": 0,
        "feedback_count": 0,
    }


def _article_validate(fields: dict[str, Any], creating: bool) -> list[dict]:
    errors = _choice_errors(fields, "status", ARTICLE_STATUSES) + _choice_errors(
        fields, "type", ARTICLE_TYPES
    )
    if "tags" in fields and not isinstance(fields["tags"], list):
        errors.append(_field_error("tags", _datatype("Array"), "datatype_mismatch"))
    if "seo_data" in fields and not isinstance(fields["seo_data"], dict):
        errors.append(_field_error("seo_data", _datatype("key/value pair"), "datatype_mismatch"))
    return errors


def _article_derive(data: dict[str, Any]) -> None:
    data["description_text"] = _text_of(data["description"])


COMPANIES = _Resource(
    collection="companies",
    member_path="companies",
    id_start=COMPANY_ID_START,
    template=_company_template,
    writable=frozenset(
        {
            "name",
            "description",
            "domains",
            "note",
            "custom_fields",
            "health_score",
            "account_tier",
            "renewal_date",
            "industry",
        }
    ),
    required=("name",),
    unique_field="name",
    validate=_company_validate,
)
GROUPS = _Resource(
    collection="groups",
    member_path="groups",
    id_start=GROUP_ID_START,
    template=_group_template,
    writable=frozenset(
        {
            "name",
            "description",
            "agent_ids",
            "auto_ticket_assign",
            "escalate_to",
            "unassigned_for",
            "business_hour_id",
            "group_type",
            "allow_agents_to_change_availability",
        }
    ),
    required=("name",),
    unique_field="name",
    admin_only=True,
)
ARTICLES = _Resource(
    collection="solution_articles",
    member_path="solutions/articles",
    id_start=ARTICLE_ID_START,
    template=_article_template,
    writable=frozenset({"title", "description", "status", "type", "seo_data", "tags", "agent_id"}),
    required=("title", "description", "status"),
    parent_field="folder_id",
    validate=_article_validate,
    derive=_article_derive,
)
FOLDERS = _Resource(
    collection="solution_folders",
    member_path="solutions/folders",
    id_start=FOLDER_ID_START,
    template=_folder_template,
    writable=frozenset({"name", "description", "visibility", "company_ids"}),
    required=("name", "visibility"),
    unique_field="name",
    parent_field="category_id",
    validate=_folder_validate,
    children=("solution_articles",),
)
CATEGORIES = _Resource(
    collection="solution_categories",
    member_path="solutions/categories",
    id_start=CATEGORY_ID_START,
    template=_category_template,
    writable=frozenset({"name", "description", "visible_in_portals"}),
    required=("name",),
    unique_field="name",
    children=("solution_folders", "solution_articles"),
)


def folders_create(request: HttpRequest, account: EmulatedAccount, parent: int) -> HttpResponseBase:
    category = _get(account, CATEGORIES.collection, parent)
    return resource_create(FOLDERS, request, account, category, {"category_id": category.number})


def folders_list(request: HttpRequest, account: EmulatedAccount, parent: int) -> HttpResponseBase:
    _get(account, CATEGORIES.collection, parent)
    return resource_list(FOLDERS, request, account, parent)


def articles_create(
    request: HttpRequest, account: EmulatedAccount, parent: int
) -> HttpResponseBase:
    folder = _get(account, FOLDERS.collection, parent)
    defaults = {
        "folder_id": folder.number,
        "category_id": folder.data["category_id"],
        "agent_id": _owner_agent(account).number,
    }
    return resource_create(ARTICLES, request, account, folder, defaults)


def articles_list(request: HttpRequest, account: EmulatedAccount, parent: int) -> HttpResponseBase:
    _get(account, FOLDERS.collection, parent)
    return resource_list(ARTICLES, request, account, parent)


# --- Fields: tickets, contacts, companies ------------------------------------------------


def _field_base(account: EmulatedAccount, number: int, position: int) -> dict[str, Any]:
    moment = isoformat(account.created_at)
    return {"id": number, "position": position, "created_at": moment, "updated_at": moment}


# name, label, label for customers, type, required for agents
DEFAULT_TICKET_FIELDS = (
    ("requester", "Search a requester", "Requester", "default_requester", True),
    ("subject", "Subject", "Subject", "default_subject", True),
    ("ticket_type", "Type", "Type", "default_ticket_type", False),
    ("source", "Source", "Source", "default_source", False),
    ("status", "Status", "Status of the ticket", "default_status", True),
    ("priority", "Priority", "Priority", "default_priority", True),
    ("group", "Group", "Group", "default_group", False),
    ("agent", "Agent", "Agent", "default_agent", False),
    ("product", "Product", "Product", "default_product", False),
    ("company", "Company", "Company", "default_company", True),
    ("description", "Description", "Description", "default_description", True),
)


def _default_ticket_fields(account: EmulatedAccount) -> list[dict]:
    choices_by_field: dict[str, Any] = {
        "ticket_type": list(TICKET_TYPES),
        "source": {name: key for key, name in TICKET_SOURCES.items()},
        "status": {str(key): list(labels) for key, labels in TICKET_STATUSES.items()},
        "priority": {name: key for key, name in TICKET_PRIORITIES.items()},
        "group": {
            row.data["name"]: row.number for row in records(account=account, collection="groups")
        },
        "agent": {
            row.data["contact"]["name"]: row.number
            for row in records(account=account, collection="agents")
        },
        "product": {},
    }
    fields = []
    for position, (name, label, customer_label, kind, required) in enumerate(
        DEFAULT_TICKET_FIELDS, start=1
    ):
        choices = choices_by_field.get(name)
        field_json = _field_base(account, DEFAULT_FIELD_ID_START + position - 1, position)
        field_json.update(
            name=name,
            label=label,
            description=None,
            required_for_closure=False,
            required_for_agents=required,
            type=kind,
            default=True,
            customers_can_edit=name in ("requester", "subject", "description"),
            label_for_customers=customer_label,
            required_for_customers=required and name != "company",
            displayed_to_customers=True,
        )
        if choices is not None:
            field_json["choices"] = choices
        fields.append(field_json)
    return fields


def _ticket_field_json(data: dict[str, Any], *, admin: bool) -> dict[str, Any]:
    """The admin API lists dropdown choices as objects, the ticket_fields API as values."""
    if admin or "choices" not in data:
        return data
    return {**data, "choices": [choice["value"] for choice in data["choices"]]}


def ticket_fields_list(
    request: HttpRequest, account: EmulatedAccount, *, admin: bool = False
) -> HttpResponseBase:
    _check_query(request, {"type"})
    fields = _default_ticket_fields(account) + [
        _ticket_field_json(row.data, admin=admin)
        for row in records(account=account, collection="ticket_fields")
    ]
    if "type" in request.GET:
        fields = [field_json for field_json in fields if field_json["type"] == request.GET["type"]]
    return _json(fields)


def admin_ticket_fields_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    _require_admin(request, account)
    return ticket_fields_list(request, account, admin=True)


def _ticket_field_name(label: str) -> str:
    return "cf_" + (re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "field")


def _ticket_field_validate(fields: dict[str, Any], creating: bool) -> list[dict]:
    errors = _choice_errors(fields, "type", CUSTOM_TICKET_FIELD_TYPES)
    choices = fields.get("choices")
    if choices is not None and (
        not isinstance(choices, list)
        or not all(isinstance(c, dict) and "value" in c for c in choices)
    ):
        errors.append(_field_error("choices", _datatype("Array"), "datatype_mismatch"))
    if creating and fields.get("type") == "custom_dropdown" and not choices:
        errors.append(
            _field_error("choices", "A minimum of 1 choices are required.", "missing_field")
        )
    return errors


def _ticket_field_template() -> dict[str, Any]:
    return {
        "id": None,
        "name": None,
        "label": None,
        "description": None,
        "position": None,
        "required_for_closure": False,
        "required_for_agents": False,
        "type": None,
        "default": False,
        "customers_can_edit": False,
        "label_for_customers": None,
        "required_for_customers": False,
        "displayed_to_customers": False,
        "created_at": None,
        "updated_at": None,
    }


def _ticket_field_derive(data: dict[str, Any]) -> None:
    data["name"] = data["name"] or _ticket_field_name(data["label"])
    data["label_for_customers"] = data["label_for_customers"] or data["label"]
    if "choices" in data:
        data["choices"] = [
            {"id": position, "value": choice["value"], "position": choice.get("position", position)}
            for position, choice in enumerate(data["choices"], start=1)
        ]


TICKET_FIELDS = _Resource(
    collection="ticket_fields",
    member_path="admin/ticket_fields",
    id_start=TICKET_FIELD_ID_START,
    template=_ticket_field_template,
    writable=frozenset(
        {
            "label",
            "label_for_customers",
            "type",
            "description",
            "position",
            "choices",
            "customers_can_edit",
            "displayed_to_customers",
            "required_for_closure",
            "required_for_agents",
            "required_for_customers",
        }
    ),
    required=("label", "type"),
    unique_field="label",
    validate=_ticket_field_validate,
    derive=_ticket_field_derive,
    admin_only=True,
)


def admin_ticket_fields_create(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    custom = records(account=account, collection=TICKET_FIELDS.collection).count()
    position = len(DEFAULT_TICKET_FIELDS) + custom + 1
    return resource_create(TICKET_FIELDS, request, account, defaults={"position": position})


CONTACT_DEFAULT_FIELDS = (
    ("name", "Full name", "default_name", True),
    ("job_title", "Title", "default_job_title", False),
    ("email", "Email", "default_email", False),
    ("phone", "Work phone", "default_phone", False),
    ("mobile", "Mobile phone", "default_mobile", False),
    ("twitter_id", "Twitter", "default_twitter_id", False),
    ("unique_external_id", "Unique external ID", "default_unique_external_id", False),
    ("company_name", "Company", "default_company_name", False),
    ("address", "Address", "default_address", False),
    ("time_zone", "Time zone", "default_time_zone", False),
    ("language", "Language", "default_language", False),
    ("tag_names", "Tags", "default_tag_names", False),
    ("description", "About", "default_description", False),
)
COMPANY_DEFAULT_FIELDS = (
    ("name", "Company Name", "default_name", True),
    ("description", "Description", "default_description", False),
    ("note", "Notes", "default_note", False),
    ("domains", "Domains for this company", "default_domains", False),
    ("health_score", "Health score", "default_health_score", False),
    ("account_tier", "Account tier", "default_account_tier", False),
    ("renewal_date", "Contract renewal date", "default_renewal_date", False),
    ("industry", "Industry", "default_industry", False),
)


def _customer_fields(
    *,
    account: EmulatedAccount,
    defaults: tuple[tuple[str, str, str, bool], ...],
    id_start: int,
    custom_collection: str,
    contact: bool,
) -> list[dict]:
    """The default contact (or company) fields, then the account's custom ones."""
    fields = []
    for position, (name, label, kind, required) in enumerate(defaults, start=1):
        field_json = _field_base(account, id_start + position - 1, position)
        field_json.update(
            name=name, label=label, type=kind, default=True, required_for_agents=required
        )
        if contact:
            field_json.update(
                editable_in_signup=name in ("name", "email"),
                customers_can_edit=True,
                label_for_customers=label,
                required_for_customers=required,
                displayed_for_customers=True,
            )
        fields.append(field_json)
    return fields + _data_of(list(records(account=account, collection=custom_collection)))


def contact_fields_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    _check_query(request, ())
    fields = _customer_fields(
        account=account,
        defaults=CONTACT_DEFAULT_FIELDS,
        id_start=DEFAULT_FIELD_ID_START + 100,
        custom_collection="contact_fields",
        contact=True,
    )
    return _json(fields)


def company_fields_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    _check_query(request, ())
    fields = _customer_fields(
        account=account,
        defaults=COMPANY_DEFAULT_FIELDS,
        id_start=DEFAULT_FIELD_ID_START + 200,
        custom_collection="company_fields",
        contact=False,
    )
    return _json(fields)


# --- Routing -----------------------------------------------------------------------------


def _endpoint(**handlers: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """One URL of the API: auth, rate limits and faults from the profile, then the handler of
    the HTTP method (405 with Allow otherwise, as Freshdesk's router answers)."""
    allowed = ", ".join(handlers)

    def dispatch(request: HttpRequest, account: EmulatedAccount, **kwargs: Any) -> HttpResponseBase:
        handler = handlers.get(request.method or "")
        if handler is None:
            raise _request_error(
                405,
                "method_not_allowed",
                f"{request.method} method is not allowed. "
                f"It should be one of these method(s): {allowed}",
                Allow=allowed,
            )
        _check_content_type(request)
        try:
            return handler(request, account, **kwargs)
        except _NotFound:
            return HttpResponse(status=404)

    dispatch.__name__ = "_".join(handler.__name__ for handler in handlers.values())
    guarded = PROFILE.endpoint(dispatch)

    @csrf_exempt
    def view(request: HttpRequest, account_slug: str, **kwargs: Any) -> HttpResponseBase:
        response = guarded(request, account_slug, **kwargs)
        if response.status_code != 404:
            response["X-Freshdesk-API-Version"] = "latest=v2; requested=v2"
        return response

    return view


def _bound(
    resource: _Resource, operation: Callable[..., HttpResponseBase]
) -> Callable[..., HttpResponseBase]:
    def handler(request: HttpRequest, account: EmulatedAccount, **kwargs: Any) -> HttpResponseBase:
        return operation(resource, request, account, **kwargs)

    handler.__name__ = f"{resource.collection}_{operation.__name__}"
    return handler


def _collection_route(resource: _Resource) -> tuple[str, Callable[..., HttpResponseBase]]:
    """``GET`` and ``POST`` on a top-level collection (``groups``)."""
    return resource.member_path, _endpoint(
        GET=_bound(resource, resource_list), POST=_bound(resource, resource_create)
    )


def _member_route(resource: _Resource) -> tuple[str, Callable[..., HttpResponseBase]]:
    """``GET``, ``PUT`` and ``DELETE`` on one record (``solutions/folders/{id}``)."""
    return f"{resource.member_path}/<int:number>", _endpoint(
        GET=_bound(resource, resource_show),
        PUT=_bound(resource, resource_update),
        DELETE=_bound(resource, resource_delete),
    )


@csrf_exempt
def route_not_found(request: HttpRequest, account_slug: str, rest: str) -> HttpResponse:
    return HttpResponse(status=404)


# Routes under /api/v2/.
API_ROUTES: list[tuple[str, Callable[..., HttpResponseBase]]] = [
    ("agents/me", _endpoint(GET=agent_me)),
    ("agents", _endpoint(GET=agents_list, POST=agents_create)),
    ("agents/<int:number>", _endpoint(GET=agent_show, PUT=agent_update, DELETE=agent_delete)),
    ("tickets", _endpoint(GET=tickets_list, POST=tickets_create)),
    ("tickets/<int:number>", _endpoint(GET=ticket_show, PUT=ticket_update, DELETE=ticket_delete)),
    ("tickets/<int:number>/restore", _endpoint(PUT=ticket_restore)),
    ("tickets/<int:number>/conversations", _endpoint(GET=conversations_list)),
    ("tickets/<int:number>/notes", _endpoint(POST=ticket_note_create)),
    ("tickets/<int:number>/reply", _endpoint(POST=ticket_reply_create)),
    (
        "conversations/<int:number>",
        _endpoint(PUT=conversation_update, DELETE=conversation_delete),
    ),
    ("search/tickets", _endpoint(GET=search_tickets)),
    ("contacts", _endpoint(GET=contacts_list, POST=contacts_create)),
    ("contacts/autocomplete", _endpoint(GET=contacts_autocomplete)),
    (
        "contacts/<int:number>",
        _endpoint(GET=contact_show, PUT=contact_update, DELETE=contact_delete),
    ),
    ("contacts/<int:number>/make_agent", _endpoint(PUT=contact_make_agent)),
    ("contacts/<int:number>/hard_delete", _endpoint(DELETE=contact_hard_delete)),
    _collection_route(COMPANIES),
    _member_route(COMPANIES),
    _collection_route(GROUPS),
    _member_route(GROUPS),
    ("ticket_fields", _endpoint(GET=ticket_fields_list)),
    (
        "admin/ticket_fields",
        _endpoint(GET=admin_ticket_fields_list, POST=admin_ticket_fields_create),
    ),
    _member_route(TICKET_FIELDS),
    ("contact_fields", _endpoint(GET=contact_fields_list)),
    ("company_fields", _endpoint(GET=company_fields_list)),
    _collection_route(CATEGORIES),
    _member_route(CATEGORIES),
    (
        "solutions/categories/<int:parent>/folders",
        _endpoint(GET=folders_list, POST=folders_create),
    ),
    _member_route(FOLDERS),
    (
        "solutions/folders/<int:parent>/articles",
        _endpoint(GET=articles_list, POST=articles_create),
    ),
    _member_route(ARTICLES),
]

# Translated solution objects and the account's languages; imported here, once everything
# they build on is defined (the module uses this one's helpers).
from connectors.freshdesk.emulator_languages import LANGUAGE_ROUTES  # noqa: E402

API_ROUTES += LANGUAGE_ROUTES

urlpatterns = [
    # Freshdesk's router takes a path with or without a trailing slash.
    *(path(f"api/v2/{route}{slash}", view) for route, view in API_ROUTES for slash in ("", "/")),
    path("attachments/<str:token>", attachment_download, name="freshdesk-attachment"),
    path("api/<path:rest>", route_not_found),
]
