"""Progress and time estimates, before the start and during a run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.registry import registry
from connectors.schema import Entity
from migrator import selectors, services
from migrator.engine import progress
from migrator.management.commands.run_migration import progress_line
from migrator.models import Run, RunBatch, RunEntity
from reports.models import RunRecord
from reports.services import run_record_save
from tests.migrator.engine import memory
from tests.migrator.engine.conftest import drain

pytestmark = pytest.mark.django_db(transaction=True)


def duration(migration, counts) -> timedelta:
    estimate = selectors.migration_estimate(migration=migration, counts=counts)
    assert estimate is not None
    return estimate.duration


@pytest.fixture(autouse=True)
def _estimates_without_verification(request):
    """The declared writes alone; test_verification_adds_the_read_backs has them on."""
    if "pair" in request.fixturenames and "verification" not in request.node.name:
        migration = request.getfixturevalue("pair").migration
        migration.options = {**(migration.options or {}), "verify_migrated": False}
        migration.save(update_fields=["options"])


def test_the_estimate_before_the_start_follows_calls_per_record_and_rate_limits(pair):
    # Memory Desk: 2 read calls and 3 write calls per ticket, 600 requests a minute.
    counts = {Entity.TICKETS: 600}
    assert duration(pair.migration, counts) == timedelta(minutes=3)
    pair.migration.target.rate_limit_per_minute = 1200
    assert duration(pair.migration, counts) == timedelta(minutes=2)


def test_the_estimate_follows_the_slower_side_and_names_it(pair):
    # Reading: 1000 x 2 + 500 x 1 = 2,500 requests at 400 a minute; writing: 1000 x 3 +
    # 500 x 1 = 3,500 at 100 a minute: the target sets the pace.
    counts = {Entity.TICKETS: 1000, Entity.CONTACTS: 500}
    pair.migration.source.rate_limit_per_minute = 400
    pair.migration.target.rate_limit_per_minute = 100
    estimate = progress.migration_estimate(migration=pair.migration, counts=counts)
    assert estimate is not None
    assert estimate.duration == timedelta(minutes=35)
    assert estimate.binding == "target"
    assert (estimate.source_requests_per_ticket, estimate.target_requests_per_ticket) == (2, 3)


def test_a_learned_limit_counts_when_none_is_entered(pair):
    counts = {Entity.TICKETS: 600}
    target = pair.migration.target
    target.rate_limit_learned = 300
    estimate = progress.migration_estimate(migration=pair.migration, counts=counts)
    assert estimate is not None
    assert estimate.target == progress.SideLimit(
        per_minute=300, origin=progress.LimitOrigin.LEARNED
    )
    # 600 tickets x 3 requests at 300 a minute.
    assert estimate.duration == timedelta(minutes=6)
    assert estimate.binding == "target"
    # What the user entered wins over what the platform announced; 0 means no limit.
    target.rate_limit_per_minute = 900
    assert duration(pair.migration, counts) == timedelta(minutes=2)
    target.rate_limit_per_minute = 0
    estimate = progress.migration_estimate(migration=pair.migration, counts=counts)
    assert estimate is not None
    assert estimate.target.origin is progress.LimitOrigin.NONE
    # Only the source's usual 600 a minute is left: 600 x 2 requests.
    assert (estimate.duration, estimate.binding) == (timedelta(minutes=2), "source")


def test_the_estimate_counts_a_ticket_as_the_pair_declares_it(pair):
    # Zendesk to Freshdesk for tickets of the assumed shape (5 comments, 1 attachment),
    # each side at the limit its headers announced.
    source, target = pair.migration.source, pair.migration.target
    source.platform, source.rate_limit_learned = "zendesk", 700
    target.platform, target.rate_limit_learned = "freshdesk", 200
    estimate = progress.migration_estimate(migration=pair.migration, counts={Entity.TICKETS: 1000})
    assert estimate is not None
    shape = progress.TicketShape()
    assert shape.assumed and (shape.comments, shape.attachments) == (5, 1)
    zendesk_reads = registry.get("zendesk").capabilities.ticket_reads
    freshdesk_writes = registry.get("freshdesk").capabilities.ticket_writes
    assert zendesk_reads is not None and freshdesk_writes is not None
    reads = zendesk_reads.count(comments=5, attachments=1)
    writes = freshdesk_writes.count(comments=5, attachments=1)
    assert estimate.source_requests_per_ticket == pytest.approx(reads)
    assert estimate.target_requests_per_ticket == pytest.approx(writes)
    assert estimate.binding == "target"
    expected = max(1000 * reads / 700, 1000 * writes / 200)
    assert estimate.duration.total_seconds() == pytest.approx(expected * 60)


def test_progress_during_a_run_counts_each_record_once(pair):
    pair.source.add(*(memory.ticket(n) for n in range(1, 11)))
    run = services.run_start(migration=pair.migration, kind=Run.Kind.FULL)
    services.run_pause(run=run)
    RunEntity.objects.create(run=run, entity="tickets", position=0, available=10, status="running")
    for number in (1, 2, 3):
        run_record_save(run_id=run.pk, entity="tickets", source_id=str(number), outcome="migrated")
    # A batch repeated after a crash reports the same record again: still one row.
    run_record_save(run_id=run.pk, entity="tickets", source_id="3", outcome="migrated")
    run_record_save(run_id=run.pk, entity="tickets", source_id="4", outcome="failed")
    state = selectors.run_progress(run=run)
    [tickets] = state.entities
    assert (tickets.available, tickets.done, tickets.migrated, tickets.failed) == (10, 4, 3, 1)
    assert tickets.percent == 40
    assert state.records_per_minute > 0
    # 6 tickets left: writing 6 x 3 calls at 600 a minute is the slower side.
    assert state.eta == timedelta(minutes=6 * 3 / 600)


def test_a_finished_run_is_at_one_hundred_percent(pair):
    pair.source.add(memory.ticket(1))
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    state = selectors.run_progress(run=run)
    assert state.status == Run.Status.COMPLETED
    assert state.percent == 100 and state.eta == timedelta(0)
    assert RunRecord.objects.filter(run=run).count() == state.done


def test_during_a_run_the_time_left_follows_the_measured_pace(pair):
    run = services.run_start(migration=pair.migration, kind=Run.Kind.FULL)
    services.run_pause(run=run)
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.RUNNING, started_at=timezone.now() - timedelta(minutes=2)
    )
    run.refresh_from_db()
    RunEntity.objects.create(run=run, entity="tickets", position=0, available=100, status="running")
    for number in range(1, 41):
        run_record_save(run_id=run.pk, entity="tickets", source_id=str(number), outcome="migrated")
    state = selectors.run_progress(run=run)
    # 40 records in the run's 2 minutes: 20 a minute, 60 left.
    assert state.records_per_minute == pytest.approx(20, rel=0.05)
    assert state.eta_measured
    assert state.eta.total_seconds() == pytest.approx(3 * 60, rel=0.05)
    # Writing 3 requests a ticket at 600 a minute against reading 2: the target's pace.
    assert state.binding == "target"
    # A limit known on both sides bounds the pace a first burst measured: 60 tickets x 3
    # requests at 10 a minute.
    pair.migration.source.rate_limit_per_minute = 600
    pair.migration.source.save()
    pair.migration.target.rate_limit_per_minute = 10
    pair.migration.target.save()
    run.refresh_from_db()
    state = selectors.run_progress(run=run)
    assert not state.eta_measured
    assert state.eta == timedelta(minutes=18)


def test_a_fast_entity_done_lends_its_pace_to_no_other(pair):
    run = services.run_start(migration=pair.migration, kind=Run.Kind.FULL)
    services.run_pause(run=run)
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.RUNNING, started_at=timezone.now() - timedelta(minutes=2)
    )
    run.refresh_from_db()
    RunEntity.objects.create(run=run, entity="contacts", position=0, available=200, status="done")
    RunEntity.objects.create(run=run, entity="tickets", position=1, available=100, status="running")
    for number in range(1, 201):
        run_record_save(run_id=run.pk, entity="contacts", source_id=str(number), outcome="migrated")
    for number in range(1, 6):
        run_record_save(run_id=run.pk, entity="tickets", source_id=str(number), outcome="migrated")
    pair.migration.target.rate_limit_per_minute = 30
    pair.migration.target.save()
    run.refresh_from_db()
    state = selectors.run_progress(run=run)
    # 100 contacts a minute say nothing of the tickets: 95 left x 3 requests at 30 a minute.
    assert not state.eta_measured
    assert state.eta == timedelta(minutes=95 * 3 / 30)


def test_a_run_waiting_for_a_platform_says_whose_limit_and_until_when(pair):
    run = services.run_start(migration=pair.migration, kind=Run.Kind.FULL)
    RunEntity.objects.create(run=run, entity="tickets", position=0, available=10, status="running")
    until = timezone.now() + timedelta(seconds=40)
    RunBatch.objects.create(
        run=run, entity="tickets", sequence=99, waiting_on="target", not_before=until
    )
    state = selectors.run_progress(run=run)
    assert (state.waiting_on, state.waiting_until) == ("target", until)
    RunBatch.objects.filter(run=run, sequence=99).update(
        not_before=timezone.now() - timedelta(seconds=1)
    )
    assert selectors.run_progress(run=run).waiting_on == ""


def test_the_command_line_names_the_pace_and_a_wait():
    now = timezone.now()
    state = progress.RunProgress(
        run_id=1,
        kind=Run.Kind.FULL,
        status=Run.Status.RUNNING,
        pause_reason="",
        started_at=now - timedelta(minutes=3),
        finished_at=None,
        entities=[
            progress.EntityProgress(
                entity=Entity.TICKETS,
                status="running",
                available=500,
                migrated=123,
                skipped=0,
                failed=0,
                filtered_out=0,
            )
        ],
        records_per_minute=41.0,
        eta=timedelta(minutes=9),
        binding="target",
        eta_measured=True,
        waiting_on="target",
        waiting_until=now + timedelta(seconds=40),
    )
    line = progress_line(state, now=now)
    assert line == (
        "[running]  25%  tickets 123/500  41 records/min  ETA 9m00s (measured)  "
        "pace: target's limit  waiting for the target's rate limit, about 40s"
    )


def test_verification_adds_the_read_backs_to_the_targets_requests(pair):
    source, target = pair.migration.source, pair.migration.target
    source.platform, source.rate_limit_learned = "zendesk", 700
    target.platform, target.rate_limit_learned = "zendesk", 700
    assert pair.migration.configured_options().verify_migrated
    estimate = progress.migration_estimate(migration=pair.migration, counts={Entity.TICKETS: 1000})
    assert estimate is not None
    writes = registry.get("zendesk").capabilities.ticket_writes
    assert writes is not None
    # The bulk import's share and one upload, then the ticket and its comments read back and
    # the file downloaded again.
    expected = writes.count(comments=5, attachments=1) + 2 + 1
    assert estimate.target_requests_per_ticket == pytest.approx(expected)
    assert estimate.binding == "target"
