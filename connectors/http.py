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

import base64
import binascii
import collections
import contextlib
import email.utils
import errno
import functools
import ipaddress
import json as jsonlib
import logging
import math
import random
import re
import socket
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC
from typing import IO, TYPE_CHECKING, Any, Protocol

import httpcore
import httpx

from connectors.errors import (
    AuthenticationError,
    BlockedAddressError,
    ConnectorError,
    InvalidRecordError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnreachableError,
)
from connectors.messages import Message, gettext_noop

if TYPE_CHECKING:
    import redis

__all__ = [
    "MALFORMED_BODY_RETRIES",
    "SAFE_METHODS",
    "Download",
    "HttpClient",
    "LocalRateBudget",
    "RateBudget",
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

#: Part of the window kept free by default, so that requests granted just inside the
#: window but delayed on the way still reach the platform inside its own count.
DEFAULT_MARGIN_FRACTION = 0.02

USER_AGENT = "helpdesk-migrator (self-hosted)"

_ALLOW_PRIVATE_HINT = "an operator can allow private networks in the settings"
_MAX_DETAIL_CHARS = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --------------------------------------------------------------------------- SSRF guard

_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, for forms that reach it."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    # NAT64 gateways and the deprecated IPv4-compatible form (::a.b.c.d) both route
    # to the IPv4 address in the last 32 bits.
    if address in _NAT64_PREFIX or address.packed[:12] == bytes(12):
        return ipaddress.IPv4Address(address.packed[12:])
    return None


def _is_forbidden_address(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and _is_forbidden_address(embedded):
            return True
    elif address in _SHARED_ADDRESS_SPACE:
        return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
        or address.is_multicast
        or not address.is_global
    )


def _literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, including the shorthand IPv4 forms.

    ``inet_aton`` accepts what ``getaddrinfo`` and browsers accept as well:
    ``127.1``, ``0x7f000001``, ``2130706433``.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _blocked_message(host: str, address: IPAddress) -> str:
    try:
        named_literally = ipaddress.ip_address(host) == address
    except ValueError:
        named_literally = False
    shown = host if named_literally else f"{host} ({address})"
    return (
        f"refusing to connect to {shown}: it is a private or local address; {_ALLOW_PRIVATE_HINT}"
    )


def resolve_public_addresses(*, host: str, port: int) -> list[str]:
    """Resolve ``host`` and return its addresses, refusing private and local ones.

    Raises :class:`BlockedAddressError` when any address is loopback, private,
    link-local, unspecified, reserved, multicast, shared (100.64/10) or an IPv6 form
    of such an IPv4 address; ``socket.gaierror`` when the name does not resolve.
    """
    literal = _literal_address(host)
    if literal is not None:
        if _is_forbidden_address(literal):
            raise BlockedAddressError(_blocked_message(host, literal))
        return [str(literal)]
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        address = ipaddress.ip_address(sockaddr[0])
        if _is_forbidden_address(address):
            raise BlockedAddressError(_blocked_message(host, address))
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "the name has no addresses")
    return addresses


def _default_port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


class _GuardedNetworkBackend(httpcore.SyncBackend):
    """Checks the addresses again when a connection is opened, then connects to one
    of the checked addresses, so a name that re-resolves to an internal address
    between the hop check and the connection (DNS rebinding) is still refused."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve_public_addresses(host=host, port=port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last_error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The trusted certificates, loaded once a process: loading them costs tens of
    milliseconds, and a run opens clients for every batch."""
    return httpx.create_ssl_context()


def _transport() -> httpx.HTTPTransport:
    return httpx.HTTPTransport(verify=_tls_context())


def _guarded_network_transport() -> httpx.HTTPTransport:
    transport = _transport()
    # httpx has no public hook for the connection pool's network backend; fail loudly
    # rather than run unguarded if its internals change.
    pool = transport._pool  # type: ignore[attr-defined]
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx version does not expose the connection pool's backend")
    pool._network_backend = _GuardedNetworkBackend()
    return transport


def _is_account_origin(*, account_url: httpx.URL, url: httpx.URL) -> bool:
    """Whether ``url`` is on the account's own origin (an upgrade to https counts)."""
    if url.host != account_url.host:
        return False
    if url.scheme == account_url.scheme:
        return _default_port(url) == _default_port(account_url)
    return (
        account_url.scheme == "http"
        and url.scheme == "https"
        and _default_port(account_url) == 80
        and _default_port(url) == 443
    )


