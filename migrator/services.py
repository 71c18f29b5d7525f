"""Writes of the core domain."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pydantic
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import services as billing_services
from billing.plans import Feature
from connectors.base import ConnectorBase, Scope
from connectors.errors import ConnectorError
from connectors.messages import translated
from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity, normalise_email
from migrator import configuration, notifications, selectors
from migrator.crypto import decrypt_credentials, encrypt_credentials
from migrator.engine import connectors as engine_connectors
from migrator.engine import rollback, scheduling
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
from migrator.validators import validate_email_address
from reports.models import RunRecord

MIGRATION_NAME_MAX_LENGTH = Migration._meta.get_field("name").max_length

logger = logging.getLogger(__name__)


def _clean_migration_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError(_("Give the migration a name."), code="blank")
    if len(cleaned) > MIGRATION_NAME_MAX_LENGTH:
        raise ValidationError(
            _("A name has at most %(limit)d characters.") % {"limit": MIGRATION_NAME_MAX_LENGTH},
            code="too_long",
        )
    return cleaned


def migration_create(*, owner: User, name: str) -> Migration:
    return Migration.objects.create(owner=owner, name=_clean_migration_name(name))


def migration_rename(*, migration: Migration, name: str) -> Migration:
    migration.name = _clean_migration_name(name)
    migration.save(update_fields=["name", "updated_at"])
    return migration


def migration_delete(*, migration: Migration) -> None:
    """Delete a migration with its runs and reports (its connections stay the owner's)."""
    if migration.runs.filter(status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).exists():
        raise ValidationError(
            _("Pause or cancel the run under way before deleting the migration."),
            code="run_active",
        )
    try:
        migration.delete()
    except ProtectedError:
        raise ValidationError(
            _("A migration with orders is kept for its invoices; it will be archived instead."),
            code="has_orders",
        ) from None


# --------------------------------------------------------------------------- sharing

INVITATION_SALT = "migrator.invitation"


def audit_record(
    *, migration: Migration, actor: User | None, action: str, detail: str = ""
) -> AuditEvent:
    """Note who did what to a migration (never a secret in ``detail``)."""
    return AuditEvent.objects.create(
        migration=migration,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        detail=detail[:500],
    )


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps({"invitation": invitation.pk}, salt=INVITATION_SALT)


def invitation_create(
    *,
    migration: Migration,
    email: str,
    role: str,
    invited_by: User,
    accept_url_for: Callable[[str], str],
) -> Invitation:
    """Invite someone by e-mail; the link in the e-mail expires and works once."""
    email = normalise_email(email) or ""
    try:
        validate_email_address(email)
    except ValidationError:
        raise ValidationError(_("Enter a valid e-mail address."), code="email") from None
    if role not in Membership.Role.values:
        raise ValidationError(_("Choose full or restricted access."), code="role")
    if (
        migration.owner.email.casefold() == email
        or migration.memberships.filter(user__email__iexact=email).exists()
    ):
        raise ValidationError(
            _("%(email)s already has access to this migration.") % {"email": email},
            code="member",
        )
    now = timezone.now()
    with transaction.atomic():
        # A new invitation replaces an open one to the same address.
        migration.invitations.filter(
            email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            migration=migration,
            email=email,
            role=role,
            invited_by=invited_by,
            expires_at=now + timedelta(days=settings.MIGRATOR_INVITATION_DAYS),
        )
        audit_record(
            migration=migration, actor=invited_by, action=AuditEvent.Action.INVITED, detail=email
        )
    notifications.invitation_send(
        invitation=invitation,
        accept_url=accept_url_for(invitation_token(invitation=invitation)),
    )
    return invitation


def invitation_from_token(*, token: str) -> Invitation:
    """The invitation a link names, while it is open; a ValidationError says why not."""
    max_age = timedelta(days=settings.MIGRATOR_INVITATION_DAYS)
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError(
            _("This invitation has expired. Ask for a new one."), code="expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This invitation link is not valid."), code="invalid") from None
    invitation = (
        Invitation.objects.select_related("migration", "invited_by")
        .filter(pk=payload.get("invitation"))
        .first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise ValidationError(_("This invitation was withdrawn."), code="revoked")
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been accepted."), code="accepted")
    if invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired. Ask for a new one."), code="expired")
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """Accepting gives the invited access; only the invited address may accept."""
    invitation = invitation_from_token(token=token)
    if user.email.casefold() != invitation.email.casefold():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email},
            code="other_user",
        )
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user
        )
        if not updated:
            raise ValidationError(_("This invitation has already been accepted."), code="accepted")
        membership, _created = Membership.objects.update_or_create(
            migration=invitation.migration,
            user=user,
            defaults={"role": invitation.role, "invited_by": invitation.invited_by},
        )
        audit_record(
            migration=invitation.migration,
            actor=user,
            action=AuditEvent.Action.INVITATION_ACCEPTED,
            detail=invitation.get_role_display(),
        )
    return membership


