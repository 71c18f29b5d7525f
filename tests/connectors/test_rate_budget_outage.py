"""The shared rate budget while its Redis is stopped: this process counts on its own (the
same limit, a 429's block kept), then shares through Redis again once it answers."""

from __future__ import annotations

import time
import uuid

import httpx

from connectors import budgets as http_layer
from connectors.http import HttpClient, RedisRateBudget


def budget_on(url: str, *, limit: int | None) -> RedisRateBudget:
    return RedisRateBudget(
        redis_url=url, platform="zendesk", account=f"acme-{uuid.uuid4().hex}", limit=limit
    )


def test_a_stopped_redis_leaves_the_limit_to_this_process(own_redis, monkeypatch):
    monkeypatch.setattr(http_layer, "REDIS_RECHECK_SECONDS", 0.2)
    budget = budget_on(own_redis.url, limit=3)
    assert budget.try_acquire() == 0
    own_redis.stop()
    # Still three a minute, counted here: two at once (the burst), the next a third of a
    # minute after the first.
    assert [budget.try_acquire() for _ in range(2)] == [0, 0]
    assert 19 < budget.try_acquire() <= 40.8
    # A 429's block holds this process back.
    unlimited = budget_on(own_redis.url, limit=None)
    unlimited.block_for(seconds=30)
    assert 29 < unlimited.try_acquire() <= 30

    own_redis.start()
    time.sleep(0.3)
    # Back on Redis: another process's requests count against this one again.
    other = budget_on(own_redis.url, limit=3)
    for key in ("_window_key", "_blocked_key", "_pace_key", "_learned_key"):
        setattr(other, key, getattr(budget, key))
    assert [other.try_acquire() for _ in range(2)] == [0, 0]
    assert budget.try_acquire() > 0


def test_requests_go_on_while_redis_is_stopped(own_redis):
    own_redis.stop()
    answered = []

    def handler(request: httpx.Request) -> httpx.Response:
        answered.append(request.url.path)
        return httpx.Response(200, json={"ok": True})

    with HttpClient(
        base_url="http://127.0.0.1/api/v2/",
        platform="zendesk",
        account=f"acme-{uuid.uuid4().hex}",
        redis_url=own_redis.url,
        rate_limit=600,
        transport=httpx.MockTransport(handler),
        allow_private_networks=True,
    ) as client:
        started = time.monotonic()
        for number in range(5):
            assert client.get(f"tickets/{number}.json") == {"ok": True}
    assert len(answered) == 5
    assert time.monotonic() - started < 2
