"""Reads of the core domain. Every read of a migration goes through who may see it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity
from migrator import policy
from migrator.crypto import CredentialsUnreadable, decrypt_credentials
from migrator.engine import progress
from migrator.engine.progress import RunProgress
from migrator.models import (
    AuditEvent,
    Connection,
    Invitation,
    Membership,
    Migration,
    RecordMap,
    Run,
    RunEntity,
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


def connections_reusable_on(
    *, migration: Migration, user: User, platform: str | None = None
) -> QuerySet[Connection]:
    """Connections a user may attach to this migration: the owner, any of theirs; a
    teammate, only those the migration already uses (never the owner's other accounts)."""
    connections = reusable_connections_of(user=migration.owner, platform=platform)
    if user.pk == migration.owner_id:
        return connections
    return connections.filter(pk__in=[migration.source_id, migration.target_id])


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


def migration_estimate(
    *,
    migration: Migration,
    counts: Mapping[Entity, int],
    shape: progress.TicketShape | None = None,
) -> progress.Estimate | None:
    """How long a full run would take for these counts, before it starts, and what the
    figure assumes (tickets of ``shape``, else of the assumed shape)."""
    return progress.migration_estimate(migration=migration, counts=counts, shape=shape)


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


#: What each configuration field an activity entry lists is called on the page.
CONFIGURATION_FIELD_LABELS = {
    "source": gettext_lazy("the source help desk"),
    "target": gettext_lazy("the target help desk"),
    "target_scope_id": gettext_lazy("where the tickets go on the target"),
    "target_scope_name": gettext_lazy("where the tickets go on the target"),
    "entities": gettext_lazy("the data to migrate"),
    "filters": gettext_lazy("the filters"),
    "matches": gettext_lazy("the agent matching"),
    "field_mappings": gettext_lazy("the field mapping"),
    "options": gettext_lazy("the options"),
}


def audit_detail_text(*, event: AuditEvent) -> str:
    """An activity entry's detail as people read it: configuration fields by their label,
    help desks as "Acme on Zendesk" (entries keep the keys they were stored with)."""
    detail = event.detail
    if event.action == AuditEvent.Action.CONFIGURED and detail:
        names = [name.strip() for name in detail.split(",")]
        labels = [str(CONFIGURATION_FIELD_LABELS.get(name, name)) for name in names]
        return ", ".join(dict.fromkeys(labels))
    if event.action == AuditEvent.Action.CONNECTED and detail:
        sides = []
        for side in detail.split(", "):
            platform, _colon, account = side.partition(": ")
            connection = Connection(platform=platform, account_name=account)
            sides.append(str(connection) if account else side)
        return ", ".join(sides)
    return detail


def audit_events_shown(*, migration: Migration, limit: int = 500) -> list[AuditEvent]:
    """The activity page's entries, newest first, each with its ``detail_text``."""
    events = list(audit_events_of(migration=migration, limit=limit))
    for event in events:
        event.detail_text = audit_detail_text(event=event)
    return events


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


def _secret_values(migration: Migration) -> list[str]:
    """The secret credential values of the migration's help desks (tokens, passwords)."""
    values: list[str] = []
    for connection in (migration.source, migration.target):
        if connection is None or not connection.encrypted_credentials:
            continue
        try:
            secret_names = registry.get(connection.platform).credentials_model.secret_field_names()
            credentials = decrypt_credentials(token=connection.encrypted_credentials)
        except (UnknownConnectorError, CredentialsUnreadable):
            continue
        values += [str(credentials[name]) for name in secret_names if credentials.get(name)]
    return values


def run_failures_log(*, run: Run, limit: int = 200) -> list[dict[str, str]]:
    """What went wrong in a run, for support: batch errors and failed records, with the
    platform's words cut short (the payload excerpts; never credentials: a secret a
    platform echoed back is masked)."""
    secrets = _secret_values(run.migration)

    def masked(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "•" * 8)
        return text

    batch_errors = [
        {
            "where": f"{batch.entity or 'plan'} #{batch.sequence}",
            "text": masked(batch.last_error)[:500],
        }
        for batch in run.batches.exclude(last_error="").order_by("-id")[:limit]
    ]
    failed = [
        {
            "where": f"{record.entity} {record.source_id}",
            "text": masked(record.reason),
            "detail": masked(record.detail)[:500],
        }
        for record in RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED)
        .only("entity", "source_id", "reason", "detail")
        .order_by("id")[:limit]
    ]
    return batch_errors + failed


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
    #: Whether the viewer may rename it (its owner and full-access teammates).
    may_rename: bool = False


def _platform_name(connection: Connection | None) -> str:
    if connection is None:
        return ""
    try:
        return registry.get(connection.platform).display_name
    except UnknownConnectorError:
        return connection.platform