class _HopGuardTransport(httpx.BaseTransport):
    """Wraps the real transport and sees every hop, redirects included.

    It refuses hops to other schemes and to private or local addresses, and strips
    the account's credentials from hops that leave the account's origin (attachment
    storage, CDNs), since those must never see them.
    """

    def __init__(
        self,
        *,
        inner: httpx.BaseTransport,
        allow_private_networks: bool,
        account_url: httpx.URL,
        account_header_names: frozenset[str],
    ) -> None:
        self._inner = inner
        self._allow_private_networks = allow_private_networks
        self._account_url = account_url
        self._account_header_names = account_header_names

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise BlockedAddressError(
                f"refusing to connect to {url.scheme}://{url.host}: "
                "only http and https addresses are allowed"
            )
        if not self._allow_private_networks:
            try:
                resolve_public_addresses(host=url.host, port=_default_port(url))
            except socket.gaierror as exc:
                raise httpx.ConnectError(f"{url.host}: {exc}", request=request) from exc
        if not _is_account_origin(account_url=self._account_url, url=url):
            for name in self._account_header_names:
                request.headers.pop(name, None)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


# ------------------------------------------------------------------------- rate budgets


class RateBudget(Protocol):
    """At most ``limit`` requests in any sliding window of ``period`` seconds, per
    platform account, plus a "blocked until" time set when the platform answers 429."""

    def try_acquire(self) -> float:
        """Take a slot and return 0, or return how many seconds to wait first."""
        ...

    def acquire(self) -> None:
        """Take a slot, sleeping until one is free."""
        ...

    def block_for(self, *, seconds: float) -> None:
        """Hold every request back for ``seconds`` (the platform's Retry-After)."""
        ...


def _window_seconds(*, period: float, margin: float | None) -> float:
    if period <= 0:
        raise ValueError("the rate period must be positive")
    if margin is None:
        margin = period * DEFAULT_MARGIN_FRACTION
    if margin < 0:
        raise ValueError("the rate margin cannot be negative")
    return period + margin


def _checked_limit(limit: int | None) -> int:
    if limit is None:
        return 0
    if limit < 0:
        raise ValueError("the rate limit cannot be negative")
    return limit


