"""Writes of the core domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pydantic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.base import Scope
from connectors.errors import ConnectorError
from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity
from migrator import configuration
from migrator.crypto import encrypt_credentials
from migrator.engine import connectors as engine_connectors
from migrator.engine import scheduling
from migrator.models import Connection, Migration, Run, User

MIGRATION_NAME_MAX_LENGTH = Migration._meta.get_field("name").max_length


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
    except ConnectorError as error:
        raise ValidationError(error.user_message, code="refused") from None
    connection.encrypted_credentials = encrypt_credentials(credentials=parsed.revealed_values())
    connection.account_name = account.account_name[:200]
    connection.account_url = (account.account_url or "")[:500]
    connection.user_email = (account.user_email or "")[:254]
    connection.verified_at = timezone.now()
    connection.save()
    return connection


# --------------------------------------------------------------------------- configuration


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
) -> Migration:
    """Save the parts of a migration's configuration that are given (a wizard step each)."""
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
    return migration


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


def run_start(
    *,
    migration: Migration,
    kind: str,
    scheduled_for: datetime | None = None,
    windows: Sequence[configuration.Window] = (),
    created_by: User | None = None,
) -> Run:
    """Queue a run and start it now, or at ``scheduled_for`` / in its first window.

    One run of a migration at a time. A delta reads what changed since the previous run
    started, minus an overlap; it needs a completed full run first.
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
        )
    now = timezone.now()
    due = scheduled_for is None or scheduled_for <= now
    if due and scheduling.window_open(run.configured_windows(), now):
        scheduling.run_begin(run)
    return run


def demo_restart(*, migration: Migration, created_by: User | None = None) -> Run:
    """ "I have fixed the errors": a new demo that writes the demo records again."""
    if not migration.runs.filter(kind=Run.Kind.DEMO).exists():
        raise ValidationError(_("Run a demo first."), code="no_demo")
    return run_start(migration=migration, kind=Run.Kind.DEMO, created_by=created_by)


def run_pause(*, run: Run, reason: str = "") -> Run:
    if not scheduling.run_pause(run=run, paused_by=Run.PausedBy.USER, reason=reason):
        raise ValidationError(_("Only a queued or running run can be paused."), code="not_active")
    return run


def run_resume(*, run: Run) -> Run:
    if not scheduling.run_resume(run=run):
        raise ValidationError(_("Only a paused run can be resumed."), code="not_paused")
    return run


def run_cancel(*, run: Run) -> Run:
    if not scheduling.run_cancel(run=run):
        raise ValidationError(_("This run has already ended."), code="finished")
    return run


def runs_reconcile() -> dict[str, int]:
    return scheduling.runs_reconcile()
