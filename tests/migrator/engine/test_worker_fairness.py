"""Fair workers, with real processes: PostgreSQL, Redis as the broker, Celery workers laid
out as `make run` and docker-compose lay them out (a worker consuming both queues, a small
one consuming demos only), the emulators over loopback HTTP.

A full run held back by its target's rate limit holds only the processes that limit can
feed: other runs, and demos above all, keep going."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from connectors.sandbox import SeedPlan
from migrator import services
from migrator.models import Connection, Run, RunBatch
from reports.models import RunRecord
from tests.migrator.engine import stack as harness
from tests.support import replayable_seed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, groups=2, custom_fields=False, seed=11)
#: Requests a minute the busy runs' target allows: far below what the workers could send.
BUSY_TARGET_LIMIT = 300
#: Tickets of two full runs side by side: the first never ends during the test.
FIRST_TICKETS, SECOND_TICKETS = 1200, 400


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def helpdesk(*, tickets: int, seed: int, articles: int = 0) -> SeedPlan:
    return SeedPlan(
        agents=6,
        contacts=20,
        organizations=4,
        groups=3,
        tickets=tickets,
        comments_per_ticket=(2, 2),
        attachment_ratio=0.0,
        inline_image_ratio=0.0,
        article_categories=1 if articles else 0,
        article_sections=1 if articles else 0,
        articles=articles,
        seed=seed,
    )


def migration_seeded(
    *, user, stack, tickets: int, seed: int, target_limit: int = 0, articles: int = 0
) -> harness.Accounts:
    """A Zendesk to Freshdesk migration; ``target_limit``: the requests a minute the user
    entered for the target (the run's rate budget there; 0: none)."""
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=helpdesk(tickets=tickets, seed=seed, articles=articles),
        target_plan=TARGET_PLAN,
    )
    Connection.objects.filter(pk=accounts.migration.target_id).update(
        rate_limit_per_minute=target_limit
    )
    accounts.migration.refresh_from_db()
    return accounts


def tickets_on_target(accounts: harness.Accounts) -> int:
    return harness.target_records(accounts.target, "tickets").count()


def tickets_done(run: Run) -> int:
    return RunRecord.objects.filter(run=run, entity="tickets").count()


def demo_seconds(migration) -> float:
    started = time.monotonic()
    run = services.run_start(migration=migration, kind=Run.Kind.DEMO)
    run = harness.wait_for_run(run, timeout=120)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    return time.monotonic() - started


def processes_held(run: Run) -> int:
    return RunBatch.objects.filter(run=run, status=RunBatch.Status.CLAIMED).count()


@dataclass
class Sample:
    at: float
    done: dict[int, int]
    held: dict[int, int]


def test_a_demo_finishes_in_under_twice_its_idle_time_while_a_full_run_of_5000_tickets_goes(
    user, stack
):
    seed = replayable_seed(default=16)
    print(f"seed {seed}")
    started = time.monotonic()
    busy = migration_seeded(
        user=user, stack=stack, tickets=5000, seed=seed, target_limit=BUSY_TARGET_LIMIT
    )
    print(f"seeded 5000 tickets in {time.monotonic() - started:.1f}s")
    # Three alike: one warms the workers up, one is timed on the idle machine, one beside
    # the full run.
    warm_up, alone, beside = (
        migration_seeded(user=user, stack=stack, tickets=30, seed=seed + n, articles=25)
        for n in (1, 2, 3)
    )
    stack.worker(concurrency=2)
    stack.demo_worker()

    demo_seconds(warm_up.migration)
    idle = demo_seconds(alone.migration)

    full = services.run_start(migration=busy.migration, kind=Run.Kind.FULL)
    harness.wait_for_run(full, timeout=90, until=lambda run: tickets_done(run) >= 10)
    before = tickets_done(full)
    held_during_demo: list[int] = []
    loaded_started = time.monotonic()
    demo = services.run_start(migration=beside.migration, kind=Run.Kind.DEMO)
    while not demo.is_finished:
        held_during_demo.append(processes_held(full))
        time.sleep(0.5)
        demo.refresh_from_db()
    loaded = time.monotonic() - loaded_started
    assert demo.status == Run.Status.COMPLETED, demo.pause_reason
    during = tickets_done(full) - before
    full.refresh_from_db()
    print(
        f"demo alone {idle:.1f}s; with the full run going {loaded:.1f}s "
        f"({loaded / idle:.2f}x); the full run did {during} tickets meanwhile, holding "
        f"{max(held_during_demo)} processes at most (status {full.status})"
    )
    assert full.status == Run.Status.RUNNING and during > 0, "the full run was going"
    assert loaded < 2 * idle
    assert harness.target_records(beside.target, "tickets").count() == 20
    services.run_cancel(run=full)


def test_two_full_runs_of_different_accounts_go_on_together(user, stack):
    """The second run does not wait for the first to end: while both have work, each keeps
    its share of the processes, and both write tickets all along."""
    seed = replayable_seed(default=17)
    print(f"seed {seed}")
    runs_accounts = [
        migration_seeded(user=user, stack=stack, tickets=tickets, seed=seed + n)
        for n, tickets in enumerate((FIRST_TICKETS, SECOND_TICKETS))
    ]
    stack.worker(concurrency=2)
    stack.demo_worker()

    first = services.run_start(migration=runs_accounts[0].migration, kind=Run.Kind.FULL)
    harness.wait_for_run(first, timeout=90, until=lambda run: tickets_done(run) >= 5)
    second = services.run_start(migration=runs_accounts[1].migration, kind=Run.Kind.FULL)
    runs = {first.pk: runs_accounts[0], second.pk: runs_accounts[1]}
    samples: list[Sample] = []
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        # The target's own tickets: each one counts the moment the target created it.
        done = {pk: tickets_on_target(accounts) for pk, accounts in runs.items()}
        samples.append(
            Sample(
                at=time.monotonic(),
                done=done,
                held={run.pk: processes_held(run) for run in (first, second)},
            )
        )
        if done[second.pk] >= SECOND_TICKETS:
            break
        time.sleep(1.0)
    second = harness.wait_for_run(second, timeout=60)
    first.refresh_from_db()
    assert second.status == Run.Status.COMPLETED, second.pause_reason
    assert first.status == Run.Status.RUNNING, "the first run is still going"

    # From the second run's first ticket to its last, every 10 samples, each run wrote
    # tickets: neither waited for the other.
    overlap = [sample for sample in samples if sample.done[second.pk] > 0]
    windows = [
        {pk: later.done[pk] - earlier.done[pk] for pk in runs}
        for earlier, later in zip(overlap[::10], overlap[10::10], strict=False)
    ]
    span = overlap[-1].at - overlap[0].at
    gains = {pk: overlap[-1].done[pk] - overlap[0].done[pk] for pk in runs}
    print(
        f"over {span:.0f}s: the first run wrote {gains[first.pk]} tickets "
        f"({gains[first.pk] / span * 60:.0f}/min), the second {gains[second.pk]} "
        f"({gains[second.pk] / span * 60:.0f}/min); per 10 samples: "
        f"{[tuple(window.values()) for window in windows]}; processes held (first, second): "
        f"{sorted({(s.held[first.pk], s.held[second.pk]) for s in overlap})}"
    )
    assert windows, "the runs overlapped for a while"
    for window in windows:
        assert all(gain > 0 for gain in window.values()), window
    # Shared, not taken in turns: neither run went at under a third of the other's pace.
    assert gains[first.pk] * 3 > gains[second.pk] and gains[second.pk] * 3 > gains[first.pk]
    services.run_cancel(run=first)
