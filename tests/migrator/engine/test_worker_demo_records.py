"""The demo's records are the migration's, on every target: Celery workers, PostgreSQL,
and the emulators over loopback HTTP. What is checked is what the target's own API lists
(read through the target's connector), never our record map or reports:

- demo, the demo again, then the full run keeping the demo's records: the target holds
  what a full run alone puts on a fresh account of the same platform — each ticket once,
  each comment once, each file with the same SHA-256, each article and translation once;
- demo, then the removal of its records: the target is as it was before the demo.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from connectors.sandbox import SeedPlan
from migrator import services
from migrator.models import Migration, Run
from reports.models import ATTACHMENTS, RunRecord
from tests.migrator.engine import stack as harness
from tests.migrator.engine.emulated import TARGET_PLAN, emulated_pair
from tests.migrator.engine.holdings import holdings, source_files, source_holdings

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

SOURCE_PLAN = SeedPlan(
    agents=4,
    contacts=10,
    organizations=2,
    groups=2,
    tickets=24,
    comments_per_ticket=(1, 3),
    attachment_ratio=0.4,
    inline_image_ratio=0.0,
    article_categories=1,
    article_sections=2,
    articles=22,
    seed=21,
)
#: Each target, with a source that can give it every entity it takes.
PAIRS = [
    ("zendesk", "freshdesk"),
    ("zendesk", "edesk"),
    ("zendesk", "halo"),
    ("zendesk", "teamwork_desk"),
    ("freshdesk", "zendesk"),
]


@pytest.fixture
def stack(tmp_path, settings):
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        running.worker()
        yield running


def run_through(migration: Migration, kind: str, **options) -> Run:
    run = services.run_start(migration=migration, kind=kind, **options)
    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, (run.kind, run.status, run.pause_reason)
    return run


def failed_reasons(run: Run) -> list[tuple[str, str, str]]:
    return list(
        RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED).values_list(
            "entity", "source_id", "reason"
        )
    )


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[target for _s, target in PAIRS])
def test_demo_twice_then_the_full_run_leave_each_record_once_and_removal_undoes_a_demo(
    user, stack, source, target
):
    def pair():
        return emulated_pair(
            owner=user,
            source_platform=source,
            target_platform=target,
            source_plan=SOURCE_PLAN,
            target_plan=TARGET_PLAN,
            site=stack.site_url,
        ).migration

    # A full run alone, on a fresh account: what "every record once" looks like.
    reference = pair()
    run_through(reference, Run.Kind.FULL)
    expected = holdings(reference)
    assert expected.counts["tickets"] == SOURCE_PLAN.tickets

    migration = pair()
    run_through(migration, Run.Kind.DEMO)
    run_through(migration, Run.Kind.DEMO)
    full = run_through(migration, Run.Kind.FULL)
    held = holdings(migration)
    assert held.counts == expected.counts, failed_reasons(full)
    assert held.tickets == expected.tickets
    # And against the source itself: each ticket once with each of its comments, the
    # migration's own notes (original dates, unmapped fields) counted apart.
    source_side = source_holdings(migration)
    assert held.counts["tickets"] == source_side.counts["tickets"]
    assert held.counts["comments"] == source_side.counts["comments"]
    assert held.tickets == source_side.tickets
    assert held.articles == expected.articles
    # Each file once, with the source's bytes; those the target cannot take are reported.
    wanted = source_files(migration)
    left_out = (
        RunRecord.objects.filter(run__migration=migration, entity=ATTACHMENTS)
        .values("source_id")
        .distinct()
        .count()
    )
    assert not held.files - wanted
    assert max(held.files.values(), default=1) == 1
    assert sum(held.files.values()) == sum(wanted.values()) - left_out

    # The demo, then the removal of its records: the target as it was before.
    undone = pair()
    before = holdings(undone, files=False)
    run_through(undone, Run.Kind.DEMO)
    assert holdings(undone, files=False).counts != before.counts
    removal = run_through(undone, Run.Kind.ROLLBACK)
    assert holdings(undone, files=False).counts == before.counts, failed_reasons(removal)
    assert not failed_reasons(removal)


def test_a_removal_whose_worker_is_killed_midway_goes_on_and_removes_each_record_once(
    user, tmp_path, settings
):
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    with harness.running_stack(data_dir=tmp_path) as stack:
        settings.MIGRATOR_QUEUE = stack.queue
        stack.worker()
        migration = emulated_pair(
            owner=user,
            source_platform="zendesk",
            target_platform="freshdesk",
            source_plan=SOURCE_PLAN,
            target_plan=TARGET_PLAN,
            site=stack.site_url,
        ).migration
        before = holdings(migration, files=False)
        run_through(migration, Run.Kind.DEMO)
        for worker in stack.workers:
            worker.stop()
        # Killed right after the target confirmed a delete, before the record map knew.
        flag = tmp_path / "killed"
        stack.worker(MIGRATOR_CRASH_POINT=f"after_delete:5:{flag}")
        removal = services.demo_rollback_start(migration=migration)
        harness.wait_for_run(removal, timeout=120, until=lambda run: flag.exists())
        stack.worker()
        removal = harness.wait_for_run(removal, timeout=300)
        assert removal.status == Run.Status.COMPLETED, removal.pause_reason
        assert flag.exists()
        assert holdings(migration, files=False).counts == before.counts
        outcomes = Counter(RunRecord.objects.filter(run=removal).values_list("outcome", flat=True))
        assert set(outcomes) == {RunRecord.Outcome.REMOVED}
        # Nothing is left to remove: a second removal is refused.
        with pytest.raises(ValidationError):
            services.demo_rollback_start(migration=migration)
