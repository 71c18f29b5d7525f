"""The site's cache on Redis, where Redis being unreachable is a cache miss.

Every page reads something from the cache (the billing switch, what the help desks said a
minute ago); none of it is the only copy. So when Redis is stopped or does not answer
within a second, a read finds nothing and the page computes the value again, a write is
dropped, and for a few seconds Redis is not asked at all (each page would otherwise wait
for the connection to fail again). Sessions live in the database, never only here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

#: How long connecting to Redis, or one command, may take before it counts as down.
SOCKET_TIMEOUT_SECONDS = 1.0
#: After a failure, Redis is left alone this long before it is asked again.
RECHECK_SECONDS = 5.0
#: What an unreachable or unresponsive Redis raises (subclasses included).
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

T = TypeVar("T")

_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


def redis_cache_settings(*, redis_url: str) -> dict[str, Any]:
    """The ``CACHES["default"]`` entry of a site whose cache is on ``redis_url``."""
    return {"BACKEND": "migrator.cache.ResilientRedisCache", "LOCATION": redis_url}


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering as an empty cache while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = {
            "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
            "socket_timeout": SOCKET_TIMEOUT_SECONDS,
            **params.get("OPTIONS", {}),
        }
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_key = str(server)

    def _guarded(self, fallback: T, operation: Callable[[], T]) -> T:
        if time.monotonic() < _down_until.get(self._down_key, 0.0):
            return fallback
        try:
            return operation()
        except UNREACHABLE as error:
            with _down_lock:
                already_down = self._down_key in _down_until
                _down_until[self._down_key] = time.monotonic() + RECHECK_SECONDS
            if not already_down:
                logger.warning("the cache's Redis is unreachable, going on without it: %s", error)
            return fallback
        else:
            if self._down_key in _down_until:
                with _down_lock:
                    _down_until.pop(self._down_key, None)
                logger.warning("the cache's Redis answers again")

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        # As in an empty cache, the key was not there: a lock taken with add() (allauth's
        # rate limits) is granted rather than waited for in vain.
        return self._guarded(True, lambda: RedisCache.add(self, key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._guarded(default, lambda: RedisCache.get(self, key, default, version))

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._guarded(None, lambda: RedisCache.set(self, key, value, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._guarded(False, lambda: RedisCache.touch(self, key, timeout, version))

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._guarded(False, lambda: RedisCache.delete(self, key, version))

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._guarded({}, lambda: RedisCache.get_many(self, keys, version))

    def has_key(self, key: Any, version: Any = None) -> Any:
        return self._guarded(False, lambda: RedisCache.has_key(self, key, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        missing = object()
        value = self._guarded(missing, lambda: RedisCache.incr(self, key, delta, version))
        if value is missing:
            # As for a key that is not in the cache: the caller starts the count again.
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)")
        return value

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._guarded(list(data), lambda: RedisCache.set_many(self, data, timeout, version))

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._guarded(None, lambda: RedisCache.delete_many(self, keys, version))

    def clear(self) -> Any:
        return self._guarded(False, lambda: RedisCache.clear(self))