def migration_overviews(
    *, migrations: QuerySet[Migration], viewer: User
) -> list[MigrationOverview]:
    """The dashboard's lines, in a fixed number of queries whatever the number of
    migrations: the migrations with their current run's id, the runs, their entities,
    their records counted per entity and outcome, and the viewer's memberships."""
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
                matched=counts.get((*key, RunRecord.Outcome.MATCHED), 0),
                skipped=counts.get((*key, RunRecord.Outcome.SKIPPED), 0),
                failed=counts.get((*key, RunRecord.Outcome.FAILED), 0),
                filtered_out=run_entity.filtered_out,
            )
        )
    member_roles = dict(
        Membership.objects.filter(user_id=viewer.pk, migration__in=rows).values_list(
            "migration_id", "role"
        )
    )
    overviews = []
    for migration in rows:
        role = (
            policy.Role.OWNER
            if migration.owner_id == viewer.pk
            else policy.Role(member_roles[migration.pk])
            if migration.pk in member_roles
            else None
        )
        run = runs.get(migration.current_run_id)
        percent = None
        if run is not None:
            percent = RunProgress(
                run_id=run.pk,
                kind=run.kind,
                status=run.status,
                pause_reason=run.pause_reason_shown,
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
                may_rename=policy.allows(
                    role, policy.Action.CONFIGURE, archived=migration.archived_at is not None
                ),
            )
        )
    return overviews


def _pause_event(run: Run) -> AuditEvent | None:
    """The activity log's entry of the pause by hand that holds the run now."""
    if run.status != Run.Status.PAUSED or run.paused_by != Run.PausedBy.USER:
        return None
    return (
        AuditEvent.objects.filter(
            migration_id=run.migration_id,
            action=AuditEvent.Action.RUN_PAUSED,
            detail__endswith=f" #{run.pk}",
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def run_paused_by(*, run: Run) -> User | None:
    """Who paused the run by hand, from the activity log; None when it paused by itself
    or the person is gone."""
    event = _pause_event(run)
    return event.actor if event is not None else None


def run_stop_reason(*, run: Run) -> str:
    """Why a paused or failed run stopped, in words: who paused it and when for a pause by
    hand (and the reason they gave), else the reason the engine or the schedule gave."""
    reason = run.pause_reason_shown.strip()
    if run.status == Run.Status.PAUSED and run.paused_by == Run.PausedBy.USER:
        event = _pause_event(run)
        if event is None:
            said = _("Paused from the run's controls.")
        else:
            person = event.actor.get_full_name() if event.actor else _("a former member")
            when = date_format(timezone.localtime(event.created_at), "DATETIME_FORMAT")
            said = _("Paused by %(person)s on %(date)s.") % {"person": person, "date": when}
        if reason:
            said = _("%(paused)s Reason given: %(reason)s") % {"paused": said, "reason": reason}
        return said
    if not reason and run.status == Run.Status.PAUSED and run.paused_by == Run.PausedBy.SCHEDULE:
        return _("Paused outside the hours chosen for this interval migration.")
    return reason


def support_runs_explained(*, user: User) -> list[Run]:
    """The support console's runs, each with ``why`` it stopped."""
    runs = list(support_runs_visible_to(user=user))
    for run in runs:
        run.why = run_stop_reason(run=run)
    return runs


def run_history(*, migration: Migration, kinds: Sequence[str] | None = None) -> QuerySet[Run]:
    """A migration's runs, newest first, with their records counted per outcome."""
    runs = migration.runs.all()
    if kinds is not None:
        runs = runs.filter(kind__in=kinds)
    return runs.annotate(
        # What a removal of the demo's records removed counts where a migration's writes do.
        migrated_count=Count(
            "records",
            filter=Q(records__outcome__in=[RunRecord.Outcome.MIGRATED, RunRecord.Outcome.REMOVED]),
        ),
        matched_count=Count("records", filter=Q(records__outcome=RunRecord.Outcome.MATCHED)),
        skipped_count=Count("records", filter=Q(records__outcome=RunRecord.Outcome.SKIPPED)),
        failed_count=Count("records", filter=Q(records__outcome=RunRecord.Outcome.FAILED)),
    ).order_by("-created_at", "-id")


def marker_prefix_locked(*, migration: Migration) -> bool:
    """Whether a run has written (or may have written) records carrying the migration's
    marker on the target: its prefix may no longer change."""
    return RecordMap.objects.filter(migration=migration).exists()


def demo_records_on_target(*, migration: Migration) -> int:
    """How many records the demos created on the target that are still the demo's (none
    once a full run started: from then on they are the migration's)."""
    from migrator.engine.rollback import demo_rows

    return demo_rows(migration).count()
