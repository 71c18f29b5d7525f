"""Verification of skipped and failed records (a support plan feature): each record a
finished run skipped or failed is read again on the source and looked for on the target
by its marker, and its report row says what was found:

- fine now: the target holds it (a later run, or a retry, wrote it);
- still missing: the source no longer has it, or it still cannot be written (the reason);
- migratable again: the source has it, nothing stops it now: a re-migration moves it.

Nothing is written on either side. The rows to check are marked ``pending`` by
``migrator.services.run_recheck_start``; a task delivered twice, or started again, only
checks the rows still pending.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from connectors.base import Source, Target, source_marker
from connectors.errors import ConnectorError
from connectors.schema import Entity, Record
from migrator.engine import plan
from migrator.engine.connectors import migration_connectors
from migrator.engine.transform import RecordSkipped, References, Transformer
from migrator.models import Run
from reports.models import RunRecord

logger = logging.getLogger(__name__)

#: Rows checked between two commits of their verdicts.
CHUNK = 20

#: A verdict's note holds its particulars only (the target's id, the reason it still
#: cannot be migrated, the platform's error): the page words it in the reader's language
#: (``wizard.after_run_pages.recheck_sentence``). "Still missing" without a note: it no
#: longer exists on the source.

RECHECKED = (RunRecord.Outcome.SKIPPED, RunRecord.Outcome.FAILED)


def rows_to_recheck(run: Run):
    """The records (attachments left out apart) the run skipped or failed."""
    return RunRecord.objects.filter(
        run_id=run.pk,
        entity__in=[entity.value for entity in Entity],
        outcome__in=RECHECKED,
    )


def run_recheck(*, run_id: int) -> None:
    """Check every pending row of the run; see the module's doc."""
    run = Run.objects.select_related("migration").filter(pk=run_id).first()
    if run is None:
        return
    pending = rows_to_recheck(run).filter(recheck=RunRecord.Recheck.PENDING)
    if not pending.exists():
        return
    try:
        with migration_connectors(run.migration) as (source, target):
            checker = _Checker(run=run, source=source, target=target)
            for entity in Entity:
                checker.entity_check(entity)
    except ConnectorError as error:
        logger.info("re-check of %s stopped: %s", run, error)
        pending.update(
            recheck=RunRecord.Recheck.NOT_CHECKED,
            recheck_note=error.user_message,
            rechecked_at=timezone.now(),
        )


class _Checker:
    def __init__(self, *, run: Run, source: Source, target: Target) -> None:
        self.run = run
        self.source = source
        self.target = target
        migration = run.migration
        self.prefix = migration.configured_options().marker_prefix
        matches = migration.configured_matches()
        self.transformer = Transformer(
            facts=plan.pair_facts(run=run, source=source, target=target),
            references=References(
                migration_id=migration.pk, namespace=run.namespace, matches=matches
            ),
            filters=migration.configured_filters(),
            matches=matches,
            mappings=migration.configured_mappings(),
            options=migration.configured_options(),
        )

    def entity_check(self, entity: Entity) -> None:
        while True:
            rows = list(
                rows_to_recheck(self.run)
                .filter(entity=entity.value, recheck=RunRecord.Recheck.PENDING)
                .order_by("id")[:CHUNK]
            )
            if not rows:
                return
            records = {
                record.source_id: record
                for record in plan.records_by_ids(
                    self.source, entity, [row.source_id for row in rows]
                )
            }
            now = timezone.now()
            for row in rows:
                row.recheck, row.recheck_note = self._check(entity, records.get(row.source_id))
                row.rechecked_at = now
            with transaction.atomic():
                for row in rows:
                    row.save(update_fields=["recheck", "recheck_note", "rechecked_at"])

    def _check(self, entity: Entity, record: Record | None) -> tuple[str, str]:
        if record is None:
            return RunRecord.Recheck.MISSING, ""
        skipped = ""
        try:
            looked_up = self.transformer.prepare(record).record
        except RecordSkipped as error:
            skipped = str(error.reason)
            looked_up = record
        marker = source_marker(
            migration_id=self.run.migration_id,
            entity=entity,
            source_id=record.source_id,
            prefix=self.prefix,
        )
        try:
            found = self.target.find_by_marker(entity, marker, record=looked_up)
        except ConnectorError as error:
            return RunRecord.Recheck.NOT_CHECKED, error.user_message
        if found:
            return RunRecord.Recheck.FINE, str(found)
        if skipped:
            return RunRecord.Recheck.MISSING, skipped
        return RunRecord.Recheck.MIGRATABLE, ""
