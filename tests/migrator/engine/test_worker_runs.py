"""Runs with real worker processes: Zendesk (source) to Freshdesk (target) over the
emulators on loopback HTTP, PostgreSQL, Redis, beat running the reconciler, and workers
killed with SIGKILL."""

from __future__ import annotations

import pytest

from connectors.sandbox import SeedPlan
from migrator import services
from migrator.models import Run
from reports.models import RunRecord
from reports.selectors import run_summary
from tests.migrator.engine import stack as harness

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

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
        RunRecord.objects.filter(run=run, outcome="failed").values_list("entity", "reason")
    )
