"""eDesk's Open API v1, emulated for the sandbox and the tests.

From the reference (developers.edesk.com/reference, "eDesk Open API" 2.0, server
``https://api.edesk.com/v1``): Bearer tokens; ``GET /channels``, ``/tickets`` with its
``filter_*``/``order_by``/``order_direction`` parameters, ``/tickets/{id}``,
``/messages/{id}``, ``/contacts`` with its filters, ``/users``, ``/tags/{id}``; answers
wrapped in ``{"data": ...}`` with a ``paginator`` (``page``/``itemsPerPage`` in,
``currentPage``/``itemsPerPage``/``totalItemsCount`` out) on lists; errors as
``{"error": {"httpCode", "message", "details"}}``, a validation error's ``details``
naming each field with its ``errorCode`` (4001 missing required field … 4022 message items
limit); the rate limit, a bucket of 60 calls refilled at 2 a second, 429 beyond it.

Modelled on those conventions where the public reference says less: creating a ticket with
its messages (``POST /tickets``, at most :data:`MAX_MESSAGE_ITEMS` message items, error
4022), adding a message (``POST /tickets/{id}/messages``), writing contacts, and uploading
a file (``POST /attachments``) whose link a message's ``attachments`` then names as
``{"name", "url"}`` (the reference's attachment request; any other url is error 4011).
Files over 10 MB are refused. A read-only token (``secrets["read_only_token"]``) is refused
every change with a 403.

Every object is stored as eDesk's JSON in ``EmulatedRecord.data``, its id being
``EmulatedRecord.number``; a ticket's ``messages_ids`` and ``replies`` are worked out when
it is rendered. Mounted under ``/sandbox/edesk/<account>/``: a connector's API address for
an account is ``http://host/sandbox/edesk/<account>`` and the paths are the real ones
(``/v1/tickets`` …).
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from connectors.edesk import MAX_ATTACHMENT_BYTES, RATE_LIMIT_BURST, RATE_LIMIT_REFILL_PER_SECOND
from connectors.emulation import (
    EmulatorError,
    EmulatorProfile,
    TokenBucket,
    blob_response,
    blob_store,
    number_next,
    record_create,
    records,
)
from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord

PLATFORM = "edesk"

DEFAULT_ITEMS_PER_PAGE = 20
MAX_ITEMS_PER_PAGE = 100
#: Message items one ticket creation may carry (beyond: error 4022).
MAX_MESSAGE_ITEMS = 100
MAX_SUBJECT_CHARS = 255
MAX_EXTERNAL_ID_CHARS = 255
MAX_ATTACHMENT_NAME_CHARS = 100

TICKET_STATUSES = ("Scheduled", "Spam", "Archived", "Open", "Pending", "Closed")
#: Statuses an API call may give a ticket.
SETTABLE_STATUSES = ("Open", "Pending", "Closed", "Archived")
TICKET_TYPES = (
    "BuyerNotes", "Cancellation", "Chat", "Chatbot", "ContactBuyer", "ContactForm",
    "DefectiveItemReceived", "FeedbackReply", "Incident", "InvoiceRequest", "NegativeFeedback",
    "OfferQuery", "OrderAdjustment", "OrderClaim", "OrderQuery", "OrderShippingInquiry",
    "PaymentsQuery", "Presales", "ProductQuery", "PublicMessage", "Query", "Refund",
    "ResolutionCase", "ReturnRequest", "ReturnsQuery", "SampleQuery", "ShippingQuery",
    "SystemMessage", "WrongItemReceived",
)  # fmt: skip
MESSAGE_TYPES = ("Message", "Note")
DIRECTIONS = ("Incoming", "Outgoing", "Other")
TICKET_ORDER_FIELDS = {"id": "number", "created_at": "created_at", "last_updated_at": "updated_at"}

# The validation error codes of the reference.
MISSING_REQUIRED = 4001
NOT_FOUND = 4002
NOT_UNIQUE = 4003
NOT_NUMERIC = 4005
NOT_ARRAY = 4006
NOT_ALLOWED_VALUE = 4007
NOT_STRING = 4008
NOT_DATE = 4010
NOT_FILE_URL = 4011
NOT_ATTACHMENT_REQUEST = 4019
TOO_LONG = 4020
TOO_MANY_MESSAGE_ITEMS = 4022

# Ids of each kind of object, with eDesk-like magnitudes.
CHANNEL_ID_START = 31_001
USER_ID_START = 7_001
CONTACT_ID_START = 410_000_001
TICKET_ID_START = 87_000_001
MESSAGE_ID_START = 2_150_000_001
TAG_ID_START = 501
ATTACHMENT_ID_START = 930_000_001

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def when(moment: datetime) -> str:
    """A date as eDesk writes it: UTC, to the second, no zone."""
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


# --- Authentication, errors and the profile ----------------------------------------------


def _bearer_of(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _token_is(given: str | None, expected: str | None) -> bool:
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


def _authenticate(request: HttpRequest, account: EmulatedAccount) -> bool:
    given = _bearer_of(request)
    return _token_is(given, account.secrets.get("api_token")) or _token_is(
        given, account.secrets.get("read_only_token")
    )


_ERROR_DETAILS = {
    401: "Invalid or expired token.",
    429: "Out of quota.",
}


def _error_body(status: int, code: str, message: str) -> Any:
    """``BaseErrorResponse``: the status, its short message and the details."""
    return {
        "error": {
            "httpCode": status,
            "message": HTTPStatus(status).phrase,
            "details": _ERROR_DETAILS.get(status, message),
        }
    }


PROFILE = EmulatorProfile(
    platform=PLATFORM,
    default_rate_limit_per_minute=RATE_LIMIT_REFILL_PER_SECOND * 60,
    authenticate=_authenticate,
    error_body=_error_body,
    token_bucket=TokenBucket(
        burst=RATE_LIMIT_BURST, refill_per_second=RATE_LIMIT_REFILL_PER_SECOND
    ),
)


def _invalid(errors: dict[str, int]) -> EmulatorError:
    """``ValidationErrorResponse``: each field with its error code."""
    details = {name: {"errorCode": code} for name, code in errors.items()}
    return EmulatorError(
        400, {"error": {"httpCode": 400, "message": "Validation Failed", "details": details}}
    )


def _not_found(what: str) -> EmulatorError:
    return PROFILE.error(404, "NotFound", f"{what} not found.")


# --- Requests and answers -----------------------------------------------------------------


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        parsed = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if not isinstance(parsed, dict):
        raise PROFILE.error(400, "InvalidJSON", "The request body must be a JSON object.")
    return parsed


def _moment_or_none(value: Any) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` or ISO 8601 (UTC when no zone is given), else None."""
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _day_or_none(value: Any) -> date | None:
    try:
        return parse_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _data(body: Any) -> JsonResponse:
    return JsonResponse({"data": body})


