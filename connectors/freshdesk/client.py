"""The Freshdesk layer over :class:`connectors.http.HttpClient`: how to sign in, which
rate budget an account spends, plain messages for Freshdesk's refusals, pages with their
``Link`` header, multipart bodies for attachments, and the field errors of a 400.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from connectors.budgets import RateLimitHeaders
from connectors.errors import InvalidRecordError, MalformedResponseError, TransientError
from connectors.freshdesk import CAPABILITIES, KEY, FreshdeskCredentials
from connectors.freshdesk.payloads import PLATFORM, link_next_page, multipart_fields
from connectors.http import HttpClient
from connectors.messages import Message, gettext_noop, refused_record
from connectors.wire import envelope_items

logger = logging.getLogger(__name__)

API_PREFIX = "api/v2/"
#: Freshdesk's per-minute limit, in every answer (developers.freshdesk.com/api, "Rate
#: Limit"): ``X-RateLimit-Total``, ``X-RateLimit-Remaining`` and
#: ``X-RateLimit-Used-CurrentRequest``; no reset header, a 429 carries ``Retry-After``.
RATE_LIMIT_HEADERS = RateLimitHeaders(
    limit=("X-RateLimit-Total",),
    remaining=("X-RateLimit-Remaining",),
    window_seconds=60.0,
    default_limit=CAPABILITIES.rate_limit_per_minute,
)
#: Records per page Freshdesk allows on its lists.
LIST_PAGE_MAX = 100
#: A body cut short is read again this many times before giving up (GETs only).
TRUNCATED_BODY_RETRIES = 2

STATUS_MESSAGES: dict[int, str] = {
    401: "Freshdesk refused the API key",
    403: "this API key's agent is not an administrator",
}
#: For a 404 on the account's own endpoints (``agents/me``), not on a record.
ACCOUNT_NOT_FOUND = "no Freshdesk account at this address"


def rate_budget_account(url: str) -> str:
    """The rate budget's account key: the Freshdesk host (plus the path of a sandbox
    account, several of which share one host)."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/").lower()


def http_client_options(credentials: FreshdeskCredentials) -> dict[str, Any]:
    """What :meth:`ConnectorBase.open_http_client` needs to reach one Freshdesk account.

    Freshdesk takes the API key as the Basic user name; the password is ignored and
    conventionally "X".
    """
    return {
        "base_url": credentials.url,
        "platform": KEY,
        "account": rate_budget_account(credentials.url),
        "auth": (credentials.api_key.get_secret_value(), "X"),
        "rate_limit_headers": RATE_LIMIT_HEADERS,
        "status_messages": STATUS_MESSAGES,
    }


@dataclass(frozen=True)
class Upload:
    """One file of a multipart body: a seekable binary file, read from its start on
    every attempt."""

    file_name: str
    content_type: str
    file: IO[bytes]
    size: int


@dataclass(frozen=True)
class ListPage:
    items: list[Any]
    has_next: bool


