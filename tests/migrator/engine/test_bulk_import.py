"""Tickets into Zendesk through its bulk import (create_many and the job it starts), with
real worker processes, PostgreSQL, Redis and the emulators over loopback HTTP; judged by
the oracle (``migrator.drills.oracle``) on the emulated Zendesk's own tables: every ticket
once, every comment once with its body, every file with the same sha256.

Seeds come from DRILL_SEED (printed; set it to replay a run).
"""

from __future__ import annotations

import os
import random

import pytest
from django.db.models import Sum

from connectors.models import EmulatedRecord
from migrator import services
from migrator.drills import runner
from migrator.drills.oracle import check_run
from migrator.models import RecordMap, Run, RunBatch
from reports.models import RunRecord
from tests.migrator.engine import stack as harness

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

SEED = int(os.environ.get("DRILL_SEED") or random.SystemRandom().randrange(1, 1_000_000))
TICKETS = 40


@pytest.fixture(scope="module")
def bulk_stack(django_db_setup, django_db_blocker, tmp_path_factory):
    with harness.running_stack(data_dir=tmp_path_factory.mktemp("bulk"), web_workers=2) as running:
        yield running


@pytest.fixture
def stack(bulk_stack, settings):
    settings.MIGRATOR_QUEUE = bulk_stack.queue
    yield bulk_stack
    for worker in bulk_stack.workers:
        worker.stop()
    bulk_stack.workers.clear()


def seeded(user, stack, *, seed: int, capsys, **target_options) -> runner.DrillAccounts:
    with capsys.disabled():
        print(f"\n[bulk] DRILL_SEED={SEED} (seed {seed})")
    accounts = runner.drill_accounts(
        owner=user,
        site_url=stack.site_url,
        source_key="freshdesk",
        target_key="zendesk",
        tickets=TICKETS,
        seed=seed,
    )
    if target_options:
        accounts.target.options = {**accounts.target.options, **target_options}
        accounts.target.save(update_fields=["options"])
    return accounts


def run_to_the_end(stack, accounts: runner.DrillAccounts, **worker_env: str) -> Run:
    worker = stack.worker(
        concurrency=2,
        DATABASE_URL=runner.with_application_name(stack.env["DATABASE_URL"]),
        **worker_env,
    )
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)

    def restart_if_gone() -> None:
        nonlocal worker
        if not worker.alive:
            worker = stack.worker(concurrency=2, **worker_env)

    return runner.wait_until(run, timeout=240, supervise=restart_if_gone)


def judged(run: Run, accounts: runner.DrillAccounts):
    findings = check_run(
        run=run, source=accounts.source, target=accounts.target, baseline=accounts.baseline
    )
    why = f"replay with DRILL_SEED={SEED}\n" + findings.explain()
    assert run.status == Run.Status.COMPLETED, why
    counts = findings.counts()
    assert counts["lost"] == counts["duplicated"] == counts["short"] == 0, why
    assert counts["extra_comments"] == counts["extra_files"] == 0, why
    assert counts["failed_retryable"] == 0, why
    assert not findings.refused, why
    assert not findings.report_problems, why
    assert findings.tickets == TICKETS and findings.files > TICKETS, why
    return findings


def jobs(accounts: runner.DrillAccounts) -> list[dict]:
    return [
        row.data
        for row in EmulatedRecord.objects.filter(
            account=accounts.target, collection="job_statuses"
        ).order_by("number")
    ]


def jobs_ticket_ids(accounts: runner.DrillAccounts) -> list[int]:
    return [
        result["id"]
        for job in jobs(accounts)
        for result in job.get("results") or []
        if result.get("id") is not None
    ]


def test_a_full_run_imports_the_tickets_in_bulk_each_once_and_whole(user, stack, capsys):
    accounts = seeded(user, stack, seed=SEED, capsys=capsys)
    run = run_to_the_end(stack, accounts)
    findings = judged(run, accounts)
    # The tickets came through the bulk import's jobs, not one import each.
    assert jobs(accounts) and all(job["status"] == "completed" for job in jobs(accounts))
    created = jobs_ticket_ids(accounts)
    migrated = RunRecord.objects.filter(run=run, entity="tickets", outcome="migrated")
    assert len(created) == len(set(created))
    assert {int(target_id) for target_id in migrated.values_list("target_id", flat=True)} == set(
        created
    )
    assert not RecordMap.objects.filter(migration=accounts.migration).exclude(bulk_job="").exists()
    # Each migrated ticket was read back and found whole by the engine's own verification.
    checked = runner.run_verification(run)
    assert checked.migrated and checked.verified == checked.migrated, str(checked)
    batches = RunBatch.objects.filter(run=run, entity="tickets")
    calls = batches.aggregate(calls=Sum("target_calls"))["calls"]
    files = findings.files
    with capsys.disabled():
        print(
            f"[bulk] {findings.summary()}; {len(jobs(accounts))} jobs; target requests for "
            f"{TICKETS} tickets and {files} files: {calls} ({calls / TICKETS:.2f} a ticket)"
        )
    # One upload a file, then a share of the bulk requests and looks at the jobs.
    assert calls <= files + TICKETS * 0.25


CRASH_POINTS = [
    "before_bulk_create",
    "after_bulk_create",
    "after_bulk_job_kept",
    "after_bulk_results",
]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_worker_killed_around_its_bulk_job_duplicates_nothing(user, stack, point, capsys):
    seed = SEED + 1 + CRASH_POINTS.index(point)
    accounts = seeded(user, stack, seed=seed, capsys=capsys)
    crashed = stack.data_dir / f"crashed-{point}-{seed}"
    run = run_to_the_end(stack, accounts, MIGRATOR_CRASH_POINT=f"{point}:1:{crashed}")
    assert crashed.exists(), f"the worker was to be killed at {point}"
    judged(run, accounts)
    # Every ticket came from a job, once: the one cut short, or the page sent again (the
    # markers said the job never ran).
    created = jobs_ticket_ids(accounts)
    assert len(created) == len(set(created))
    migrated = RunRecord.objects.filter(run=run, entity="tickets", outcome="migrated")
    assert {int(target_id) for target_id in migrated.values_list("target_id", flat=True)} == set(
        created
    )


def test_tickets_a_job_fails_are_imported_alone_once(user, stack, capsys):
    accounts = seeded(user, stack, seed=SEED + 7, capsys=capsys, bulk_import_item_failure_ratio=0.3)
    run = run_to_the_end(stack, accounts)
    judged(run, accounts)
    failed_in_jobs = [
        result for job in jobs(accounts) for result in job["results"] if result.get("error")
    ]
    assert failed_in_jobs, "the job was to fail some tickets"
    assert {result["error"] for result in failed_in_jobs} == {"ProcessingError"}
    migrated = RunRecord.objects.filter(run=run, entity="tickets", outcome="migrated")
    assert migrated.count() == TICKETS
    in_jobs = set(jobs_ticket_ids(accounts))
    alone = {int(target_id) for target_id in migrated.values_list("target_id", flat=True)} - in_jobs
    assert len(alone) == len(failed_in_jobs)
