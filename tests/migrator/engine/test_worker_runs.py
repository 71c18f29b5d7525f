"""Runs with real worker processes: Zendesk (source) to Freshdesk (target) over the
emulators on loopback HTTP, PostgreSQL, Redis, beat running the reconciler, and workers
killed with SIGKILL."""

from __future__ import annotations

import random
import time

import pytest

from connectors.base import is_marker
from connectors.sandbox import SeedPlan
from connectors.schema import Entity
from migrator import services
from migrator.models import RecordMap, Run
from reports.models import RunRecord
from reports.selectors import run_summary
from tests.migrator.engine import stack as harness

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

TICKETS = 2000
TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, groups=2, custom_fields=False, seed=11)


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def small_source(**fields) -> SeedPlan:
    values = dict(
        agents=6,
        deleted_agents=1,
        contacts=15,
        organizations=4,
        groups=3,
        tickets=25,
        comments_per_ticket=(1, 3),
        attachment_ratio=0.2,
        inline_image_ratio=0.0,
        article_categories=2,
        article_sections=3,
        articles=25,
        seed=5,
    )
    values.update(fields)
    return SeedPlan(**values)


def test_a_demo_writes_exactly_twenty_tickets_and_twenty_articles(user, stack):
    accounts = harness.accounts_seed(
        owner=user, stack=stack, source_plan=small_source(), target_plan=TARGET_PLAN
    )
    stack.worker()
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.DEMO)
    run = harness.wait_for_run(run, timeout=240)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    assert harness.target_records(accounts.target, "tickets").count() == 20
    assert harness.target_records(accounts.target, "solution_articles").count() == 20
    summary = {row.entity: row for row in run_summary(run=run)}
    assert summary["tickets"].available == 20 and summary["articles"].available == 20
    for row in summary.values():
        if row.entity != "attachments":
            assert row.migrated + row.skipped + row.failed == row.available, row
    assert not RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED).exists(), list(
        RunRecord.objects.filter(run=run, outcome="failed").values_list(
            "entity", "source_id", "reason"
        )
    )


def ticket_markers(account) -> list[str]:
    return [
        tag
        for tags in harness.target_records(account, "tickets").values_list("data__tags", flat=True)
        for tag in tags or []
        if is_marker(tag)
    ]


def migrated_tickets(run: Run) -> int:
    return RunRecord.objects.filter(run=run, entity="tickets").count()


def test_a_full_run_killed_five_times_moves_every_ticket_exactly_once(user, stack):
    source_plan = SeedPlan(
        agents=6,
        contacts=40,
        organizations=5,
        groups=3,
        tickets=TICKETS,
        comments_per_ticket=(1, 1),
        attachment_ratio=0.0,
        inline_image_ratio=0.0,
        custom_fields=False,
        seed=9,
    )
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=source_plan,
        target_plan=TARGET_PLAN,
        entities=[Entity.ORGANIZATIONS, Entity.GROUPS, Entity.AGENTS, Entity.CONTACTS,
                  Entity.TICKETS],
    )  # fmt: skip
    worker = stack.worker(concurrency=3)
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    moments = random.Random()
    for kill in range(5):
        # Anywhere in the run: planning, small entities, or in the middle of the tickets.
        goal = moments.randint(kill * TICKETS // 6, (kill + 1) * TICKETS // 6)
        harness.wait_for_run(
            run, timeout=120, until=lambda current, goal=goal: migrated_tickets(current) >= goal
        )
        time.sleep(moments.uniform(0, 1.5))
        worker.kill()
        worker = stack.worker(concurrency=3)
    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    markers = ticket_markers(accounts.target)
    assert len(markers) == TICKETS
    assert len(set(markers)) == TICKETS, "a ticket was created twice"
    assert harness.target_records(accounts.target, "tickets").count() == TICKETS
    reported = RunRecord.objects.filter(run=run, entity="tickets")
    assert reported.count() == TICKETS
    assert set(reported.values_list("outcome", flat=True)) == {RunRecord.Outcome.MIGRATED}
    assert not RecordMap.objects.filter(
        migration=accounts.migration, state=RecordMap.State.PENDING
    ).exists()
