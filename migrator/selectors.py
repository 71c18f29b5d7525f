"""Reads of the core domain. Every read of a migration goes through who may see it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity
from migrator.engine import progress
from migrator.engine.progress import RunProgress
from migrator.models import Connection, Migration, Run, RunEntity, User
from reports.models import RunRecord


def migrations_visible_to(*, user: User) -> QuerySet[Migration]:
    """The migrations a user may see, newest first."""
    if not user.is_authenticated:
        return Migration.objects.none()
    return Migration.objects.filter(owner=user).select_related("owner")


def migration_for_user(*, user: User, migration_id: int) -> Migration:
    """One migration the user may see; anyone else gets a 404, never a 403."""
    try:
        return migrations_visible_to(user=user).get(pk=migration_id)
    except Migration.DoesNotExist:
        raise Http404("No such migration.") from None


def connections_of(*, user: User, platform: str | None = None) -> QuerySet[Connection]:
    connections = Connection.objects.filter(owner=user)
    return connections.filter(platform=platform) if platform else connections


def runs_of_migration(*, migration: Migration) -> QuerySet[Run]:
    return migration.runs.all()


def run_for_user(*, user: User, run_id: int) -> Run:
    """One run of a migration the user may see; anyone else gets a 404."""
    migrations = migrations_visible_to(user=user)
    try:
        return Run.objects.select_related("migration").get(pk=run_id, migration__in=migrations)
    except Run.DoesNotExist:
        raise Http404("No such run.") from None


def run_progress(*, run: Run) -> RunProgress:
    """Per entity done/total, records per minute and the time left."""
    return progress.run_progress(run=run)


def migration_estimate(*, migration: Migration, counts: Mapping[Entity, int]) -> timedelta | None:
    """How long a full run would take for these counts, before it starts."""
    return progress.migration_estimate(migration=migration, counts=counts)


# --------------------------------------------------------------------------- run pages


def run_current(*, migration: Migration, kinds: Sequence[str]) -> Run | None:
    """The run of these kinds under way (queued, running or paused), else the latest one."""
    runs = migration.runs.filter(kind__in=kinds)
    active = runs.filter(status__in=Run.ACTIVE_STATUSES).order_by("-created_at", "-id").first()
    return active or runs.order_by("-created_at", "-id").first()


@dataclass(frozen=True)
class MigrationOverview:
    """A line of the dashboard: the migration, its run under way (or latest), how far."""

    migration: Migration
    run: Run | None
    #: Of the run: None when there is no run.
    percent: int | None
    source_platform: str
    target_platform: str


def _platform_name(connection: Connection | None) -> str:
    if connection is None:
        return ""
    try:
        return registry.get(connection.platform).display_name
    except UnknownConnectorError:
        return connection.platform


def migration_overviews(*, migrations: QuerySet[Migration]) -> list[MigrationOverview]:
    """The dashboard's lines, in a fixed number of queries whatever the number of
    migrations: the migrations with their current run's id, the runs, their entities,
    and their records counted per entity and outcome."""
    current_run = (
        Run.objects.filter(migration=OuterRef("pk"))
        .annotate(
            under_way=Case(When(status__in=Run.ACTIVE_STATUSES, then=Value(0)), default=Value(1))
        )
        .order_by("under_way", "-created_at", "-id")
        .values("pk")[:1]
    )
    rows = list(
        migrations.select_related("source", "target").annotate(current_run_id=Subquery(current_run))
    )
    run_ids = [row.current_run_id for row in rows if row.current_run_id]
    runs = {run.pk: run for run in Run.objects.filter(pk__in=run_ids)}
    counts: dict[tuple[int, str, str], int] = {
        (row["run_id"], row["entity"], row["outcome"]): row["n"]
        for row in RunRecord.objects.filter(run_id__in=run_ids)
        .values("run_id", "entity", "outcome")
        .annotate(n=Count("id"))
    }
    entities: dict[int, list[progress.EntityProgress]] = {}
    for run_entity in RunEntity.objects.filter(run_id__in=run_ids).order_by("run_id", "position"):
        key = (run_entity.run_id, run_entity.entity)
        entities.setdefault(run_entity.run_id, []).append(
            progress.EntityProgress(
                entity=Entity(run_entity.entity),
                status=run_entity.status,
                available=run_entity.available,
                migrated=counts.get((*key, RunRecord.Outcome.MIGRATED), 0),
                skipped=counts.get((*key, RunRecord.Outcome.SKIPPED), 0),
                failed=counts.get((*key, RunRecord.Outcome.FAILED), 0),
                filtered_out=run_entity.filtered_out,
            )
        )
    overviews = []
    for migration in rows:
        run = runs.get(migration.current_run_id)
        percent = None
        if run is not None:
            percent = RunProgress(
                run_id=run.pk,
                kind=run.kind,
                status=run.status,
                pause_reason=run.pause_reason,
                started_at=run.started_at,
                finished_at=run.finished_at,
                entities=entities.get(run.pk, []),
            ).percent
        overviews.append(
            MigrationOverview(
                migration=migration,
                run=run,
                percent=percent,
                source_platform=_platform_name(migration.source),
                target_platform=_platform_name(migration.target),
            )
        )
    return overviews


def run_history(*, migration: Migration, kinds: Sequence[str] | None = None) -> QuerySet[Run]:
    """A migration's runs, newest first, with their records counted per outcome."""
    runs = migration.runs.all()
    if kinds is not None:
        runs = runs.filter(kind__in=kinds)
    return runs.annotate(
        migrated_count=Count("records", filter=Q(records__outcome=RunRecord.Outcome.MIGRATED)),
        skipped_count=Count("records", filter=Q(records__outcome=RunRecord.Outcome.SKIPPED)),
        failed_count=Count("records", filter=Q(records__outcome=RunRecord.Outcome.FAILED)),
    ).order_by("-created_at", "-id")
