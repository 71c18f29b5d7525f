"""Halo's REST API and its authorization server, emulated for the sandbox and the tests.

Mounted under ``/sandbox/halo/<account>/``: the resource server of an account is
``http://host/sandbox/halo/<account>/api`` and its authorization server
``http://host/sandbox/halo/<account>/auth``.

Authorization server: ``POST /auth/token`` with a form of ``grant_type=client_credentials``,
``client_id``, ``client_secret`` and ``scope``, and ``?tenant=`` on hosted instances (an
account whose ``secrets["tenant"]`` is set). It answers ``{"access_token", "token_type":
"Bearer", "expires_in", "scope"}``; unknown clients get 400 ``{"error": "invalid_client"}``,
another grant 400 ``unsupported_grant_type``, a wrong tenant 401 ``invalid_tenant``. Tokens
are signed, not stored: they hold when they were issued and until when they last
(``options["token_lifetime_seconds"]``, 3600 by default); ``options["tokens_valid_after"]``
(epoch seconds) revokes those issued before it.

Resource server: the resources of :mod:`connectors.halo.payloads`, each ``GET`` as a list
(``pageinate``, ``page_size``, ``page_no``, ``order``, ``orderdesc``, ``search``, and per
resource ``ticket_id``, ``client_id``, ``user_id``, ``datesearch``/``startdate``) or by
id, ``POST`` with an array of objects (an ``id`` updates), ``DELETE`` by id. A request
without a valid token gets 401 with ASP.NET's body ``{"Message": "Authorization has been
denied for this request."}``. The default limit is 500 calls in 300 seconds (429 with
Retry-After beyond it), which an account's ``rate_limit_per_minute`` and
``options["rate_window_seconds"]`` replace; latency and faults follow the account like the
other emulators. Uploads larger than ``options["max_attachment_bytes"]`` (20 MB) are
refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import path
from django.utils import timezone

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
from connectors.halo import MAX_ATTACHMENT_BYTES, RATE_LIMIT_CALLS, RATE_LIMIT_PERIOD_SECONDS
from connectors.halo.payloads import parse_moment
from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord

PLATFORM = "halo"
TOKEN_LIFETIME_SECONDS = 3600
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
DENIED = "Authorization has been denied for this request."

# Collections and where their ids start (Halo counts from 1; seeded objects follow).
CLIENTS = "clients"
TEAMS = "teams"
AGENTS = "agents"
USERS = "users"
TICKETS = "tickets"
ACTIONS = "actions"
ATTACHMENTS = "attachments"
FAQ_LISTS = "faqlists"
ARTICLES = "articles"
STATUSES = "statuses"
PRIORITIES = "priorities"
TICKET_TYPES = "tickettypes"
FIELDS = "fields"

ID_STARTS: dict[str, int] = {
    CLIENTS: 1,
    TEAMS: 1,
    AGENTS: 1,
    USERS: 1,
    TICKETS: 1001,
    ACTIONS: 1,
    ATTACHMENTS: 1,
    FAQ_LISTS: 1,
    ARTICLES: 1,
    STATUSES: 1,
    PRIORITIES: 1,
    TICKET_TYPES: 1,
    FIELDS: 100,
}


# --- Tokens, errors and the profiles ------------------------------------------------------


def _signature(account: EmulatedAccount, issued: int, expires: int) -> str:
    message = f"{account.slug}:{account.secrets.get('client_id')}:{issued}:{expires}"
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def token_issue(account: EmulatedAccount, *, issued: int | None = None) -> tuple[str, int]:
    """A signed access token of the account's application and its lifetime in seconds."""
    issued = int(time.time()) if issued is None else issued
    lifetime = int(account.options.get("token_lifetime_seconds", TOKEN_LIFETIME_SECONDS))
    expires = issued + lifetime
    return f"halo.{issued}.{expires}.{_signature(account, issued, expires)}", lifetime


def token_valid(account: EmulatedAccount, token: str) -> bool:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != "halo" or not parts[1].isdigit() or not parts[2].isdigit():
        return False
    issued, expires = int(parts[1]), int(parts[2])
    if expires <= time.time() or issued < float(account.options.get("tokens_valid_after", 0)):
        return False
    return hmac.compare_digest(parts[3], _signature(account, issued, expires))


def _authenticate(request: HttpRequest, account: EmulatedAccount) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token_valid(account, token.strip())


def _error_body(status: int, code: str, message: str) -> Any:
    if status == 401:
        return {"Message": DENIED}
    return {"message": message, "status": status, "title": HTTPStatus(status).phrase}


def _oauth_error(status: int, code: str, message: str) -> Any:
    return {"error": code, "error_description": message}


