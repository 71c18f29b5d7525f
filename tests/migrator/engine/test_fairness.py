"""Fair workers, in-process: which queue a run's batches go to, and how many processes one
run may hold (its accounts' rate budgets times the measured time a request takes)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from migrator import queues
from migrator.engine import fairness, scheduling
from migrator.models import Connection, Run, RunBatch

pytestmark = pytest.mark.django_db(transaction=True)


def connection(*, entered: int | None = None, learned: int | None = None) -> Connection:
    return Connection(platform="zendesk", rate_limit_per_minute=entered, rate_limit_learned=learned)


def measure(*, busy: float, source: int = 0, target: int = 0) -> fairness.RunMeasure:
    return fairness.RunMeasure(busy_seconds=busy, source_calls=source, target_calls=target)


def test_the_slower_side_sets_the_processes_a_run_may_hold(settings):
    settings.MIGRATOR_MAX_BATCHES_PER_RUN = 8
    # 120 requests a minute are 2 a second; a target request every 0.5 s of a process:
    # one process, and one more for the moments a batch is off the budget.
    fed = fairness.processes_fed(
        source=connection(entered=0),
        target=connection(entered=120),
        measure=measure(busy=10.0, source=5, target=20),
    )
    assert fed == 1 + fairness.FED_HEADROOM
    # 600 a minute (10 a second) at 0.5 s a request: five processes (and the one more).
    fed = fairness.processes_fed(
        source=connection(entered=0),
        target=connection(entered=600),
        measure=measure(busy=10.0, source=5, target=20),
    )
    assert fed == 5 + fairness.FED_HEADROOM
    # Both sides limited: the source's 60 a minute at 1 s a request feed one process.
    fed = fairness.processes_fed(
        source=connection(entered=60),
        target=connection(entered=6000),
        measure=measure(busy=10.0, source=10, target=20),
    )
    assert fed == 1 + fairness.FED_HEADROOM


def test_the_setting_caps_a_run_with_no_limit_or_nothing_measured(settings):
    settings.MIGRATOR_MAX_BATCHES_PER_RUN = 3
    unlimited = connection(entered=0)
    assert (
        fairness.processes_fed(
            source=unlimited, target=unlimited, measure=measure(busy=10.0, source=5, target=20)
        )
        == 3
    )
    assert (
        fairness.processes_fed(
            source=connection(entered=60), target=connection(entered=60), measure=measure(busy=0.0)
        )
        == 3
    )
    # A fast budget would feed 50 processes: the setting keeps it to 3.
    assert (
        fairness.processes_fed(
            source=unlimited,
            target=connection(entered=6000),
            measure=measure(busy=50.0, target=100),
        )
        == 3
    )


def test_the_limit_the_platform_announced_counts_when_none_was_entered():
    assert fairness.allowed_per_second(connection(learned=300)) == 5.0
    assert fairness.allowed_per_second(connection(entered=120, learned=300)) == 2.0
    assert fairness.allowed_per_second(connection(entered=0, learned=300)) == math.inf
    # Neither: Zendesk's usual plan.
    assert fairness.allowed_per_second(connection()) == 200 / 60


def test_metered_sleep_counts_what_a_batch_waited():
    clock = fairness.BusyClock()
    fairness.metered_sleep(0.2)
    assert clock.seconds() < 0.1
    assert fairness.metered_sleep.seconds >= 0.2


# --------------------------------------------------------------------------- claims


def _run(pair, *, kind: str = Run.Kind.FULL) -> Run:
    return Run.objects.create(migration=pair.migration, kind=kind, status=Run.Status.RUNNING)


def _batches(run: Run, *, claimed: int, done: int, busy: float, target_calls: int) -> None:
    sequence = 0
    for _ in range(done):
        RunBatch.objects.create(
            run=run,
            entity="tickets",
            sequence=sequence,
            status=RunBatch.Status.DONE,
            busy_seconds=busy / done,
            source_calls=1,
            target_calls=target_calls // done,
        )
        sequence += 1
    for _ in range(claimed):
        RunBatch.objects.create(
            run=run,
            entity="tickets",
            sequence=sequence,
            status=RunBatch.Status.CLAIMED,
            claimed_by="another",
            heartbeat_at=timezone.now(),
        )
        sequence += 1


def test_a_run_holding_what_its_budget_feeds_gives_the_next_batch_back(pair, enqueued, settings):
    settings.MIGRATOR_MAX_BATCHES_PER_RUN = 8
    pair.migration.source.rate_limit_per_minute = 0
    pair.migration.source.save()
    pair.migration.target.rate_limit_per_minute = 240  # 4 a second
    pair.migration.target.save()
    run = _run(pair)
    # 0.5 s of a process a target request: 4 a second feed 2 processes, and the one more
    # for the moments a batch is off the budget: 3 hold batches.
    _batches(run, claimed=2 + fairness.FED_HEADROOM, done=2, busy=20.0, target_calls=40)
    waiting = RunBatch.objects.create(run=run, entity="tickets", sequence=10)

    assert scheduling.batch_claim(batch_id=waiting.pk, worker="me") is None
    waiting.refresh_from_db()
    assert waiting.status == RunBatch.Status.PENDING and waiting.claimed_by == ""
    assert enqueued == [waiting.pk], "given back to the queue, not dropped"
    assert waiting.enqueued_at is not None

    # One of the two finishes: the run holds one process, the batch is claimed.
    first_claimed = RunBatch.objects.filter(run=run, status=RunBatch.Status.CLAIMED).first()
    RunBatch.objects.filter(pk=first_claimed.pk).update(status=RunBatch.Status.DONE)
    claimed = scheduling.batch_claim(batch_id=waiting.pk, worker="me")
    assert claimed is not None and claimed.claimed_by == "me"


def test_stale_claims_and_other_runs_do_not_count(pair, enqueued, settings):
    settings.MIGRATOR_MAX_BATCHES_PER_RUN = 1
    run = _run(pair)
    other = _run(pair)
    _batches(other, claimed=3, done=0, busy=0.0, target_calls=0)
    RunBatch.objects.create(
        run=run,
        entity="tickets",
        sequence=0,
        status=RunBatch.Status.CLAIMED,
        claimed_by="dead",
        heartbeat_at=timezone.now() - timedelta(seconds=settings.MIGRATOR_STALE_SECONDS + 5),
    )
    batch = RunBatch.objects.create(run=run, entity="tickets", sequence=1)
    assert scheduling.batch_claim(batch_id=batch.pk, worker="me") is not None
    assert enqueued == []


def test_demos_and_their_removal_go_to_the_demo_queue(pair, monkeypatch, settings):
    from migrator import tasks

    settings.MIGRATOR_QUEUE = "engine-main"
    settings.MIGRATOR_DEMO_QUEUE = ""
    sent: dict[int, str] = {}
    monkeypatch.setattr(
        tasks.batch_execute,
        "apply_async",
        lambda args, **options: sent.__setitem__(args[0], options["queue"]),
    )
    batches = {
        kind: RunBatch.objects.create(run=_run(pair, kind=kind), entity="tickets", sequence=0)
        for kind in (Run.Kind.DEMO, Run.Kind.ROLLBACK, Run.Kind.FULL, Run.Kind.DELTA)
    }
    scheduling.batches_enqueue([batch.pk for batch in batches.values()])
    assert {kind: sent[batch.pk] for kind, batch in batches.items()} == {
        Run.Kind.DEMO: "engine-main-demo",
        Run.Kind.ROLLBACK: "engine-main-demo",
        Run.Kind.FULL: "engine-main",
        Run.Kind.DELTA: "engine-main",
    }
    settings.MIGRATOR_DEMO_QUEUE = "demos"
    assert queues.demo_queue() == "demos"
    assert queues.worker_queues() == ["engine-main", "demos"]


def test_a_run_keeps_to_its_share_while_another_run_waits_for_a_process(pair, enqueued, settings):
    settings.MIGRATOR_MAX_BATCHES_PER_RUN = 8
    pair.migration.source.rate_limit_per_minute = 0
    pair.migration.source.save()
    pair.migration.target.rate_limit_per_minute = 0
    pair.migration.target.save()
    busy, waiting = _run(pair), _run(pair)
    _batches(busy, claimed=2, done=0, busy=0.0, target_calls=0)
    next_of_busy = RunBatch.objects.create(run=busy, entity="tickets", sequence=10)
    waiting_batch = RunBatch.objects.create(run=waiting, entity="tickets", sequence=0)

    # Three processes at work with this one, two runs wanting them: the busy run, which
    # holds two, gives its next batch back.
    assert scheduling.batch_claim(batch_id=next_of_busy.pk, worker="me") is None
    assert enqueued == [next_of_busy.pk]
    assert scheduling.batch_claim(batch_id=waiting_batch.pk, worker="other") is not None
    # The other run now works too: of four processes, the busy run keeps to two.
    assert scheduling.batch_claim(batch_id=next_of_busy.pk, worker="me") is None
    # Once the other run has nothing left, the busy run takes a third.
    RunBatch.objects.filter(pk=waiting_batch.pk).update(status=RunBatch.Status.DONE)
    assert scheduling.batch_claim(batch_id=next_of_busy.pk, worker="me") is not None


def test_the_share_counts_the_runs_wanting_processes():
    assert fairness.fair_share(busy_processes=4, runs_wanting=2) == 2
    assert fairness.fair_share(busy_processes=3, runs_wanting=2) == 2
    assert fairness.fair_share(busy_processes=1, runs_wanting=3) == 1
    assert fairness.fair_share(busy_processes=5, runs_wanting=0) == 5
