"""The dashboard's lines: each migration's pair of help desks, status and progress, in a
number of queries that does not grow with the number of migrations."""

from __future__ import annotations

import pytest
from django.urls import reverse

from migrator import services
from migrator.models import Run, RunEntity
from tests.wizard.conftest import recorded_run

pytestmark = pytest.mark.django_db

#: Session, user, then the migrations, their runs, entities, record counts and the
#: viewer's memberships.
DASHBOARD_QUERIES = 7


def more_migrations(sandbox, owner, count: int) -> None:
    """Migrations between the same two help desks, each with a run half done."""
    for number in range(count):
        migration = services.migration_create(owner=owner, name=f"Inbox {number}")
        services.migration_configure(
            migration=migration,
            source=sandbox.migration.source,
            target=sandbox.migration.target,
        )
        run = recorded_run(migration, tickets=10, status=Run.Status.RUNNING)
        RunEntity.objects.filter(run=run).update(available=20)


def test_each_migration_shows_its_pair_status_and_progress(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=30, status=Run.Status.RUNNING)
    RunEntity.objects.filter(run=run).update(available=120)
    services.migration_create(owner=user, name="Not connected")
    client.force_login(user)
    content = client.get(reverse("dashboard")).content.decode()
    row = content[content.index(f'id="migration-{sandbox.migration.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Zendesk" in row and "Freshdesk" in row and "→" in row
    assert '<progress max="100" value="25"' in row  # 30 of 120 tickets
    assert "25%" in row
    assert "Full migration: running" in row
    other = content[content.index("Not connected") :]
    assert "Not connected yet" in other and "No run yet" in other


def test_the_latest_run_counts_when_none_is_under_way(client, user, sandbox):
    recorded_run(sandbox.migration, tickets=10)
    client.force_login(user)
    content = client.get(reverse("dashboard")).content.decode()
    assert '<progress max="100" value="100"' in content
    assert "Full migration: completed" in content


def test_the_number_of_queries_does_not_grow_with_the_migrations(
    client, user, sandbox, django_assert_max_num_queries
):
    recorded_run(sandbox.migration, tickets=10, status=Run.Status.RUNNING)
    client.force_login(user)
    counted = []
    for added in (0, 5):
        more_migrations(sandbox, user, added)
        with django_assert_max_num_queries(DASHBOARD_QUERIES) as queries:
            response = client.get(reverse("dashboard"))
        assert response.status_code == 200
        assert response.content.decode().count('value="50"') == added
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_rename_keeps_the_pair_and_progress_in_the_row(client, user, sandbox):
    recorded_run(sandbox.migration, tickets=10)
    client.force_login(user)
    url = reverse("migration_rename", args=[sandbox.migration.pk])
    response = client.post(url, {"name": "Support desk move"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "Support desk move" in content
    assert "Freshdesk" in content and '<progress max="100" value="100"' in content
    row = client.get(reverse("migration_row", args=[sandbox.migration.pk]))
    assert "Support desk move" in row.content.decode()
