"""The eDesk layer over :class:`connectors.http.HttpClient`: the Bearer token, the rate
budget that keeps inside eDesk's token bucket, plain messages for eDesk's refusals, list
pages with their paginator, and file uploads.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from connectors.budgets import RateLimitHeaders
from connectors.edesk import (
    KEY,
    RATE_LIMIT_BURST,
    RATE_LIMIT_REFILL_PER_SECOND,
    EdeskCredentials,
)
from connectors.edesk.payloads import PLATFORM, EdeskPaginator, data_of, page_items
from connectors.errors import InvalidRecordError, MalformedResponseError, TransientError
from connectors.http import HttpClient
from connectors.messages import Message, gettext_noop, refused_record

logger = logging.getLogger(__name__)

API_PREFIX = "v1/"
#: eDesk's reference documents a bucket of 60 calls refilled at 2 a second and no header
#: announcing it: 60 calls in any 30 seconds never empty the bucket; a 429's
#: ``Retry-After`` is read.
RATE_LIMIT_HEADERS = RateLimitHeaders(
    window_seconds=RATE_LIMIT_BURST / RATE_LIMIT_REFILL_PER_SECOND,
    default_limit=RATE_LIMIT_BURST,
)
#: Records per page asked for on lists.
LIST_PAGE_MAX = 100
#: A body cut short is read again this many times before giving up (GETs only).
TRUNCATED_BODY_RETRIES = 2

STATUS_MESSAGES: dict[int, str] = {
    401: "eDesk refused the API token; it may have expired: generate a new one",
    403: (
        "eDesk refused this change: the API token is read-only or lacks access; "
        "generate a token with Full Access"
    ),
}
#: For a 404 on the account's own lists, not on a record.
ACCOUNT_NOT_FOUND = "no eDesk account at this address"

#: The validation error codes of the reference, as words.
ERROR_CODES: dict[int, str] = {
    4001: "missing required field",
    4002: "not able to find an object",
    4003: "must be a unique value",
    4004: "the user cannot access this object",
    4005: "must be a numeric value",
    4006: "must be an array",
    4007: "must be one of the allowed values",
    4008: "must be a string",
    4009: "must be a boolean",
    4010: "must be a valid date",
    4011: "must be a valid file url",
    4012: "must be a valid image url",
    4013: "related channel type is not supported",
    4014: "mismatch between sales order and channel",
    4015: "mismatch between client and channels",
    4016: "templates limit exceeded",
    4017: "mismatch between sales order and sales order item",
    4018: "custom field value must match the type",
    4019: "each attachment must be a name and a url",
    4020: "too long",
    4021: "must be an email",
    4022: "too many message items",
}


def rate_budget_account(url: str) -> str:
    """The rate budget's account key: the API host (plus the path of a sandbox account,
    several of which share one host). Every real account shares api.edesk.com, so the
    budget is per token there."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/").lower()


def http_client_options(credentials: EdeskCredentials) -> dict[str, Any]:
    """What :meth:`ConnectorBase.open_http_client` needs to reach one eDesk account.

    eDesk's bucket holds 60 calls and refills 2 a second: 60 calls in any 30 seconds
    never empty it, and keep its whole refill rate in use.
    """
    token = credentials.api_token.get_secret_value()
    account = rate_budget_account(credentials.api_url)
    if urlsplit(credentials.api_url).path in ("", "/"):
        # One host for every customer: tell accounts apart by a digest of their token.
        account += "#" + hashlib.sha256(token.encode()).hexdigest()[:12]
    return {
        "base_url": credentials.api_url,
        "platform": KEY,
        "account": account,
        "headers": {"Authorization": f"Bearer {token}"},
        "rate_limit_headers": RATE_LIMIT_HEADERS,
        "status_messages": STATUS_MESSAGES,
    }


@dataclass(frozen=True)
class ListPage:
    items: list[Any]
    paginator: EdeskPaginator


