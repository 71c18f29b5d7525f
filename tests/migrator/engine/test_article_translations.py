"""Articles with translations, Zendesk → Freshdesk through the engine, on the sandbox
emulators in process: every translation arrives whole, or is said to be left out."""

# The in-process harness of the wizard's run tests: fixtures imported, asked for by name.
# ruff: noqa: F811

from __future__ import annotations

import pytest

from connectors.models import EmulatedAccount, EmulatedRecord
from connectors.sandbox import SeedPlan
from connectors.schema import Entity
from connectors.zendesk import emulator as zde
from migrator import services
from migrator.models import Run
from reports.models import RunRecord
from tests.wizard.conftest import (  # noqa: F401 (fixtures)
    SMALL_TARGET,
    drain,
    enqueued,
    in_process_emulators,
    sandbox_pair_create,
)

pytestmark = pytest.mark.django_db

KNOWLEDGE_BASE = [Entity.ARTICLE_CATEGORIES, Entity.ARTICLE_SECTIONS, Entity.ARTICLES]
SOURCE = SeedPlan(
    agents=3, contacts=0, tickets=0, article_categories=1, article_sections=2, articles=16, seed=3
)


def source_translations(account: EmulatedAccount) -> dict[tuple[str, str], tuple[str, str]]:
    """(article id, locale) → (title, body) of the Zendesk articles' translations."""
    return {
        (str(row.parent_number), row.data["locale"]): (row.data["title"], row.data["body"])
        for row in EmulatedRecord.objects.filter(
            account=account, collection=zde.TRANSLATIONS.collection
        )
        if row.data["locale"] != zde.HELP_CENTER_LOCALE
    }


def target_translations(account: EmulatedAccount) -> dict[tuple[str, str], tuple[str, str]]:
    """(article id, language) → (title, description) on the Freshdesk target."""
    return {
        (str(row.parent_number), row.data["language"]): (
            row.data["title"],
            row.data["description"],
        )
        for row in EmulatedRecord.objects.filter(
            account=account, collection="solution_article_translations"
        )
    }


def article_reports(run: Run) -> list[RunRecord]:
    return list(RunRecord.objects.filter(run=run, entity=Entity.ARTICLES.value))


def test_articles_arrive_on_freshdesk_with_their_translations(user, in_process_emulators, enqueued):
    pair = sandbox_pair_create(
        owner=user, source_plan=SOURCE, target_plan=SMALL_TARGET, entities=KNOWLEDGE_BASE
    )
    wanted = source_translations(pair.source)
    assert {locale for _article, locale in wanted} == {"fr", "de"}  # the seed has both

    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))

    assert run.status == Run.Status.COMPLETED
    reports = article_reports(run)
    assert len(reports) == SOURCE.articles
    assert {report.outcome for report in reports} == {RunRecord.Outcome.MIGRATED}
    assert not [report.reason for report in reports if "translation" in report.reason]
    target_of = {report.source_id: report.target_id for report in reports}
    expected = {(target_of[article], locale): texts for (article, locale), texts in wanted.items()}
    assert target_translations(pair.target) == expected


def test_a_language_the_target_lacks_is_left_out_with_a_note(user, in_process_emulators, enqueued):
    pair = sandbox_pair_create(
        owner=user, source_plan=SOURCE, target_plan=SMALL_TARGET, entities=KNOWLEDGE_BASE
    )
    pair.target.options = {**pair.target.options, "supported_languages": ["fr"]}
    pair.target.save(update_fields=["options"])
    wanted = source_translations(pair.source)
    german = {article for article, locale in wanted if locale == "de"}
    assert german

    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))

    assert run.status == Run.Status.COMPLETED
    reports = {report.source_id: report for report in article_reports(run)}
    assert {report.outcome for report in reports.values()} == {RunRecord.Outcome.MIGRATED}
    note = (
        "The German translation was not migrated: the target help desk does not have "
        "German enabled."
    )
    assert {source_id for source_id, report in reports.items() if note in report.reason} == german
    expected = {
        (reports[article].target_id, locale): texts
        for (article, locale), texts in wanted.items()
        if locale == "fr"
    }
    assert target_translations(pair.target) == expected