def invitation_revoke(*, invitation: Invitation, revoked_by: User) -> None:
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(
            migration=invitation.migration,
            actor=revoked_by,
            action=AuditEvent.Action.ACCESS_REVOKED,
            detail=invitation.email,
        )


def membership_revoke(*, membership: Membership, revoked_by: User) -> None:
    """The teammate loses access at once (their next request is answered 404)."""
    with transaction.atomic():
        email = membership.user.email
        membership.delete()
        audit_record(
            migration=membership.migration,
            actor=revoked_by,
            action=AuditEvent.Action.ACCESS_REVOKED,
            detail=email,
        )


def support_grant(*, migration: Migration, granted_by: User, days: int) -> SupportGrant:
    """Let support staff inspect and resume this migration's runs for ``days`` days."""
    if not 1 <= days <= 90:
        raise ValidationError(_("Grant access for 1 to 90 days."), code="days")
    now = timezone.now()
    with transaction.atomic():
        migration.support_grants.filter(revoked_at__isnull=True).update(revoked_at=now)
        grant = SupportGrant.objects.create(
            migration=migration, granted_by=granted_by, expires_at=now + timedelta(days=days)
        )
        audit_record(
            migration=migration,
            actor=granted_by,
            action=AuditEvent.Action.SUPPORT_GRANTED,
            detail=_("until %(date)s") % {"date": f"{grant.expires_at:%Y-%m-%d %H:%M} UTC"},
        )
    return grant


def support_revoke(*, migration: Migration, revoked_by: User) -> None:
    with transaction.atomic():
        revoked = migration.support_grants.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit_record(
                migration=migration, actor=revoked_by, action=AuditEvent.Action.SUPPORT_REVOKED
            )


def support_note_add(*, run: Run, author: User, text: str) -> SupportNote:
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the note first."), code="blank")
    with transaction.atomic():
        note = SupportNote.objects.create(
            migration=run.migration, run=run, author=author, text=text[:5000]
        )
        audit_record(
            migration=run.migration,
            actor=author,
            action=AuditEvent.Action.SUPPORT_NOTE,
            detail=f"{run.get_kind_display()} #{run.pk}",
        )
    return note