class EdeskApi:
    """Calls under ``/v1/`` of one account."""

    def __init__(self, *, http: HttpClient) -> None:
        self.http = http

    def get(self, path: str, *, entity: str, params: Mapping[str, Any] | None = None) -> Any:
        """The ``data`` of a single object's answer."""
        return data_of(self._get(path, entity=entity, params=params), what=entity)

    def list_page(
        self, path: str, *, entity: str, params: Mapping[str, Any] | None = None
    ) -> ListPage:
        items, paginator = page_items(self._get(path, entity=entity, params=params), what=entity)
        return ListPage(items=items, paginator=paginator)

    def list_all(
        self, path: str, *, entity: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[Any]:
        """Every item of a list, page after page."""
        page = 1
        while True:
            paging = {"page": page, "itemsPerPage": LIST_PAGE_MAX}
            listed = self.list_page(path, entity=entity, params={**(params or {}), **paging})
            yield from listed.items
            if not listed.items or not listed.paginator.has_next:
                return
            page += 1

    def total(self, path: str, *, entity: str, params: Mapping[str, Any] | None = None) -> int:
        """How many records a list holds, from the paginator of a one-record page."""
        paging = {"page": 1, "itemsPerPage": 1}
        listed = self.list_page(path, entity=entity, params={**(params or {}), **paging})
        return listed.paginator.total_items_count

    def post(self, path: str, *, entity: str, body: Mapping[str, Any]) -> Any:
        return self._write("POST", path, entity=entity, json=dict(body))

    def put(self, path: str, *, entity: str, body: Mapping[str, Any]) -> Any:
        return self._write("PUT", path, entity=entity, json=dict(body))

    def delete(self, path: str, *, entity: str) -> None:
        self.http.delete(API_PREFIX + path, entity=entity)

    def upload(self, *, file_name: str, content_type: str, file: IO[bytes], entity: str) -> Any:
        """``POST /attachments`` with one file, streamed from ``file`` (rewound on each
        attempt). A repeated upload only leaves an unused file, so it is retried."""
        return self._write(
            "POST",
            "attachments",
            entity=entity,
            files={"file": (file_name, file, content_type)},
            idempotent=True,
        )

    # ------------------------------------------------------------------- internals

    def _get(self, path: str, *, entity: str, params: Mapping[str, Any] | None) -> Any:
        """The parsed body; a body cut short on the way is asked for again (safe for a GET)."""
        attempt = 0
        while True:
            response = self.http.request("GET", API_PREFIX + path, entity=entity, params=params)
            try:
                return _decoded(response)
            except MalformedResponseError:
                if attempt >= TRUNCATED_BODY_RETRIES:
                    raise
            attempt += 1
            logger.info("eDesk answered GET %s with a body that is not JSON; asking again", path)

    def _write(self, method: str, path: str, *, entity: str, **options: Any) -> Any:
        try:
            response = self.http.request(method, API_PREFIX + path, entity=entity, **options)
        except InvalidRecordError as refused:
            raise InvalidRecordError(
                refusal_message(refused, what=entity), status=refused.status, detail=refused.detail
            ) from refused
        try:
            return data_of(_decoded(response), what=entity)
        except MalformedResponseError as garbled:
            # The write went through but its answer did not arrive whole.
            raise TransientError(
                Message(
                    gettext_noop(
                        "eDesk's answer to saving the %(noun)s was cut short; the change may or "
                        "may not have been applied"
                    ),
                    {"noun": _noun(entity)},
                ),
                status=response.status_code,
                ambiguous=True,
            ) from garbled


def _decoded(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise MalformedResponseError(
            Message(
                gettext_noop(
                    "%(platform)s answered with something that is not valid JSON (HTTP "
                    "%(status_code)s, %(len)s bytes)"
                ),
                {
                    "platform": PLATFORM,
                    "status_code": response.status_code,
                    "len": len(response.content),
                },
            ),
            status=response.status_code,
        ) from None


_NOUNS = {"agents": "user", "contacts": "contact", "tickets": "ticket", "attachments": "file"}


def _noun(entity: str) -> str:
    return _NOUNS.get(entity, entity)


def field_errors(error: InvalidRecordError) -> dict[str, int]:
    """Field -> error code of a validation answer
    (``{"error": {"details": {"email": {"errorCode": 4003}}}}``)."""
    try:
        parsed = json.loads(error.detail) if error.detail else None
    except ValueError:
        return {}
    details = parsed.get("error", {}).get("details") if isinstance(parsed, dict) else None
    if not isinstance(details, dict):
        return {}
    return {
        str(name): value["errorCode"]
        for name, value in details.items()
        if isinstance(value, dict) and isinstance(value.get("errorCode"), int)
    }


def refusal_message(error: InvalidRecordError, *, what: str) -> Message | str:
    """A plain sentence from eDesk's validation details: "eDesk refused the contact:
    email: must be a unique value (4003)"."""
    reasons = [
        f"{name}: {ERROR_CODES.get(code, 'invalid')} ({code})"
        for name, code in field_errors(error).items()
    ]
    if not reasons:
        return error.message or error.user_message
    return refused_record(platform="eDesk", what=_noun(what), answer="; ".join(reasons))
