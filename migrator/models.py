"""The core domain: who migrates, and their migrations."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from connectors.messages import Message
from connectors.schema import Entity
from migrator import configuration


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their work e-mail."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the user can sign in to the administration site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Connection(models.Model):
    """A help desk account a user connected, with its credentials encrypted at rest.

    The credentials are written once by :func:`migrator.services.connection_create` and
    only decrypted by the engine when it builds a connector; they are never shown back.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="connections",
        verbose_name=_("owner"),
    )
    platform = models.CharField(_("platform"), max_length=40)
    encrypted_credentials = models.TextField(editable=False)
    account_name = models.CharField(_("account"), max_length=200)
    account_url = models.CharField(_("address"), max_length=500, blank=True)
    user_email = models.CharField(max_length=254, blank=True)
    #: Requests per minute the account's plan allows, when it differs from the platform's
    #: usual plan (None: the connector's default; 0: no limit, e.g. a local emulator).
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    #: The limit the platform's own rate-limit headers announced, requests a minute, and
    #: when: what the estimate uses when the user entered none.
    rate_limit_learned = models.PositiveIntegerField(null=True, blank=True)
    rate_limit_learned_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        """ "Acme on Zendesk": the account and the platform's own name, never its key."""
        platform = self.platform_name
        if platform.casefold() in self.account_name.casefold():
            return self.account_name
        return gettext("%(account)s on %(platform)s") % {
            "account": self.account_name,
            "platform": platform,
        }

    def __repr__(self) -> str:
        return f"<Connection {self.pk} {self.platform} {self.account_name!r}>"

    @property
    def platform_name(self) -> str:
        from connectors.registry import UnknownConnectorError, registry

        try:
            return registry.get(self.platform).display_name
        except UnknownConnectorError:
            return self.platform


class Migration(models.Model):
    """One move of a help desk's data from a source to a target, named by its owner."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Setting up")
        DEMO = "demo", _("Demo")
        RUNNING = "running", _("Migrating")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="owned_migrations",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    #: Set when the migration became read-only, its credentials erased (reports kept).
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    # What the wizard's steps save. Each JSON part is validated by its pydantic model in
    # migrator.configuration (read them through the ``configured_*`` methods).
    source = models.ForeignKey(
        Connection, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target = models.ForeignKey(
        Connection, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: The inbox, channel or mailbox of the target the migration writes to, if it needs one.
    target_scope_id = models.CharField(max_length=255, blank=True)
    target_scope_name = models.CharField(max_length=255, blank=True)
    #: Values of ``connectors.schema.Entity`` the user selected.
    entities = models.JSONField(default=list, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    matches = models.JSONField(default=dict, blank=True)
    field_mappings = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("migration")
        verbose_name_plural = _("migrations")

    def __str__(self) -> str:
        return self.name

    def selected_entities(self) -> list[Entity]:
        return Entity.in_dependency_order(Entity(value) for value in self.entities or [])

    def configured_filters(self) -> configuration.Filters:
        return configuration.Filters.model_validate(self.filters or {})

    def configured_matches(self) -> configuration.Matches:
        return configuration.Matches.model_validate(self.matches or {})

    def configured_mappings(self) -> configuration.FieldMappings:
        return configuration.FieldMappings.model_validate(self.field_mappings or {})

    def configured_options(self) -> configuration.Options:
        return configuration.Options.model_validate(self.options or {})


class Run(models.Model):
    """One execution of a migration: a demo, the full run, a delta or a re-migration."""

    class Kind(models.TextChoices):
        DEMO = "demo", _("Demo")
        FULL = "full", _("Full migration")
        DELTA = "delta", _("Delta migration")
        REMIGRATION = "remigration", _("Re-migration")
        ROLLBACK = "rollback", _("Demo records removal")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class ReverifyStatus(models.TextChoices):
        RUNNING = "running", _("in progress")
        DONE = "done", _("done")
        FAILED = "failed", _("stopped")

    class PausedBy(models.TextChoices):
        USER = "user", _("You")
        SYSTEM = "system", _("An error")
        SCHEDULE = "schedule", _("The schedule")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING, Status.PAUSED)
    #: Runs that leave the migration's status alone: they come before the migration proper.
    PRELIMINARY_KINDS = (Kind.DEMO, Kind.ROLLBACK)

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: Start no earlier than this (None: as soon as a worker takes it).
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.CharField(max_length=20, choices=PausedBy.choices, blank=True)
    #: Why the run paused or failed, in words a user can act on.
    pause_reason = models.TextField(blank=True)
    #: The same reason as a message id and its parameters, shown in the reader's language
    #: (empty for a reason a person typed, and for runs kept before).
    pause_reason_message = models.JSONField(blank=True, default=dict)
    #: Interval migration: ``migrator.configuration.Window`` dicts; empty runs any time.
    windows = models.JSONField(default=list, blank=True)
    #: Delta runs read records updated at or after this time.
    updated_since = models.DateTimeField(null=True, blank=True)
    #: A run to start once this one completed: a removal of the demo's records that the
    #: full run waits on holds ``{"kind": "full", "windows": [...]}``.
    follow_up = models.JSONField(default=dict, blank=True)
    #: What the planning step found: the field schemas of both sides, the demo selection.
    plan = models.JSONField(default=dict, blank=True)
    #: The failure ratio that pauses a run counts the records written since this moment
    #: (the start, or the last resume after the user fixed what made it pause).
    failures_counted_since = models.DateTimeField(null=True, blank=True)
    #: "Verify again" on a finished run: every migrated record read back, repaired where it
    #: differs. Rows checked since ``reverify_started_at`` are done (a restart skips them).
    reverify_status = models.CharField(max_length=10, choices=ReverifyStatus.choices, blank=True)
    reverify_started_at = models.DateTimeField(null=True, blank=True)
    reverify_heartbeat_at = models.DateTimeField(null=True, blank=True)
    reverify_finished_at = models.DateTimeField(null=True, blank=True)
    reverify_calls = models.PositiveIntegerField(default=0)
    reverify_repaired = models.PositiveIntegerField(default=0)
    reverify_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_for"], name="run_status_scheduled")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} of {self.migration}"

    @property
    def namespace(self) -> str:
        """Every run shares the migration's record map: the demo's records are the
        migration's records, and a later run updates them instead of creating copies."""
        return RecordMap.Namespace.MAIN

    @property
    def is_preliminary(self) -> bool:
        return self.kind in self.PRELIMINARY_KINDS

    @property
    def pause_reason_shown(self) -> str:
        """Why the run paused or failed, in the active language."""
        message = Message.from_json(self.pause_reason_message)
        return message.render(translate=True) if message is not None else self.pause_reason

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED, self.Status.CANCELLED)

    def configured_windows(self) -> list[configuration.Window]:
        return [configuration.Window.model_validate(window) for window in self.windows or []]


