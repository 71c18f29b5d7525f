"""The Halo layer over :class:`connectors.http.HttpClient`: the client-credentials token
(fetched from the authorization server, cached in the process, renewed a minute before it
expires and once when the API answers 401), the rate budget of an instance (500 calls in
5 minutes), Halo's pages (``pageinate``/``page_size``/``page_no`` answered with
``record_count``), its array bodies and base64 uploads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from connectors.budgets import RateLimitHeaders
from connectors.errors import (
    AuthenticationError,
    InvalidRecordError,
    MalformedResponseError,
    NotFoundError,
    TransientError,
)
from connectors.halo import KEY, RATE_LIMIT_CALLS, RATE_LIMIT_PERIOD_SECONDS, HaloCredentials
from connectors.halo.payloads import PLATFORM, created_record, list_items, record_count
from connectors.http import Download, HttpClient
from connectors.messages import Message, gettext_noop, refused_record
from connectors.wire import MalformedPayloadError

logger = logging.getLogger(__name__)

#: Halo documents its limit (500 calls in 5 minutes per instance) but no header announcing
#: it: only a 429's ``Retry-After`` is read.
RATE_LIMIT_HEADERS = RateLimitHeaders(
    window_seconds=float(RATE_LIMIT_PERIOD_SECONDS), default_limit=RATE_LIMIT_CALLS
)
#: Records per page the lists are asked for.
LIST_PAGE_MAX = 100
#: A token is renewed this many seconds before Halo says it expires.
TOKEN_RENEW_MARGIN_SECONDS = 60.0
#: A body cut short is read again this many times before giving up (GETs only).
TRUNCATED_BODY_RETRIES = 2
SCOPE = "all"

REFUSED_ACCESS = (
    "Halo refused the access token of the API application; check that the application is "
    "still active under Configuration > Integrations > HaloPSA API > View Applications"
)
REFUSED_CLIENT = (
    "Halo refused the client ID and secret: check them under Configuration > Integrations > "
    "HaloPSA API > View Applications, the authorization server and, for a hosted instance, "
    "the tenant"
)
FORBIDDEN = (
    "Halo accepted the application but refused this operation: give the application's agent "
    "administrator rights and the 'all' permission"
)
NO_AUTH_SERVER = "no Halo authorization server answers at this address"
ACCOUNT_NOT_FOUND = "no Halo API at this resource server address"


def rate_budget_account(url: str) -> str:
    """The rate budget's account key: the resource server's host and path (sandbox accounts
    share one host)."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/").lower()


def http_client_options(credentials: HaloCredentials) -> dict[str, Any]:
    """What :meth:`ConnectorBase.open_http_client` needs to reach the API. The token goes in
    each request's header (:class:`HaloApi`), since it changes while the client lives."""
    return {
        "base_url": credentials.resource_server,
        "platform": KEY,
        "account": rate_budget_account(credentials.resource_server),
        "rate_limit_headers": RATE_LIMIT_HEADERS,
        "status_messages": {401: REFUSED_ACCESS, 403: FORBIDDEN},
    }


def token_client_options(credentials: HaloCredentials) -> dict[str, Any]:
    """The authorization server's client; its calls count in the instance's budget."""
    return {
        "base_url": credentials.auth_server,
        "platform": KEY,
        "account": rate_budget_account(credentials.resource_server),
        "rate_limit_headers": RATE_LIMIT_HEADERS,
        "status_messages": {401: REFUSED_CLIENT, 403: REFUSED_CLIENT, 404: NO_AUTH_SERVER},
    }


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class AccessToken:
    value: str
    #: When to stop using it (clock seconds): its expiry less the renewal margin.
    renew_at: float


