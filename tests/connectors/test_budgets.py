"""The shared rate budget: even pacing under the effective limit, the limit learned from
the platforms' headers (each connector's declaration read against its emulator's
answers), holds until a window's reset, and waits too long for a worker raised instead of
slept. Clocks are fake; the Redis budget runs on a real Redis with the fake clock."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from connectors.budgets import (
    Announcement,
    LocalRateBudget,
    RateLimitHeaders,
    RedisRateBudget,
    effective_limit,
)
from connectors.edesk import client as edesk_client
from connectors.edesk import emulator as edesk_emulator
from connectors.errors import RateLimitedError
from connectors.freshdesk import client as freshdesk_client
from connectors.freshdesk import emulator as freshdesk_emulator
from connectors.halo import client as halo_client
from connectors.halo import emulator as halo_emulator
from connectors.http import HttpClient
from connectors.teamwork_desk import client as teamwork_client
from connectors.teamwork_desk import emulator as teamwork_emulator
from connectors.zendesk import client as zendesk_client
from connectors.zendesk import emulator as zendesk_emulator
from tests.connectors.test_http import FakeTime as FakeClock

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set REDIS_URL to run Redis tests")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def grants_over(budget, clock: FakeClock, *, seconds: float) -> list[float]:
    """Acquire as fast as the budget allows for ``seconds`` of fake time."""
    grants = []
    end = clock.now + seconds
    while clock.now < end:
        budget.acquire()
        grants.append(clock.now)
    return grants


def max_in_any_window(moments: list[float], window: float) -> int:
    moments = sorted(moments)
    best, start = 0, 0
    for end, moment in enumerate(moments):
        while moments[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


# ---------------------------------------------------------------- declared headers


PLATFORMS = {
    "zendesk": (zendesk_client.RATE_LIMIT_HEADERS, zendesk_emulator.PROFILE),
    "freshdesk": (freshdesk_client.RATE_LIMIT_HEADERS, freshdesk_emulator.PROFILE),
    "teamwork_desk": (teamwork_client.RATE_LIMIT_HEADERS, teamwork_emulator.PROFILE),
    "halo": (halo_client.RATE_LIMIT_HEADERS, halo_emulator.PROFILE),
    "edesk": (edesk_client.RATE_LIMIT_HEADERS, edesk_emulator.PROFILE),
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_each_connector_reads_the_headers_its_emulator_sends(platform: str) -> None:
    declared, profile = PLATFORMS[platform]
    sent = profile.rate_limit_headers(700, 12, 41)
    announced = declared.read(httpx.Headers(sent))
    if platform in ("halo", "edesk"):
        # Their references document no header announcing the limit: nothing to learn.
        assert sent == {} and announced == Announcement()
        return
    assert announced.limit == 700 and announced.remaining == 12
    if platform == "freshdesk":
        assert announced.reset_seconds is None  # Freshdesk sends no reset header
    else:
        assert announced.reset_seconds == pytest.approx(41, abs=1.5)


def test_the_documented_examples_are_read() -> None:
    """The answers as the platforms' references show them."""
    zendesk = zendesk_client.RATE_LIMIT_HEADERS.read(
        httpx.Headers(
            {
                "x-rate-limit": "700",
                "ratelimit-limit": "700",
                "x-rate-limit-remaining": "699",
                "ratelimit-remaining": "699",
                "ratelimit-reset": "41",
            }
        )
    )
    assert zendesk == Announcement(limit=700, remaining=699, reset_seconds=41)
    freshdesk = freshdesk_client.RATE_LIMIT_HEADERS.read(
        httpx.Headers(
            {
                "X-RateLimit-Total": "200",
                "X-RateLimit-Remaining": "199",
                "X-RateLimit-Used-CurrentRequest": "1",
            }
        )
    )
    assert freshdesk == Announcement(limit=200, remaining=199)
    teamwork = teamwork_client.RATE_LIMIT_HEADERS.read(
        httpx.Headers(
            {
                "X-Rate-Limit-Limit": "120",
                "X-Rate-Limit-Remaining": "0",
                "X-Rate-Limit-Reset": str(int(time.time()) + 20),
            }
        )
    )
    assert teamwork.limit == 120 and teamwork.remaining == 0
    assert 18 <= (teamwork.reset_seconds or 0) <= 21