def migrations_archive(*, now: datetime | None = None) -> int:
    """Archive migrations whose full run completed long enough ago: read-only from then
    on, credentials erased, reports kept. Returns how many were archived."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MIGRATOR_ARCHIVE_AFTER_DAYS)
    due = Migration.objects.filter(
        archived_at__isnull=True,
        runs__kind=Run.Kind.FULL,
        runs__status=Run.Status.COMPLETED,
        runs__finished_at__lte=cutoff,
    ).exclude(runs__status__in=Run.ACTIVE_STATUSES)
    archived = 0
    for migration in due.distinct():
        # A later full run or delta restarts the wait.
        last_finished = (
            migration.runs.filter(status=Run.Status.COMPLETED)
            .exclude(kind=Run.Kind.DEMO)
            .order_by("-finished_at")
            .values_list("finished_at", flat=True)
            .first()
        )
        if last_finished is None or last_finished > cutoff:
            continue
        with transaction.atomic():
            locked = Migration.objects.select_for_update().get(pk=migration.pk)
            if locked.archived_at is not None:
                continue
            locked.archived_at = now
            locked.status = Migration.Status.ARCHIVED
            locked.save(update_fields=["archived_at", "status", "updated_at"])
            for connection in (locked.source, locked.target):
                if connection is not None:
                    _erase_credentials_if_unused(connection=connection, archived=locked)
            locked.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
                revoked_at=now
            )
            locked.support_grants.filter(revoked_at__isnull=True).update(revoked_at=now)
            audit_record(migration=locked, actor=None, action=AuditEvent.Action.ARCHIVED)
        archived += 1
    return archived


def _erase_credentials_if_unused(*, connection: Connection, archived: Migration) -> None:
    """Erase a connection's credentials unless a migration still in use relies on them."""
    in_use = (
        Migration.objects.filter(Q(source=connection) | Q(target=connection))
        .exclude(pk=archived.pk)
        .filter(archived_at__isnull=True)
        .exists()
    )
    if not in_use:
        Connection.objects.filter(pk=connection.pk).update(encrypted_credentials="")


DEMO_ADMIN_EMAIL = "admin@example.com"


def demo_admin_ensure() -> tuple[str, str]:
    """Create the development administrator once; its password is kept in the data folder.

    The password is generated on first use and stored (readable by the owner only) so that
    every ``make run`` prints the same working credentials.
    """
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.utils.crypto import get_random_string

    password_file = settings.DATA_DIR / "demo-admin-password.txt"
    if password_file.exists():
        password = password_file.read_text().strip()
    else:
        password = get_random_string(16)
        password_file.write_text(password)
        password_file.chmod(0o600)
    user = User.objects.filter(email=DEMO_ADMIN_EMAIL).first()
    if user is None:
        user = User.objects.create_superuser(DEMO_ADMIN_EMAIL, password, full_name="Demo Admin")
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=DEMO_ADMIN_EMAIL, defaults={"verified": True, "primary": True}
    )
    return DEMO_ADMIN_EMAIL, password


# --------------------------------------------------------------------------- connections


def _field_errors(error: pydantic.ValidationError) -> ValidationError:
    """A connect form's problems, per field, without the values typed (they may be secret)."""
    problems: dict[str, list[str]] = {}
    for item in error.errors(include_input=False):
        field = str(item["loc"][0]) if item["loc"] else "__all__"
        problems.setdefault(field, []).append(item["msg"])
    return ValidationError(problems)


def connection_create(
    *,
    owner: User,
    platform: str,
    credentials: Mapping[str, Any],
    rate_limit_per_minute: int | None = None,
) -> Connection:
    """Check the credentials against the platform, then store them encrypted.

    Raises ``ValidationError`` with the platform's plain message when they are refused.
    """
    try:
        connector_class = registry.get(platform)
    except UnknownConnectorError as error:
        raise ValidationError(str(error), code="unknown_platform") from None
    try:
        parsed = connector_class.parse_credentials(credentials)
    except pydantic.ValidationError as error:
        raise _field_errors(error) from None
    connection = Connection(
        owner=owner,
        platform=platform,
        encrypted_credentials="",
        rate_limit_per_minute=rate_limit_per_minute,
    )
    connector = connector_class(
        credentials=parsed, http_client_factory=engine_connectors.http_client_factory(connection)
    )
    try:
        with connector:
            account = connector.check_credentials()
            _announced_limit_keep(connection=connection, connector=connector)
    except ConnectorError as error:
        raise ValidationError(translated(error), code="refused") from None
    connection.encrypted_credentials = encrypt_credentials(credentials=parsed.revealed_values())
    connection.account_name = account.account_name[:200]
    connection.account_url = (account.account_url or "")[:500]
    connection.user_email = (account.user_email or "")[:254]
    connection.verified_at = timezone.now()
    connection.save()
    return connection