def _absolute(request: HttpRequest, link: str) -> str:
    return request.build_absolute_uri(link) if link.startswith("/") else link


def _page_of(
    request: HttpRequest, queryset: QuerySet[EmulatedRecord]
) -> tuple[list[EmulatedRecord], dict[str, int]]:
    """The rows of the asked page and the reference's paginator."""
    errors: dict[str, int] = {}
    page = _int_or_none(request.GET.get("page", "1"))
    if not page:
        errors["page"] = NOT_NUMERIC
    size = _int_or_none(request.GET.get("itemsPerPage", str(DEFAULT_ITEMS_PER_PAGE)))
    if not size:
        errors["itemsPerPage"] = NOT_NUMERIC
    if errors:
        raise _invalid(errors)
    assert page is not None and size is not None
    size = min(size, MAX_ITEMS_PER_PAGE)
    rows = list(queryset[(page - 1) * size : page * size])
    paginator = {"currentPage": page, "itemsPerPage": size, "totalItemsCount": queryset.count()}
    return rows, paginator


def _listed(request: HttpRequest, queryset: QuerySet[EmulatedRecord]) -> JsonResponse:
    """A page of records kept as the API shows them."""
    rows, paginator = _page_of(request, queryset)
    return JsonResponse({"data": [row.data for row in rows], "paginator": paginator})


