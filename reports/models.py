"""What happened to each source record in a run."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from connectors.schema import Entity

#: RunRecord.entity of an attachment left out of a record that was itself migrated.
ATTACHMENTS = "attachments"


def flow_order() -> models.Case:
    """An entity's place in the order runs move them (``Entity``'s dependency order);
    left-out attachments come last. The same expression as the indexes', so that a page
    of records is read from an index instead of sorting the whole run."""
    return models.Case(
        *(
            models.When(entity=entity.value, then=models.Value(position))
            for position, entity in enumerate(Entity)
        ),
        default=models.Value(len(Entity)),
        output_field=models.IntegerField(),
    )


#: How report rows are listed: by entity in the flow's order, then by source id, numeric
#: ids in numeric order (a shorter number is a smaller one).
SOURCE_ORDER = (Length("source_id"), "source_id", "id")


def _source_order() -> list[models.Expression]:
    return [Length("source_id"), models.F("source_id"), models.F("id")]


class RunRecord(models.Model):
    """One source record's outcome in one run, with a reason a user can read.

    Unique per run, entity and source id: a batch that runs again after a crash updates
    the row instead of adding a second one, so every source record appears once.
    """

    class Outcome(models.TextChoices):
        MIGRATED = "migrated", pgettext_lazy("outcome of a record", "Migrated")
        #: Found already on the target (an agent or group with the same e-mail address or
        #: name, or the one chosen in the matching step) and not written: not migrated.
        MATCHED = "matched", pgettext_lazy("outcome of a record", "Matched")
        SKIPPED = "skipped", pgettext_lazy("outcome of a record", "Skipped")
        FAILED = "failed", pgettext_lazy("outcome of a record", "Failed")
        #: A demo's record removed from the target (by a removal of the demo's records).
        REMOVED = "removed", pgettext_lazy("outcome of a record", "Removed")

    class Recheck(models.TextChoices):
        """What checking a skipped or failed record again on both sides found."""

        NOT_CHECKED = "", _("Not checked again")
        PENDING = "pending", _("Being checked")
        FINE = "fine", _("Fine now")
        MISSING = "missing", _("Still missing")
        MIGRATABLE = "migratable", _("Migratable again")

    class Verification(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        DIFFERS = "differs", _("Differs")
        NOT_CHECKED = "", _("Not checked")

    run = models.ForeignKey("migrator.Run", on_delete=models.CASCADE, related_name="records")
    #: A ``connectors.schema.Entity`` value, or :data:`ATTACHMENTS`.
    entity = models.CharField(max_length=40)
    source_id = models.CharField(max_length=255)
    #: What a person calls the record (ticket subject, article title, name), as the source
    #: gave it; empty when unknown (rows of older runs, a record gone from the source).
    title = models.CharField(max_length=255, blank=True, default="")
    target_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    #: Why it was skipped or failed, or what changed on the way (a note on a migrated one).
    reason = models.TextField(blank=True)
    #: ``reason`` as a message id and its parameters (see ``connectors.messages``), shown
    #: in the reader's language; empty on rows written before reasons were kept so.
    reason_key = models.TextField(blank=True, default="")
    reason_params = models.JSONField(blank=True, default=dict)
    #: The platform's own words and other particulars, for support staff.
    detail = models.TextField(blank=True)
    #: What reading the record back from the target found (migrated records only).
    verification = models.CharField(max_length=10, choices=Verification.choices, blank=True)
    #: What differs on the target, when it does.
    differences = models.TextField(blank=True)
    #: When the record was last read back ("Verify again" goes on after this moment).
    checked_at = models.DateTimeField(null=True, blank=True)
    #: Skipped and failed records checked again on the source and the target (a plan
    #: feature): what was found, its particulars (the target's id, the reason it still
    #: cannot be migrated, the platform's error; the page words them), and when.
    recheck = models.CharField(max_length=10, choices=Recheck.choices, blank=True)
    recheck_note = models.TextField(blank=True)
    rechecked_at = models.DateTimeField(null=True, blank=True)
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
            # The records list: every entity in the flow's order, or one entity.
            models.Index(
                models.F("run"), flow_order(), *_source_order(), name="run_record_flow_page"
            ),
            models.Index(
                models.F("run"), models.F("entity"), *_source_order(), name="run_record_entity_page"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.source_id}: {self.outcome}"
