"""Progress and time estimates, before the start and during a run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.schema import Entity
from migrator import selectors, services
from migrator.engine import progress
from migrator.models import Run, RunEntity
from reports.models import RunRecord
from reports.services import run_record_save
from tests.migrator.engine import memory
from tests.migrator.engine.conftest import drain

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_estimate_before_the_start_follows_calls_per_record_and_rate_limits(pair):
    # Memory Desk: 2 read calls and 3 write calls per ticket, 600 requests a minute.
    counts = {Entity.TICKETS: 600}
    assert selectors.migration_estimate(migration=pair.migration, counts=counts) == timedelta(
        minutes=3
    )
    pair.migration.target.rate_limit_per_minute = 1200
    assert progress.migration_estimate(migration=pair.migration, counts=counts) == timedelta(
        minutes=2
    )


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