PROFILE = EmulatorProfile(
    platform=PLATFORM,
    default_rate_limit_per_minute=RATE_LIMIT_CALLS,
    default_rate_window_seconds=float(RATE_LIMIT_PERIOD_SECONDS),
    authenticate=_authenticate,
    error_body=_error_body,
)
#: The authorization server: the same account and budget, its own error bodies, and the
#: client id and secret checked by the view rather than a token.
AUTH_PROFILE = EmulatorProfile(
    platform=PLATFORM,
    default_rate_limit_per_minute=RATE_LIMIT_CALLS,
    default_rate_window_seconds=float(RATE_LIMIT_PERIOD_SECONDS),
    authenticate=lambda request, account: True,
    error_body=_oauth_error,
)


def _bad_request(message: str) -> EmulatorError:
    return PROFILE.error(400, "BadRequest", message)


def _not_found(what: str) -> EmulatorError:
    return PROFILE.error(404, "NotFound", f"{what} not found.")


def token_view(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    if request.method != "POST":
        raise AUTH_PROFILE.error(405, "invalid_request", "Use POST.", Allow="POST")
    form = request.POST
    if form.get("grant_type") != "client_credentials":
        raise AUTH_PROFILE.error(400, "unsupported_grant_type", "Only client_credentials.")
    client_id = form.get("client_id", "")
    client_secret = form.get("client_secret", "")
    expected_id = account.secrets.get("client_id", "")
    expected_secret = account.secrets.get("client_secret", "")
    if not (
        hmac.compare_digest(client_id.encode(), expected_id.encode())
        and hmac.compare_digest(client_secret.encode(), expected_secret.encode())
    ):
        raise AUTH_PROFILE.error(400, "invalid_client", "Unknown client or wrong secret.")
    tenant = account.secrets.get("tenant")
    if tenant and request.GET.get("tenant") != tenant:
        raise AUTH_PROFILE.error(401, "invalid_tenant", "Unknown tenant.")
    token, lifetime = token_issue(account)
    return JsonResponse(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": form.get("scope") or "all",
        }
    )


# --- Requests and answers -----------------------------------------------------------------


def _objects(request: HttpRequest) -> list[dict[str, Any]]:
    """A POST body: Halo takes an array of objects (a single object is read as one)."""
    try:
        parsed = json.loads(request.body or b"[]")
    except (ValueError, UnicodeDecodeError):
        raise _bad_request("The request body is not valid JSON.") from None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
        raise _bad_request("The request body must be an array of objects.")
    if not parsed:
        raise _bad_request("The request body holds no object.")
    return parsed


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "").lower() in ("true", "1", "yes")


def _saved(rows: list[dict[str, Any]]) -> JsonResponse:
    """What a POST answers: the saved object, or the array of them."""
    return JsonResponse(rows[0] if len(rows) == 1 else rows, safe=False)


def _listed(
    request: HttpRequest,
    rows: list[dict[str, Any]],
    *,
    key: str,
    order_fields: frozenset[str] = frozenset({"id", "name"}),
) -> JsonResponse:
    """A list as Halo answers it: ``record_count`` and the page (or everything)."""
    order = request.GET.get("order", "id")
    if order in order_fields:
        rows = sorted(
            rows, key=lambda row: (row.get(order) is None, row.get(order) or 0, row["id"])
        )
    if _flag(request, "orderdesc"):
        rows.reverse()
    body: dict[str, Any] = {"record_count": len(rows)}
    if _flag(request, "pageinate"):
        size = _int(request.GET.get("page_size", DEFAULT_PAGE_SIZE))
        page = _int(request.GET.get("page_no", 1))
        if not size or size < 1 or not page or page < 1:
            raise _bad_request("page_size and page_no must be positive numbers.")
        size = min(size, MAX_PAGE_SIZE)
        body.update(page_no=page, page_size=size)
        rows = rows[(page - 1) * size : page * size]
    else:
        count = _int(request.GET.get("count"))
        if count:
            rows = rows[:count]
    body[key] = rows
    return JsonResponse(body)


def _search(rows: list[dict[str, Any]], request: HttpRequest, *fields: str) -> list[dict[str, Any]]:
    text = request.GET.get("search", "").strip().casefold()
    if not text:
        return rows
    return [row for row in rows if any(text in str(row.get(f) or "").casefold() for f in fields)]


def _all(account: EmulatedAccount, collection: str) -> QuerySet[EmulatedRecord]:
    return records(account=account, collection=collection)


def _get(account: EmulatedAccount, collection: str, number: int, *, what: str) -> EmulatedRecord:
    record = EmulatedRecord.objects.filter(
        account=account, collection=collection, number=number
    ).first()
    if record is None:
        raise _not_found(what)
    return record


