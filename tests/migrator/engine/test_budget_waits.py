"""A batch that must wait for a platform's rate limit is given back with the platform's
countdown: not an attempt, no record reported failed, each record resuming at its first
step the target has not confirmed (in-process workers on the in-memory platforms)."""

from __future__ import annotations

import pytest

from connectors.errors import RateLimitedError
from connectors.schema import Entity
from migrator.engine import execute, scheduling
from migrator.models import RecordMap, Run, RunBatch
from tests.migrator.engine.conftest import drain
from tests.migrator.engine.test_runs import assert_written_once, outcomes, seed_helpdesk, start


@pytest.fixture(autouse=True)
def small_pages(settings):
    settings.MIGRATOR_PAGE_SIZE = 10


def test_a_rate_limit_between_two_steps_of_a_record_gives_the_batch_back(pair, monkeypatch):
    """The ticket is on the target (its id kept) when the wait stops the batch; the next
    claim completes it, nothing is written twice and nothing is reported failed."""
    seed_helpdesk(pair.source, tickets=12)
    held_back: list[str] = []
    releases: list[dict] = []
    verify = execute.BatchWork._verify
    release = scheduling.batch_release

    def verify_after_a_wait(self, target_id, prepared):
        source_id = prepared.record.source_id
        if self.entity is Entity.TICKETS and source_id not in held_back:
            held_back.append(source_id)
            raise RateLimitedError("held back", retry_after=42.0, budget_key="memory:target")
        return verify(self, target_id, prepared)

    def recorded_release(**arguments):
        releases.append(arguments)
        return release(**arguments)

    monkeypatch.setattr(execute.BatchWork, "_verify", verify_after_a_wait)
    monkeypatch.setattr(scheduling, "batch_release", recorded_release)
    run = drain(start(pair))

    assert run.status == Run.Status.COMPLETED, run.pause_reason
    assert len(held_back) == 12
    assert_written_once(pair.target, Entity.TICKETS, 12)
    assert set(outcomes(run, Entity.TICKETS).values()) == {"migrated"}
    waits = [release for release in releases if release.get("waiting_on")]
    assert len(waits) == 12
    assert {(w["waiting_on"], w["delay_seconds"]) for w in waits} == {("target", 42.0)}
    # Twelve give-backs, none counted: the run never came near its pause.
    assert max(RunBatch.objects.filter(run=run).values_list("attempts", flat=True)) == 1
    assert not RunBatch.objects.filter(run=run).exclude(waiting_on="").exists()
    assert not RecordMap.objects.filter(state=RecordMap.State.PENDING).exists()


def test_a_batch_given_back_to_wait_says_for_which_side_until_claimed(pair, monkeypatch):
    seed_helpdesk(pair.source, tickets=3)
    calls = {"n": 0}
    create = pair.target.on_create

    def once(entity, record):
        if entity is Entity.TICKETS and calls["n"] == 0:
            calls["n"] += 1
            raise RateLimitedError("held back", retry_after=30.0)
        return create(entity, record) if create else None

    pair.target.on_create = once
    run = start(pair)
    # Work the batches until the tickets' batch is given back.
    for _round in range(50):
        pending = RunBatch.objects.filter(run=run, status=RunBatch.Status.PENDING).first()
        if pending is None or calls["n"]:
            break
        RunBatch.objects.filter(pk=pending.pk).update(not_before=None)
        execute.batch_execute(batch_id=pending.pk, worker="test-worker")
    waiting = RunBatch.objects.get(run=run, entity="tickets")
    assert waiting.status == RunBatch.Status.PENDING
    assert waiting.waiting_on == "target"
    assert waiting.not_before is not None and waiting.attempts == 0
    assert "held back" in waiting.last_error
    run = drain(run)
    assert run.status == Run.Status.COMPLETED
    waiting.refresh_from_db()
    assert waiting.waiting_on == "" and waiting.status == RunBatch.Status.DONE
    assert_written_once(pair.target, Entity.TICKETS, 3)
