"""The one HTTP layer every connector uses.

Every request to a help desk goes through :class:`HttpClient`: timeouts, retries with
exponential backoff and full jitter, Retry-After on 429, a rate budget per platform
account shared by every worker process (Redis when configured), an SSRF guard on
every redirect hop, and errors mapped to :mod:`connectors.errors` with messages a
user can read.

The module does not need Django: configuration comes in as keyword arguments.
:func:`http_client_from_settings` is the one place that reads Django settings.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import errno
import json as jsonlib
import logging
import math
import random
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

import httpx

from connectors.budgets import (
    DEFAULT_LEARNED_LIMIT_SECONDS,
    UNLIMITED_BLOCK_RECHECK_SECONDS,
    LocalRateBudget,
    RateBudget,
    RateLimitHeaders,
    RedisRateBudget,
    rate_budget,
    rate_limit_reset_seconds,
    retry_after_seconds,
)
from connectors.errors import (
    AuthenticationError,
    ConnectorError,
    InvalidRecordError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnreachableError,
)
from connectors.messages import Message, gettext_noop
from connectors.network_guard import (
    HopGuardTransport,
    guarded_network_transport,
    is_account_origin,
    literal_address,
    plain_transport,
    resolve_public_addresses,
)
from connectors.redaction import Redactor, collect_secrets
from connectors.status_messages import OTHER_STATUS, STATUS_MESSAGES

__all__ = [
    "MALFORMED_BODY_RETRIES",
    "SAFE_METHODS",
    "UNLIMITED_BLOCK_RECHECK_SECONDS",
    "Download",
    "HttpClient",
    "LocalRateBudget",
    "RateBudget",
    "RateLimitHeaders",
    "RedisRateBudget",
    "http_client_from_settings",
    "rate_budget",
    "resolve_public_addresses",
]

logger = logging.getLogger(__name__)

#: Methods whose repetition has the same effect as one call, so a retry is safe.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

#: A success whose body arrives cut short or is not JSON is asked for again this many
#: times, when the request may be sent again (a read, an idempotent write).
MALFORMED_BODY_RETRIES = 2

USER_AGENT = "helpdesk-migrator (self-hosted)"

#: Remaining at most one hundredth of the window's limit counts as nothing left: the
#: requests already on their way take the rest.
LOW_REMAINING_DIVISOR = 100

_MAX_DETAIL_CHARS = 2000


# --------------------------------------------------------------------------- client


def _error_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


_PERMANENT_DNS_ERRORS = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)) if code is not None
)


def _dns_error(exc: BaseException) -> socket.gaierror | None:
    return next((e for e in _error_chain(exc) if isinstance(e, socket.gaierror)), None)


def _connect_failure_reason(exc: BaseException) -> Message:
    for cause in _error_chain(exc):
        if isinstance(cause, socket.gaierror):
            if cause.errno in _PERMANENT_DNS_ERRORS:
                return Message(gettext_noop("its address does not resolve"))
            return Message(gettext_noop("its address could not be resolved just now"))
        if isinstance(cause, ConnectionRefusedError):
            return Message(gettext_noop("the connection was refused"))
        if isinstance(cause, ssl.SSLError):
            return Message(
                gettext_noop("the secure connection (TLS) failed; the certificate may be invalid")
            )
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return Message(gettext_noop("there is no network route to it"))
    return Message(gettext_noop("the connection failed"))


_MAX_ERROR_BODY_BYTES = 64 * 1024


def _read_error_body(response: httpx.Response) -> bytes:
    """The start of an error answer (enough to describe it), then free the connection;
    a streamed error body is not read to its end."""
    try:
        return response.content[:_MAX_ERROR_BODY_BYTES]
    except httpx.ResponseNotRead:
        pass
    body = b""
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= _MAX_ERROR_BODY_BYTES:
                break
    except httpx.TransportError:
        pass  # the status alone still describes the error
    finally:
        response.close()
    return body[:_MAX_ERROR_BODY_BYTES]


def _compact_json(value: Any) -> str:
    return jsonlib.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _error_summary(parsed: Any) -> str:
    """A short human line from a platform's error body, when it has one."""
    if isinstance(parsed, dict):
        for key in ("description", "message", "error_description", "error", "title"):
            value = parsed.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return ""