_tokens: dict[tuple[str, ...], AccessToken] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop every cached token of this process (tests, rotated secrets)."""
    with _tokens_lock:
        _tokens.clear()


class TokenSource:
    """Access tokens of one API application, shared by the connectors of a process.

    A token is fetched with the client-credentials grant, kept until a minute before it
    expires and fetched again when the API refuses it (:meth:`refused`).
    """

    def __init__(
        self,
        *,
        http: HttpClient,
        credentials: HaloCredentials,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.clock = clock
        secret = credentials.client_secret.get_secret_value()
        self._key = (
            credentials.auth_server,
            credentials.tenant,
            credentials.client_id,
            hashlib.sha256(secret.encode()).hexdigest(),
        )

    def token(self) -> str:
        with _tokens_lock:
            cached = _tokens.get(self._key)
        if cached is not None and self.clock() < cached.renew_at:
            return cached.value
        fresh = self._fetch()
        with _tokens_lock:
            _tokens[self._key] = fresh
        return fresh.value

    def refused(self, token: str) -> None:
        """The API answered 401 to ``token``: the next call fetches another."""
        with _tokens_lock:
            cached = _tokens.get(self._key)
            if cached is not None and cached.value == token:
                del _tokens[self._key]

    def _fetch(self) -> AccessToken:
        credentials = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret.get_secret_value(),
            "scope": SCOPE,
        }
        params = {"tenant": credentials.tenant} if credentials.tenant else None
        started = self.clock()
        try:
            # A repeated token request only hands out another token: safe to retry.
            response = self.http.request(
                "POST", "token", entity="token", data=form, params=params, idempotent=True
            )
        except InvalidRecordError as refused:
            raise AuthenticationError(
                REFUSED_CLIENT, status=refused.status, detail=refused.detail
            ) from None
        except NotFoundError as missing:
            raise NotFoundError(NO_AUTH_SERVER, status=404, detail=missing.detail) from None
        payload = _decoded(response)
        value = payload.get("access_token") if isinstance(payload, dict) else None
        lifetime = payload.get("expires_in") if isinstance(payload, dict) else None
        if not isinstance(value, str) or not value:
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "%(platform)s's authorization server answered without an access token."
                    ),
                    {"platform": PLATFORM},
                ),
                field="access_token",
            )
        if not isinstance(lifetime, int | float) or isinstance(lifetime, bool):
            lifetime = 3600
        logger.debug("Halo token fetched for client %s, valid %ss", credentials.client_id, lifetime)
        return AccessToken(
            value=value, renew_at=started + max(0.0, float(lifetime) - TOKEN_RENEW_MARGIN_SECONDS)
        )


# --------------------------------------------------------------------------- the API


@dataclass(frozen=True)
class ListPage:
    items: list[Any]
    count: int


class HaloApi:
    """Calls under the resource server (``/api/...``) with a valid token."""

    def __init__(self, *, http: HttpClient, tokens: TokenSource) -> None:
        self.http = http
        self.tokens = tokens

    def request(self, method: str, path: str, *, entity: str, **options: Any) -> httpx.Response:
        """A call with the current token; a 401 fetches a new token and tries once more."""
        token = self.tokens.token()
        try:
            return self.http.request(method, path, entity=entity, headers=_bearer(token), **options)
        except AuthenticationError as refused:
            if refused.status != 401:
                raise
        self.tokens.refused(token)
        logger.info("Halo refused the access token on %s %s; fetching a new one", method, path)
        token = self.tokens.token()
        return self.http.request(method, path, entity=entity, headers=_bearer(token), **options)

    def get(self, path: str, *, entity: str, params: Mapping[str, Any] | None = None) -> Any:
        attempt = 0
        while True:
            response = self.request("GET", path, entity=entity, params=params)
            try:
                return _decoded(response)
            except MalformedResponseError:
                if attempt >= TRUNCATED_BODY_RETRIES:
                    raise
            attempt += 1
            logger.info("Halo answered GET %s with a body that is not JSON; asking again", path)

    def list_page(
        self,
        path: str,
        *,
        key: str,
        entity: str,
        page: int = 1,
        page_size: int = LIST_PAGE_MAX,
        params: Mapping[str, Any] | None = None,
    ) -> ListPage:
        query = {
            **(params or {}),
            "pageinate": "true",
            "page_size": min(page_size, LIST_PAGE_MAX),
            "page_no": page,
        }
        payload = self.get(path, entity=entity, params=query)
        return ListPage(
            items=list_items(payload, key=key, what=entity),
            count=record_count(payload, what=entity),
        )

    def list_all(
        self, path: str, *, key: str, entity: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[Any]:
        """Every record of a list, page after page."""
        page = 1
        seen = 0
        while True:
            listed = self.list_page(path, key=key, entity=entity, page=page, params=params)
            yield from listed.items
            seen += len(listed.items)
            if not listed.items or seen >= listed.count:
                return
            page += 1

    def count(self, path: str, *, key: str, entity: str, params: Mapping[str, Any]) -> int:
        return self.list_page(path, key=key, entity=entity, page_size=1, params=params).count

    def save(self, path: str, *, entity: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST`` of one object in an array (Halo's way to create, and to update with an
        ``id``); the saved record."""
        return created_record(self._write(path, entity=entity, objects=[dict(body)]), what=entity)

    def delete(self, path: str, *, entity: str) -> None:
        self.request("DELETE", path, entity=entity)

    @contextmanager
    def download(self, url: str, *, entity: str) -> Iterator[Download]:
        """A streamed attachment; a 401 fetches a new token and opens it once more."""
        token = self.tokens.token()
        with ExitStack() as stack:
            try:
                download = stack.enter_context(
                    self.http.download(url, entity=entity, headers=_bearer(token))
                )
            except AuthenticationError as refused:
                if refused.status != 401:
                    raise
                self.tokens.refused(token)
                download = stack.enter_context(
                    self.http.download(url, entity=entity, headers=_bearer(self.tokens.token()))
                )
            yield download

    def _write(self, path: str, *, entity: str, objects: Sequence[Mapping[str, Any]]) -> Any:
        try:
            response = self.request("POST", path, entity=entity, json=list(objects))
        except InvalidRecordError as refused:
            raise InvalidRecordError(
                refusal_message(refused, what=entity), status=refused.status, detail=refused.detail
            ) from refused
        try:
            return _decoded(response)
        except MalformedResponseError as garbled:
            # The write went through but its answer did not arrive whole.
            raise TransientError(
                Message(
                    gettext_noop(
                        "Halo's answer to saving the %(noun)s was cut short; the change may or "
                        "may not have been applied"
                    ),
                    {"noun": _noun(entity)},
                ),
                status=response.status_code,
                ambiguous=True,
            ) from garbled


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _decoded(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise MalformedResponseError(
            Message(
                gettext_noop(
                    "Halo answered with something that is not valid JSON (HTTP %(status_code)s, "
                    "%(len)s bytes)"
                ),
                {"status_code": response.status_code, "len": len(response.content)},
            ),
            status=response.status_code,
        ) from None


_NOUNS = {
    "organizations": "client",
    "groups": "team",
    "agents": "agent",
    "contacts": "user",
    "tickets": "ticket",
    "actions": "action",
    "attachments": "attachment",
    "article_categories": "FAQ list",
    "article_sections": "FAQ list",
    "articles": "knowledge base article",
}


def _noun(entity: str) -> str:
    return _NOUNS.get(entity, entity)


def refusal_message(error: InvalidRecordError, *, what: str) -> Message | str:
    """A plain sentence from Halo's error body: "Halo refused the ticket: <message>"."""
    detail = error.detail.strip()
    if not detail:
        return error.message or error.user_message
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = detail
    if isinstance(parsed, dict):
        parsed = parsed.get("message") or parsed.get("Message") or parsed.get("error") or ""
    text = str(parsed).strip()
    if not text:
        return error.message or error.user_message
    return refused_record(platform="Halo", what=_noun(what), answer=text[:300])