class RunEntity(models.Model):
    """One entity of a run: how many records are available, where reading stands."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="entities")
    entity = models.CharField(max_length=40)
    #: Position in dependency order; entities run one after the other.
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    #: Records the source counted (or the demo selected) when the run was planned.
    available = models.PositiveIntegerField(default=0)
    #: The demo's selection, read by id instead of through a cursor.
    selected_ids = models.JSONField(null=True, blank=True)
    #: Every page has been read (the last batch of the cursor chain exists).
    read_complete = models.BooleanField(default=False)
    #: The cursor after the last page read, as committed with its batch.
    cursor = models.TextField(blank=True)
    #: Records read but left out by the migration's filters.
    filtered_out = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "entity"], name="run_entity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} of run {self.run_id}"


class RunBatch(models.Model):
    """A page of records of one entity: the unit a worker claims, and of crash safety.

    A worker claims a batch with a conditional UPDATE, keeps ``heartbeat_at`` fresh while
    it works, reads the page after ``cursor_in``, commits the page's ids, ``cursor_out``
    and the next batch together, then writes the records. A batch whose heartbeat went
    stale is claimed again by the reconciler's re-enqueue; its page is then read again
    by ids, and the record map makes the writes idempotent.
    """

    class Kind(models.TextChoices):
        PLAN = "plan", "plan"
        RECORDS = "records", "records"

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        CLAIMED = "claimed", "claimed"
        DONE = "done", "done"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="batches")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.RECORDS)
    #: Empty for the planning batch.
    entity = models.CharField(max_length=40, blank=True)
    sequence = models.PositiveIntegerField()
    cursor_in = models.TextField(blank=True)
    cursor_out = models.TextField(blank=True)
    #: The page's source ids once read (None: not read yet); re-read by id after a crash.
    source_ids = models.JSONField(null=True, blank=True)
    #: The source said no page follows this one.
    is_last = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claimed_by = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    #: Do not run before (after a retryable failure, a backoff).
    not_before = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    migrated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    source_calls = models.PositiveIntegerField(default=0)
    target_calls = models.PositiveIntegerField(default=0)
    #: Calls spent reading written records back (and source files hashed again).
    verification_calls = models.PositiveIntegerField(default=0)
    #: Answers 429 (rate limited) both platforms gave this batch.
    rate_limited = models.PositiveIntegerField(default=0)
    #: Given back to wait for a platform's rate limit: which side's ("source", "target"),
    #: until ``not_before``; empty otherwise.
    waiting_on = models.CharField(max_length=10, blank=True)
    #: Seconds the batch kept its process working (waits for a rate budget left out):
    #: with its calls, how long one process takes per request of the run.
    busy_seconds = models.FloatField(default=0.0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "entity", "sequence"], name="run_batch_sequence_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="run_batch_status_heartbeat"),
            models.Index(fields=["run", "entity", "status"], name="run_batch_entity_status"),
        ]

    def __str__(self) -> str:
        return f"batch {self.entity or self.kind}#{self.sequence} of run {self.run_id}"


class RecordMap(models.Model):
    """Which target record a source record became, per migration and namespace.

    A ``pending`` row is committed before the target is asked to create the record and
    becomes ``done`` with the target id after: a pending row found later means the create
    may have happened, and the target is asked for the record's marker before creating it
    again.

    Every run writes the ``main`` namespace. ``demo`` rows come from installations where
    demos kept a map of their own: they are moved to ``main`` by a data migration unless a
    main row already holds the same source record, and are then only there to be removed.
    """

    class Namespace(models.TextChoices):
        MAIN = "main", "main"
        DEMO = "demo", "demo"

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        DONE = "done", "done"

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="record_maps")
    namespace = models.CharField(max_length=10, choices=Namespace.choices)
    entity = models.CharField(max_length=40)
    source_id = models.CharField(max_length=255)
    target_id = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    #: The source record's ``updated_at`` when it was last written (delta decides on it).
    source_updated_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    #: The migration created the target record. False: it was the target's already (an
    #: agent or contact found by its e-mail address, a group by its name): never removed.
    created_on_target = models.BooleanField(default=False)
    #: The kind of run that created it (a demo's records may be removed before the full run).
    created_by_kind = models.CharField(max_length=20, blank=True)
    #: A pending record sent in a bulk request: ``<job id>/<index in the request>``, kept
    #: as soon as the target answered, so that a batch cut short reads the job's result
    #: for it instead of creating it again.
    bulk_job = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["migration", "created_by_kind", "created_on_target"],
                name="record_map_created_by",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["migration", "namespace", "entity", "source_id"],
                name="record_map_unique_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.source_id} -> {self.target_id or '?'} ({self.state})"


# --------------------------------------------------------------------------- sharing


class Membership(models.Model):
    """A teammate's access to a migration; the owner's own access comes from ``owner``."""

    class Role(models.TextChoices):
        FULL = "full", _("Full access")
        RESTRICTED = "restricted", _("Restricted access")

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["migration", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.migration} ({self.role})"


class Invitation(models.Model):
    """An e-mailed invitation; its link carries a signed, expiring token of its id."""

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.migration}"

    def is_open(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class SupportGrant(models.Model):
    """The owner lets support staff inspect and resume the migration's runs until expiry."""

    migration = models.ForeignKey(
        Migration, on_delete=models.CASCADE, related_name="support_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"support access to {self.migration} until {self.expires_at:%Y-%m-%d %H:%M}"

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class SupportNote(models.Model):
    """What support staff tell the customer about a run; shown on the run's page."""

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="support_notes")
    run = models.ForeignKey(
        Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="support_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"support note on {self.migration}"


class AuditEvent(models.Model):
    """Who did what to a migration, and when."""

    class Action(models.TextChoices):
        CONNECTED = "connected", _("connected a help desk")
        CONFIGURED = "configured", _("saved a step")
        MATCHING_SAVED = "matching_saved", _("saved the agent matching")
        MAPPING_SAVED = "mapping_saved", _("saved the field mapping")
        DEMO_STARTED = "demo_started", _("started a demo")
        RUN_STARTED = "run_started", _("started a run")
        RUN_PAUSED = "run_paused", _("paused a run")
        RUN_RESUMED = "run_resumed", _("resumed a run")
        RUN_CANCELLED = "run_cancelled", _("cancelled a run")
        RUN_REVERIFIED = "run_reverified", _("started verifying a run again")
        RUN_RECHECKED = "run_rechecked", _("started checking a run's skipped and failed records")
        DEMO_ROLLBACK = "demo_rollback", _("removed the demo's records from the target")
        PAID = "paid", _("paid")
        INVITED = "invited", _("invited a teammate")
        INVITATION_ACCEPTED = "invitation_accepted", _("accepted an invitation")
        ACCESS_REVOKED = "access_revoked", _("revoked access")
        SUPPORT_GRANTED = "support_granted", _("granted support access")
        SUPPORT_REVOKED = "support_revoked", _("revoked support access")
        SUPPORT_VIEWED = "support_viewed", _("viewed as support")
        SUPPORT_NOTE = "support_note", _("left a support note")
        ARCHIVED = "archived", _("archived the migration")

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    #: A short, non-secret description (an e-mail invited, a run's kind and number).
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor or 'system'} {self.action} on {self.migration}"
