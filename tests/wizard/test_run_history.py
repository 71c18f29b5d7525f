"""The run history table follows its runs while one is under way (htmx polls it)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from migrator.models import Run
from reports.models import RunRecord
from tests.wizard.conftest import recorded_run

pytestmark = pytest.mark.django_db


def _row(page: str, run: Run) -> str:
    return page.split(f'data-history-run="{run.pk}"', 1)[1].split("</tr>", 1)[0]


def test_the_history_polls_while_a_run_is_under_way_and_stops_after(client, user, sandbox):
    migration = sandbox.migration
    demo = recorded_run(migration, tickets=5)
    Run.objects.filter(pk=demo.pk).update(kind=Run.Kind.DEMO)
    run = recorded_run(migration, tickets=20, status=Run.Status.RUNNING)
    client.force_login(user)
    history_url = reverse("wizard_run_history", args=[migration.pk])

    page = client.get(reverse("wizard_run", args=[migration.pk])).content.decode()
    assert f'hx-get="{history_url}?kind=all"' in page
    assert 'data-live="true"' in page

    first = client.get(history_url, {"kind": "all"}).content.decode()
    assert "hx-trigger" in first
    assert '<td data-label="Migrated">16</td>' in _row(first, run)

    # The run goes on: the next poll shows the new figures.
    RunRecord.objects.bulk_create(
        RunRecord(
            run=run,
            entity="tickets",
            source_id=str(100 + number),
            target_id=str(2000 + number),
            outcome=RunRecord.Outcome.MIGRATED,
            recorded_at=timezone.now(),
        )
        for number in range(4)
    )
    assert '<td data-label="Migrated">20</td>' in _row(
        client.get(history_url, {"kind": "all"}).content.decode(), run
    )

    # Once every run ended, the table stops polling.
    Run.objects.filter(pk=run.pk).update(status=Run.Status.COMPLETED, finished_at=timezone.now())
    last = client.get(history_url, {"kind": "all"}).content.decode()
    assert "hx-trigger" not in last and 'data-live="false"' in last

    # The demo page's history holds the demos only.
    demos = client.get(history_url, {"kind": "demo"}).content.decode()
    assert f'data-history-run="{demo.pk}"' in demos
    assert f'data-history-run="{run.pk}"' not in demos
    assert "Demo history" in demos


def test_the_history_of_someone_elses_migration_is_404(client, make_user, sandbox):
    client.force_login(make_user())
    url = reverse("wizard_run_history", args=[sandbox.migration.pk])
    assert client.get(url).status_code == 404
