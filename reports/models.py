"""What happened to each source record in a run."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: RunRecord.entity of an attachment left out of a record that was itself migrated.
ATTACHMENTS = "attachments"


class RunRecord(models.Model):
    """One source record's outcome in one run, with a reason a user can read.

    Unique per run, entity and source id: a batch that runs again after a crash updates
    the row instead of adding a second one, so every source record appears once.
    """

    class Outcome(models.TextChoices):
        MIGRATED = "migrated", _("Migrated")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")
        #: A demo's record removed from the target (by a removal of the demo's records).
        REMOVED = "removed", _("Removed")

    class Verification(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        DIFFERS = "differs", _("Differs")
        NOT_CHECKED = "", _("Not checked")

    run = models.ForeignKey("migrator.Run", on_delete=models.CASCADE, related_name="records")
    #: A ``connectors.schema.Entity`` value, or :data:`ATTACHMENTS`.
    entity = models.CharField(max_length=40)
    source_id = models.CharField(max_length=255)
    target_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    #: Why it was skipped or failed, or what changed on the way (a note on a migrated one).
    reason = models.TextField(blank=True)
    #: The platform's own words and other particulars, for support staff.
    detail = models.TextField(blank=True)
    #: What reading the record back from the target found (migrated records only).
    verification = models.CharField(max_length=10, choices=Verification.choices, blank=True)
    #: What differs on the target, when it does.
    differences = models.TextField(blank=True)
    #: When the record was last read back ("Verify again" goes on after this moment).
    checked_at = models.DateTimeField(null=True, blank=True)
    #: For an attachment: the ticket or article it belongs to.
    parent_source_id = models.CharField(max_length=255, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "entity", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "entity", "source_id"], name="run_record_unique_source"
            ),
        ]
        indexes = [
            models.Index(fields=["run", "outcome", "entity"], name="run_record_outcome"),
            models.Index(fields=["run", "recorded_at"], name="run_record_time"),
            # A page of a run's records, in the order the reports list them (all of them,
            # or one outcome's), read from the index instead of sorting the whole run.
            models.Index(fields=["run", "entity", "id"], name="run_record_page"),
            models.Index(fields=["run", "outcome", "entity", "id"], name="run_record_outcome_page"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.source_id}: {self.outcome}"