class Download:
    """A streamed response body, read chunk by chunk so large files are never held
    whole in memory. Iterate over it for ``bytes`` chunks of at most ``chunk_size``."""

    def __init__(
        self, *, response: httpx.Response, chunk_size: int, platform_name: str = ""
    ) -> None:
        self._platform_name = platform_name or response.request.url.host
        self.content_type: str | None = response.headers.get("Content-Type")
        length = response.headers.get("Content-Length", "")
        self.content_length: int | None = int(length) if length.isdigit() else None
        self._chunks = self._read(response=response, chunk_size=chunk_size)

    def _read(self, *, response: httpx.Response, chunk_size: int) -> Iterator[bytes]:
        try:
            yield from response.iter_bytes(chunk_size)
        except httpx.TransportError as exc:
            raise TransientError(
                Message(
                    gettext_noop("the download from %(platform)s was interrupted"),
                    {"platform": self._platform_name},
                ),
                detail=type(exc).__name__,
            ) from exc

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)


class HttpClient:
    """A synchronous HTTP client for one platform account.

    ``platform`` and ``account`` name the rate budget (for example ``"zendesk"`` and
    ``"acme.zendesk.com"``), shared through Redis when ``redis_url`` is given; ``budget``
    replaces it outright. ``rate_limit_headers`` declares the headers the platform
    announces its limit in and its default limit: every answer on the account's origin
    teaches the budget the announced limit. ``rate_limit`` requests per ``rate_period``
    seconds is the user's own limit, kept under the announced one (None: none, so the
    announced or declared one; 0: none and no declared default either).
    ``rate_window_seconds`` replaces the declared window (emulated accounts whose window
    was shortened). ``headers`` and ``auth`` are the account's credentials: they are sent
    to the account's origin only. ``status_messages`` replaces the generic user message for
    a status code. ``platform_name`` is how messages name the platform (its display name;
    by default the registered connector's), never by the address it is reached at.
    A wait longer than ``max_wait`` seconds raises :class:`RateLimitedError` (or
    :class:`TransientError` for a 503) rather than sleeping in a worker; a wait for the
    budget longer than ``budget_wait_max`` (by default ``max_wait``) too.
    """

    def __init__(
        self,
        *,
        base_url: str,
        platform: str,
        account: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        rate_limit: int | None = None,
        rate_period: float = 60.0,
        rate_limit_headers: RateLimitHeaders | None = None,
        rate_window_seconds: float | None = None,
        learned_limit_seconds: float = DEFAULT_LEARNED_LIMIT_SECONDS,
        redis_url: str | None = None,
        budget: RateBudget | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_wait: float = 120.0,
        budget_wait_max: float | None = None,
        allow_private_networks: bool = False,
        transport: httpx.BaseTransport | None = None,
        status_messages: Mapping[int, str | Message] | None = None,
        platform_name: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries cannot be negative")
        self.platform = platform
        self.platform_name = platform_name or _platform_display_name(platform)
        self.account = account
        #: The shared budget's name, carried by the RateLimitedError it raises.
        self.budget_key = f"{platform}:{account}"
        self.allow_private_networks = allow_private_networks
        declared = rate_limit_headers or RateLimitHeaders(window_seconds=rate_period)
        if rate_window_seconds:
            declared = dataclasses.replace(declared, window_seconds=rate_window_seconds)
        #: What the platform's headers are named and the limit it applies by default.
        self.rate_limit_headers = declared
        if budget is None:
            cap = (
                declared.per_window(requests=rate_limit, period=rate_period)
                if rate_limit
                else rate_limit
            )
            budget = rate_budget(
                platform=platform,
                account=account,
                limit=cap,
                default_limit=None if rate_limit == 0 else declared.default_limit,
                period=declared.window_seconds,
                learned_seconds=learned_limit_seconds,
                redis_url=redis_url,
                clock=clock,
            )
        self.budget: RateBudget = budget
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_wait = max_wait
        self._budget_wait_max = max_wait if budget_wait_max is None else budget_wait_max
        self._status_messages = dict(status_messages or {})
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

        if isinstance(auth, tuple):
            auth = httpx.BasicAuth(*auth)
        account_headers = dict(headers or {})
        self._account_url = httpx.URL(base_url)
        secrets = collect_secrets(headers=account_headers, auth=auth)
        if self._account_url.password:
            secrets.append(self._account_url.password)
        self._redact = Redactor(secrets)
        if transport is None:
            transport = plain_transport() if allow_private_networks else guarded_network_transport()
        guard = HopGuardTransport(
            inner=transport,
            allow_private_networks=allow_private_networks,
            account_url=self._account_url,
            account_header_names=frozenset(
                {"authorization", "cookie", *(name.lower() for name in account_headers)}
            ),
        )
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT, **account_headers},
            auth=auth,
            timeout=httpx.Timeout(
                connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
            ),
            transport=guard,
            follow_redirects=True,
            max_redirects=5,
            # No proxies or .netrc from the environment: they would bypass the guard
            # or add credentials of their own.
            trust_env=False,
        )

        self._stats_lock = threading.Lock()
        #: API calls (attempts, retries included) per entity label.
        self.calls: collections.Counter[str] = collections.Counter()
        #: Attempts that were repeats of an earlier failed one.
        self.retries = 0
        #: Answers with status 429.
        self.rate_limited = 0

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def total_calls(self) -> int:
        with self._stats_lock:
            return sum(self.calls.values())

    # ---------------------------------------------------------------- public calls

    def request(
        self,
        method: str,
        path: str,
        *,
        entity: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        content: bytes | IO[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send a request and return its 2xx response, or raise a ConnectorError.

        ``path`` is relative to the base URL or absolute (pagination links,
        attachment URLs). ``entity`` labels the call in :attr:`calls`.
        ``idempotent`` overrides what the method implies (GET, HEAD, OPTIONS, PUT,
        DELETE are idempotent). With ``stream=True`` the body is left unread and the
        caller must close the response. ``content`` is a raw body: bytes, or a seekable
        binary file, streamed and rewound before every attempt (uploads).
        """
        method = method.upper()
        is_idempotent = method in SAFE_METHODS if idempotent is None else idempotent
        label = entity or "other"
        attempt = 0
        while True:
            if content is not None and not isinstance(content, bytes):
                content.seek(0)
            request = self._http.build_request(
                method,
                path,
                params=params,
                json=json,
                data=data,
                files=files,
                content=content,
                headers=headers,
            )
            url = request.url
            on_account = is_account_origin(account_url=self._account_url, url=url)
            if on_account:
                self._wait_for_budget(host=url.host)
            with self._stats_lock:
                self.calls[label] += 1
            started = self._clock()
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                delay = self._delay_after_failure(
                    exc, method=method, url=url, attempt=attempt, is_idempotent=is_idempotent
                )
            except httpx.TooManyRedirects as exc:
                raise ConnectorError(
                    Message(
                        gettext_noop("%(platform)s redirected too many times"),
                        {"platform": self.platform_name},
                    ),
                    detail=type(exc).__name__,
                ) from exc
            else:
                logger.debug(
                    "%s %s%s -> %d in %.2fs (entity %s, attempt %d)",
                    method, url.host, self._redact(url.path), response.status_code,
                    self._clock() - started, label, attempt + 1,
                )  # fmt: skip
                if is_account_origin(account_url=self._account_url, url=response.request.url):
                    self._heed_announcement(response.headers)
                if response.is_success:
                    return response
                body = _read_error_body(response)
                delay = self._delay_after_answer(
                    response,
                    body=body,
                    method=method,
                    attempt=attempt,
                    is_idempotent=is_idempotent,
                    on_account=on_account,
                )
            if delay > 0:
                self._sleep(delay)
            with self._stats_lock:
                self.retries += 1
            attempt += 1

    def get(
        self,
        path: str,
        *,
        entity: str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET and return the parsed JSON body (None when empty)."""
        return self.request_json("GET", path, entity=entity, params=params, headers=headers)

    def post(
        self,
        path: str,
        *,
        entity: str | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        content: bytes | IO[bytes] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """POST and return the parsed JSON body (None when empty).

        Pass ``idempotent=True`` when the platform deduplicates the request (an
        idempotency key, an upsert by external id) so that it retries like a GET.
        """
        return self.request_json(
            "POST",
            path,
            entity=entity,
            json=json,
            data=data,
            files=files,
            content=content,
            params=params,
            headers=headers,
            idempotent=idempotent,
        )

    def put(
        self,
        path: str,
        *,
        entity: str | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """PUT and return the parsed JSON body (None when empty).

        Pass ``idempotent=False`` when the PUT adds something each time it is applied
        (a comment on a ticket), so that an answer lost in a 5xx is not sent again.
        """
        return self.request_json(
            "PUT",
            path,
            entity=entity,
            json=json,
            data=data,
            files=files,
            params=params,
            headers=headers,
            idempotent=idempotent,
        )

    def delete(
        self,
        path: str,
        *,
        entity: str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """DELETE and return the parsed JSON body (None when empty, as usual)."""
        response = self.request("DELETE", path, entity=entity, params=params, headers=headers)
        try:
            return self._parse_json(response)
        except MalformedResponseError:
            # The record is gone (2xx); sending the DELETE again would only get a 404.
            return None

    def request_json(
        self, method: str, path: str, *, idempotent: bool | None = None, **options: Any
    ) -> Any:
        """:meth:`request`, then the parsed JSON body (None when empty).

        A body cut short or not JSON is asked for again (up to
        :data:`MALFORMED_BODY_RETRIES` times) when the request may be repeated. A write
        that may not be repeated had reached the platform and may have been applied:
        that is an ambiguous :class:`TransientError`, for the caller to settle by reading
        the target, never a second send.
        """
        method = method.upper()
        is_idempotent = method in SAFE_METHODS if idempotent is None else idempotent
        attempt = 0
        while True:
            response = self.request(method, path, idempotent=idempotent, **options)
            try:
                return self._parse_json(response)
            except MalformedResponseError as garbled:
                if not is_idempotent:
                    raise TransientError(
                        Message(
                            gettext_noop(
                                "the answer of %(platform)s was cut short or not JSON "
                                "(HTTP %(status)s); the change may or may not have been applied"
                            ),
                            {"platform": self.platform_name, "status": response.status_code},
                        ),
                        status=response.status_code,
                        detail=garbled.detail,
                        ambiguous=True,
                    ) from garbled
                if attempt >= MALFORMED_BODY_RETRIES:
                    raise
            attempt += 1
            with self._stats_lock:
                self.retries += 1
            logger.info(
                "%s answered %s %s with a body cut short or not JSON; asking again (%d/%d)",
                response.request.url.host, method, self._redact(response.request.url.path),
                attempt, MALFORMED_BODY_RETRIES,
            )  # fmt: skip

    @contextlib.contextmanager
    def download(
        self,
        url: str,
        *,
        entity: str | None = None,
        chunk_size: int = 64 * 1024,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[Download]:
        """Stream a file (an attachment): ``with client.download(url) as chunks:``.

        The response is closed when the block ends, read to the end or not.
        """
        response = self.request(
            "GET", url, entity=entity, headers={"Accept": "*/*", **(headers or {})}, stream=True
        )
        try:
            yield Download(
                response=response, chunk_size=chunk_size, platform_name=self.platform_name
            )
        finally:
            response.close()

    # ------------------------------------------------------------------- internals

    def _delay_after_failure(
        self,
        exc: httpx.TransportError,
        *,
        method: str,
        url: httpx.URL,
        attempt: int,
        is_idempotent: bool,
    ) -> float:
        """Seconds to wait before retrying after a transport failure, or raise."""
        # Nothing reached the server when the connection was never made.
        certainly_not_sent = isinstance(
            exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
        )
        dns_error = _dns_error(exc)
        hopeless = isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError) or (
            dns_error is not None and dns_error.errno in _PERMANENT_DNS_ERRORS
        )
        if hopeless or not (is_idempotent or certainly_not_sent) or attempt >= self.max_retries:
            raise self._transport_error(
                exc,
                host=url.host,
                attempts=attempt + 1,
                ambiguous=not is_idempotent and not certainly_not_sent,
            ) from exc
        delay = self._backoff(attempt=attempt)
        logger.info(
            "%s %s%s failed (%s); retry %d/%d in %.2fs",
            method, url.host, self._redact(url.path), type(exc).__name__,
            attempt + 1, self.max_retries, delay,
        )  # fmt: skip
        return delay

    def _delay_after_answer(
        self,
        response: httpx.Response,
        *,
        body: bytes,
        method: str,
        attempt: int,
        is_idempotent: bool,
        on_account: bool,
    ) -> float:
        """Seconds to sleep before retrying after an error status, or raise."""
        status = response.status_code
        host = response.request.url.host
        path = self._redact(response.request.url.path)
        if status == 429:
            with self._stats_lock:
                self.rate_limited += 1
            wait = retry_after_seconds(response.headers)
            if wait is None:
                wait = rate_limit_reset_seconds(response.headers, declared=self.rate_limit_headers)
            if wait is None:
                wait = self._rate_limited_fallback(attempt=attempt)
            if on_account:
                # Every client of this account, in every process, holds off.
                self.budget.block_for(seconds=wait)
            if attempt >= self.max_retries or wait > self._max_wait:
                raise self._rate_limited_error(
                    host=host, wait=wait, attempts=attempt + 1, body=body
                )
            logger.info(
                "%s answered 429 to %s %s; retry %d/%d after %.2fs",
                host, method, path, attempt + 1, self.max_retries, wait,
            )  # fmt: skip
            # On the account the shared budget does the waiting before the next try.
            return 0.0 if on_account else wait

        if status >= 500:
            # A 503 says the server did not take the request on, so even a
            # non-idempotent request may be sent again.
            may_retry = is_idempotent or status == 503
            if may_retry and attempt < self.max_retries:
                wait = retry_after_seconds(response.headers) if status == 503 else None
                if wait is None:
                    wait = self._backoff(attempt=attempt)
                if wait <= self._max_wait:
                    logger.info(
                        "%s answered %d to %s %s; retry %d/%d in %.2fs",
                        host, status, method, path, attempt + 1, self.max_retries, wait,
                    )  # fmt: skip
                    return wait
            raise self._server_error(
                host=host,
                status=status,
                attempts=attempt + 1,
                ambiguous=not may_retry,
                body=body,
            )

        raise self._status_error(host=host, status=status, body=body)

    def _backoff(self, *, attempt: int) -> float:
        """Full jitter: anywhere between 0 and the exponential ceiling, so workers
        that failed together do not come back together."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2**attempt)
        return self._rng.uniform(0, ceiling)

    def _rate_limited_fallback(self, *, attempt: int) -> float:
        """A 429 without a wait header: at least half the exponential step, since
        the platform asked to slow down and an immediate retry would not."""
        step = min(self._backoff_cap, self._backoff_base * 2 ** (attempt + 1))
        return step / 2 + self._rng.uniform(0, step / 2)

    def _wait_for_budget(self, *, host: str) -> None:
        """Take a slot of the shared budget: a short wait is slept here, a longer one
        raises, so that the worker gives its batch back and takes other work meanwhile."""
        while (wait := self.budget.try_acquire()) > 0:
            if wait > self._budget_wait_max:
                raise RateLimitedError(
                    Message(
                        gettext_noop(
                            "requests to %(platform)s are held back for the next %(seconds)s "
                            "seconds by the rate limit; the run can continue later"
                        ),
                        {"platform": self.platform_name, "seconds": math.ceil(wait)},
                    ),
                    retry_after=wait,
                    budget_key=self.budget_key,
                )
            logger.debug("rate budget of %s %s: waiting %.2fs", self.platform, self.account, wait)
            self._sleep(wait)

    def _heed_announcement(self, headers: httpx.Headers) -> None:
        """The limit the platform announces goes to the shared budget; nothing (or next to
        nothing) left of its window holds every request back until the window starts
        again."""
        announced = self.rate_limit_headers.read(headers)
        if announced.limit:
            self.budget.learn(limit=announced.limit)
        if announced.remaining is None or not announced.reset_seconds:
            return
        limit = announced.limit or 0
        if announced.remaining <= limit // LOW_REMAINING_DIVISOR:
            self.budget.block_for(seconds=announced.reset_seconds)

    def learned_limit_per_minute(self) -> int | None:
        """The limit the platform announced, as requests a minute, while it is trusted."""
        learned = self.budget.learned_limit()
        if not learned:
            return None
        return max(1, round(learned * 60 / self.rate_limit_headers.window_seconds))

    def _parse_json(self, response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise MalformedResponseError(
                Message(
                    gettext_noop(
                        "%(platform)s answered with something that is not valid JSON "
                        "(HTTP %(status)s)"
                    ),
                    {"platform": self.platform_name, "status": response.status_code},
                ),
                status=response.status_code,
                detail=self._redact(response.text[:500]),
            ) from None

    def _body_detail(self, body: bytes) -> tuple[Any, str]:
        text = body.decode("utf-8", errors="replace")
        try:
            parsed = jsonlib.loads(text) if text.strip() else None
        except ValueError:
            parsed = None
        detail = _compact_json(parsed) if parsed is not None else text.strip()
        return parsed, self._redact(detail[:_MAX_DETAIL_CHARS])

    def _status_error(self, *, host: str, status: int, body: bytes) -> ConnectorError:
        parsed, detail = self._body_detail(body)
        summary = self._redact(_error_summary(parsed))
        error_class: type[ConnectorError]
        key, key_with_answer = STATUS_MESSAGES.get(status, OTHER_STATUS)
        if status in (401, 403):
            error_class = AuthenticationError
        elif status in (404, 410):
            error_class = NotFoundError
        elif status in (400, 409, 413, 422):
            error_class = InvalidRecordError
        else:
            error_class = ConnectorError
        params: dict[str, Any] = {"platform": self.platform_name, "status": status}
        if summary:
            params["answer"] = summary
        message = Message(key_with_answer if summary else key, params)
        return error_class(self._status_messages.get(status, message), status=status, detail=detail)

    def _rate_limited_error(
        self, *, host: str, wait: float, attempts: int, body: bytes
    ) -> RateLimitedError:
        if wait > self._max_wait:
            message = Message(
                gettext_noop(
                    "%(platform)s asked us to wait %(seconds)s seconds before the next request "
                    "(HTTP 429); the run can continue later"
                ),
                {"platform": self.platform_name, "seconds": math.ceil(wait)},
            )
        else:
            message = Message(
                gettext_noop(
                    "%(platform)s kept asking us to slow down (HTTP 429) after %(attempts)s "
                    "attempts; the run can continue later"
                ),
                {"platform": self.platform_name, "attempts": attempts},
            )
        return RateLimitedError(
            self._status_messages.get(429, message),
            status=429,
            detail=self._body_detail(body)[1],
            retry_after=wait,
            budget_key=self.budget_key,
        )

    def _server_error(
        self, *, host: str, status: int, attempts: int, ambiguous: bool, body: bytes
    ) -> TransientError:
        if ambiguous:
            message = Message(
                gettext_noop(
                    "%(platform)s had a server error (HTTP %(status)s) while saving; "
                    "the change may or may not have been applied"
                ),
                {"platform": self.platform_name, "status": status},
            )
        else:
            message = Message(
                gettext_noop(
                    "%(platform)s had a server error (HTTP %(status)s) that lasted through "
                    "%(attempts)s attempts; try again later"
                ),
                {"platform": self.platform_name, "status": status, "attempts": attempts},
            )
        return TransientError(
            self._status_messages.get(status, message),
            status=status,
            detail=self._body_detail(body)[1],
            ambiguous=ambiguous,
        )

    def _transport_error(
        self, exc: httpx.TransportError, *, host: str, attempts: int, ambiguous: bool
    ) -> ConnectorError:
        detail = self._redact(f"{type(exc).__name__}: {exc}")[:_MAX_DETAIL_CHARS]
        params: dict[str, Any] = {
            "platform": self.platform_name,
            "tried": (
                Message(gettext_noop("(after %(attempts)s attempts)"), {"attempts": attempts})
                if attempts > 1
                else ""
            ),
        }
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) and _is_public_name(host):
            # Which address could not be reached helps to correct a mistyped one.
            params["platform"] = f"{self.platform_name} ({host})"
        if isinstance(exc, httpx.ConnectError):
            params["why"] = _connect_failure_reason(exc)
            return UnreachableError(
                Message(gettext_noop("could not reach %(platform)s: %(why)s %(tried)s"), params),
                detail=detail,
            )
        if isinstance(exc, httpx.ConnectTimeout):
            params["seconds"] = f"{self.connect_timeout:g}"
            return UnreachableError(
                Message(
                    gettext_noop(
                        "could not reach %(platform)s: connecting timed out after %(seconds)s "
                        "seconds %(tried)s"
                    ),
                    params,
                ),
                detail=detail,
            )
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
            return ConnectorError(
                Message(gettext_noop("could not send the request to %(platform)s"), params),
                detail=detail,
            )
        params["applied"] = (
            Message(gettext_noop("; the change may or may not have been applied"))
            if ambiguous
            else ""
        )
        if isinstance(exc, httpx.PoolTimeout):
            key = gettext_noop("no connection to %(platform)s became free in time %(tried)s")
        elif isinstance(exc, httpx.TimeoutException):
            params["seconds"] = f"{self.read_timeout:g}"
            key = gettext_noop(
                "%(platform)s did not answer within %(seconds)s seconds %(tried)s%(applied)s"
            )
        else:
            key = gettext_noop(
                "the connection to %(platform)s dropped before the answer arrived "
                "%(tried)s%(applied)s"
            )
        return TransientError(Message(key, params), detail=detail, ambiguous=ambiguous)


def _is_public_name(host: str) -> bool:
    """A host name worth showing (not an address, nor this machine's)."""
    return bool(host) and literal_address(host) is None and host != "localhost"


def _platform_display_name(platform: str) -> str:
    """The registered connector's display name for a platform key, else the key (the
    connectors name themselves when they open a client; this is for other callers)."""
    loaded = sys.modules.get("connectors.registry")
    if loaded is None:
        return platform  # not loaded here: importing every connector is not worth a name
    try:
        return loaded.registry.get(platform).display_name
    except Exception:  # an unregistered or test platform keeps its key
        return platform


def _connector_settings() -> dict[str, Any]:
    """The client options the settings decide (REDIS_URL, CONNECTOR_ALLOW_PRIVATE_NETWORKS,
    the budget's waits and learned limits), or their defaults when absent or when Django
    settings are not configured."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        options: dict[str, Any] = {
            "redis_url": getattr(settings, "REDIS_URL", None) or None,
            "allow_private_networks": bool(
                getattr(settings, "CONNECTOR_ALLOW_PRIVATE_NETWORKS", False)
            ),
        }
        budget_wait = getattr(settings, "CONNECTOR_BUDGET_WAIT_SECONDS", None)
        learned = getattr(settings, "CONNECTOR_LEARNED_LIMIT_SECONDS", None)
        window = getattr(settings, "CONNECTOR_RATE_WINDOW_SECONDS", None)
    except ImproperlyConfigured:
        return {"redis_url": None, "allow_private_networks": False}
    if budget_wait is not None:
        options["budget_wait_max"] = float(budget_wait)
    if learned is not None:
        options["learned_limit_seconds"] = float(learned)
    if window:
        options["rate_window_seconds"] = float(window)
    return options


def http_client_from_settings(
    *, base_url: str, platform: str, account: str, **options: Any
) -> HttpClient:
    """The way the project gets an :class:`HttpClient`: the shared budget's Redis, its
    waits and the private-network switch come from the settings; ``options`` are any other
    :class:`HttpClient` keyword arguments (headers, auth, rate_limit, ...)."""
    return HttpClient(
        base_url=base_url,
        platform=platform,
        account=account,
        **{**_connector_settings(), **options},
    )
