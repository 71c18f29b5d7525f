"""Rate budgets per platform account, and what the platforms' answers say about them.

A budget lets requests go evenly below the account's limit: one every ``window / limit``
seconds (after a small burst), with a sliding window of ``limit`` grants per window (plus
a 2% margin) as the hard guard, and a "blocked until" time set when the platform answers
429 or announces that nothing remains of its window. Every worker process of every host
shares the budget of an account through Redis; without Redis, the clients of one process
share one in memory.

The limit a budget keeps is the user's (a connection's entered limit) capped by the one
the platform announces in its headers, learned from its answers and kept in Redis for
every process (for :data:`DEFAULT_LEARNED_LIMIT_SECONDS` unless announced again); with no
entered limit, the announced one once known, the connector's declared default before.

Each connector declares the headers its platform announces the limit in
(:class:`RateLimitHeaders`); :meth:`RateLimitHeaders.read` reads an answer's.
"""

from __future__ import annotations

import collections
import email.utils
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis

__all__ = [
    "Announcement",
    "LocalRateBudget",
    "RateBudget",
    "RateLimitHeaders",
    "RedisRateBudget",
    "rate_budget",
    "rate_limit_reset_seconds",
    "retry_after_seconds",
]

logger = logging.getLogger(__name__)

#: Part of the window kept free by default, so that requests granted just inside the
#: window but delayed on the way still reach the platform inside its own count.
DEFAULT_MARGIN_FRACTION = 0.02
#: At most this many requests go at once before the budget spaces them out (at least two,
#: and as many as half a second of the pace brings): slots that workers late to wake up
#: missed are taken up again, and the sliding window keeps every window to the limit
#: whatever the bursts.
MAX_BURST = 5
BURST_SECONDS = 0.5
#: How long an announced limit is trusted without being announced again.
DEFAULT_LEARNED_LIMIT_SECONDS = 3600.0
#: A process writes the limit it was told again to Redis at most this often (the limit
#: itself changing is written at once).
LEARNED_REFRESH_SECONDS = 30.0


# ------------------------------------------------------------------ declared headers


_DELAY_SECONDS = re.compile(r"^\s*\d+(\.\d+)?\s*$")
# Reset headers above this are epoch times, not delays (about 2001-09-09).
_EPOCH_THRESHOLD = 1_000_000_000
#: Reset headers read after a 429 that carries no Retry-After, whatever the platform.
_COMMON_RESET_HEADERS = ("RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset")