def _exists(account: EmulatedAccount, collection: str, number: Any) -> bool:
    value = _int(number)
    return (
        value is not None
        and EmulatedRecord.objects.filter(
            account=account, collection=collection, number=value
        ).exists()
    )


def _store(
    account: EmulatedAccount,
    collection: str,
    data: dict[str, Any],
    *,
    moment: datetime | None = None,
    parent: int | None = None,
) -> EmulatedRecord:
    number = number_next(account=account, collection=collection, start=ID_STARTS[collection])
    data["id"] = number
    return record_create(
        account=account,
        collection=collection,
        data=data,
        number=number,
        parent_number=parent,
        created_at=moment,
        updated_at=timezone.now(),
    )


def _save(
    account: EmulatedAccount,
    collection: str,
    body: dict[str, Any],
    *,
    what: str,
    validate: Callable[[dict[str, Any], dict[str, Any] | None], dict[str, Any]],
    parent_of: Callable[[dict[str, Any]], int | None] = lambda data: None,
) -> dict[str, Any]:
    """Create, or update the record ``body["id"]`` names, with the fields ``validate``
    allows (given the body and the current data, it answers the data to keep)."""
    number = _int(body.get("id"))
    if number:
        record = _get(account, collection, number, what=what)
        data = validate(body, dict(record.data))
        data["id"] = number
        record.data = data
        record.parent_number = parent_of(data)
        record.updated_at = timezone.now()
        record.save(update_fields=["data", "parent_number", "updated_at"])
        return data
    data = validate(body, None)
    return _store(account, collection, data, parent=parent_of(data)).data


def _text(
    body: dict[str, Any], name: str, current: dict[str, Any] | None, default: str = ""
) -> str:
    if name in body:
        value = body[name]
        if value is not None and not isinstance(value, str):
            raise _bad_request(f"{name} must be text.")
        return value or ""
    return str((current or {}).get(name, default) or "")


def _bool(body: dict[str, Any], name: str, current: dict[str, Any] | None, default: bool) -> bool:
    if name in body:
        if not isinstance(body[name], bool):
            raise _bad_request(f"{name} must be true or false.")
        return body[name]
    return bool((current or {}).get(name, default))


def _ref(
    account: EmulatedAccount,
    body: dict[str, Any],
    name: str,
    current: dict[str, Any] | None,
    *,
    collection: str,
) -> int | None:
    """An id field that must name an existing record (0 or null for none)."""
    if name not in body:
        return (current or {}).get(name)
    value = body[name]
    if value in (None, 0, ""):
        return None
    number = _int(value)
    if number is None or not _exists(account, collection, number):
        raise _bad_request(f"{name} {value!r} does not exist.")
    return number


# --- Templates (the JSON each object is kept as) -----------------------------------------


def client_template(*, name: str) -> dict[str, Any]:
    return {"id": None, "name": name, "inactive": False, "notes": "", "website": ""}


def team_template(*, name: str) -> dict[str, Any]:
    return {"id": None, "name": name, "inactive": False, "description": "", "department_id": 1}


def agent_template(*, name: str, email: str) -> dict[str, Any]:
    return {
        "id": None,
        "name": name,
        "email": email,
        "isdisabled": False,
        "is_deleted": False,
        "teams": [],
        "phonenumber": "",
        "use": "agent",
    }


def user_template(*, name: str, email: str) -> dict[str, Any]:
    return {
        "id": None,
        "name": name,
        "emailaddress": email,
        "phonenumber": "",
        "mobilenumber": "",
        "client_id": None,
        "client_name": "",
        "site_id": None,
        "inactive": False,
    }


def ticket_template() -> dict[str, Any]:
    return {
        "id": None,
        "summary": "",
        "details": "",
        "status_id": 1,
        "priority_id": None,
        "tickettype_id": 1,
        "agent_id": None,
        "team_id": None,
        "team": "",
        "client_id": None,
        "client_name": "",
        "user_id": None,
        "user_name": "",
        "user_email": "",
        "dateoccurred": None,
        "last_update": None,
        "deadlinedate": None,
        "third_party_id": "",
        "customfields": [],
    }


def action_template() -> dict[str, Any]:
    return {
        "id": None,
        "ticket_id": None,
        "outcome": "Note",
        "note": "",
        "note_html": "",
        "hiddenfromuser": False,
        "who": "",
        "who_type": None,
        "who_agentid": None,
        "user_id": None,
        "emailfrom": "",
        "datetime": None,
        "actiondatecreated": None,
    }


