# ruff: noqa: RUF001
"""A real run's results page in French: every record's reason in French, with its
parameters, none left in English; outcome labels that agree."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from connectors.models import EmulatedRecord
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Run
from reports.models import RunRecord
from reports.selectors import reason_display
from tests.wizard.conftest import drain, sandbox_pair_create

pytestmark = pytest.mark.django_db

_CELL = re.compile(r'class="record-reason">(.*?)</td>', re.S)


@pytest.fixture(autouse=True)
def english_afterwards():
    """The pages activate French in this thread; the tests after these get English."""
    yield
    translation.deactivate()


def _reason_cells(client, run: Run) -> list[str]:
    cells: list[str] = []
    url = reverse("wizard_run_results", args=[run.pk])
    for outcome in ("migrated", "matched", "skipped", "failed"):
        number = 1
        while True:
            page = client.get(url, {"outcome": outcome, "page": number}).content.decode()
            found = [html.unescape(cell).strip() for cell in _CELL.findall(page)]
            cells += found
            if f"page={number + 1}" not in page:
                break
            number += 1
    return cells


def test_a_real_runs_reasons_show_in_french_and_none_in_english(
    client, user, in_process_emulators, enqueued
):
    pair = sandbox_pair_create(owner=user)
    ticket = (
        EmulatedRecord.objects.filter(account=pair.source, collection="tickets")
        .order_by("number")
        .values_list("number", flat=True)
        .first()
    )
    services.migration_configure(
        migration=pair.migration,
        options=configuration.Options(demo_ids={Entity.TICKETS: ["99999", str(ticket)]}),
    )
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    with_reasons = [row for row in RunRecord.objects.filter(run=run) if row.reason]
    assert with_reasons, "the run gave no reason at all"
    # Every reason is kept as a message id with its parameters.
    assert [row.reason for row in with_reasons if not row.reason_key] == []

    client.force_login(user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    cells = _reason_cells(client, run)
    page_text = "\n".join(cells)

    assert "Aucun ticket avec l’identifiant 99999 sur Zendesk." in cells
    with translation.override("fr"):
        french = {reason_display(row) for row in with_reasons}
    for row in with_reasons:
        assert row.reason not in cells, f"English reason on the French page: {row.reason}"
    assert french <= set(cells) | {""}
    for english_word in (" was not ", " on the target", "Matched to", "deleted since", "HTTP "):
        assert english_word not in page_text, english_word

    summary = client.get(reverse("wizard_run_results", args=[run.pk])).content.decode()
    # Outcome labels qualify a record: one gender for all of them.
    assert "Échouée" not in summary and "Ignorée" not in summary and "Migrée" not in summary
    assert "Échoué" in summary and "Migré" in summary


def test_old_rows_without_a_message_id_show_their_text():
    row = RunRecord(reason="Kept before reasons had ids.", reason_key="", reason_params={})
    with translation.override("fr"):
        assert reason_display(row) == "Kept before reasons had ids."


def test_a_reason_keeps_the_platforms_own_words_untranslated():
    row = RunRecord(
        reason="The target refused it: Freshdesk refused the contact: email: It should be a "
        "unique value",
        reason_key="The target refused it: %(answer)s",
        reason_params={
            "answer": {
                "key": "%(platform)s refused the %(what)s: %(answer)s",
                "params": {
                    "platform": "Freshdesk",
                    "what": "contact",
                    "answer": "email: It should be a unique value",
                },
            }
        },
    )
    with translation.override("fr"):
        assert reason_display(row) == (
            "La cible l’a refusé : Freshdesk a refusé l’enregistrement (contact) : "
            "email: It should be a unique value"
        )