def connection_verify(*, connection: Connection) -> Connection:
    """Check a stored connection's credentials again (reused for another migration).

    Raises ``ValidationError`` with the platform's plain message when they are refused.
    """
    try:
        connector_class = registry.get(connection.platform)
    except UnknownConnectorError as error:
        raise ValidationError(str(error), code="unknown_platform") from None
    try:
        credentials = connector_class.parse_credentials(
            decrypt_credentials(token=connection.encrypted_credentials)
        )
    except pydantic.ValidationError:
        # Saved before a check that now refuses them (the values are not shown: secrets).
        raise ValidationError(
            _(
                "The saved credentials of this connection are no longer accepted: connect "
                "again with the form."
            ),
            code="refused",
        ) from None
    connector = connector_class(
        credentials=credentials,
        http_client_factory=engine_connectors.http_client_factory(connection),
    )
    try:
        with connector:
            account = connector.check_credentials()
            _announced_limit_keep(connection=connection, connector=connector)
    except ConnectorError as error:
        raise ValidationError(translated(error), code="refused") from None
    connection.account_name = account.account_name[:200]
    connection.account_url = (account.account_url or "")[:500]
    connection.user_email = (account.user_email or "")[:254]
    connection.verified_at = timezone.now()
    connection.save(
        update_fields=[
            "account_name",
            "account_url",
            "user_email",
            "verified_at",
            "rate_limit_learned",
            "rate_limit_learned_at",
        ]
    )
    return connection


def _announced_limit_keep(*, connection: Connection, connector: ConnectorBase) -> None:
    """The rate limit the platform's headers announced while the credentials were checked:
    the estimate before the first run counts with the account's real plan."""
    try:
        learned = connector.learned_rate_limit()
    except Exception:  # bookkeeping: never what refuses a connection
        logger.warning("the announced rate limit was not read", exc_info=True)
        return
    if learned:
        connection.rate_limit_learned = learned
        connection.rate_limit_learned_at = timezone.now()


# --------------------------------------------------------------------------- configuration


def _other_account(current: Connection | None, new: Connection) -> bool:
    if current is None:
        return False
    return (current.platform, current.account_url) != (new.platform, new.account_url)


def migration_configure(
    *,
    migration: Migration,
    source: Connection | None = None,
    target: Connection | None = None,
    target_scope: Scope | None = None,
    entities: Sequence[Entity] | None = None,
    filters: configuration.Filters | None = None,
    matches: configuration.Matches | None = None,
    field_mappings: configuration.FieldMappings | None = None,
    options: configuration.Options | None = None,
    by: User | None = None,
) -> Migration:
    """Save the parts of a migration's configuration that are given (a wizard step each)."""
    if options is not None:
        _marker_prefix_check(migration, options)
    changed: list[str] = []
    for connection, role in ((source, "source"), (target, "target")):
        if connection is None:
            continue
        if connection.owner_id != migration.owner_id:
            raise ValidationError(_("Use one of your own connections."), code="not_owner")
        try:
            registry.get(connection.platform, role=role)
        except UnknownConnectorError as error:
            raise ValidationError(str(error), code="wrong_role") from None
        if (
            role == "target"
            and target_scope is None
            and _other_account(migration.target, connection)
        ):
            # The chosen inbox/channel belongs to the account connected before.
            migration.target_scope_id = migration.target_scope_name = ""
            changed += ["target_scope_id", "target_scope_name"]
        setattr(migration, role, connection)
        changed.append(role)
    if target_scope is not None:
        migration.target_scope_id = target_scope.id
        migration.target_scope_name = target_scope.name
        changed += ["target_scope_id", "target_scope_name"]
    if entities is not None:
        migration.entities = [entity.value for entity in Entity.in_dependency_order(entities)]
        changed.append("entities")
    for name, part in (
        ("filters", filters),
        ("matches", matches),
        ("field_mappings", field_mappings),
        ("options", options),
    ):
        if part is not None:
            setattr(migration, name, part.model_dump(mode="json"))
            changed.append(name)
    if changed:
        migration.save(update_fields=[*changed, "updated_at"])
        audit_record(migration=migration, actor=by, **_configuration_audit(changed, migration))
    return migration


