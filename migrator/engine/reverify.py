""" "Verify again" on a finished run: every record the run wrote is read back from the
target, compared with its source record as the target should hold it, repaired once where
it differs (the target's ``update()`` writes the parts it lacks; it never writes a part
twice), and its report row updated.

Crash safety: each row gets ``checked_at`` when it is done, in small transactions; a
restarted verification (the task delivered again after a worker died, or the user's
button once the heartbeat went stale) goes on with the rows not checked since it started.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connectors.base import Source, Target
from connectors.errors import ConnectorError
from connectors.messages import JOINED, Message, joined
from connectors.schema import Entity, Record
from connectors.sentences import end_sentence
from migrator.engine import plan, reasons
from migrator.engine.attachments import AttachmentGate, AttachmentProblem, without_attachment
from migrator.engine.connectors import migration_connectors
from migrator.engine.locks import records_locked
from migrator.engine.transform import RecordSkipped, References, Transformer
from migrator.engine.verify import STILL_DIFFERS, VERIFIED_ENTITIES, Verdict, Verifier
from migrator.models import Run
from reports.models import ATTACHMENTS, RunRecord
from reports.services import reason_columns

logger = logging.getLogger(__name__)

#: Rows read back between two commits of their outcome (and of the heartbeat).
CHUNK = 20


def reverify_is_stale(run: Run) -> bool:
    """A verification marked running whose worker stopped beating (it may be restarted)."""
    if run.reverify_status != Run.ReverifyStatus.RUNNING:
        return False
    beat = run.reverify_heartbeat_at or run.reverify_started_at
    stale = timedelta(seconds=settings.MIGRATOR_STALE_SECONDS)
    return beat is None or timezone.now() - beat > stale


def rows_to_check(run: Run):
    """The run's rows of records on the target not checked since this verification began."""
    rows = RunRecord.objects.filter(
        run_id=run.pk, entity__in=[entity.value for entity in VERIFIED_ENTITIES]
    ).exclude(target_id="")
    rows = rows.filter(
        Q(outcome=RunRecord.Outcome.MIGRATED)
        | Q(outcome=RunRecord.Outcome.FAILED, verification=RunRecord.Verification.DIFFERS)
    )
    started = run.reverify_started_at
    if started is not None:
        rows = rows.filter(Q(checked_at__isnull=True) | Q(checked_at__lt=started))
    return rows


def run_reverify(*, run_id: int, repair: bool = True) -> None:
    """Read back every record of the run that is on the target; see the module's doc."""
    run = Run.objects.select_related("migration").filter(pk=run_id).first()
    if run is None or run.reverify_status != Run.ReverifyStatus.RUNNING:
        return  # deleted since, or already done by another delivery of the task
    try:
        with migration_connectors(run.migration) as (source, target):
            checker = _Checker(run=run, source=source, target=target, repair=repair)
            for entity in Entity:
                if entity in VERIFIED_ENTITIES:
                    checker.entity_check(entity)
    except ConnectorError as error:
        logger.info("verification of %s stopped: %s", run, error)
        Run.objects.filter(pk=run.pk).update(
            reverify_status=Run.ReverifyStatus.FAILED,
            reverify_error=(
                f"The verification stopped: {end_sentence(error.user_message)} Try it again later."
            ),
            reverify_finished_at=timezone.now(),
        )
        return
    Run.objects.filter(pk=run.pk).update(
        reverify_status=Run.ReverifyStatus.DONE, reverify_finished_at=timezone.now()
    )