class FreshdeskApi:
    """Calls under ``/api/v2/`` of one account."""

    def __init__(self, *, http: HttpClient) -> None:
        self.http = http

    def get(self, path: str, *, entity: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._get(path, entity=entity, params=params)[0]

    def list_page(
        self, path: str, *, entity: str, params: Mapping[str, Any] | None = None
    ) -> ListPage:
        """One page of a list (a bare JSON array) and whether a ``Link`` names a next one."""
        body, headers = self._get(path, entity=entity, params=params)
        items = envelope_items(body, key=None, platform=PLATFORM, what=_noun(entity))
        return ListPage(items=items, has_next=link_next_page(headers.get("Link")) is not None)

    def list_all(
        self, path: str, *, entity: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[Any]:
        """Every item of a list, page after page."""
        page = 1
        while True:
            paging = {"page": page, "per_page": LIST_PAGE_MAX}
            listed = self.list_page(path, entity=entity, params={**(params or {}), **paging})
            yield from listed.items
            if not listed.has_next:
                return
            page += 1

    def post(
        self,
        path: str,
        *,
        entity: str,
        body: Mapping[str, Any],
        uploads: Sequence[Upload] = (),
        idempotent: bool | None = None,
    ) -> Any:
        """``idempotent=True`` when Freshdesk refuses a second one (a translation in a
        language): the POST may then be sent again after a lost answer."""
        return self._write(
            "POST", path, entity=entity, body=body, uploads=uploads, idempotent=idempotent
        )

    def put(
        self, path: str, *, entity: str, body: Mapping[str, Any], uploads: Sequence[Upload] = ()
    ) -> Any:
        return self._write("PUT", path, entity=entity, body=body, uploads=uploads)

    def delete(self, path: str, *, entity: str, params: Mapping[str, Any] | None = None) -> None:
        self.http.delete(API_PREFIX + path, entity=entity, params=params)

    # ------------------------------------------------------------------- internals

    def _get(
        self, path: str, *, entity: str, params: Mapping[str, Any] | None
    ) -> tuple[Any, httpx.Headers]:
        """The parsed body and the headers; a body cut short on the way is asked for again,
        which is safe for a GET."""
        attempt = 0
        while True:
            response = self.http.request("GET", API_PREFIX + path, entity=entity, params=params)
            try:
                return _decoded(response), response.headers
            except MalformedResponseError:
                if attempt >= TRUNCATED_BODY_RETRIES:
                    raise
            attempt += 1
            logger.info(
                "Freshdesk answered GET %s with a body that is not JSON; asking again", path
            )

    def _write(
        self,
        method: str,
        path: str,
        *,
        entity: str,
        body: Mapping[str, Any],
        uploads: Sequence[Upload],
        idempotent: bool | None = None,
    ) -> Any:
        options: dict[str, Any] = {"json": dict(body), "idempotent": idempotent}
        if uploads:
            # Attachments only travel in multipart bodies; the fields go beside them.
            data: dict[str, list[str]] = {}
            for name, value in multipart_fields(body):
                data.setdefault(name, []).append(value)
            files = [
                ("attachments[]", (upload.file_name, upload.file, upload.content_type))
                for upload in uploads
            ]
            options = {"data": data, "files": files, "idempotent": idempotent}
        try:
            response = self.http.request(method, API_PREFIX + path, entity=entity, **options)
        except InvalidRecordError as refused:
            raise InvalidRecordError(
                refusal_message(refused, what=entity),
                status=refused.status,
                detail=refused.detail,
            ) from refused
        try:
            return _decoded(response)
        except MalformedResponseError as garbled:
            # The write went through but its answer did not arrive whole.
            raise TransientError(
                Message(
                    gettext_noop(
                        "Freshdesk's answer to saving the %(noun)s was cut short; the change may "
                        "or may not have been applied"
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
                    "Freshdesk answered with something that is not valid JSON (HTTP "
                    "%(status_code)s, %(len)s bytes)"
                ),
                {"status_code": response.status_code, "len": len(response.content)},
            ),
            status=response.status_code,
        ) from None


_NOUNS = {
    "organizations": "company",
    "groups": "group",
    "agents": "agent",
    "contacts": "contact",
    "tickets": "ticket",
    "conversations": "conversation",
    "article_categories": "solution category",
    "article_sections": "solution folder",
    "articles": "solution article",
}


def _noun(entity: str) -> str:
    """What one record of a call's entity label is called on Freshdesk."""
    return _NOUNS.get(entity, entity)


def field_errors(error: InvalidRecordError) -> list[dict[str, Any]]:
    """The ``errors`` of a Freshdesk 400/409 body (``[{"field", "message", "code"}]``)."""
    try:
        parsed = json.loads(error.detail) if error.detail else None
    except ValueError:
        return []
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    return [item for item in errors or [] if isinstance(item, dict)]


def refusal_message(error: InvalidRecordError, *, what: str) -> Message | str:
    """A plain sentence from Freshdesk's field errors: "Freshdesk refused the ticket:
    email: It should be a unique value"."""
    reasons = [
        f"{item['field']}: {item.get('message')}" if item.get("field") else str(item.get("message"))
        for item in field_errors(error)
    ]
    if not reasons:
        return error.message or error.user_message
    return refused_record(platform="Freshdesk", what=_noun(what), answer="; ".join(reasons))