@dataclass(frozen=True)
class Announcement:
    """What one answer's headers said: the limit of the window, what remains of it, and
    the seconds until it starts again (each None when not said)."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None


@dataclass(frozen=True)
class RateLimitHeaders:
    """The headers a platform announces its rate limit in, as its API reference names
    them, and the limit it applies until it says otherwise.

    ``limit``, ``remaining`` and ``reset`` are header names (the first present wins);
    ``reset`` is seconds from now, or an epoch time when its value is one. The announced
    limit counts requests in ``window_seconds``; ``default_limit`` is the documented limit
    of the usual plan in that window, kept until the platform announces its own.
    """

    limit: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()
    reset: tuple[str, ...] = ()
    window_seconds: float = 60.0
    default_limit: int | None = None

    def read(self, headers: Mapping[str, str]) -> Announcement:
        reset = _first_number(headers, self.reset)
        if reset is not None:
            reset = _seconds_from_now(reset)
        limit = _first_number(headers, self.limit)
        remaining = _first_number(headers, self.remaining)
        return Announcement(
            limit=int(limit) if limit else None,
            remaining=int(remaining) if remaining is not None else None,
            reset_seconds=reset,
        )

    def per_window(self, *, requests: float, period: float) -> int:
        """``requests`` in ``period`` seconds as a whole count of this window (at least 1)."""
        return max(1, math.floor(requests * self.window_seconds / period + 1e-9))


def _first_number(headers: Mapping[str, str], names: tuple[str, ...]) -> float | None:
    for name in names:
        value = headers.get(name)
        if value and _DELAY_SECONDS.match(value):
            return float(value)
    return None


def _seconds_from_now(value: float) -> float:
    if value > _EPOCH_THRESHOLD:
        value -= time.time()
    return max(0.0, value)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
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


def rate_limit_reset_seconds(
    headers: Mapping[str, str], *, declared: RateLimitHeaders | None = None
) -> float | None:
    """Seconds until the window starts again, from the declared reset header or a common
    one."""
    names = (*(declared.reset if declared else ()), *_COMMON_RESET_HEADERS)
    value = _first_number(headers, names)
    return None if value is None else _seconds_from_now(value)


# --------------------------------------------------------------------------- budgets


class RateBudget(Protocol):
    """At most the effective limit of requests in any sliding window of ``period`` seconds
    per platform account, spaced evenly, plus a "blocked until" time."""

    def try_acquire(self) -> float:
        """Take a slot and return 0, or return how many seconds to wait first."""
        ...

    def acquire(self) -> None:
        """Take a slot, sleeping until one is free."""
        ...

    def block_for(self, *, seconds: float) -> None:
        """Hold every request back for ``seconds`` (the platform's Retry-After)."""
        ...

    def learn(self, *, limit: int) -> None:
        """The platform announced ``limit`` requests a window: keep to it."""
        ...

    def learned_limit(self) -> int | None:
        """The limit the platform announced (requests a window), while it is trusted."""
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


def effective_limit(*, cap: int, learned: int, default: int) -> int:
    """The limit kept (0: none): the user's cap under the announced limit; without a cap
    the announced one, else the declared default."""
    if learned > 0:
        return min(cap, learned) if cap > 0 else learned
    return cap if cap > 0 else default


def burst_of(limit: int, *, window: float) -> int:
    """Requests let go at once before pacing (never more than a window's limit)."""
    paced = math.ceil(BURST_SECONDS * limit / window)
    return min(limit, MAX_BURST, max(2, limit // 50, paced))


class LocalRateBudget:
    """A rate budget for the threads of one process.

    ``limit`` (the cap) and ``default_limit`` None or 0 with nothing learned means
    unlimited (only a block holds requests back). ``margin`` (default 2% of ``period``)
    widens the window the budget keeps.
    """

    def __init__(
        self,
        *,
        limit: int | None,
        default_limit: int | None = None,
        period: float = 60.0,
        margin: float | None = None,
        learned_seconds: float = DEFAULT_LEARNED_LIMIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = _checked_limit(limit)
        self.default_limit = _checked_limit(default_limit)
        self.period = period
        self._window = _window_seconds(period=period, margin=margin)
        self._learned_seconds = learned_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._granted: collections.deque[float] = collections.deque()
        self._blocked_until = 0.0
        self._next_at = 0.0  # the theoretical time of the next paced grant
        self._learned = 0
        self._learned_until = 0.0

    def effective_limit(self) -> int:
        learned = self._learned if self._clock() < self._learned_until else 0
        return effective_limit(cap=self.limit, learned=learned, default=self.default_limit)

    def try_acquire(self) -> float:
        with self._lock:
            now = self._clock()
            if self._blocked_until > now:
                return self._blocked_until - now
            limit = self.effective_limit()
            if not limit:
                return 0.0
            while self._granted and self._granted[0] <= now - self._window:
                self._granted.popleft()
            if len(self._granted) >= limit:
                return self._granted[0] + self._window - now
            burst = burst_of(limit, window=self._window)
            interval = self._window / limit
            next_at = max(self._next_at, now)
            allowed_at = next_at + interval - burst * interval
            if allowed_at > now + 1e-9:
                return allowed_at - now
            self._next_at = next_at + interval
            self._granted.append(now)
            return 0.0

    def acquire(self) -> None:
        while (wait := self.try_acquire()) > 0:
            self._sleep(wait)

    def block_for(self, *, seconds: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def learn(self, *, limit: int) -> None:
        if limit > 0:
            with self._lock:
                self._learned = limit
                self._learned_until = self._clock() + self._learned_seconds

    def learned_limit(self) -> int | None:
        return (self._learned or None) if self._clock() < self._learned_until else None


# Every script reads the clock with Redis TIME so that every worker agrees on it, unless
# the caller passes its own (tests with a fake clock). Times are integer microseconds;
# string.format keeps them exact when passed back.
_NOW = """
local now = tonumber(ARGV[1])
if now <= 0 then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
end
"""

# KEYS: window, blocked, learned, pace.
# ARGV: now, cap, default, window, max burst, member, burst seconds (in microseconds).
# Returns {wait, limit}: limit -1 while blocked, 0 when unlimited.
_ACQUIRE_SCRIPT = (
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    + _NOW
    + """
local blocked_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked_until > now then
  return {blocked_until - now, -1}
end
local cap = tonumber(ARGV[2])
local default = tonumber(ARGV[3])
local learned = tonumber(redis.call('GET', KEYS[3]) or '0')
local limit = default
if learned > 0 then
  limit = learned
  if cap > 0 and cap < limit then limit = cap end
elseif cap > 0 then
  limit = cap
end
if limit <= 0 then
  return {0, 0}
end
local window = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window))
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {math.max(1, tonumber(oldest[2]) + window - now), limit}
end
local paced = math.ceil(tonumber(ARGV[7]) * limit / window)
local burst = math.min(limit, tonumber(ARGV[5]), math.max(2, math.floor(limit / 50), paced))
local interval = math.floor(window / limit)
local next_at = tonumber(redis.call('GET', KEYS[4]) or '0')
if next_at < now then next_at = now end
local allowed_at = next_at + interval - burst * interval
if allowed_at > now then
  return {allowed_at - now, limit}
end
next_at = next_at + interval
redis.call('ZADD', KEYS[1], string.format('%d', now), ARGV[6])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
redis.call('SET', KEYS[4], string.format('%d', next_at), 'PX',
  math.ceil((next_at - now) / 1000) + 1000)
return {0, limit}
"""
)

_BLOCK_SCRIPT = (
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    + _NOW
    + """
local delay = tonumber(ARGV[2])
local target = now + delay
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > current then
  redis.call('SET', KEYS[1], string.format('%d', target), 'PX', math.ceil(delay / 1000) + 1000)
end
return 0
"""
)

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

    Per platform account: a sorted set of grant times (the hard guard), the time of the
    next paced grant, a "blocked until" key and the learned limit, changed atomically by
    Lua scripts. While Redis cannot be reached, a budget of this process alone stands in
    (the same limits, no longer shared; a 429 still slows every client of the account
    here), so a Redis outage slows requests down rather than failing them; Redis is asked
    again every :data:`REDIS_RECHECK_SECONDS`.

    ``redis_clock`` (seconds) replaces Redis's own clock in the scripts, for tests.
    """

    def __init__(
        self,
        *,
        redis_url: str,
        platform: str,
        account: str,
        limit: int | None,
        default_limit: int | None = None,
        period: float = 60.0,
        margin: float | None = None,
        learned_seconds: float = DEFAULT_LEARNED_LIMIT_SECONDS,
        key_prefix: str = "migrator:rate",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        redis_clock: Callable[[], float] | None = None,
    ) -> None:
        self.limit = _checked_limit(limit)
        self.default_limit = _checked_limit(default_limit)
        self.period = period
        self._window_us = round(_window_seconds(period=period, margin=margin) * 1_000_000)
        self._learned_ms = max(1000, round(learned_seconds * 1000))
        self._sleep = sleep
        self._clock = clock
        self._redis_clock = redis_clock
        # Without a limit only a block can hold a request back; when Redis said there is
        # none, requests go without asking again for a moment (a round trip the less each).
        self._unblocked_until = 0.0
        self._learned_written: tuple[int, float] = (0, -math.inf)
        self._stand_in = LocalRateBudget(
            limit=limit,
            default_limit=default_limit,
            period=period,
            margin=margin,
            learned_seconds=learned_seconds,
            clock=clock,
            sleep=sleep,
        )
        self._redis_down_until = 0.0
        connection = _redis_connection(redis_url)
        import redis

        self._unreachable = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        # The hash tag keeps the keys in one slot on a Redis cluster.
        base = f"{key_prefix}:{{{platform}:{account}}}"
        self._window_key = f"{base}:window"
        self._blocked_key = f"{base}:blocked"
        self._learned_key = f"{base}:learned"
        self._pace_key = f"{base}:pace"
        self._connection = connection
        self._acquire_script = connection.register_script(_ACQUIRE_SCRIPT)
        self._block_script = connection.register_script(_BLOCK_SCRIPT)

    def _now_us(self) -> int:
        return round(self._redis_clock() * 1_000_000) if self._redis_clock else 0

    def try_acquire(self) -> float:
        if self._clock() < self._unblocked_until:
            return 0.0
        if self._clock() < self._redis_down_until:
            return self._stand_in.try_acquire()
        try:
            wait_us, limit = self._acquire_script(
                keys=[self._window_key, self._blocked_key, self._learned_key, self._pace_key],
                args=[
                    self._now_us(),
                    self.limit,
                    self.default_limit,
                    self._window_us,
                    MAX_BURST,
                    uuid.uuid4().hex,
                    round(BURST_SECONDS * 1_000_000),
                ],
            )
        except self._unreachable as error:
            self._redis_unreachable(error)
            return self._stand_in.try_acquire()
        if self._redis_down_until:
            self._redis_down_until = 0.0
            logger.warning("the shared rate budget's Redis answers again")
        wait = int(wait_us) / 1_000_000
        if int(limit) == 0 and not wait:
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
                self._block_script(
                    keys=[self._blocked_key],
                    args=[self._now_us(), math.ceil(seconds * 1_000_000)],
                )
            except self._unreachable as error:
                self._redis_unreachable(error)

    def learn(self, *, limit: int) -> None:
        if limit <= 0:
            return
        self._stand_in.learn(limit=limit)
        written, at = self._learned_written
        now = self._clock()
        if limit == written and now - at < LEARNED_REFRESH_SECONDS:
            return
        if now < self._redis_down_until:
            return
        try:
            self._connection.set(self._learned_key, limit, px=self._learned_ms)
        except self._unreachable as error:
            self._redis_unreachable(error)
            return
        if limit != written:
            self._unblocked_until = 0.0
            logger.info("rate limit announced for %s: %d a window", self._learned_key, limit)
        self._learned_written = (limit, now)

    def learned_limit(self) -> int | None:
        if self._clock() < self._redis_down_until:
            return self._stand_in.learned_limit()
        try:
            value = self._connection.get(self._learned_key)
        except self._unreachable as error:
            self._redis_unreachable(error)
            return self._stand_in.learned_limit()
        return int(value) if value else None

    def _redis_unreachable(self, error: Exception) -> None:
        if not self._redis_down_until:
            logger.warning(
                "the shared rate budget's Redis is unreachable (%s); counting in this process",
                type(error).__name__,
            )
        self._redis_down_until = self._clock() + REDIS_RECHECK_SECONDS

    def reset(self) -> None:
        """Forget every grant, block and learned limit of this account."""
        self._unblocked_until = 0.0
        self._learned_written = (0, -math.inf)
        self._connection.delete(
            self._window_key, self._blocked_key, self._learned_key, self._pace_key
        )


_local_budgets: dict[tuple[Any, ...], LocalRateBudget] = {}
_local_budgets_lock = threading.Lock()


def rate_budget(
    *,
    platform: str,
    account: str,
    limit: int | None,
    default_limit: int | None = None,
    period: float = 60.0,
    learned_seconds: float = DEFAULT_LEARNED_LIMIT_SECONDS,
    redis_url: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RateBudget:
    """The budget of one platform account: in Redis when ``redis_url`` is given,
    else one in-process budget shared by every client of the same account.

    ``limit`` is the user's cap and ``default_limit`` the declared default, both requests
    per ``period`` seconds. ``clock`` is the in-process budget's clock (Redis uses its own).
    """
    if redis_url:
        return RedisRateBudget(
            redis_url=redis_url,
            platform=platform,
            account=account,
            limit=limit,
            default_limit=default_limit,
            period=period,
            learned_seconds=learned_seconds,
        )
    key = (platform, account, _checked_limit(limit), _checked_limit(default_limit), period, clock)
    with _local_budgets_lock:
        budget = _local_budgets.get(key)
        if budget is None:
            budget = LocalRateBudget(
                limit=limit,
                default_limit=default_limit,
                period=period,
                learned_seconds=learned_seconds,
                clock=clock,
            )
            _local_budgets[key] = budget
        return budget
