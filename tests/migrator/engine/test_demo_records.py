"""The demo's records are the migration's records: a demo run again, then the full run,
leave every source record once on the target; "remove the demo's records" leaves the
target as it was before the demo. Counted on the emulated target's own tables."""

# The in-process harness of the wizard's run tests: fixtures imported, asked for by name.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connectors.errors import NotFoundError
from connectors.freshdesk.translations import FreshdeskTranslations
from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan
from migrator import configuration, selectors, services
from migrator.models import RecordMap, Run
from reports.models import RunRecord
from tests.wizard.conftest import (  # noqa: F401 (fixtures)
    SMALL_TARGET,
    drain,
    enqueued,
    in_process_emulators,
    sandbox_pair_create,
)

pytestmark = pytest.mark.django_db

SOURCE = SeedPlan(
    agents=4,
    contacts=30,
    organizations=3,
    groups=2,
    tickets=30,
    comments_per_ticket=(1, 3),
    attachment_ratio=0.3,
    inline_image_ratio=0.0,
    article_categories=2,
    article_sections=3,
    articles=30,
    seed=12,
)
COLLECTIONS = (
    "tickets",
    "conversations",
    "contacts",
    "companies",
    "solution_categories",
    "solution_folders",
    "solution_articles",
    "solution_article_translations",
)


def counts(account) -> dict[str, int]:
    """Records the target's API lists: a ticket in Freshdesk's trash is not listed, nor
    are its conversations."""
    live: dict[str, set[int]] = {}
    for name in COLLECTIONS:
        rows = EmulatedRecord.objects.filter(account=account, collection=name)
        live[name] = {
            number
            for number, parent, deleted in rows.values_list(
                "number", "parent_number", "data__deleted"
            )
            if deleted is not True and (name != "conversations" or parent in live["tickets"])
        }
    return {name: len(numbers) for name, numbers in live.items()}


def test_a_demo_run_again_then_the_full_run_leave_each_record_once(
    user, in_process_emulators, enqueued
):
    pair = sandbox_pair_create(owner=user, source_plan=SOURCE, target_plan=SMALL_TARGET)
    first = drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))
    assert first.status == Run.Status.COMPLETED, first.pause_reason
    after_demo = counts(pair.target)
    again = drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))
    assert again.status == Run.Status.COMPLETED, again.pause_reason
    assert counts(pair.target) == after_demo

    # The user changes the configuration after the demo: the full run writes the demo's
    # records with it (it updates them), and creates the others.
    services.migration_configure(
        migration=pair.migration, options=configuration.Options(migrated_tag="moved-in-full")
    )
    full = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert full.status == Run.Status.COMPLETED, full.pause_reason
    on_target = counts(pair.target)
    assert on_target["tickets"] == SOURCE.tickets
    assert on_target["solution_articles"] == SOURCE.articles
    tags = EmulatedRecord.objects.filter(account=pair.target, collection="tickets").values_list(
        "data__tags", flat=True
    )
    assert all("moved-in-full" in ticket_tags for ticket_tags in tags)
    assert not RecordMap.objects.filter(
        migration=pair.migration, namespace=RecordMap.Namespace.DEMO
    ).exists()


def test_a_demo_run_again_whose_translations_are_refused_adds_no_article(
    user, in_process_emulators, enqueued, monkeypatch
):
    """The sandbox's articles were created a second time when the demo ran again: a
    translation the target answered 404 for was taken for the article gone."""
    pair = sandbox_pair_create(owner=user, source_plan=SOURCE, target_plan=SMALL_TARGET)
    drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))
    after_demo = counts(pair.target)

    def refused(self, article_id, article, *, existing):
        raise NotFoundError("The target has no such translation (HTTP 404).")

    monkeypatch.setattr(FreshdeskTranslations, "write", refused)
    again = drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))

    assert again.status == Run.Status.COMPLETED, again.pause_reason
    assert counts(pair.target)["solution_articles"] == after_demo["solution_articles"]


def test_removing_the_demos_records_leaves_the_target_as_it_was(
    user, in_process_emulators, enqueued
):
    pair = sandbox_pair_create(owner=user, source_plan=SOURCE, target_plan=SMALL_TARGET)
    before = counts(pair.target)
    drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))
    drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))
    assert counts(pair.target)["tickets"] == 20
    assert selectors.demo_records_on_target(migration=pair.migration) > 0

    removal = drain(services.demo_rollback_start(migration=pair.migration))

    assert removal.status == Run.Status.COMPLETED, removal.pause_reason
    assert counts(pair.target) == before
    outcomes = set(RunRecord.objects.filter(run=removal).values_list("outcome", flat=True))
    assert outcomes == {RunRecord.Outcome.REMOVED}
    assert selectors.demo_records_on_target(migration=pair.migration) == 0
    # Matched agents stay mapped; nothing the demo created is left in the map.
    assert not RecordMap.objects.filter(
        migration=pair.migration, created_on_target=True, created_by_kind=Run.Kind.DEMO
    ).exists()
    # Twice: nothing left to remove.
    with pytest.raises(ValidationError):
        services.demo_rollback_start(migration=pair.migration)


def test_a_full_run_that_removes_the_demos_records_first_creates_them_once(
    user, in_process_emulators, enqueued
):
    pair = sandbox_pair_create(owner=user, source_plan=SOURCE, target_plan=SMALL_TARGET)
    drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))
    first = drain(
        services.run_start(
            migration=pair.migration,
            kind=Run.Kind.FULL,
            demo_records=services.DEMO_RECORDS_REMOVE,
        )
    )
    assert first.kind == Run.Kind.ROLLBACK and first.status == Run.Status.COMPLETED
    full = Run.objects.get(migration=pair.migration, kind=Run.Kind.FULL)
    full = drain(full)
    assert full.status == Run.Status.COMPLETED, full.pause_reason
    on_target = counts(pair.target)
    assert on_target["tickets"] == SOURCE.tickets
    assert on_target["solution_articles"] == SOURCE.articles