def test_the_effective_limit_is_the_users_under_the_announced_one() -> None:
    assert effective_limit(cap=0, learned=0, default=200) == 200  # nothing known yet
    assert effective_limit(cap=0, learned=120, default=200) == 120  # learned
    assert effective_limit(cap=100, learned=0, default=200) == 100  # entered
    assert effective_limit(cap=100, learned=60, default=200) == 60  # capped by the platform
    assert effective_limit(cap=50, learned=60, default=200) == 50
    assert effective_limit(cap=0, learned=0, default=0) == 0  # unlimited


# ------------------------------------------------------------------ local budget


def test_pacing_spaces_requests_evenly_and_uses_the_budget(clock: FakeClock) -> None:
    budget = LocalRateBudget(limit=None, default_limit=120, clock=clock.time, sleep=clock.sleep)
    grants = grants_over(budget, clock, seconds=600)
    # Never more than the limit in any minute, at least 95% of it used.
    assert max_in_any_window(grants, 60) <= 120
    assert len(grants) >= 0.95 * 120 * 10
    # One every window / limit seconds, or two together to take up a slot missed: never
    # more than two at once, never a longer pause than two slots.
    interval = 61.2 / 120
    assert max(later - earlier for earlier, later in itertools.pairwise(grants)) <= (
        2 * interval + 1e-6
    )
    assert max_in_any_window(grants, interval / 2) <= 2


def test_a_learned_limit_replaces_the_default_then_expires(clock: FakeClock) -> None:
    budget = LocalRateBudget(
        limit=None,
        default_limit=200,
        learned_seconds=120,
        clock=clock.time,
        sleep=clock.sleep,
    )
    budget.learn(limit=60)
    assert budget.learned_limit() == 60
    grants = grants_over(budget, clock, seconds=60)
    assert max_in_any_window(grants, 60) <= 60 and len(grants) >= 57
    clock.now += 120
    assert budget.learned_limit() is None and budget.effective_limit() == 200


def test_the_users_limit_stays_under_the_announced_one(clock: FakeClock) -> None:
    budget = LocalRateBudget(limit=30, default_limit=200, clock=clock.time, sleep=clock.sleep)
    budget.learn(limit=700)
    assert budget.effective_limit() == 30
    budget.learn(limit=20)
    assert budget.effective_limit() == 20


# ------------------------------------------------------------------ Redis budget


@pytest.fixture
def redis_budget(clock: FakeClock) -> Iterator[Callable[..., RedisRateBudget]]:
    assert REDIS_URL
    prefix = f"test-budgets:{uuid.uuid4().hex}"
    made: list[RedisRateBudget] = []

    def make(**options) -> RedisRateBudget:
        options = {
            "limit": None,
            "default_limit": 200,
            "period": 60.0,
            **options,
        }
        budget = RedisRateBudget(
            redis_url=REDIS_URL,
            platform="freshdesk",
            account="acme",
            key_prefix=prefix,
            clock=clock.time,
            sleep=clock.sleep,
            redis_clock=clock.time,
            **options,
        )
        made.append(budget)
        return budget

    yield make
    if made:
        made[0].reset()


@pytest.mark.redis
@needs_redis
def test_a_limit_learned_by_one_process_paces_every_other(
    redis_budget: Callable[..., RedisRateBudget], clock: FakeClock
) -> None:
    first, second = redis_budget(), redis_budget()
    first.learn(limit=60)
    assert second.learned_limit() == 60
    grants = []
    end = clock.now + 300
    turn = 0
    while clock.now < end:
        (first, second)[turn % 2].acquire()  # two processes taking turns
        grants.append(clock.now)
        turn += 1
    assert max_in_any_window(grants, 60) <= 60
    assert len(grants) >= 0.95 * 60 * 5