def _marker_prefix_check(migration: Migration, options: configuration.Options) -> None:
    """The marker's prefix is fixed once a run wrote records: the runs after it find the
    records it created by their markers, and would create them a second time."""
    saved = migration.configured_options().marker_prefix
    if options.marker_prefix != saved and selectors.marker_prefix_locked(migration=migration):
        raise ValidationError(
            _(
                "The marker's prefix stays “%(prefix)s”: records on the target already carry "
                "it, and later runs find them by it."
            )
            % {"prefix": saved},
            code="marker_locked",
        )


def _configuration_audit(changed: list[str], migration: Migration) -> dict[str, str]:
    if "source" in changed or "target" in changed:
        connected = [
            f"{connection.platform}: {connection.account_name}"
            for role, connection in (("source", migration.source), ("target", migration.target))
            if role in changed and connection is not None
        ]
        return {"action": AuditEvent.Action.CONNECTED, "detail": ", ".join(connected)}
    if changed == ["matches"]:
        return {"action": AuditEvent.Action.MATCHING_SAVED, "detail": ""}
    if changed == ["field_mappings"]:
        return {"action": AuditEvent.Action.MAPPING_SAVED, "detail": ""}
    return {"action": AuditEvent.Action.CONFIGURED, "detail": ", ".join(changed)}


# --------------------------------------------------------------------------- runs


def _previous_run_start(migration: Migration) -> datetime | None:
    previous = (
        migration.runs.filter(
            status=Run.Status.COMPLETED,
            kind__in=[Run.Kind.FULL, Run.Kind.DELTA, Run.Kind.REMIGRATION],
        )
        .order_by("-started_at")
        .first()
    )
    return previous.started_at if previous else None


DEMO_RECORDS_KEEP = "keep"
DEMO_RECORDS_REMOVE = "remove"


