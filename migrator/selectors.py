"""Reads of the core domain. Every read of a migration goes through who may see it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from connectors.schema import Entity
from migrator import policy
from migrator.engine import progress
from migrator.engine.progress import RunProgress
from migrator.models import (
    AuditEvent,
    Connection,
    Invitation,
    Membership,
    Migration,
    Run,
    SupportGrant,
    SupportNote,
    User,
)
from reports.models import RunRecord


def migrations_visible_to(*, user: User) -> QuerySet[Migration]:
    """The migrations a user owns or was invited to, newest first."""
    if not user.is_authenticated:
        return Migration.objects.none()
    return (
        Migration.objects.filter(Q(owner=user) | Q(memberships__user=user))
        .distinct()
        .select_related("owner", "source", "target")
    )


def migration_for_user(
    *, user: User, migration_id: int, action: policy.Action = policy.Action.VIEW
) -> Migration:
    """One migration the user may act on so; anyone else gets a 404, never a 403."""
    migration = (
        Migration.objects.select_related("owner", "source", "target")
        .filter(pk=migration_id)
        .first()
    )
    if migration is None:
        raise Http404("No such migration.")
    policy.require(user, migration, action)
    return migration


def connections_of(*, user: User, platform: str | None = None) -> QuerySet[Connection]:
    connections = Connection.objects.filter(owner=user)
    return connections.filter(platform=platform) if platform else connections


def reusable_connections_of(*, user: User, platform: str | None = None) -> QuerySet[Connection]:
    """The user's connections that still hold credentials (an archived migration's are
    erased), newest first."""
    return connections_of(user=user, platform=platform).exclude(encrypted_credentials="")


def runs_of_migration(*, migration: Migration) -> QuerySet[Run]:
    return migration.runs.all()


def run_for_user(*, user: User, run_id: int, action: policy.Action = policy.Action.VIEW) -> Run:
    """One run of a migration the user may act on so; anyone else gets a 404."""
    run = Run.objects.select_related("migration").filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    policy.require(user, run.migration, action)
    return run


def run_progress(*, run: Run) -> RunProgress:
    """Per entity done/total, records per minute and the time left."""
    return progress.run_progress(run=run)


def migration_estimate(*, migration: Migration, counts: Mapping[Entity, int]) -> timedelta | None:
    """How long a full run would take for these counts, before it starts."""
    return progress.migration_estimate(migration=migration, counts=counts)


# --------------------------------------------------------------------------- sharing


def members_of(*, migration: Migration) -> QuerySet[Membership]:
    return migration.memberships.select_related("user", "invited_by").order_by("created_at")


def open_invitations_of(*, migration: Migration) -> QuerySet[Invitation]:
    return migration.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def active_support_grant(*, migration: Migration) -> SupportGrant | None:
    return migration.support_grants.filter(
        revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def audit_events_of(*, migration: Migration, limit: int = 500) -> QuerySet[AuditEvent]:
    return migration.audit_events.select_related("actor").order_by("-created_at", "-id")[:limit]


def support_notes_of(*, migration: Migration) -> QuerySet[SupportNote]:
    return migration.support_notes.select_related("author", "run")


def support_runs_visible_to(*, user: User) -> QuerySet[Run]:
    """The support console: paused and failed runs of migrations whose owner granted
    support access that has not expired; nothing for anyone but support staff."""
    if not policy.is_support_staff(user):
        return Run.objects.none()
    granted = SupportGrant.objects.filter(
        revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).values("migration_id")
    return (
        Run.objects.filter(
            status__in=[Run.Status.PAUSED, Run.Status.FAILED],
            migration_id__in=granted,
            migration__archived_at__isnull=True,
        )
        .select_related("migration", "migration__owner", "migration__source", "migration__target")
        .order_by("-created_at")
    )


def support_run_for_user(*, user: User, run_id: int) -> Run:
    """One run the support console may show (404 without an active grant)."""
    run = support_runs_visible_to(user=user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run.")
    return run


def run_failures_log(*, run: Run, limit: int = 200) -> list[dict[str, str]]:
    """What went wrong in a run, for support: batch errors and failed records, with the
    platform's words cut short (the payload excerpts; never credentials)."""
    batch_errors = [
        {"where": f"{batch.entity or 'plan'} #{batch.sequence}", "text": batch.last_error[:500]}
        for batch in run.batches.exclude(last_error="").order_by("-id")[:limit]
    ]
    failed = [
        {
            "where": f"{record.entity} {record.source_id}",
            "text": record.reason,
            "detail": record.detail[:500],
        }
        for record in RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED)
        .only("entity", "source_id", "reason", "detail")
        .order_by("id")[:limit]
    ]
    return batch_errors + failed