def _get(account: EmulatedAccount, collection: str, number: int, *, what: str) -> EmulatedRecord:
    record = EmulatedRecord.objects.filter(
        account=account, collection=collection, number=number
    ).first()
    if record is None:
        raise _not_found(what)
    return record


def _exists(account: EmulatedAccount, collection: str, number: Any) -> bool:
    return (
        isinstance(number, int)
        and not isinstance(number, bool)
        and EmulatedRecord.objects.filter(
            account=account, collection=collection, number=number
        ).exists()
    )


def _store(
    account: EmulatedAccount,
    collection: str,
    data: dict[str, Any],
    *,
    id_start: int,
    moment: datetime | None = None,
    parent: int | None = None,
) -> EmulatedRecord:
    number = number_next(account=account, collection=collection, start=id_start)
    data["id"] = number
    return record_create(
        account=account,
        collection=collection,
        data=data,
        number=number,
        parent_number=parent,
        created_at=moment,
        updated_at=moment,
    )


# --- Channels, users and tags ------------------------------------------------------------


def channel_template() -> dict[str, Any]:
    return {"id": None, "type": "Email", "country": "US", "currency": "USD", "name": ""}


def user_template() -> dict[str, Any]:
    return {"id": None, "name": "", "email": "", "active": True, "username": "", "role": "agent"}


def channels_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    return _listed(request, records(account=account, collection="channels"))


def users_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    return _listed(request, records(account=account, collection="users"))


