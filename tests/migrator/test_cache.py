"""The site's cache on Redis answers as an empty cache while Redis is stopped or silent,
without waiting on it page after page, and is used again once Redis is back."""

from __future__ import annotations

import socket
import time

import pytest

from migrator import cache as site_cache
from migrator.cache import ResilientRedisCache, redis_cache_settings


def cache_on(url: str) -> ResilientRedisCache:
    settings = redis_cache_settings(redis_url=url)
    return ResilientRedisCache(settings["LOCATION"], {})


def test_a_stopped_redis_is_an_empty_cache_then_a_cache_again(own_redis, monkeypatch):
    monkeypatch.setattr(site_cache, "RECHECK_SECONDS", 0.0)
    cache = cache_on(own_redis.url)
    cache.set("kept", "before")
    assert cache.get("kept") == "before"

    own_redis.stop()
    assert cache.get("kept", "missing") == "missing"
    cache.set("dropped", 1)
    assert cache.add("lock", True) is True
    assert cache.get_many(["kept", "dropped"]) == {}
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.has_key("kept") is False
    assert cache.delete("kept") is False
    with pytest.raises(ValueError):
        cache.incr("counter")

    own_redis.start()
    cache.set("kept", "after")
    assert cache.get("kept") == "after"
    assert cache.add("count", 0) is True
    assert cache.incr("count") == 1


def test_a_redis_that_never_answers_costs_one_short_wait_not_one_per_call():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        cache = cache_on(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        started = time.monotonic()
        assert cache.get("anything", "missing") == "missing"
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(20):
            assert cache.get("anything") is None
        later = time.monotonic() - started
    finally:
        silent.close()
    assert first < site_cache.SOCKET_TIMEOUT_SECONDS + 0.5
    assert later < 0.1