def run_start(
    *,
    migration: Migration,
    kind: str,
    scheduled_for: datetime | None = None,
    windows: Sequence[configuration.Window] = (),
    created_by: User | None = None,
    demo_records: str = DEMO_RECORDS_KEEP,
) -> Run:
    """Queue a run and start it now, or at ``scheduled_for`` / in its first window.

    One run of a migration at a time. A delta reads what changed since the previous run
    started, minus an overlap; it needs a completed full run first.

    The records a demo created are the migration's: the full run updates them. With
    ``demo_records="remove"``, a full run starts with the removal of the demo's records
    (a run of kind ``rollback``), and the full run itself is created once the removal
    completed, before it writes anything (the returned run is the removal then).
    """
    if kind not in Run.Kind.values:
        raise ValidationError(_("Unknown kind of run."), code="unknown_kind")
    if migration.source_id is None or migration.target_id is None:
        raise ValidationError(_("Connect a source and a target first."), code="not_connected")
    updated_since = None
    if kind in (Run.Kind.DELTA, Run.Kind.REMIGRATION):
        previous_start = _previous_run_start(migration)
        if previous_start is None:
            raise ValidationError(
                _("Run the full migration before a delta or a re-migration."), code="no_full_run"
            )
        if kind == Run.Kind.DELTA:
            overlap = timedelta(seconds=settings.MIGRATOR_DELTA_OVERLAP_SECONDS)
            updated_since = previous_start - overlap
    if kind == Run.Kind.ROLLBACK and not rollback.rollback_possible(migration):
        raise ValidationError(
            _("The demo has no records left on the target to remove."), code="nothing_to_remove"
        )
    # Billing: a full run needs a paid order; deltas, re-migrations and run windows need
    # the plan that includes them (everything is allowed when billing is off). Removing a
    # demo's records is free, as the demo is.
    if kind != Run.Kind.ROLLBACK:
        billing_services.run_start_check(migration=migration, kind=kind, windows=windows)
    follow_up: dict[str, Any] = {}
    if (
        kind == Run.Kind.FULL
        and demo_records == DEMO_RECORDS_REMOVE
        and rollback.rollback_possible(migration)
    ):
        follow_up = {
            "kind": Run.Kind.FULL.value,
            "windows": [window.model_dump(mode="json") for window in windows],
        }
        kind, windows = Run.Kind.ROLLBACK, ()
    with transaction.atomic():
        # The lock makes two clicks on "start" give one run.
        Migration.objects.select_for_update().get(pk=migration.pk)
        if migration.runs.filter(status__in=Run.ACTIVE_STATUSES).exists():
            raise ValidationError(
                _("A run of this migration is already under way."), code="run_active"
            )
        run = Run.objects.create(
            migration=migration,
            kind=kind,
            scheduled_for=scheduled_for,
            windows=[window.model_dump(mode="json") for window in windows],
            updated_since=updated_since,
            created_by=created_by,
            follow_up=follow_up,
        )
        audit_record(
            migration=migration,
            actor=created_by,
            action=_START_ACTIONS.get(kind, AuditEvent.Action.RUN_STARTED),
            detail=f"{run.get_kind_display()} #{run.pk}",
        )
    now = timezone.now()
    due = scheduled_for is None or scheduled_for <= now
    if due and scheduling.window_open(run.configured_windows(), now):
        scheduling.run_begin(run)
    return run


_START_ACTIONS = {
    Run.Kind.DEMO: AuditEvent.Action.DEMO_STARTED,
    Run.Kind.ROLLBACK: AuditEvent.Action.DEMO_ROLLBACK,
}


def demo_rollback_start(*, migration: Migration, created_by: User | None = None) -> Run:
    """ "Remove the demo's records from the target": what the demos created (never what
    they matched to the target's own records) is deleted by the workers, dependents first.
    Offered until a full run starts; from then on the records are the migration's."""
    return run_start(migration=migration, kind=Run.Kind.ROLLBACK, created_by=created_by)


def demo_restart(*, migration: Migration, created_by: User | None = None) -> Run:
    """ "I have fixed the errors": a new demo that writes the demo records again."""
    if not migration.runs.filter(kind=Run.Kind.DEMO).exists():
        raise ValidationError(_("Run a demo first."), code="no_demo")
    return run_start(migration=migration, kind=Run.Kind.DEMO, created_by=created_by)


def _audit_run(run: Run, *, by: User | None, action: str) -> None:
    audit_record(
        migration=run.migration,
        actor=by,
        action=action,
        detail=f"{run.get_kind_display()} #{run.pk}",
    )


def run_pause(*, run: Run, reason: str = "", by: User | None = None) -> Run:
    if not scheduling.run_pause(run=run, paused_by=Run.PausedBy.USER, reason=reason):
        raise ValidationError(_("Only a queued or running run can be paused."), code="not_active")
    _audit_run(run, by=by, action=AuditEvent.Action.RUN_PAUSED)
    return run


def run_resume(*, run: Run, by: User | None = None) -> Run:
    if not scheduling.run_resume(run=run):
        raise ValidationError(_("Only a paused run can be resumed."), code="not_paused")
    _audit_run(run, by=by, action=AuditEvent.Action.RUN_RESUMED)
    return run


def run_cancel(*, run: Run, by: User | None = None) -> Run:
    if not scheduling.run_cancel(run=run):
        raise ValidationError(_("This run has already ended."), code="finished")
    _audit_run(run, by=by, action=AuditEvent.Action.RUN_CANCELLED)
    return run