def user_show(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    return _data(_get(account, "users", number, what="User").data)


def tags_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    return _listed(request, records(account=account, collection="tags"))


def tag_show(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    return _data(_get(account, "tags", number, what="Tag").data)


# --- Contacts ----------------------------------------------------------------------------


def contact_template() -> dict[str, Any]:
    return {
        "id": None,
        "channel_id": None,
        "client_id": None,
        "full_name": "",
        "phone_number": None,
        "email": None,
    }


def _contacts(account: EmulatedAccount) -> QuerySet[EmulatedRecord]:
    return records(account=account, collection="contacts")


def contacts_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    rows = _contacts(account)
    params = request.GET
    if (consumer := params.get("consumer_id")) is not None:
        number = _int_or_none(consumer)
        if number is None:
            raise _invalid({"consumer_id": NOT_NUMERIC})
        rows = rows.filter(number=number)
    if (email := params.get("email")) is not None:
        rows = rows.filter(data__email__iexact=email.strip())
    if (name := params.get("name")) is not None:
        rows = rows.filter(data__full_name__iexact=name.strip())
    if (phone := params.get("phone_number")) is not None:
        rows = rows.filter(data__phone_number=phone.strip())
    if query := params.get("fsf_query", "").strip():
        rows = rows.filter(data__full_name__icontains=query) | rows.filter(
            data__email__icontains=query
        )
    return _listed(request, rows)


def _contact_errors(
    account: EmulatedAccount, fields: dict[str, Any], *, creating: bool, number: int | None = None
) -> dict[str, int]:
    errors: dict[str, int] = {}
    channel_id = fields.get("channel_id")
    if creating and channel_id is None:
        errors["channel_id"] = MISSING_REQUIRED
    elif channel_id is not None and not _exists(account, "channels", channel_id):
        errors["channel_id"] = NOT_FOUND
    for name in ("full_name", "email", "phone_number"):
        if name in fields and fields[name] is not None and not isinstance(fields[name], str):
            errors[name] = NOT_STRING
    if creating and not fields.get("full_name"):
        errors.setdefault("full_name", MISSING_REQUIRED)
    email = fields.get("email")
    if isinstance(email, str) and email and "email" not in errors:
        # Contacts reached through a marketplace carry its relay address or a user name,
        # so any text is an address here, but one address per channel.
        taken = _contacts(account).filter(
            data__email__iexact=email.strip(), data__channel_id=channel_id
        )
        if number is not None:
            taken = taken.exclude(number=number)
        if taken.exists():
            errors["email"] = NOT_UNIQUE
    return errors


def contacts_create(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    fields = _body(request)
    if errors := _contact_errors(account, fields, creating=True):
        raise _invalid(errors)
    data = contact_template()
    data.update({name: fields[name] for name in data if name in fields and name != "id"})
    data["client_id"] = account.pk
    return _data(_store(account, "contacts", data, id_start=CONTACT_ID_START).data)


def contact_show(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    return _data(_get(account, "contacts", number, what="Contact").data)


def contact_update(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    record = _get(account, "contacts", number, what="Contact")
    fields = _body(request)
    fields.setdefault("channel_id", record.data["channel_id"])
    if errors := _contact_errors(account, fields, creating=False, number=number):
        raise _invalid(errors)
    record.data.update({name: fields[name] for name in record.data if name in fields})
    record.data["id"] = number
    record.save(update_fields=["data"])
    return _data(record.data)


def contact_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    record = _get(account, "contacts", number, what="Contact")
    record.delete()
    return _data(record.data)


# --- Attachments -------------------------------------------------------------------------


def _attachment_link(account: EmulatedAccount, token: str) -> str:
    return reverse("edesk-attachment", kwargs={"account_slug": account.slug, "token": token})


def attachments_upload(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    upload = request.FILES.get("file")
    if upload is None:
        raise _invalid({"file": MISSING_REQUIRED})
    if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
        raise PROFILE.error(
            413, "PayloadTooLarge", f"{upload.name} is larger than 10 MB, the largest file allowed."
        )
    if len(upload.name or "") > MAX_ATTACHMENT_NAME_CHARS:
        raise _invalid({"name": TOO_LONG})
    token = f"ed-{uuid.uuid4().hex}"
    blob = blob_store(
        account=account,
        token=token,
        file_name=upload.name or "attachment",
        content_type=upload.content_type or "application/octet-stream",
        chunks=upload.chunks(),
    )
    number = number_next(account=account, collection="attachments", start=ATTACHMENT_ID_START)
    return _data(
        {
            "id": number,
            "name": blob.file_name,
            "link": request.build_absolute_uri(_attachment_link(account, token)),
            "mime": blob.content_type,
            "size": blob.size,
        }
    )


def attachment_download(
    request: HttpRequest, account: EmulatedAccount, token: str
) -> HttpResponseBase:
    blob = EmulatedBlob.objects.filter(account=account, token=token).first()
    if blob is None:
        raise _not_found("Attachment")
    return blob_response(blob)


def _uploaded_blob(account: EmulatedAccount, url: Any) -> EmulatedBlob | None:
    """The file a message's attachment url names: one of this account's links."""
    if not isinstance(url, str):
        return None
    prefix = _attachment_link(account, "TOKEN").removesuffix("TOKEN")
    link = urlsplit(url).path
    if not link.startswith(prefix):
        return None
    return EmulatedBlob.objects.filter(account=account, token=link.removeprefix(prefix)).first()


# --- Tickets and messages ----------------------------------------------------------------


def ticket_template() -> dict[str, Any]:
    return {
        "id": None,
        "subject": "",
        "type": "Query",
        "channel_id": None,
        "status": "Open",
        "sales_order_id": None,
        "sales_order": None,
        "external_order_id": None,
        "created_at": None,
        "last_updated_at": None,
        "owner_user_id": None,
        "custom_fields": [],
        "time_left_to_reply": False,
        "tags_ids": [],
        "contact_id": None,
        "uri": None,
        "ai_classification": None,
    }


def message_template() -> dict[str, Any]:
    return {
        "id": None,
        "external_id": None,
        "subject": None,
        "created_at": None,
        "from_consumer_id": None,
        "from_user": None,
        "type": "Message",
        "attachments": [],
        "direction": "Incoming",
        "body": "",
        "errors": [],
        "ticket_id": None,
    }


def _tickets(account: EmulatedAccount) -> QuerySet[EmulatedRecord]:
    return records(account=account, collection="tickets")


def _messages(account: EmulatedAccount, ticket: int) -> QuerySet[EmulatedRecord]:
    return EmulatedRecord.objects.filter(
        account=account, collection="messages", parent_number=ticket
    ).order_by("created_at", "number")


def _ticket_json(
    request: HttpRequest,
    account: EmulatedAccount,
    record: EmulatedRecord,
    messages: list[EmulatedRecord],
) -> dict[str, Any]:
    data = dict(record.data)
    data["messages_ids"] = [message.number for message in messages]
    data["replies"] = sum(1 for m in messages if m.data.get("direction") == "Outgoing")
    data["uri"] = request.build_absolute_uri(
        reverse("edesk-ticket-page", kwargs={"account_slug": account.slug})
        + f"?ticket={record.number}"
    )
    return data


def _tickets_json(
    request: HttpRequest, account: EmulatedAccount, rows: list[EmulatedRecord]
) -> list[dict[str, Any]]:
    """Tickets with their messages' ids, in one query for the whole page."""
    by_ticket: dict[int, list[EmulatedRecord]] = {row.number: [] for row in rows}
    for message in EmulatedRecord.objects.filter(
        account=account, collection="messages", parent_number__in=list(by_ticket)
    ).order_by("created_at", "number"):
        by_ticket[message.parent_number or 0].append(message)
    return [_ticket_json(request, account, row, by_ticket[row.number]) for row in rows]


def _message_json(request: HttpRequest, record: EmulatedRecord) -> dict[str, Any]:
    data = dict(record.data)
    data["attachments"] = [
        {**attachment, "link": _absolute(request, attachment["link"])}
        for attachment in data.get("attachments", [])
    ]
    return data


def _day_filter(request: HttpRequest, name: str, errors: dict[str, int]) -> date | None:
    value = request.GET.get(name)
    if value is None:
        return None
    day = _day_or_none(value)
    if day is None:
        errors[name] = NOT_DATE
    return day


def _created_filter(request: HttpRequest, name: str, errors: dict[str, int]) -> datetime | None:
    """``filter_created_at_*``: epoch seconds (the reference types it an integer) or a day."""
    value = request.GET.get(name)
    if value is None:
        return None
    if (seconds := _int_or_none(value)) is not None:
        return datetime.fromtimestamp(seconds, tz=UTC)
    if (day := _day_or_none(value)) is not None:
        return datetime.combine(day, time.min, tzinfo=UTC)
    errors[name] = NOT_DATE
    return None


def tickets_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    params = request.GET
    errors: dict[str, int] = {}
    rows = _tickets(account)
    for name, key in (
        ("filter_contact_id_equals", "contact_id"),
        ("filter_channel_id_equals", "channel_id"),
        ("filter_owner_user_id_equals", "owner_user_id"),
        ("filter_sales_order_id_equals", "sales_order_id"),
    ):
        if (value := params.get(name)) is not None:
            if (number := _int_or_none(value)) is None:
                errors[name] = NOT_NUMERIC
            else:
                rows = rows.filter(**{f"data__{key}": number})
    for name, key, allowed in (
        ("filter_status_equals", "status", TICKET_STATUSES),
        ("filter_type_equals", "type", TICKET_TYPES),
    ):
        if (value := params.get(name)) is not None:
            if value not in allowed:
                errors[name] = NOT_ALLOWED_VALUE
            else:
                rows = rows.filter(**{f"data__{key}": value})
    # Days are whole days of the account's time zone, which is UTC here.
    if (day := _day_filter(request, "filter_last_updated_at_gte", errors)) is not None:
        rows = rows.filter(
            data__last_updated_at__isnull=False,
            updated_at__gte=datetime.combine(day, time.min, tzinfo=UTC),
        )
    if (day := _day_filter(request, "filter_last_updated_at_lte", errors)) is not None:
        rows = rows.filter(
            data__last_updated_at__isnull=False,
            updated_at__lt=datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC),
        )
    if (moment := _created_filter(request, "filter_created_at_gte", errors)) is not None:
        rows = rows.filter(created_at__gte=moment)
    if (moment := _created_filter(request, "filter_created_at_lte", errors)) is not None:
        rows = rows.filter(created_at__lte=moment)
    order_by = params.get("order_by", "id")
    if order_by not in TICKET_ORDER_FIELDS:
        errors["order_by"] = NOT_ALLOWED_VALUE
    direction = params.get("order_direction", "asc")
    if direction not in ("asc", "desc"):
        errors["order_direction"] = NOT_ALLOWED_VALUE
    if errors:
        raise _invalid(errors)
    sign = "-" if direction == "desc" else ""
    rows = rows.order_by(f"{sign}{TICKET_ORDER_FIELDS[order_by]}", f"{sign}number")
    page, paginator = _page_of(request, rows)
    return JsonResponse({"data": _tickets_json(request, account, page), "paginator": paginator})


def ticket_show(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    record = _get(account, "tickets", number, what="Ticket")
    return _data(_ticket_json(request, account, record, list(_messages(account, number))))


def _text_errors(
    fields: dict[str, Any], name: str, *, limit: int, prefix: str = ""
) -> dict[str, int]:
    value = fields.get(name)
    if value is None:
        return {}
    if not isinstance(value, str):
        return {prefix + name: NOT_STRING}
    if len(value) > limit:
        return {prefix + name: TOO_LONG}
    return {}


def _ticket_field_errors(
    account: EmulatedAccount, fields: dict[str, Any], *, creating: bool
) -> dict[str, int]:
    errors: dict[str, int] = {}
    if creating:
        for name in ("channel_id", "contact_id", "subject"):
            if fields.get(name) is None:
                errors[name] = MISSING_REQUIRED
    for name, collection in (
        ("channel_id", "channels"),
        ("contact_id", "contacts"),
        ("owner_user_id", "users"),
    ):
        value = fields.get(name)
        if value is not None and name not in errors and not _exists(account, collection, value):
            errors[name] = NOT_FOUND
    errors.update(_text_errors(fields, "subject", limit=MAX_SUBJECT_CHARS))
    if "status" in fields and fields["status"] not in SETTABLE_STATUSES:
        errors["status"] = NOT_ALLOWED_VALUE
    if "type" in fields and fields["type"] not in TICKET_TYPES:
        errors["type"] = NOT_ALLOWED_VALUE
    if "created_at" in fields and _moment_or_none(fields["created_at"]) is None:
        errors["created_at"] = NOT_DATE
    return errors


def _message_errors(
    account: EmulatedAccount, item: Any, *, prefix: str
) -> tuple[dict[str, int], list[EmulatedBlob]]:
    """A message item's errors, and the uploaded files its attachments name."""
    if not isinstance(item, dict):
        return {prefix.rstrip("."): NOT_ATTACHMENT_REQUEST}, []
    errors: dict[str, int] = {}
    if item.get("type") is None:
        errors[prefix + "type"] = MISSING_REQUIRED
    elif item["type"] not in MESSAGE_TYPES:
        errors[prefix + "type"] = NOT_ALLOWED_VALUE
    if "direction" in item and item["direction"] not in DIRECTIONS:
        errors[prefix + "direction"] = NOT_ALLOWED_VALUE
    if item.get("body") is None:
        errors[prefix + "body"] = MISSING_REQUIRED
    elif not isinstance(item["body"], str):
        errors[prefix + "body"] = NOT_STRING
    if "created_at" in item and _moment_or_none(item["created_at"]) is None:
        errors[prefix + "created_at"] = NOT_DATE
    user = item.get("from_user_id")
    if user is not None and not _exists(account, "users", user):
        errors[prefix + "from_user_id"] = NOT_FOUND
    errors.update(_text_errors(item, "external_id", limit=MAX_EXTERNAL_ID_CHARS, prefix=prefix))
    blobs: list[EmulatedBlob] = []
    attachments = item.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        errors[prefix + "attachments"] = NOT_ARRAY
    for index, attachment in enumerate(attachments or []):
        where = f"{prefix}attachments.{index}"
        if (
            not isinstance(attachment, dict)
            or not isinstance(attachment.get("name"), str)
            or not isinstance(attachment.get("url"), str)
        ):
            errors[where] = NOT_ATTACHMENT_REQUEST
        elif len(attachment["name"]) > MAX_ATTACHMENT_NAME_CHARS:
            errors[f"{where}.name"] = TOO_LONG
        elif (blob := _uploaded_blob(account, attachment["url"])) is None:
            errors[f"{where}.url"] = NOT_FILE_URL
        else:
            blobs.append(blob)
    return errors, blobs


def _message_add(
    request: HttpRequest,
    account: EmulatedAccount,
    ticket: EmulatedRecord,
    item: dict[str, Any],
    blobs: list[EmulatedBlob],
) -> EmulatedRecord:
    moment = _moment_or_none(item.get("created_at")) or timezone.now()
    message_type = item["type"]
    direction = item.get("direction") or ("Other" if message_type == "Note" else "Outgoing")
    user_id = item.get("from_user_id")
    from_user = None
    if user_id is not None:
        from_user = _get(account, "users", user_id, what="User").data
    elif direction != "Incoming":
        # Written with the token: its owner, the account's first user.
        owner = records(account=account, collection="users").first()
        from_user = owner.data if owner else None
    data = message_template()
    data.update(
        external_id=item.get("external_id"),
        subject=ticket.data.get("subject"),
        created_at=when(moment),
        from_consumer_id=ticket.data["contact_id"] if direction == "Incoming" else None,
        from_user=from_user if direction != "Incoming" else None,
        type=message_type,
        direction=direction,
        body=item["body"],
        ticket_id=ticket.number,
        attachments=[
            {
                "id": number_next(
                    account=account, collection="attachments", start=ATTACHMENT_ID_START
                ),
                "name": attachment["name"],
                "link": _attachment_link(account, blob.token),
                "mime": blob.content_type,
            }
            for attachment, blob in zip(item.get("attachments") or [], blobs, strict=True)
        ],
    )
    message = _store(
        account, "messages", data, id_start=MESSAGE_ID_START, moment=moment, parent=ticket.number
    )
    last = _moment_or_none(ticket.data.get("last_updated_at"))
    if last is None or moment > last:
        ticket.data["last_updated_at"] = when(moment)
        ticket.updated_at = moment
        ticket.save(update_fields=["data", "updated_at"])
    return message


def tickets_create(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    fields = _body(request)
    errors = _ticket_field_errors(account, fields, creating=True)
    items = fields.get("messages", [])
    blobs_per_item: list[list[EmulatedBlob]] = []
    if not isinstance(items, list):
        errors["messages"] = NOT_ARRAY
        items = []
    elif len(items) > MAX_MESSAGE_ITEMS:
        errors["messages"] = TOO_MANY_MESSAGE_ITEMS
        items = []
    for index, item in enumerate(items):
        item_errors, blobs = _message_errors(account, item, prefix=f"messages.{index}.")
        errors.update(item_errors)
        blobs_per_item.append(blobs)
    if errors:
        raise _invalid(errors)
    moment = _moment_or_none(fields.get("created_at")) or timezone.now()
    data = ticket_template()
    data.update(
        subject=fields["subject"],
        type=fields.get("type") or "Query",
        channel_id=fields["channel_id"],
        status=fields.get("status") or "Open",
        created_at=when(moment),
        owner_user_id=fields.get("owner_user_id"),
        contact_id=fields["contact_id"],
    )
    ticket = _store(account, "tickets", data, id_start=TICKET_ID_START, moment=moment)
    for item, blobs in zip(items, blobs_per_item, strict=True):
        _message_add(request, account, ticket, item, blobs)
    return ticket_show(request, account, ticket.number)


def ticket_update(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    ticket = _get(account, "tickets", number, what="Ticket")
    fields = _body(request)
    writable = {"subject", "type", "status", "owner_user_id"}
    changes = {name: value for name, value in fields.items() if name in writable}
    if errors := _ticket_field_errors(account, changes, creating=False):
        raise _invalid(errors)
    ticket.data.update(changes)
    ticket.save(update_fields=["data"])
    return ticket_show(request, account, number)


def ticket_delete(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    ticket = _get(account, "tickets", number, what="Ticket")
    body = _ticket_json(request, account, ticket, list(_messages(account, number)))
    _messages(account, number).delete()
    ticket.delete()
    return _data(body)


def ticket_messages_create(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    ticket = _get(account, "tickets", number, what="Ticket")
    item = _body(request)
    errors, blobs = _message_errors(account, item, prefix="")
    if errors:
        raise _invalid(errors)
    return _data(_message_json(request, _message_add(request, account, ticket, item, blobs)))


def message_show(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
    return _data(_message_json(request, _get(account, "messages", number, what="Message")))


def ticket_page(request: HttpRequest, account_slug: str) -> HttpResponseBase:
    """Where a ticket's ``uri`` points: eDesk's web page, not part of the API."""
    return JsonResponse({"ticket": request.GET.get("ticket")})


# --- Routing -----------------------------------------------------------------------------

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _endpoint(**handlers: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """One URL of the API: authentication, rate limit and faults from the profile, a
    read-only token refused any change, then the handler of the method (405 otherwise)."""

    def dispatch(request: HttpRequest, account: EmulatedAccount, **kwargs: Any) -> HttpResponseBase:
        handler = handlers.get(request.method or "")
        if handler is None:
            raise PROFILE.error(
                405,
                "MethodNotAllowed",
                f"{request.method} is not allowed here.",
                Allow=", ".join(handlers),
            )
        if request.method in _WRITES and _token_is(
            _bearer_of(request), account.secrets.get("read_only_token")
        ):
            raise PROFILE.error(403, "Forbidden", "This API token is read-only.")
        return handler(request, account, **kwargs)

    dispatch.__name__ = "_".join(handler.__name__ for handler in handlers.values())
    return PROFILE.endpoint(dispatch)


API_ROUTES: list[tuple[str, Callable[..., HttpResponseBase]]] = [
    ("channels", _endpoint(GET=channels_list)),
    ("users", _endpoint(GET=users_list)),
    ("users/<int:number>", _endpoint(GET=user_show)),
    ("tags", _endpoint(GET=tags_list)),
    ("tags/<int:number>", _endpoint(GET=tag_show)),
    ("contacts", _endpoint(GET=contacts_list, POST=contacts_create)),
    (
        "contacts/<int:number>",
        _endpoint(GET=contact_show, PUT=contact_update, DELETE=contact_delete),
    ),
    ("tickets", _endpoint(GET=tickets_list, POST=tickets_create)),
    ("tickets/<int:number>", _endpoint(GET=ticket_show, PUT=ticket_update, DELETE=ticket_delete)),
    ("tickets/<int:number>/messages", _endpoint(POST=ticket_messages_create)),
    ("messages/<int:number>", _endpoint(GET=message_show)),
    ("attachments", _endpoint(POST=attachments_upload)),
]

urlpatterns = [
    *(path(f"v1/{route}", view) for route, view in API_ROUTES),
    path(
        "crm/view/attachment/<str:token>",
        _endpoint(GET=attachment_download),
        name="edesk-attachment",
    ),
    path("crm/tickets", ticket_page, name="edesk-ticket-page"),
]