class _Checker:
    def __init__(self, *, run: Run, source: Source, target: Target, repair: bool) -> None:
        self.run = run
        self.source = source
        self.target = target
        self.repair = repair
        migration = run.migration
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
        self.gate = AttachmentGate(source=source, transformer=self.transformer)
        self.verifier = Verifier(source=source, target=target, source_file=self.gate.digest)

    def entity_check(self, entity: Entity) -> None:
        while True:
            waiting = rows_to_check(self.run).filter(entity=entity.value).order_by("id")
            source_ids = list(waiting.values_list("source_id", flat=True)[:CHUNK])
            if not source_ids:
                return
            # The records' locks, as a batch writing them takes them: a run of the same
            # migration, or a second verification, never repairs them at the same time.
            with records_locked(
                migration_id=self.run.migration_id,
                namespace=self.run.namespace,
                entity=entity,
                source_ids=source_ids,
            ):
                self._chunk_check(entity, list(waiting.filter(source_id__in=source_ids)))

    def _chunk_check(self, entity: Entity, rows: list[RunRecord]) -> None:
        records = {
            record.source_id: record
            for record in plan.records_by_ids(self.source, entity, [row.source_id for row in rows])
        }
        calls_before = self.verifier.calls
        repaired = 0
        for row in rows:
            verdict = self._check(entity, row, records.get(row.source_id))
            repaired += verdict.repaired and not verdict.differs
            _row_update(row, verdict)
        with transaction.atomic():
            for row in rows:
                row.save(
                    update_fields=[
                        "outcome",
                        "reason",
                        "reason_key",
                        "reason_params",
                        "verification",
                        "differences",
                        "checked_at",
                    ]
                )
            Run.objects.filter(pk=self.run.pk).update(
                reverify_heartbeat_at=timezone.now(),
                reverify_calls=F("reverify_calls") + (self.verifier.calls - calls_before),
                reverify_repaired=F("reverify_repaired") + repaired,
            )

    def _check(self, entity: Entity, row: RunRecord, record: Record | None) -> Verdict:
        if record is None:
            return Verdict(
                status=RunRecord.Verification.NOT_CHECKED,
                differences=("it no longer exists on the source: not checked",),
            )
        try:
            prepared = self.transformer.prepare(record)
        except RecordSkipped as skipped:
            return Verdict(
                status=RunRecord.Verification.NOT_CHECKED,
                differences=(f"not checked: {skipped.reason}",),
            )
        # Attachments the run left out with a reason are not expected on the target.
        left_out = RunRecord.objects.filter(
            run_id=self.run.pk,
            entity=ATTACHMENTS,
            parent_source_id=f"{entity.value}/{record.source_id}",
        ).values_list("source_id", flat=True)
        for attachment_id in left_out:
            prepared.record = without_attachment(prepared.record, attachment_id)

        def repair() -> None:
            for _drop in range(50):
                try:
                    self.target.update(
                        entity, row.target_id, prepared.record, attachments=self.gate
                    )
                    return
                except AttachmentProblem as problem:
                    prepared.record = without_attachment(
                        prepared.record, problem.attachment.source_id
                    )

        return self.verifier.check(
            entity,
            row.target_id,
            lambda: prepared.record,
            repair=repair if self.repair else None,
        )


def _row_update(row: RunRecord, verdict: Verdict) -> None:
    """The report row after a verification: a record that differs is failed (with what
    differs), one that was failed only for differing and is now whole is migrated."""
    notes = _notes_of(row)
    row.checked_at = timezone.now()
    row.verification = verdict.status
    row.differences = verdict.text[:4000]
    if verdict.differs:
        row.outcome = RunRecord.Outcome.FAILED
        differs = Message(reasons.STILL_DIFFERS, {"differences": verdict.text})
        _reason_set(row, joined([differs, *notes]))
    elif verdict.status == RunRecord.Verification.VERIFIED:
        row.outcome = RunRecord.Outcome.MIGRATED
        _reason_set(row, joined(notes) if notes else "")


def _notes_of(row: RunRecord) -> list[Message | str]:
    """The row's notes, without what an earlier verification said differed."""
    message = (
        Message.from_json({"key": row.reason_key, "params": row.reason_params})
        if row.reason_key
        else None
    )
    if message is None:  # a row kept before reasons had message ids
        text = row.reason.removeprefix(f"{STILL_DIFFERS}: {end_sentence(row.differences)}").strip()
        return [text] if text else []
    parts = list(message.params.get("parts") or []) if message.key == JOINED else [message]
    return [
        part
        for part in parts
        if part and not (isinstance(part, Message) and part.key == reasons.STILL_DIFFERS)
    ]


def _reason_set(row: RunRecord, reason: Message | str) -> None:
    for name, value in reason_columns(reason).items():
        setattr(row, name, value)