def run_reverify_start(*, run: Run, by: User | None = None) -> Run:
    """ "Verify again": read back every record the finished run wrote, in the background,
    repairing what differs. A verification whose worker died may be started again; it goes
    on with the records it had not checked."""
    from migrator.engine import reverify

    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if not run.is_finished or run.status == Run.Status.CANCELLED:
            raise ValidationError(_("Only a finished run can be verified again."), code="active")
        if run.kind == Run.Kind.ROLLBACK:
            # What it removed is no longer there to read back.
            raise ValidationError(_("Only a finished run can be verified again."), code="removal")
        restart = reverify.reverify_is_stale(run)
        if run.reverify_status == Run.ReverifyStatus.RUNNING and not restart:
            raise ValidationError(_("The verification is already in progress."), code="running")
        now = timezone.now()
        run.reverify_status = Run.ReverifyStatus.RUNNING
        run.reverify_heartbeat_at = now
        run.reverify_error = ""
        run.reverify_finished_at = None
        if not restart:
            run.reverify_started_at = now
            run.reverify_calls = 0
            run.reverify_repaired = 0
        run.save(
            update_fields=[
                "reverify_status",
                "reverify_started_at",
                "reverify_heartbeat_at",
                "reverify_finished_at",
                "reverify_error",
                "reverify_calls",
                "reverify_repaired",
            ]
        )
        _audit_run(run, by=by, action=AuditEvent.Action.RUN_REVERIFIED)
        transaction.on_commit(lambda: _reverify_enqueue(run.pk))
    return run


#: The runs whose skipped and failed records may be checked again, and re-migrated.
PAID_RUN_KINDS = (Run.Kind.FULL, Run.Kind.DELTA, Run.Kind.REMIGRATION)


def run_recheck_start(*, run: Run, by: User | None = None) -> Run:
    """Verification of skipped and failed records (a plan feature): every record the
    finished run skipped or failed is checked again on the source and the target, in the
    background (``migrator.engine.recheck``); nothing is written on either side."""
    from migrator.engine import recheck

    if run.kind not in PAID_RUN_KINDS:
        raise ValidationError(
            _("Skipped and failed records are checked again after the full migration."),
            code="not_full_run",
        )
    billing_services.feature_require(migration=run.migration, feature=Feature.VERIFICATION)
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if not run.is_finished:
            raise ValidationError(
                _("The run is still under way: check its records again once it ends."),
                code="active",
            )
        rows = recheck.rows_to_recheck(run)
        if not rows.exists():
            raise ValidationError(
                _("This run skipped and failed no record: there is nothing to check again."),
                code="nothing",
            )
        rows.update(recheck=RunRecord.Recheck.PENDING, recheck_note="", rechecked_at=None)
        _audit_run(run, by=by, action=AuditEvent.Action.RUN_RECHECKED)
        transaction.on_commit(lambda: _recheck_enqueue(run.pk))
    return run


def _recheck_enqueue(run_id: int) -> None:
    from migrator.tasks import run_recheck

    run_recheck.apply_async(args=[run_id], queue=settings.MIGRATOR_QUEUE)


def remigration_start(*, run: Run, by: User | None = None) -> Run:
    """Re-migration from a finished run's page: the whole migration moves again (records
    on the target are updated, never created twice), within the plan's window."""
    if run.kind not in PAID_RUN_KINDS:
        raise ValidationError(
            _("A re-migration follows the full migration, not a demo."), code="not_full_run"
        )
    return run_start(migration=run.migration, kind=Run.Kind.REMIGRATION, created_by=by)


def _reverify_enqueue(run_id: int) -> None:
    from migrator.tasks import run_reverify

    run_reverify.apply_async(args=[run_id], queue=settings.MIGRATOR_QUEUE)


def runs_reconcile() -> dict[str, int]:
    return scheduling.runs_reconcile()
