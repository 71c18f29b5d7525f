"""Reads of the core domain. Every read of a migration goes through who may see it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.db.models import QuerySet
from django.http import Http404

from connectors.schema import Entity
from migrator.engine import progress
from migrator.engine.progress import RunProgress
from migrator.models import Connection, Migration, Run, User


def migrations_visible_to(*, user: User) -> QuerySet[Migration]:
    """The migrations a user may see, newest first."""
    if not user.is_authenticated:
        return Migration.objects.none()
    return Migration.objects.filter(owner=user).select_related("owner", "source", "target")


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
