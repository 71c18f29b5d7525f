"""Migration 0006: demos of existing installations kept a record map of their own. Their
rows move to the shared map, unless the full run already holds the same source record
(that copy on the target stays the demo's, so it can still be removed)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from migrator import services
from migrator.engine.rollback import demo_rows
from migrator.models import RecordMap, Run

pytestmark = pytest.mark.django_db

data_migration = importlib.import_module("migrator.migrations.0007_demo_rows_to_main")


def row(migration, namespace: str, entity: str, source_id: str, target_id: str, run=None):
    return RecordMap.objects.create(
        migration=migration,
        namespace=namespace,
        entity=entity,
        source_id=source_id,
        target_id=target_id,
        state=RecordMap.State.DONE,
        run=run,
    )


def test_demo_rows_move_to_the_shared_map_unless_the_full_run_holds_the_record(user):
    migration = services.migration_create(owner=user, name="Older installation")
    demo = Run.objects.create(migration=migration, kind=Run.Kind.DEMO)
    full = Run.objects.create(migration=migration, kind=Run.Kind.FULL)
    alone = row(migration, "demo", "tickets", "1", "t-1", demo)
    twin = row(migration, "demo", "tickets", "2", "t-2-demo", demo)
    row(migration, "main", "tickets", "2", "t-2", full)
    agent = row(migration, "demo", "agents", "7", "a-7", demo)

    data_migration.demo_rows_to_main(apps, None)

    alone.refresh_from_db()
    twin.refresh_from_db()
    agent.refresh_from_db()
    assert (alone.namespace, alone.created_on_target, alone.created_by_kind) == (
        "main",
        True,
        "demo",
    )
    # The full run's own record keeps its row; the demo's copy stays apart, removable.
    assert (twin.namespace, twin.created_on_target) == ("demo", True)
    assert RecordMap.objects.get(namespace="main", source_id="2").created_by_kind == "full"
    # An agent may have been matched, not created: it is never removed.
    assert (agent.namespace, agent.created_on_target) == ("main", False)
    full.started_at = full.created_at
    full.save()
    assert list(demo_rows(migration).values_list("target_id", flat=True)) == ["t-2-demo"]