def faq_list_template(*, name: str, parent_id: int = 0) -> dict[str, Any]:
    return {"id": None, "name": name, "parent_id": parent_id, "sequence": None}


def article_template() -> dict[str, Any]:
    return {
        "id": None,
        "name": "",
        "description": "",
        "faqlists": [],
        "inactive": False,
        "approved": True,
        "author_id": None,
        "datecreated": None,
        "last_update": None,
    }


#: What every Halo instance starts with: its statuses, priorities and ticket types.
BASE_STATUSES = (
    (1, "New", 1),
    (2, "In Progress", 2),
    (3, "Action Required", 3),
    (4, "Waiting on User", 4),
    (5, "On Hold", 5),
    (8, "Resolved", 8),
    (9, "Closed", 9),
)
BASE_PRIORITIES = ((1, "Critical"), (2, "High"), (3, "Medium"), (4, "Low"))
BASE_TICKET_TYPES = ((1, "Incident"), (2, "Service Request"), (3, "Problem"))


def base_objects_create(*, account: EmulatedAccount) -> None:
    """The lookups an instance always has (``account_create`` calls it after a reset)."""
    for number, name, sequence in BASE_STATUSES:
        record_create(
            account=account,
            collection=STATUSES,
            number=number,
            data={"id": number, "name": name, "sequence": sequence, "colour": "#4a90d9"},
        )
    for number, name in BASE_PRIORITIES:
        record_create(
            account=account, collection=PRIORITIES, number=number, data={"id": number, "name": name}
        )
    for number, name in BASE_TICKET_TYPES:
        record_create(
            account=account,
            collection=TICKET_TYPES,
            number=number,
            data={"id": number, "name": name, "use": "ticket"},
        )


# --- Lookups -------------------------------------------------------------------------------


