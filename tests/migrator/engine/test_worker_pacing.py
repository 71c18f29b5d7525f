"""Adaptive pacing with real worker processes: Zendesk (source) to Freshdesk (target) over
the emulators on loopback HTTP, the target enforcing a limit its connection does not know.

The emulated windows are shortened (the account's ``rate_window_seconds`` and the workers'
CONNECTOR_RATE_WINDOW_SECONDS) so that a dozen windows pass in about a minute.
"""

from __future__ import annotations

import math
import time

import pytest
import redis
from django.db.models import Max, Min

from connectors.base import is_marker
from connectors.sandbox import SeedPlan
from connectors.schema import Entity
from migrator import services
from migrator.models import Connection, Run, RunBatch
from reports.models import RunRecord
from tests.migrator.engine import stack as harness

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

#: The target's limit: requests in one (shortened) window.
LIMIT = 60
WINDOW_SECONDS = 6
TARGET_PLAN = SeedPlan(agents=4, agents_offset=2, groups=2, custom_fields=False, seed=11)


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def limit_target(account, *, limit: int, window_seconds: float) -> None:
    """The emulated Freshdesk enforces ``limit`` requests a window and announces it."""
    account.rate_limit_per_minute = limit
    account.options = {**account.options, "rate_window_seconds": window_seconds}
    account.save(update_fields=["rate_limit_per_minute", "options"])


def requests_per_window(account, *, first: float, last: float) -> dict[int, int]:
    """What the emulator counted (429s included) in each window between two moments, read
    from the Redis cache the emulators count in (Django's key: ``:1:`` and the name)."""
    connection = redis.Redis.from_url(harness.REDIS_URL)
    counts = {}
    for window in range(int(first // WINDOW_SECONDS), int(last // WINDOW_SECONDS) + 1):
        value = connection.get(f":1:emulator-rate:freshdesk:{account.pk}:{window}")
        counts[window] = int(value or 0)
    return counts


def test_an_unknown_limit_is_learned_then_kept_to_and_used(user, stack):
    tickets = 150
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=SeedPlan(
            agents=4,
            contacts=20,
            organizations=3,
            groups=2,
            tickets=tickets,
            comments_per_ticket=(1, 1),
            attachment_ratio=0.0,
            inline_image_ratio=0.0,
            custom_fields=False,
            seed=21,
        ),
        target_plan=TARGET_PLAN,
        entities=[Entity.CONTACTS, Entity.TICKETS],
        rate_limit_per_minute=None,  # the connections know no limit
    )
    limit_target(accounts.target, limit=LIMIT, window_seconds=WINDOW_SECONDS)
    stack.worker(concurrency=4, CONNECTOR_RATE_WINDOW_SECONDS=str(WINDOW_SECONDS))
    started = time.time()
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    run = harness.wait_for_run(run, timeout=400)
    ended = time.time()
    assert run.status == Run.Status.COMPLETED, run.pause_reason

    counts = requests_per_window(accounts.target, first=started, last=ended)
    busy = [window for window, used in counts.items() if used]
    first_window = busy[0]
    over = {window: used for window, used in counts.items() if used > LIMIT}
    # While the tickets are written the target's limit binds: its whole windows then.
    span = RunRecord.objects.filter(run=run, entity="tickets").aggregate(
        first=Min("recorded_at"), last=Max("recorded_at")
    )
    inside = range(
        math.ceil(span["first"].timestamp() / WINDOW_SECONDS),
        math.floor(span["last"].timestamp() / WINDOW_SECONDS),
    )
    used = sum(min(counts[window], LIMIT) for window in inside)
    share = used / (LIMIT * len(inside))
    print(
        f"windows of {WINDOW_SECONDS}s at {LIMIT}: {[counts[w] for w in sorted(counts)]}; "
        f"ticket windows {len(inside)}, budget used {share:.1%}, over the limit {over}",
        flush=True,
    )
    assert not {window for window in over if window > first_window}, over
    assert len(inside) >= 4
    assert share >= 0.95, f"only {share:.1%} of the budget used"
    # Nothing 429'd after the first window either, as the engine counted it.
    late_429 = RunBatch.objects.filter(
        run=run, finished_at__gt=_moment((first_window + 1) * WINDOW_SECONDS)
    ).values_list("rate_limited", flat=True)
    assert sum(late_429) == 0

    # The target's data is complete: every ticket once.
    markers = [
        tag
        for tags in harness.target_records(accounts.target, "tickets").values_list(
            "data__tags", flat=True
        )
        for tag in tags or []
        if is_marker(tag)
    ]
    assert len(markers) == tickets and len(set(markers)) == tickets
    assert set(
        RunRecord.objects.filter(run=run, entity="tickets").values_list("outcome", flat=True)
    ) == {RunRecord.Outcome.MIGRATED}
    # The connection keeps what the platform announced, as requests a minute.
    target = Connection.objects.get(pk=accounts.migration.target_id)
    assert target.rate_limit_learned == LIMIT * 60 // WINDOW_SECONDS
    assert target.rate_limit_learned_at is not None


def _moment(epoch: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, tz=UTC)


def test_a_batch_that_must_wait_lets_the_process_work_another_migrations_demo(user, stack):
    slow = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=SeedPlan(
            agents=3,
            contacts=12,
            organizations=2,
            groups=2,
            tickets=30,
            comments_per_ticket=(1, 2),
            attachment_ratio=0.0,
            inline_image_ratio=0.0,
            custom_fields=False,
            seed=31,
        ),
        target_plan=TARGET_PLAN,
        entities=[Entity.CONTACTS, Entity.TICKETS],
        rate_limit_per_minute=None,
    )
    # Eight requests in twenty seconds: the full run waits more than it works.
    limit_target(slow.target, limit=8, window_seconds=20)
    demo = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=SeedPlan(
            agents=3,
            contacts=10,
            organizations=2,
            groups=2,
            tickets=25,
            comments_per_ticket=(1, 2),
            attachment_ratio=0.0,
            inline_image_ratio=0.0,
            custom_fields=False,
            seed=32,
        ),
        target_plan=TARGET_PLAN,
        rate_limit_per_minute=0,
    )
    # One worker process: whatever the demo gets done, that process did between the
    # full run's waits.
    worker = stack.worker(concurrency=1, CONNECTOR_RATE_WINDOW_SECONDS="20")
    full_run = services.run_start(migration=slow.migration, kind=Run.Kind.FULL)
    harness.wait_for_run(
        full_run,
        timeout=120,
        until=lambda run: RunBatch.objects.filter(run=run, waiting_on="target").exists(),
    )
    demo_run = services.run_start(migration=demo.migration, kind=Run.Kind.DEMO)
    waits_seen = 0
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        demo_run.refresh_from_db()
        waits_seen += RunBatch.objects.filter(run=full_run, waiting_on="target").count()
        if demo_run.is_finished:
            break
        time.sleep(0.5)
    assert demo_run.status == Run.Status.COMPLETED, demo_run.pause_reason
    assert harness.target_records(demo.target, "tickets").count() == 20
    full_run.refresh_from_db()
    # The full run was still going, waiting on its target, neither paused nor failed.
    assert full_run.status == Run.Status.RUNNING, full_run.pause_reason
    assert waits_seen
    assert max(RunBatch.objects.filter(run=full_run).values_list("attempts", flat=True)) <= 1
    assert not RunRecord.objects.filter(run=full_run, outcome=RunRecord.Outcome.FAILED).exists()
    given_back = sum("for the target's rate limit" in line for line in worker.lines)
    print(f"the full run's batches were given back {given_back} times to wait", flush=True)
    services.run_cancel(run=full_run)