class LocalRateBudget:
    """A rate budget for the threads of one process.

    ``limit`` None or 0 means unlimited (only a 429's "blocked until" holds requests
    back). ``margin`` (default 2% of ``period``) widens the window the budget keeps.
    """

    def __init__(
        self,
        *,
        limit: int | None,
        period: float = 60.0,
        margin: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = _checked_limit(limit)
        self.period = period
        self._window = _window_seconds(period=period, margin=margin)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._granted: collections.deque[float] = collections.deque()
        self._blocked_until = 0.0

    def try_acquire(self) -> float:
        with self._lock:
            now = self._clock()
            if self._blocked_until > now:
                return self._blocked_until - now
            if not self.limit:
                return 0.0
            while self._granted and self._granted[0] <= now - self._window:
                self._granted.popleft()
            if len(self._granted) < self.limit:
                self._granted.append(now)
                return 0.0
            return self._granted[0] + self._window - now

    def acquire(self) -> None:
        while (wait := self.try_acquire()) > 0:
            self._sleep(wait)

    def block_for(self, *, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


# Both scripts read the clock with Redis TIME so that every worker agrees on it.
# Times are integer microseconds; string.format keeps them exact when passed back.
_ACQUIRE_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local blocked_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked_until > now then
  return blocked_until - now
end
local limit = tonumber(ARGV[1])
if limit <= 0 then
  return 0
end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window))
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], string.format('%d', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

_BLOCK_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local delay = tonumber(ARGV[1])
local target = now + delay
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > current then
  redis.call('SET', KEYS[1], string.format('%d', target), 'PX', math.ceil(delay / 1000) + 1000)
end
return 0
"""

#: How long an unlimited budget trusts Redis's "no block" before asking again: a block
#: set by another process (after a 429) holds this one back at most this much later.
UNLIMITED_BLOCK_RECHECK_SECONDS = 0.25
#: How long a process that could not reach Redis counts with its own budget before it asks
#: Redis again.
REDIS_RECHECK_SECONDS = 5.0
#: Connecting to Redis, or one command, taking longer than this counts as unreachable.
REDIS_SOCKET_TIMEOUT_SECONDS = 2.0

_redis_connections: dict[str, redis.Redis] = {}
_redis_connections_lock = threading.Lock()


def _redis_connection(redis_url: str) -> redis.Redis:
    """One connection pool per URL and process (redis-py resets it after a fork)."""
    import redis

    with _redis_connections_lock:
        connection = _redis_connections.get(redis_url)
        if connection is None:
            connection = redis.Redis.from_url(
                redis_url,
                socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
                socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
            )
            _redis_connections[redis_url] = connection
        return connection


class RedisRateBudget:
    """A rate budget shared by every process that uses the same Redis.

    A sorted set of grant times and a "blocked until" key per platform account,
    both changed atomically by Lua scripts. While Redis cannot be reached, a budget of
    this process alone stands in (the same limit, no longer shared; a 429 still slows
    every client of the account here), so a Redis outage slows requests down rather than
    failing them; Redis is asked again every :data:`REDIS_RECHECK_SECONDS`.
    """

    def __init__(
        self,
        *,
        redis_url: str,
        platform: str,
        account: str,
        limit: int | None,
        period: float = 60.0,
        margin: float | None = None,
        key_prefix: str = "migrator:rate",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = _checked_limit(limit)
        self.period = period
        self._window_us = round(_window_seconds(period=period, margin=margin) * 1_000_000)
        self._sleep = sleep
        self._clock = clock
        # Without a limit only a block can hold a request back; when Redis said there is
        # none, requests go without asking again for a moment (a round trip the less each).
        self._unblocked_until = 0.0
        self._stand_in = LocalRateBudget(
            limit=limit, period=period, margin=margin, clock=clock, sleep=sleep
        )
        self._redis_down_until = 0.0
        connection = _redis_connection(redis_url)
        import redis

        self._unreachable = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        # The hash tag keeps both keys in one slot on a Redis cluster.
        base = f"{key_prefix}:{{{platform}:{account}}}"
        self._window_key = f"{base}:window"
        self._blocked_key = f"{base}:blocked"
        self._connection = connection
        self._acquire_script = connection.register_script(_ACQUIRE_SCRIPT)
        self._block_script = connection.register_script(_BLOCK_SCRIPT)

    def try_acquire(self) -> float:
        if not self.limit and self._clock() < self._unblocked_until:
            return 0.0
        if self._clock() < self._redis_down_until:
            return self._stand_in.try_acquire()
        try:
            wait_us = self._acquire_script(
                keys=[self._window_key, self._blocked_key],
                args=[self.limit, self._window_us, uuid.uuid4().hex],
            )
        except self._unreachable as error:
            self._redis_unreachable(error)
            return self._stand_in.try_acquire()
        if self._redis_down_until:
            self._redis_down_until = 0.0
            logger.warning("the shared rate budget's Redis answers again")
        wait = int(wait_us) / 1_000_000
        if not self.limit and not wait:
            self._unblocked_until = self._clock() + UNLIMITED_BLOCK_RECHECK_SECONDS
        return wait

    def acquire(self) -> None:
        while (wait := self.try_acquire()) > 0:
            self._sleep(wait)

    def block_for(self, *, seconds: float) -> None:
        if seconds > 0:
            self._unblocked_until = 0.0
            self._stand_in.block_for(seconds=seconds)
            if self._clock() < self._redis_down_until:
                return
            try:
                self._block_script(keys=[self._blocked_key], args=[math.ceil(seconds * 1_000_000)])
            except self._unreachable as error:
                self._redis_unreachable(error)

    def _redis_unreachable(self, error: Exception) -> None:
        if not self._redis_down_until:
            logger.warning(
                "the shared rate budget's Redis is unreachable (%s); counting in this process",
                type(error).__name__,
            )
        self._redis_down_until = self._clock() + REDIS_RECHECK_SECONDS

    def reset(self) -> None:
        """Forget every grant and block of this account."""
        self._unblocked_until = 0.0
        self._connection.delete(self._window_key, self._blocked_key)


_local_budgets: dict[tuple[Any, ...], LocalRateBudget] = {}
_local_budgets_lock = threading.Lock()


def rate_budget(
    *,
    platform: str,
    account: str,
    limit: int | None,
    period: float = 60.0,
    redis_url: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RateBudget:
    """The budget of one platform account: in Redis when ``redis_url`` is given,
    else one in-process budget shared by every client of the same account.

    ``clock`` is the in-process budget's clock (Redis uses its own).
    """
    if redis_url:
        return RedisRateBudget(
            redis_url=redis_url, platform=platform, account=account, limit=limit, period=period
        )
    key = (platform, account, _checked_limit(limit), period, clock)
    with _local_budgets_lock:
        budget = _local_budgets.get(key)
        if budget is None:
            budget = LocalRateBudget(limit=limit, period=period, clock=clock)
            _local_budgets[key] = budget
        return budget


# ---------------------------------------------------------------------- wait headers

_DELAY_SECONDS = re.compile(r"^\s*\d+(\.\d+)?\s*$")
# Reset headers above this are epoch times, not delays (about 2001-09-09).
_EPOCH_THRESHOLD = 1_000_000_000


def _retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date."""
    value = headers.get("Retry-After")
    if not value:
        return None
    if _DELAY_SECONDS.match(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - time.time())


def _rate_limit_reset_seconds(headers: httpx.Headers) -> float | None:
    for name in ("RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset"):
        value = headers.get(name)
        if value and _DELAY_SECONDS.match(value):
            seconds = float(value)
            if seconds > _EPOCH_THRESHOLD:
                seconds -= time.time()
            return max(0.0, seconds)
    return None


# ------------------------------------------------------------------------ redaction

_SENSITIVE_HEADER = re.compile(r"auth|token|key|secret|passw|cookie|session", re.IGNORECASE)
_MIN_SECRET_CHARS = 4


def _secret_parts(value: str) -> list[str]:
    """A header value and the secrets inside it (Basic credentials decoded)."""
    parts = [value]
    scheme, _, credentials = value.partition(" ")
    if credentials:
        parts.append(credentials)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if decoded:
                parts.append(decoded)
                parts.append(decoded.partition(":")[2])
    return parts


def _collect_secrets(*, headers: Mapping[str, str], auth: httpx.Auth | None) -> list[str]:
    found: list[str] = []
    for name, value in headers.items():
        if _SENSITIVE_HEADER.search(name):
            found.extend(_secret_parts(value))
    if auth is not None:
        # Run the first step of the auth flow on a throwaway request to learn what it
        # would send (works for Basic and token schemes; Digest sends nothing first).
        probe = httpx.Request("GET", "https://probe.invalid/")
        try:
            authed = next(auth.sync_auth_flow(probe))
        except Exception:  # an auth that cannot run offline has nothing to show
            authed = probe
        for name, value in authed.headers.items():
            if _SENSITIVE_HEADER.search(name):
                found.extend(_secret_parts(value))
        for attribute in ("password", "token", "api_key"):
            value = getattr(auth, attribute, None)
            if isinstance(value, str):
                found.append(value)
    return found


class _Redactor:
    def __init__(self, secrets: list[str]) -> None:
        # Longest first so a secret containing another is replaced whole.
        self._secrets = sorted(
            {secret for secret in secrets if len(secret) >= _MIN_SECRET_CHARS},
            key=len,
            reverse=True,
        )

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


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
    ``"acme.zendesk.com"``). ``rate_limit`` requests per ``rate_period`` seconds
    (None or 0: unlimited) are shared through Redis when ``redis_url`` is given;
    ``budget`` replaces that budget outright. ``headers`` and ``auth`` are the
    account's credentials: they are sent to the account's origin only.
    ``status_messages`` replaces the generic user message for a status code.
    ``platform_name`` is how messages name the platform (its display name; by default
    the registered connector's), never by the address it is reached at.
    A wait longer than ``max_wait`` seconds raises :class:`RateLimitedError` (or
    :class:`TransientError` for a 503) rather than sleeping in a worker.
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
        redis_url: str | None = None,
        budget: RateBudget | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_wait: float = 120.0,
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
        self.allow_private_networks = allow_private_networks
        if budget is None:
            budget = rate_budget(
                platform=platform,
                account=account,
                limit=rate_limit,
                period=rate_period,
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
        self._status_messages = dict(status_messages or {})
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

        if isinstance(auth, tuple):
            auth = httpx.BasicAuth(*auth)
        account_headers = dict(headers or {})
        self._account_url = httpx.URL(base_url)
        secrets = _collect_secrets(headers=account_headers, auth=auth)
        if self._account_url.password:
            secrets.append(self._account_url.password)
        self._redact = _Redactor(secrets)
        if transport is None:
            transport = _transport() if allow_private_networks else _guarded_network_transport()
        guard = _HopGuardTransport(
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
            on_account = _is_account_origin(account_url=self._account_url, url=url)
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
            wait = _retry_after_seconds(response.headers)
            if wait is None:
                wait = _rate_limit_reset_seconds(response.headers)
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
                wait = _retry_after_seconds(response.headers) if status == 503 else None
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
        while (wait := self.budget.try_acquire()) > 0:
            if wait > self._max_wait:
                raise RateLimitedError(
                    Message(
                        gettext_noop(
                            "requests to %(platform)s are held back for the next %(seconds)s "
                            "seconds by the rate limit; the run can continue later"
                        ),
                        {"platform": self.platform_name, "seconds": math.ceil(wait)},
                    ),
                    retry_after=wait,
                )
            logger.debug("rate budget of %s %s: waiting %.2fs", self.platform, self.account, wait)
            self._sleep(wait)

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
        key, key_with_answer = _STATUS_MESSAGES.get(status, _OTHER_STATUS)
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


#: Per status: the message without, then with, the platform's own words.
_STATUS_MESSAGES: dict[int, tuple[str, str]] = {
    401: (
        gettext_noop(
            "%(platform)s rejected the credentials (HTTP 401); check the API token or password"
        ),
        gettext_noop(
            "%(platform)s rejected the credentials (HTTP 401); check the API token or "
            "password. %(platform)s said: %(answer)s"
        ),
    ),
    403: (
        gettext_noop(
            "%(platform)s accepted the credentials but refused access (HTTP 403); the account "
            "may lack the permissions this migration needs"
        ),
        gettext_noop(
            "%(platform)s accepted the credentials but refused access (HTTP 403); the account "
            "may lack the permissions this migration needs. %(platform)s said: %(answer)s"
        ),
    ),
    404: (
        gettext_noop("%(platform)s answered 404 (no such record)"),
        gettext_noop("%(platform)s answered 404 (no such record): %(answer)s"),
    ),
    410: (
        gettext_noop("%(platform)s answered 410 (the record is gone)"),
        gettext_noop("%(platform)s answered 410 (the record is gone): %(answer)s"),
    ),
    400: (
        gettext_noop("%(platform)s refused the record (HTTP 400)"),
        gettext_noop("%(platform)s refused the record (HTTP 400): %(answer)s"),
    ),
    422: (
        gettext_noop("%(platform)s refused the record (HTTP 422)"),
        gettext_noop("%(platform)s refused the record (HTTP 422): %(answer)s"),
    ),
    409: (
        gettext_noop("%(platform)s answered 409 (a conflict with what it already holds)"),
        gettext_noop(
            "%(platform)s answered 409 (a conflict with what it already holds): %(answer)s"
        ),
    ),
    413: (
        gettext_noop("%(platform)s answered 413 (too large to accept)"),
        gettext_noop("%(platform)s answered 413 (too large to accept): %(answer)s"),
    ),
}
_OTHER_STATUS = (
    gettext_noop("%(platform)s refused the request (HTTP %(status)s)"),
    gettext_noop("%(platform)s refused the request (HTTP %(status)s): %(answer)s"),
)


def _is_public_name(host: str) -> bool:
    """A host name worth showing (not an address, nor this machine's)."""
    return bool(host) and _literal_address(host) is None and host != "localhost"


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


def _connector_settings() -> tuple[str | None, bool]:
    """REDIS_URL and CONNECTOR_ALLOW_PRIVATE_NETWORKS, or their defaults when absent
    or when Django settings are not configured."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        redis_url = getattr(settings, "REDIS_URL", None) or None
        allow_private_networks = bool(getattr(settings, "CONNECTOR_ALLOW_PRIVATE_NETWORKS", False))
    except ImproperlyConfigured:
        return None, False
    return redis_url, allow_private_networks


def http_client_from_settings(
    *, base_url: str, platform: str, account: str, **options: Any
) -> HttpClient:
    """The way the project gets an :class:`HttpClient`: the shared budget's Redis and
    the private-network switch come from the settings; ``options`` are any other
    :class:`HttpClient` keyword arguments (headers, auth, rate_limit, ...)."""
    redis_url, allow_private_networks = _connector_settings()
    return HttpClient(
        base_url=base_url,
        platform=platform,
        account=account,
        redis_url=redis_url,
        allow_private_networks=allow_private_networks,
        **options,
    )