def _lookup(collection: str) -> Callable[..., HttpResponseBase]:
    def view(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
        return JsonResponse([row.data for row in _all(account, collection)], safe=False)

    view.__name__ = f"{collection}_list"
    return view


# --- Clients, teams, agents, users ---------------------------------------------------------


def _client(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    data = current or client_template(name="")
    data["name"] = _text(body, "name", current).strip()
    if not data["name"]:
        raise _bad_request("A client needs a name.")
    data["notes"] = _text(body, "notes", current)
    data["website"] = _text(body, "website", current)
    data["inactive"] = _bool(body, "inactive", current, False)
    return data


def _team(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    data = current or team_template(name="")
    data["name"] = _text(body, "name", current).strip()
    if not data["name"]:
        raise _bad_request("A team needs a name.")
    data["description"] = _text(body, "description", current)
    data["inactive"] = _bool(body, "inactive", current, False)
    return data


def _agent_validator(account: EmulatedAccount) -> Callable[..., dict[str, Any]]:
    def validate(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        data = current or agent_template(name="", email="")
        data["name"] = _text(body, "name", current).strip()
        data["email"] = _text(body, "email", current).strip().lower()
        if not data["name"]:
            raise _bad_request("An agent needs a name.")
        if data["email"]:
            same = [
                row.number
                for row in _all(account, AGENTS)
                if str(row.data.get("email", "")).lower() == data["email"]
            ]
            if any(number != (current or {}).get("id") for number in same):
                raise _bad_request(f"An agent with the email {data['email']} already exists.")
        data["isdisabled"] = _bool(body, "isdisabled", current, False)
        data["phonenumber"] = _text(body, "phonenumber", current)
        if "teams" in body:
            teams = body["teams"] if isinstance(body["teams"], list) else None
            if teams is None:
                raise _bad_request("teams must be an array.")
            kept = []
            for item in teams:
                number = _int(item.get("team_id") if isinstance(item, dict) else None)
                if number is None or not _exists(account, TEAMS, number):
                    raise _bad_request(f"team {item!r} does not exist.")
                team = _get(account, TEAMS, number, what="Team")
                kept.append({"team_id": number, "team_name": team.data["name"]})
            data["teams"] = kept
        return data

    return validate


def _user_validator(account: EmulatedAccount) -> Callable[..., dict[str, Any]]:
    def validate(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        data = current or user_template(name="", email="")
        data["name"] = _text(body, "name", current).strip()
        if not data["name"]:
            raise _bad_request("A user needs a name.")
        data["emailaddress"] = _text(body, "emailaddress", current).strip()
        data["phonenumber"] = _text(body, "phonenumber", current)
        data["mobilenumber"] = _text(body, "mobilenumber", current)
        data["inactive"] = _bool(body, "inactive", current, False)
        client = _ref(account, body, "client_id", current, collection=CLIENTS)
        data["client_id"] = client
        data["client_name"] = (
            _get(account, CLIENTS, client, what="Client").data["name"] if client else ""
        )
        # Every user sits at a site of its client: the emulator's sites are the clients'.
        data["site_id"] = client
        return data

    return validate


def _list_view(
    collection: str, *, key: str, search: tuple[str, ...], filters: tuple[str, ...] = ()
) -> Callable[..., HttpResponseBase]:
    def view(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
        rows = [row.data for row in _all(account, collection)]
        for name in filters:
            if name in request.GET:
                wanted = _int(request.GET[name])
                rows = [row for row in rows if row.get(name) == wanted]
        if collection == AGENTS and not _flag(request, "includedeleted"):
            rows = [row for row in rows if not row.get("is_deleted")]
        return _listed(request, _search(rows, request, *search), key=key)

    view.__name__ = f"{collection}_list"
    return view


def _show_view(collection: str, *, what: str) -> Callable[..., HttpResponseBase]:
    def view(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
        return JsonResponse(_get(account, collection, number, what=what).data)

    view.__name__ = f"{collection}_show"
    return view


def _delete_view(collection: str, *, what: str) -> Callable[..., HttpResponseBase]:
    def view(request: HttpRequest, account: EmulatedAccount, number: int) -> HttpResponseBase:
        _get(account, collection, number, what=what).delete()
        if collection == TICKETS:
            for child in (ACTIONS, ATTACHMENTS):
                EmulatedRecord.objects.filter(
                    account=account, collection=child, parent_number=number
                ).delete()
        return JsonResponse({}, status=200)

    view.__name__ = f"{collection}_delete"
    return view


def _save_view(
    collection: str,
    *,
    what: str,
    validator: Callable[[EmulatedAccount], Callable[..., dict[str, Any]]],
    parent_of: Callable[[dict[str, Any]], int | None] = lambda data: None,
    after: Callable[[EmulatedAccount, dict[str, Any]], None] | None = None,
) -> Callable[..., HttpResponseBase]:
    def view(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
        saved = []
        validate = validator(account)
        for body in _objects(request):
            data = _save(
                account, collection, body, what=what, validate=validate, parent_of=parent_of
            )
            if after is not None:
                after(account, data)
            saved.append(data)
        return _saved(saved)

    view.__name__ = f"{collection}_save"
    return view


def agent_me(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    """The agent the API application acts as: the instance's first agent."""
    first = _all(account, AGENTS).first()
    if first is None:
        raise _not_found("Agent")
    return JsonResponse(first.data)


# --- Tickets, actions and attachments ------------------------------------------------------


def _custom_values(account: EmulatedAccount, values: Any) -> list[dict[str, Any]]:
    if not isinstance(values, list):
        raise _bad_request("customfields must be an array.")
    fields = {row.number: row.data for row in _all(account, FIELDS)}
    kept = []
    for item in values:
        number = _int(item.get("id")) if isinstance(item, dict) else None
        if number is None or number not in fields:
            raise _bad_request(f"custom field {item!r} does not exist.")
        field = fields[number]
        value = item.get("value")
        choices = {value_row["name"] for value_row in field.get("values", [])}
        if field.get("type") in (2, 3) and value not in (None, ""):
            picked = value if isinstance(value, list) else [value]
            unknown = [entry for entry in picked if entry not in choices]
            if unknown:
                raise _bad_request(f"{unknown[0]!r} is not a value of {field['name']}.")
        kept.append({"id": number, "name": field["name"], "value": value})
    return kept


def _moment_field(body: dict[str, Any], name: str, current: dict[str, Any] | None) -> str | None:
    if name not in body:
        return (current or {}).get(name)
    if body[name] in (None, ""):
        return None
    moment = parse_moment(body[name])
    if moment is None:
        raise _bad_request(f"{name} must be a date.")
    return isoformat(moment)


def _ticket_validator(account: EmulatedAccount) -> Callable[..., dict[str, Any]]:
    def validate(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        data = current or ticket_template()
        data["summary"] = _text(body, "summary", current).strip()
        if not data["summary"]:
            raise _bad_request("A ticket needs a summary.")
        if "details_html" in body or "details" in body:
            details = body.get("details_html", body.get("details"))
            data["details"] = details if isinstance(details, str) else ""
        for name, collection in (
            ("status_id", STATUSES),
            ("priority_id", PRIORITIES),
            ("tickettype_id", TICKET_TYPES),
            ("agent_id", AGENTS),
            ("team_id", TEAMS),
            ("client_id", CLIENTS),
            ("user_id", USERS),
        ):
            data[name] = _ref(account, body, name, current, collection=collection)
        if data["status_id"] is None:
            data["status_id"] = 1
        data["team"] = (
            _get(account, TEAMS, data["team_id"], what="Team").data["name"]
            if data["team_id"]
            else ""
        )
        data["client_name"] = (
            _get(account, CLIENTS, data["client_id"], what="Client").data["name"]
            if data["client_id"]
            else ""
        )
        if data["user_id"]:
            user = _get(account, USERS, data["user_id"], what="User").data
            data["user_name"] = user["name"]
            data["user_email"] = user["emailaddress"]
        elif "user_email" in body:
            data["user_email"] = _text(body, "user_email", current)
        data["third_party_id"] = _text(body, "third_party_id", current)
        data["dateoccurred"] = _moment_field(body, "dateoccurred", current) or isoformat(
            timezone.now()
        )
        data["deadlinedate"] = _moment_field(body, "deadlinedate", current)
        if "customfields" in body:
            data["customfields"] = _custom_values(account, body["customfields"])
        data["last_update"] = isoformat(timezone.now())
        return data

    return validate


def tickets_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    rows = [row.data for row in _all(account, TICKETS)]
    for name in ("user_id", "client_id", "agent_id", "team_id", "status_id"):
        if name in request.GET:
            wanted = _int(request.GET[name])
            rows = [row for row in rows if row.get(name) == wanted]
    if "third_party_id" in request.GET:
        rows = [row for row in rows if row.get("third_party_id") == request.GET["third_party_id"]]
    field = request.GET.get("datesearch", "dateoccurred")
    if field not in ("dateoccurred", "last_update"):
        raise _bad_request("datesearch must be dateoccurred or last_update.")
    for name, keep in (("startdate", lambda a, b: a >= b), ("enddate", lambda a, b: a <= b)):
        if name in request.GET:
            bound = parse_moment(request.GET[name])
            if bound is None:
                raise _bad_request(f"{name} must be a date.")
            rows = [
                row
                for row in rows
                if (moment := parse_moment(row.get(field))) is not None and keep(moment, bound)
            ]
    rows = _search(rows, request, "summary")
    return _listed(
        request, rows, key="tickets", order_fields=frozenset({"id", "dateoccurred", "last_update"})
    )


def _touch_ticket(account: EmulatedAccount, number: int) -> None:
    record = _get(account, TICKETS, number, what="Ticket")
    record.data["last_update"] = isoformat(timezone.now())
    record.updated_at = timezone.now()
    record.save(update_fields=["data", "updated_at"])


def _action_validator(account: EmulatedAccount) -> Callable[..., dict[str, Any]]:
    def validate(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        data = current or action_template()
        ticket = _ref(account, body, "ticket_id", current, collection=TICKETS)
        if ticket is None:
            raise _bad_request("An action needs the ticket_id of an existing ticket.")
        data["ticket_id"] = ticket
        data["outcome"] = _text(body, "outcome", current, "Note") or "Note"
        if "note_html" in body or "note" in body:
            data["note_html"] = _text(body, "note_html", None) or ""
            data["note"] = _text(body, "note", None) or ""
        data["hiddenfromuser"] = _bool(body, "hiddenfromuser", current, False)
        data["who"] = _text(body, "who", current)
        data["who_type"] = _int(body.get("who_type", data.get("who_type")))
        data["who_agentid"] = _ref(account, body, "who_agentid", current, collection=AGENTS)
        data["user_id"] = _ref(account, body, "user_id", current, collection=USERS)
        data["emailfrom"] = _text(body, "emailfrom", current)
        now = isoformat(timezone.now())
        data["datetime"] = _moment_field(body, "datetime", current) or now
        data["actiondatecreated"] = data.get("actiondatecreated") or now
        return data

    return validate


def _action_saved(account: EmulatedAccount, data: dict[str, Any]) -> None:
    _touch_ticket(account, data["ticket_id"])


def actions_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    ticket = _int(request.GET.get("ticket_id"))
    if ticket is None:
        raise _bad_request("ticket_id is required.")
    rows = [
        row.data
        for row in EmulatedRecord.objects.filter(
            account=account, collection=ACTIONS, parent_number=ticket
        ).order_by("number")
    ]
    if _flag(request, "excludeprivate"):
        rows = [row for row in rows if not row.get("hiddenfromuser")]
    return _listed(request, rows, key="actions")


def attachment_max_bytes(account: EmulatedAccount) -> int:
    return int(account.options.get("max_attachment_bytes", MAX_ATTACHMENT_BYTES))


def attachments_save(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    saved = []
    for body in _objects(request):
        ticket = _int(body.get("ticket_id"))
        if ticket is None or not _exists(account, TICKETS, ticket):
            raise _bad_request("An attachment needs the ticket_id of an existing ticket.")
        action = _int(body.get("action_id")) or None
        if action is not None and not _exists(account, ACTIONS, action):
            raise _bad_request(f"action_id {action} does not exist.")
        name = body.get("filename")
        if not isinstance(name, str) or not name.strip():
            raise _bad_request("An attachment needs a filename.")
        try:
            content = base64.b64decode(str(body.get("data_base64") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise _bad_request("data_base64 is not base64.") from None
        if len(content) > attachment_max_bytes(account):
            raise PROFILE.error(
                413, "PayloadTooLarge", f"{name} is larger than the largest upload allowed."
            )
        blob = blob_store(
            account=account,
            token=f"halo-{uuid.uuid4().hex}",
            file_name=name,
            content_type=str(body.get("contenttype") or "application/octet-stream"),
            chunks=iter([content]),
        )
        data = attachment_data(blob=blob, ticket_id=ticket, action_id=action, moment=timezone.now())
        saved.append(_store(account, ATTACHMENTS, data, parent=ticket).data)
    return _saved(saved)


def attachment_data(
    *, blob: EmulatedBlob, ticket_id: int, action_id: int | None, moment: datetime
) -> dict[str, Any]:
    return {
        "id": None,
        "filename": blob.file_name,
        "filesize": blob.size,
        "contenttype": blob.content_type,
        "ticket_id": ticket_id,
        "action_id": action_id or 0,
        "type": 0,
        "datecreated": isoformat(moment),
        "blob": blob.token,
    }


def _attachment_json(data: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name != "blob"}


def attachments_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    ticket = _int(request.GET.get("ticket_id"))
    if ticket is None:
        raise _bad_request("ticket_id is required.")
    rows = [
        _attachment_json(row.data)
        for row in EmulatedRecord.objects.filter(
            account=account, collection=ATTACHMENTS, parent_number=ticket
        ).order_by("number")
    ]
    action = _int(request.GET.get("action_id"))
    if action:
        rows = [row for row in rows if row.get("action_id") == action]
    return _listed(request, rows, key="attachments")


def attachment_download(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    record = _get(account, ATTACHMENTS, number, what="Attachment")
    blob = EmulatedBlob.objects.filter(account=account, token=record.data.get("blob")).first()
    if blob is None:
        raise _not_found("Attachment")
    return blob_response(blob)


def attachment_delete(
    request: HttpRequest, account: EmulatedAccount, number: int
) -> HttpResponseBase:
    _get(account, ATTACHMENTS, number, what="Attachment").delete()
    return JsonResponse({})


# --- Knowledge base ------------------------------------------------------------------------


def _faq_validator(account: EmulatedAccount) -> Callable[..., dict[str, Any]]:
    def validate(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        data = current or faq_list_template(name="")
        data["name"] = _text(body, "name", current).strip()
        if not data["name"]:
            raise _bad_request("A FAQ list needs a name.")
        parent = _ref(account, body, "parent_id", current, collection=FAQ_LISTS)
        if parent is not None and parent == data.get("id"):
            raise _bad_request("A FAQ list cannot be its own parent.")
        data["parent_id"] = parent or 0
        if "sequence" in body:
            data["sequence"] = _int(body["sequence"])
        return data

    return validate


def _article_validator(account: EmulatedAccount) -> Callable[..., dict[str, Any]]:
    def validate(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        data = current or article_template()
        data["name"] = _text(body, "name", current).strip()
        if not data["name"]:
            raise _bad_request("An article needs a name.")
        data["description"] = _text(body, "description", current)
        if "faqlists" in body:
            lists = body["faqlists"] if isinstance(body["faqlists"], list) else None
            if lists is None:
                raise _bad_request("faqlists must be an array.")
            kept = []
            for item in lists:
                number = _int(item.get("id") if isinstance(item, dict) else None)
                if number is None or not _exists(account, FAQ_LISTS, number):
                    raise _bad_request(f"FAQ list {item!r} does not exist.")
                kept.append({"id": number})
            data["faqlists"] = kept
        data["inactive"] = _bool(body, "inactive", current, False)
        data["approved"] = _bool(body, "approved", current, True)
        data["author_id"] = _ref(account, body, "author_id", current, collection=AGENTS)
        now = isoformat(timezone.now())
        data["datecreated"] = _moment_field(body, "datecreated", current) or now
        data["last_update"] = now
        return data

    return validate


def articles_list(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    rows = [row.data for row in _all(account, ARTICLES)]
    faq = _int(request.GET.get("faqlist_id"))
    if faq:
        rows = [row for row in rows if any(item["id"] == faq for item in row.get("faqlists", []))]
    return _listed(request, _search(rows, request, "name"), key="articles")


# --- Routing -------------------------------------------------------------------------------


def _endpoint(**handlers: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """One URL of the API: token, rate limit and faults from the profile, then the handler
    of the method (405 otherwise)."""

    def dispatch(request: HttpRequest, account: EmulatedAccount, **kwargs: Any) -> HttpResponseBase:
        handler = handlers.get(request.method or "")
        if handler is None:
            raise PROFILE.error(
                405, "MethodNotAllowed", f"{request.method} is not allowed here.",
                Allow=", ".join(handlers),
            )  # fmt: skip
        return handler(request, account, **kwargs)

    dispatch.__name__ = "_".join(handler.__name__ for handler in handlers.values())
    return PROFILE.endpoint(dispatch)


def _resource(
    name: str,
    collection: str,
    *,
    key: str,
    what: str,
    validator: Callable[[EmulatedAccount], Callable[..., dict[str, Any]]],
    search: tuple[str, ...] = ("name",),
    filters: tuple[str, ...] = (),
    parent_of: Callable[[dict[str, Any]], int | None] = lambda data: None,
) -> Iterator[tuple[str, Callable[..., HttpResponseBase]]]:
    yield (
        name,
        _endpoint(
            GET=_list_view(collection, key=key, search=search, filters=filters),
            POST=_save_view(collection, what=what, validator=validator, parent_of=parent_of),
        ),
    )
    yield (
        f"{name}/<int:number>",
        _endpoint(
            GET=_show_view(collection, what=what), DELETE=_delete_view(collection, what=what)
        ),
    )


def _static(validate: Callable[..., dict[str, Any]]) -> Callable[[EmulatedAccount], Any]:
    return lambda account: validate


API_ROUTES: list[tuple[str, Callable[..., HttpResponseBase]]] = [
    ("Agent/me", _endpoint(GET=agent_me)),
    *_resource("Client", CLIENTS, key="clients", what="Client", validator=_static(_client)),
    *_resource("Team", TEAMS, key="teams", what="Team", validator=_static(_team)),
    *_resource(
        "Agent",
        AGENTS,
        key="agents",
        what="Agent",
        validator=_agent_validator,
        search=("name", "email"),
    ),
    *_resource(
        "Users",
        USERS,
        key="users",
        what="User",
        validator=_user_validator,
        search=("name", "emailaddress"),
        filters=("client_id",),
    ),
    (
        "Tickets",
        _endpoint(
            GET=tickets_list,
            POST=_save_view(TICKETS, what="Ticket", validator=_ticket_validator),
        ),
    ),
    (
        "Tickets/<int:number>",
        _endpoint(
            GET=_show_view(TICKETS, what="Ticket"), DELETE=_delete_view(TICKETS, what="Ticket")
        ),
    ),
    (
        "Actions",
        _endpoint(
            GET=actions_list,
            POST=_save_view(
                ACTIONS,
                what="Action",
                validator=_action_validator,
                parent_of=lambda data: data["ticket_id"],
                after=_action_saved,
            ),
        ),
    ),
    (
        "Actions/<int:number>",
        _endpoint(
            GET=_show_view(ACTIONS, what="Action"), DELETE=_delete_view(ACTIONS, what="Action")
        ),
    ),
    ("Attachment", _endpoint(GET=attachments_list, POST=attachments_save)),
    ("Attachment/<int:number>", _endpoint(GET=attachment_download, DELETE=attachment_delete)),
    *_resource(
        "FAQLists",
        FAQ_LISTS,
        key="faqlists",
        what="FAQ list",
        validator=_faq_validator,
        parent_of=lambda data: data.get("parent_id") or None,
    ),
    (
        "KBArticle",
        _endpoint(
            GET=articles_list,
            POST=_save_view(ARTICLES, what="Article", validator=_article_validator),
        ),
    ),
    (
        "KBArticle/<int:number>",
        _endpoint(
            GET=_show_view(ARTICLES, what="Article"), DELETE=_delete_view(ARTICLES, what="Article")
        ),
    ),
    ("Status", _endpoint(GET=_lookup(STATUSES))),
    ("Priority", _endpoint(GET=_lookup(PRIORITIES))),
    ("TicketType", _endpoint(GET=_lookup(TICKET_TYPES))),
    ("FieldInfo", _endpoint(GET=_lookup(FIELDS))),
]

urlpatterns = [
    *(path(f"api/{route}", view) for route, view in API_ROUTES),
    path("auth/token", AUTH_PROFILE.endpoint(token_view)),
]