@pytest.mark.redis
@needs_redis
def test_the_learned_limit_lives_in_redis_with_a_ttl(
    redis_budget: Callable[..., RedisRateBudget],
) -> None:
    import redis

    budget = redis_budget(learned_seconds=90)
    budget.learn(limit=120)
    connection = redis.Redis.from_url(REDIS_URL)
    ttl = connection.pttl(budget._learned_key)
    assert 80_000 < ttl <= 90_000
    assert budget.learned_limit() == 120


@pytest.mark.redis
@needs_redis
def test_a_block_holds_every_process_until_it_ends(
    redis_budget: Callable[..., RedisRateBudget], clock: FakeClock
) -> None:
    first, second = redis_budget(), redis_budget()
    first.block_for(seconds=30)
    assert second.try_acquire() == pytest.approx(30, abs=0.01)
    clock.now += 30
    assert second.try_acquire() == 0


# ------------------------------------------------------------------ the client


def announcing(limit: int, remaining: int, reset: int) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={},
            headers={
                "X-Rate-Limit": str(limit),
                "X-Rate-Limit-Remaining": str(remaining),
                "ratelimit-reset": str(reset),
            },
        )

    return handler


def zendesk_client_on(budget, handler, **options) -> HttpClient:
    return HttpClient(
        base_url="http://127.0.0.1/api/v2/",
        platform="zendesk",
        account="acme",
        budget=budget,
        rate_limit_headers=zendesk_client.RATE_LIMIT_HEADERS,
        transport=httpx.MockTransport(handler),
        allow_private_networks=True,
        **options,
    )


def test_every_answer_teaches_the_budget_the_announced_limit(clock: FakeClock) -> None:
    budget = LocalRateBudget(limit=None, default_limit=200, clock=clock.time, sleep=clock.sleep)
    client = zendesk_client_on(budget, announcing(90, 50, 30), sleep=clock.sleep)
    client.get("tickets.json")
    assert budget.learned_limit() == 90 and budget.effective_limit() == 90
    assert client.learned_limit_per_minute() == 90


def test_nothing_left_of_the_window_holds_back_until_its_reset(clock: FakeClock) -> None:
    budget = LocalRateBudget(limit=None, default_limit=200, clock=clock.time, sleep=clock.sleep)
    client = zendesk_client_on(budget, announcing(90, 0, 25), sleep=clock.sleep)
    client.get("tickets.json")
    assert budget.try_acquire() == pytest.approx(25)


def test_a_long_wait_for_the_budget_raises_instead_of_sleeping(clock: FakeClock) -> None:
    budget = LocalRateBudget(limit=None, default_limit=200, clock=clock.time, sleep=clock.sleep)
    client = zendesk_client_on(budget, announcing(90, 0, 25), sleep=clock.sleep, budget_wait_max=2)
    client.get("tickets.json")
    with pytest.raises(RateLimitedError) as raised:
        client.get("tickets.json")
    assert raised.value.retry_after == pytest.approx(25)
    assert raised.value.budget_key == "zendesk:acme"
    assert clock.sleeps == []


def test_a_short_wait_for_the_budget_is_slept(clock: FakeClock) -> None:
    budget = LocalRateBudget(limit=None, default_limit=60, clock=clock.time, sleep=clock.sleep)
    client = zendesk_client_on(budget, lambda request: httpx.Response(200, json={}))
    client._sleep = clock.sleep
    for name in ("a", "b", "c"):
        client.get(f"{name}.json")
    # Two at once (the burst), the third a slot later: slept, not raised.
    assert clock.sleeps == [pytest.approx(61.2 / 60)]


def test_a_declared_window_is_replaced_for_shortened_emulated_windows() -> None:
    declared = RateLimitHeaders(limit=("X-Rate-Limit",), default_limit=200)
    client = HttpClient(
        base_url="http://127.0.0.1/",
        platform="zendesk",
        account=uuid.uuid4().hex,
        rate_limit_headers=declared,
        rate_window_seconds=6,
        rate_limit=600,
        allow_private_networks=True,
    )
    assert client.rate_limit_headers.window_seconds == 6
    # The user's 600 a minute is 60 a six-second window.
    assert client.budget.limit == 60
    client.close()
