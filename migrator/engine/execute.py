"""One batch: read a page of the source, transform each record, write it with its marker,
and report what happened to it.

Idempotency: before the target is asked to create a record, a pending record-map row is
committed; after, it gets the target id. A pending row found later (a crash, an answer
lost on the way) is resolved by asking the target for the record's marker before
creating it again. Concurrent writers of the same source record are serialised by a
PostgreSQL advisory lock that dies with its connection.

Errors: a record the target refuses is reported failed and the batch goes on; retryable
errors are tried again (in the batch, then by giving the batch back for later) and never
reported as failures; systemic errors that can be fixed outside the run (credentials
refused, a target down past every retry, too many failures) pause the run with their
reason, and resuming goes on where it stopped. A run fails, for good, when no resume could
help: the configuration is impossible for the pair (an entity one side cannot read or
write, a target scope never chosen), or a connection was removed or its credentials can no
longer be decrypted; the user changes the migration and starts a new run.

Bookkeeping per page: the page's records are locked together, their pending record-map
rows committed in one statement, and what they became written every few records in one
transaction.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pydantic
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from connectors.base import Source, Target, source_marker
from connectors.errors import ConnectorError, NotFoundError, RateLimitedError
from connectors.messages import Message, joined, message_of
from connectors.schema import Agent, Attachment, Entity, Group, Record
from migrator.configuration import CREATE_ON_TARGET
from migrator.engine import (
    bulk,
    failures,
    fairness,
    infrastructure,
    plan,
    reasons,
    rollback,
    scheduling,
    verify,
)
from migrator.engine.attachments import (
    AttachmentGate,
    AttachmentProblem,
    has_attachments,
    without_attachment,
)
from migrator.engine.connectors import learned_limits_keep, migration_connectors
from migrator.engine.failures import (
    Interrupted,
    RetryLater,
    SystemicFailure,
)
from migrator.engine.faults import crash_point
from migrator.engine.infrastructure import InfrastructureFault
from migrator.engine.locks import records_locked
from migrator.engine.stopping import stop_gives_batch_back, stop_requested
from migrator.engine.transform import (
    DroppedAttachment,
    Prepared,
    RecordSkipped,
    References,
    RequesterMissing,
    Transformer,
    format_bytes,
)
from migrator.models import RecordMap, Run, RunBatch
from reports.models import ATTACHMENTS, RunRecord
from reports.services import reason_columns, run_records_save
from reports.titles import record_title

logger = logging.getLogger(__name__)

#: Tries of one record within a batch before the batch is given back for later.
RECORD_ATTEMPTS = 4
#: Records a run must have before its failure ratio may pause it.
FAILURE_RATIO_MINIMUM = 20
#: Matched, never created blindly, never changed by a later run.
MATCHED_ENTITIES = frozenset({Entity.AGENTS, Entity.GROUPS})
#: Found on the target by the migration's own marker only (never by a name or an e-mail
#: address the account's own records may share): one found was created by the migration.
MARKED_ENTITIES = frozenset({Entity.TICKETS, Entity.ARTICLES})
#: What records became is written once this many are done, or after a record once
#: FLUSH_SECONDS passed since the last write: at a platform's pace (a record takes
#: seconds) each record shows on its own; without a limit, one transaction serves several
#: (README, "Requests a ticket, estimates and progress", for the cost measured).
FLUSH_EVERY = 10
FLUSH_SECONDS = 0.5
#: How often a batch checks that its run was not paused or cancelled.
STATUS_CHECK_SECONDS = 1.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- the task


def batch_execute(*, batch_id: int, worker: str | None = None) -> None:
    """Claim a batch and work it through; what cannot finish now is given back."""
    worker = worker or worker_name()
    batch = scheduling.batch_claim(batch_id=batch_id, worker=worker)
    if batch is None:
        return
    run = batch.run
    with (
        stop_gives_batch_back(),
        scheduling.Heartbeat(batch=batch, worker=worker) as heartbeat,
        failures.batch_ends_handled(batch=batch, worker=worker),
        migration_connectors(run.migration) as (source, target),
    ):
        try:
            with failures.budget_waits_given_back(source=source, target=target):
                if run.kind == Run.Kind.ROLLBACK:
                    rollback.rollback_batch(
                        batch=batch, worker=worker, target=target, heartbeat=heartbeat
                    )
                elif batch.kind == RunBatch.Kind.PLAN:
                    plan.plan_run(run=run, source=source, target=target)
                    scheduling.batch_finish(batch=batch, worker=worker)
                else:
                    BatchWork(
                        batch=batch,
                        worker=worker,
                        source=source,
                        target=target,
                        heartbeat=heartbeat,
                    ).run()
        finally:
            learned_limits_keep(migration=run.migration, source=source, target=target)


# --------------------------------------------------------------------------- the work


@dataclass
class Tally:
    migrated: int = 0
    matched: int = 0
    skipped: int = 0
    failed: int = 0


class BatchWork:
    """The records of one claimed batch, from reading to reporting."""

    def __init__(
        self,
        *,
        batch: RunBatch,
        worker: str,
        source: Source,
        target: Target,
        heartbeat: scheduling.Heartbeat,
    ) -> None:
        self.batch = batch
        self.worker = worker
        self.source = source
        self.target = target
        self.heartbeat = heartbeat
        self.run_obj = batch.run
        self.migration = self.run_obj.migration
        self.entity = Entity(batch.entity)
        self.namespace = self.run_obj.namespace
        # One marker for every run of the migration: a demo's records are the full run's.
        self.marker_scope = str(self.migration.pk)
        # A demo restarted after fixes, and a re-migration, write every record again; so
        # does the full run, taking over the demo's records with its own configuration.
        self.force_update = self.run_obj.kind in (
            Run.Kind.DEMO,
            Run.Kind.FULL,
            Run.Kind.REMIGRATION,
        )
        matches = self.migration.configured_matches()
        self.references = References(
            migration_id=self.migration.pk, namespace=self.namespace, matches=matches
        )
        self.transformer = Transformer(
            facts=plan.pair_facts(run=self.run_obj, source=source, target=target),
            references=self.references,
            filters=self.migration.configured_filters(),
            matches=matches,
            mappings=self.migration.configured_mappings(),
            options=self.migration.configured_options(),
        )
        self.gate = AttachmentGate(source=source, transformer=self.transformer)
        self.verifier = verify.Verifier(
            source=source,
            target=target,
            source_file=self.gate.digest,
            enabled=self.migration.configured_options().verify_migrated,
        )
        self.tally = Tally()
        self.busy = fairness.BusyClock()
        self._status_checked = 0.0
        #: When what records became was last written (or the batch began).
        self._flushed_at = time.monotonic()
        #: The page's record-map rows by source id (loaded under the page's locks).
        self._mappings: dict[str, RecordMap] = {}
        #: Pending rows this batch reserved and never sent to the target since.
        self._untouched: set[str] = set()
        #: Source ids this run already reported.
        self._reported: set[str] = set()
        #: What :meth:`_flush` writes: rows done, and reports by (entity, source id).
        self._done_mappings: dict[int, RecordMap] = {}
        #: Source ids of the page's records dealt with so far.
        self._processed: set[str] = set()
        self._records_out: dict[tuple[str, str], RunRecord] = {}
        #: The page's records' titles by source id, for the reports.
        self._titles: dict[str, str] = {}

    # ------------------------------------------------------------------ batch

    def run(self) -> None:
        records, vanished = self._read()
        self._titles = {record.source_id: record_title(record) for record in records}
        source_ids = [record.source_id for record in records]
        with records_locked(
            migration_id=self.migration.pk,
            namespace=self.namespace,
            entity=self.entity,
            source_ids=source_ids,
        ):
            self._reported = set(
                RunRecord.objects.filter(
                    run_id=self.run_obj.pk,
                    entity=self.entity.value,
                    source_id__in=[*source_ids, *vanished],
                ).values_list("source_id", flat=True)
            )
            for source_id in vanished:
                self._report_vanished(source_id)
            self.references.prefetch(records)
            self._mappings = {
                mapping.source_id: mapping
                for mapping in RecordMap.objects.filter(
                    migration_id=self.migration.pk,
                    namespace=self.namespace,
                    entity=self.entity.value,
                    source_id__in=source_ids,
                )
            }
            self._reserve(records)
            try:
                if (in_bulk := bulk.bulk_page(self)) is not None:
                    in_bulk.process(records)
                else:
                    for record in records:
                        self._process_one(record)
            except Exception:
                self._flush(final=True)
                raise
            self._flush(final=True)
        self._check_failure_ratio()
        source_statistics = self.source.http_statistics()
        target_statistics = self.target.http_statistics()
        scheduling.batch_finish(
            batch=self.batch,
            worker=self.worker,
            # The batch's count of records done on the target: matched ones too.
            migrated=self.tally.migrated + self.tally.matched,
            skipped=self.tally.skipped,
            failed=self.tally.failed,
            source_calls=source_statistics.total_calls - self.verifier.source_calls,
            target_calls=target_statistics.total_calls - self.verifier.target_calls,
            verification_calls=self.verifier.calls,
            rate_limited=source_statistics.rate_limited + target_statistics.rate_limited,
            busy_seconds=self.busy.seconds(),
        )

    def _process_one(self, record: Record) -> None:
        self._check_running()
        self._process_with_retries(record)
        self._mark_processed(record.source_id)

    def _mark_processed(self, source_id: str) -> None:
        self._processed.add(source_id)
        waited = time.monotonic() - self._flushed_at
        if len(self._processed) % FLUSH_EVERY == 0 or waited >= FLUSH_SECONDS:
            self._flush(final=False)

    def _read(self) -> tuple[list[Record], list[str]]:
        """The page's records, and the ids of those gone from the source since."""
        if self.batch.source_ids is None:
            page = self.source.read_page(
                self.entity,
                cursor=self.batch.cursor_in or None,
                page_size=bulk.page_size(
                    self.target, self.entity, default=settings.MIGRATOR_PAGE_SIZE
                ),
                updated_since=self.run_obj.updated_since,
            )
            records = list({record.source_id: record for record in page.records}.values())
            kept = [r for r in records if not self.transformer.excluded_by_filters(r)]
            scheduling.batch_page_commit(
                batch=self.batch,
                worker=self.worker,
                source_ids=[record.source_id for record in kept],
                cursor_out=page.next_cursor or "",
                has_more=page.has_more,
                filtered_out=len(records) - len(kept),
            )
            return kept, []
        # Read before (a crash, or a demo's selection): the same records, by id.
        ids = list(self.batch.source_ids)
        found = {
            record.source_id: record
            for record in plan.records_by_ids(self.source, self.entity, ids)
            if record.source_id in set(ids)
        }
        vanished = [source_id for source_id in ids if source_id not in found]
        return [found[source_id] for source_id in ids if source_id in found], vanished

    def _check_running(self) -> None:
        if self.heartbeat.lost.is_set():
            raise Interrupted("another worker took the batch over")
        if stop_requested.is_set():
            raise Interrupted("the worker is stopping")
        now = time.monotonic()
        if now - self._status_checked < STATUS_CHECK_SECONDS:
            return
        self._status_checked = now
        status = Run.objects.filter(pk=self.run_obj.pk).values_list("status", flat=True).first()
        if status != Run.Status.RUNNING:
            raise Interrupted(f"the run is {status}")

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, STATUS_CHECK_SECONDS))
            self._status_checked = 0.0
            self._check_running()

    def _check_failure_ratio(self) -> None:
        counts = RunRecord.objects.filter(run_id=self.run_obj.pk).exclude(entity=ATTACHMENTS)
        since = Run.objects.filter(pk=self.run_obj.pk).values_list(
            "failures_counted_since", flat=True
        )[0]
        if since is not None:
            counts = counts.filter(recorded_at__gte=since)
        totals = counts.aggregate(
            total=Count("id"), failed=Count("id", filter=Q(outcome=RunRecord.Outcome.FAILED))
        )
        total, failed = totals["total"], totals["failed"]
        threshold = settings.MIGRATOR_FAILURE_RATIO
        if total >= FAILURE_RATIO_MINIMUM and failed / total > threshold:
            raise SystemicFailure(
                Message(
                    reasons.TOO_MANY_FAILED,
                    {"failed": failed, "total": total, "threshold": f"{threshold:.0%}"},
                )
            )

    # ------------------------------------------------------------------ one record

    def _process_with_retries(self, record: Record) -> None:
        for attempt in range(RECORD_ATTEMPTS):
            try:
                self._process(record)
                return
            except RecordSkipped as skip:
                reason = skip.reason
                if isinstance(skip, RequesterMissing):
                    reason = self._requester_reason(skip.requester_id) or reason
                self._report(record.source_id, RunRecord.Outcome.SKIPPED, reason=reason)
                return
            except RateLimitedError:
                # The batch is given back with the platform's countdown; the record
                # resumes then at its first step the target has not confirmed.
                raise
            except ConnectorError as error:
                if error.systemic and not error.retryable:
                    reason = failures.systemic_reason(error)
                    raise SystemicFailure(reason, detail=error.detail) from error
                if not error.retryable:
                    self._report_failed(record, error)
                    return
                if attempt + 1 >= RECORD_ATTEMPTS:
                    raise RetryLater(
                        message_of(error),
                        delay=failures.retry_delay(error, attempt=self.batch.attempts),
                    ) from error
                logger.info("%s %s: %s; trying again", self.entity, record.source_id, error)
                self._sleep(min(30.0, failures.retry_delay(error, attempt=attempt) / 5))
            except (Interrupted, SystemicFailure, RetryLater, SoftTimeLimitExceeded):
                raise
            except InfrastructureFault:
                raise
            except pydantic.ValidationError as error:
                self._report(
                    record.source_id,
                    RunRecord.Outcome.FAILED,
                    reason=reasons.not_converted("; ".join(e["msg"] for e in error.errors()[:3])),
                    detail=str(error),
                )
                return
            except Exception as error:
                if (reason := infrastructure.fault_reason(error)) is not None:
                    raise InfrastructureFault(reason) from error
                logger.exception("%s %s failed unexpectedly", self.entity, record.source_id)
                self._report(
                    record.source_id,
                    RunRecord.Outcome.FAILED,
                    reason=reasons.unexpected(error),
                    detail=traceback.format_exc(),
                )
                return

    def _reserve(self, records: list[Record]) -> None:
        """Pending record-map rows for the page's new records, committed together before
        any of them is created (the page's records are locked: nobody else writes them)."""
        missing = [record for record in records if record.source_id not in self._mappings]
        if not missing:
            return
        with transaction.atomic():
            created = RecordMap.objects.bulk_create(
                RecordMap(
                    migration_id=self.migration.pk,
                    namespace=self.namespace,
                    entity=self.entity.value,
                    source_id=record.source_id,
                    state=RecordMap.State.PENDING,
                    run_id=self.run_obj.pk,
                )
                for record in missing
            )
        for mapping in created:
            self._mappings[mapping.source_id] = mapping
            self._untouched.add(mapping.source_id)

    def _process(self, record: Record) -> None:
        mapping = self._mappings.get(record.source_id)
        if mapping is not None and mapping.state == RecordMap.State.DONE:
            self._refresh(record, mapping)
            return
        prepared = self.transformer.prepare(record)
        marker = self._marker(record.source_id)
        if self.entity in MATCHED_ENTITIES:
            matched = self._match(record, prepared, marker)
            if matched is not None:
                target_id, note = matched
                mapping = mapping or self._pending_row(record)
                self._done(record, mapping, target_id, prepared, note=note, matched=True)
                return
        if mapping is None:
            mapping = self._pending_row(record)
        elif record.source_id not in self._untouched:
            # An earlier try may have created it, whole or in part, before its answer or
            # commit was lost: what it lacks is written now, nothing twice. Its id was kept
            # as soon as the target gave it; else the target is asked for its marker.
            found = mapping.target_id or self.target.find_by_marker(
                self.entity, marker, record=prepared.record
            )
            if found and self._resume(
                record, mapping, found, prepared, marker=marker, made=mapping.target_id == found
            ):
                return
        # From here on the create may happen: a later try asks the target first.
        self._untouched.discard(record.source_id)
        crash_point("before_create", key=record.source_id)
        try:
            target_id = self._create(prepared, marker, mapping=mapping)
        except ConnectorError as error:
            if error.retryable or error.systemic:
                # A later try finds what was created, if anything, and completes it.
                raise
            # A create of several calls may have stopped after the record itself.
            found = mapping.target_id or self.target.find_by_marker(
                self.entity, marker, record=prepared.record
            )
            if not found:
                RecordMap.objects.filter(pk=mapping.pk, state=RecordMap.State.PENDING).delete()
                self._mappings.pop(record.source_id, None)
                raise
            made = mapping.target_id == found
            self._resume(record, mapping, found, prepared, marker=marker, refused=error, made=made)
            return
        crash_point("after_create", key=record.source_id)
        made = not self.target.took_existing(self.entity, target_id)
        self._done(record, mapping, target_id, prepared, made=made)

    def _resume(
        self,
        record: Record,
        mapping: RecordMap,
        target_id: str,
        prepared: Prepared,
        *,
        marker: str,
        refused: ConnectorError | None = None,
        made: bool = False,
    ) -> bool:
        """A record found on the target from an earlier, unfinished write: the parts it
        lacks are written (the target reads what it has first). Migrated only when that
        succeeds; a part the target refuses makes the record failed, saying so.

        ``False`` when the record is no longer on the target: it is to be created again.
        """
        if refused is None:
            try:
                self._complete(prepared, target_id)
                crash_point("after_complete", key=record.source_id)
                made = made or self.entity in MARKED_ENTITIES
                self._done(record, mapping, target_id, prepared, made=made)
                return True
            except ConnectorError as error:
                if error.retryable or error.systemic:
                    raise
                gone = isinstance(error, NotFoundError) and not self.target.find_by_marker(
                    self.entity, marker, record=prepared.record
                )
                if gone:
                    # Deleted on the target since the id was kept: not a part's refusal.
                    self._created(mapping, "")
                    return False
                refused = error
        # The record stays mapped to what is on the target, pending: a later run completes
        # it instead of creating it again.
        self._created(mapping, target_id)
        self.references.remember(self.entity, record.source_id, target_id)
        verdict = self._what_is_missing(target_id, prepared)
        missing = "; ".join(verdict.differences) if verdict.differs else ""
        self._report(
            record.source_id,
            RunRecord.Outcome.FAILED,
            target_id=target_id,
            reason=reasons.partly_written(missing=missing, refused=refused),
            detail=refused.detail,
            verdict=verdict,
        )
        return True

    def _what_is_missing(self, target_id: str, prepared: Prepared) -> verify.Verdict:
        """The record read back from the target, to say what of it is not there."""
        try:
            return self.verifier.check(self.entity, target_id, lambda: prepared.record)
        except ConnectorError as error:
            if error.systemic:
                raise
            return verify.NOT_CHECKED

    def _created(self, mapping: RecordMap, target_id: str, *, made: bool = False) -> None:
        """The target made the record (its parts may come next): its id is kept with the
        pending row, so that a write cut short resumes on it without searching. ``made``:
        this run's create made it (a removal of the demo's records takes it away)."""
        fields: dict[str, object] = {"target_id": target_id}
        if made and target_id and not mapping.created_on_target:
            fields |= {"created_on_target": True, "created_by_kind": self.run_obj.kind}
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Lost only if the database itself crashes; the marker still finds it.
                    cursor.execute("SET LOCAL synchronous_commit TO off")
            RecordMap.objects.filter(pk=mapping.pk).update(**fields)
        for name, value in fields.items():
            setattr(mapping, name, value)

    def _pending_row(self, record: Record) -> RecordMap:
        mapping = RecordMap.objects.create(
            migration_id=self.migration.pk,
            namespace=self.namespace,
            entity=self.entity.value,
            source_id=record.source_id,
            state=RecordMap.State.PENDING,
            run_id=self.run_obj.pk,
        )
        self._mappings[record.source_id] = mapping
        return mapping

    def _create(self, prepared: Prepared, marker: str, *, mapping: RecordMap) -> str:
        for _drop in range(50):
            try:
                return self.target.create(
                    self.entity,
                    prepared.record,
                    marker=marker,
                    attachments=self.gate if has_attachments(prepared.record) else None,
                    on_created=lambda target_id: self._created(mapping, target_id, made=True),
                )
            except AttachmentProblem as problem:
                self._drop_attachment(prepared, problem)
            # The target stopped while uploading: it may keep the record in part, and
            # then what it lacks is written to it rather than a second copy.
            found = mapping.target_id or self.target.find_by_marker(
                self.entity, marker, record=prepared.record
            )
            if found:
                self._complete(prepared, found)
                return found
        raise RuntimeError("too many attachments could not be copied")

    def _complete(self, prepared: Prepared, target_id: str) -> None:
        self._write_existing(self.target.complete, prepared, target_id)

    def _update(self, prepared: Prepared, target_id: str) -> None:
        self._write_existing(self.target.update, prepared, target_id)

    def _write_existing(
        self, write: Callable[..., None], prepared: Prepared, target_id: str
    ) -> None:
        """Write to a record already on the target, leaving out the attachments that
        cannot be copied (each says why in the report)."""
        for _drop in range(50):
            try:
                write(
                    self.entity,
                    target_id,
                    prepared.record,
                    attachments=self.gate if has_attachments(prepared.record) else None,
                )
                return
            except AttachmentProblem as problem:
                self._drop_attachment(prepared, problem)
        raise RuntimeError("too many attachments could not be copied")

    @staticmethod
    def _drop_attachment(prepared: Prepared, problem: AttachmentProblem) -> None:
        prepared.dropped.append(DroppedAttachment(problem.attachment, problem.reason))
        prepared.record = without_attachment(prepared.record, problem.attachment.source_id)

    def _match(self, record: Record, prepared: Prepared, marker: str) -> tuple[str, Message] | None:
        """An agent or group that already exists on the target, or None to create it.

        Raises RecordSkipped when it is neither matched nor to be created.
        """
        matches = self.migration.configured_matches()
        is_agent = self.entity is Entity.AGENTS
        chosen = (matches.agents if is_agent else matches.groups).get(record.source_id)
        if chosen and chosen != CREATE_ON_TARGET:
            return chosen, reasons.matched_chosen(is_agent=is_agent)
        default = matches.default_agent_id if is_agent else matches.default_group_id
        deleted = isinstance(record, Agent | Group) and record.deleted
        inactive = isinstance(record, Agent) and not record.active
        if (deleted or inactive) and chosen != CREATE_ON_TARGET:
            raise RecordSkipped(
                reasons.left_on_source(
                    state="deleted" if deleted else "inactive",
                    is_agent=is_agent,
                    has_default=bool(default),
                )
            )
        found = self.target.find_by_marker(self.entity, marker, record=prepared.record)
        if found:
            return found, reasons.matched_same(is_agent=is_agent)
        capabilities = self.target.capabilities
        can_create = capabilities.can_create_agents if is_agent else capabilities.can_create_groups
        wanted = chosen == CREATE_ON_TARGET or (
            matches.create_missing_agents if is_agent else matches.create_missing_groups
        )
        if can_create and wanted:
            return None
        raise RecordSkipped(
            reasons.not_matched(is_agent=is_agent, can_create=can_create, has_default=bool(default))
        )

    def _refresh(self, record: Record, mapping: RecordMap) -> None:
        """A record already on the target: bring it up to date when it changed."""
        reported = record.source_id in self._reported
        changed = mapping.source_updated_at is None or record.updated_at > mapping.source_updated_at
        if self.entity in MATCHED_ENTITIES or not (changed or (self.force_update and not reported)):
            # An agent or group found on the target stays matched, run after run.
            matched = self.entity in MATCHED_ENTITIES and not mapping.created_on_target
            if not reported:
                self._report(
                    record.source_id,
                    RunRecord.Outcome.MATCHED if matched else RunRecord.Outcome.SKIPPED,
                    target_id=mapping.target_id,
                    reason=Message(reasons.MATCHED_BEFORE if matched else reasons.UNCHANGED),
                )
            return
        prepared = self.transformer.prepare(record)
        try:
            self._update(prepared, mapping.target_id)
        except NotFoundError:
            # A part refused with a 404 (a translation, a file) is not the record gone:
            # only a record the target no longer has is created again, never a copy.
            if not self._gone_from_target(record, mapping.target_id, prepared):
                raise
            RecordMap.objects.filter(pk=mapping.pk).delete()
            self._mappings.pop(record.source_id, None)
            self._process(record)
            return
        crash_point("after_update", key=record.source_id)
        self._done(record, mapping, mapping.target_id, prepared, note=Message(reasons.UPDATED))

    def _marker(self, source_id: str) -> str:
        """The marker this migration's record of ``source_id`` carries on the target."""
        return source_marker(
            migration_id=self.marker_scope,
            entity=self.entity,
            source_id=source_id,
            prefix=self.transformer.options.marker_prefix,
        )

    def _gone_from_target(self, record: Record, target_id: str, prepared: Prepared) -> bool:
        """Whether the target no longer has the record: read back by its id (its marker
        may be an earlier run's), else looked for by its marker."""
        if self.entity in self.target.capabilities.reads:
            try:
                return verify.read_back(self.target, self.entity, target_id) is None
            except ConnectorError as error:
                if error.systemic:
                    raise
        marker = self._marker(record.source_id)
        return not self.target.find_by_marker(self.entity, marker, record=prepared.record)

    def _done(
        self,
        record: Record,
        mapping: RecordMap,
        target_id: str,
        prepared: Prepared,
        *,
        note: Message | str = "",
        matched: bool = False,
        made: bool = False,
    ) -> None:
        verdict = self._verify(target_id, prepared)
        if made and not mapping.created_on_target:
            mapping.created_on_target = True
            mapping.created_by_kind = self.run_obj.kind
        notes: list[Message | str] = [note] if note else []
        notes += prepared.notes
        for dropped in prepared.dropped:
            notes.append(Message(reasons.LEFT_OUT, {"reason": message_of(dropped.reason)}))
        mapping.state = RecordMap.State.DONE
        mapping.target_id = target_id
        mapping.source_updated_at = record.updated_at
        mapping.run_id = self.run_obj.pk
        mapping.updated_at = timezone.now()
        self._done_mappings[mapping.pk] = mapping
        if verdict.differs:
            notes.insert(0, Message(reasons.STILL_DIFFERS, {"differences": verdict.text}))
        self._report(
            record.source_id,
            RunRecord.Outcome.FAILED
            if verdict.differs
            else RunRecord.Outcome.MATCHED
            if matched
            else RunRecord.Outcome.MIGRATED,
            target_id=target_id,
            reason=joined(notes) if notes else "",
            verdict=verdict,
        )
        for dropped in prepared.dropped:
            self._records_out[(ATTACHMENTS, dropped.attachment.source_id)] = RunRecord(
                run_id=self.run_obj.pk,
                entity=ATTACHMENTS,
                source_id=dropped.attachment.source_id,
                title=record_title(dropped.attachment),
                outcome=RunRecord.Outcome.SKIPPED,
                **reason_columns(message_of(dropped.reason)),
                detail=_attachment_detail(dropped.attachment),
                parent_source_id=f"{self.entity.value}/{record.source_id}",
            )
        self.references.remember(self.entity, record.source_id, target_id)

    def _verify(self, target_id: str, prepared: Prepared) -> verify.Verdict:
        """Read the record back; repair once what differs (the target's update writes the
        parts it lacks), then read it again."""
        if self.entity in MATCHED_ENTITIES:
            return verify.NOT_CHECKED
        return self.verifier.check(
            self.entity,
            target_id,
            lambda: prepared.record,
            repair=lambda: self._update(prepared, target_id),
        )

    def _flush(self, *, final: bool) -> None:
        """Write what the page's records became, together: record-map rows done, pending
        rows of records never sent to the target removed, and the run's reports.

        Its commit need not wait for the disk: were it lost, each created record still
        has its pending row, committed before the create, and is found by its marker.
        """
        # Pending rows of records left before any create (skipped, refused, or not
        # reached when the page stops) go; those of records still to come stay.
        unused_ids = {
            source_id
            for source_id in self._untouched
            if (final or source_id in self._processed)
            and source_id in self._mappings
            and self._mappings[source_id].pk not in self._done_mappings
        }
        unused = [self._mappings[source_id].pk for source_id in unused_ids]
        self._flushed_at = time.monotonic()
        if not (self._done_mappings or unused or self._records_out):
            return
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO off")
            if self._done_mappings:
                RecordMap.objects.bulk_update(
                    list(self._done_mappings.values()),
                    [
                        "state",
                        "target_id",
                        "source_updated_at",
                        "run",
                        "updated_at",
                        "created_on_target",
                        "created_by_kind",
                    ],
                )
            if unused:
                RecordMap.objects.filter(pk__in=unused, state=RecordMap.State.PENDING).delete()
            run_records_save(records=list(self._records_out.values()))
        self._untouched -= unused_ids | {m.source_id for m in self._done_mappings.values()}
        self._done_mappings.clear()
        self._records_out.clear()

    # ------------------------------------------------------------------ reports

    def _report(
        self,
        source_id: str,
        outcome: str,
        *,
        target_id: str = "",
        reason: Message | str = "",
        detail: str = "",
        verdict: verify.Verdict = verify.NOT_CHECKED,
    ) -> None:
        self._records_out[(self.entity.value, source_id)] = RunRecord(
            run_id=self.run_obj.pk,
            entity=self.entity.value,
            source_id=source_id,
            title=self._titles.get(source_id, ""),
            outcome=outcome,
            target_id=target_id,
            **reason_columns(reason),
            detail=detail,
            verification=verdict.status,
            differences=verdict.text,
        )
        self._reported.add(source_id)
        setattr(self.tally, outcome, getattr(self.tally, outcome) + 1)

    def _requester_reason(self, requester_id: str) -> Message | None:
        """Why a ticket's requester was not migrated, from its own row in this run (the
        target's refusal of its address, in the target's words), when there is one."""
        row = (
            RunRecord.objects.filter(
                run_id=self.run_obj.pk,
                entity__in=[Entity.CONTACTS.value, Entity.AGENTS.value],
                source_id=requester_id,
            )
            .exclude(outcome=RunRecord.Outcome.MIGRATED)
            .only("reason", "reason_key", "reason_params")
            .first()
        )
        if row is None or not row.reason:
            return None
        why = Message.from_json({"key": row.reason_key, "params": row.reason_params})
        return reasons.requester_not_migrated(requester_id=requester_id, why=why or row.reason)

    def _report_failed(self, record: Record, error: ConnectorError) -> None:
        self._report(
            record.source_id,
            RunRecord.Outcome.FAILED,
            reason=reasons.target_refused(error),
            detail=error.detail,
        )

    def _report_vanished(self, source_id: str) -> None:
        if source_id in self._reported:
            return
        plan = self.run_obj.plan or {}
        if source_id in (plan.get("missing_ids") or {}).get(self.entity.value, []):
            # A chosen id the source had no record for when the run was planned.
            reason = reasons.no_such_record(
                entity=self.entity,
                source_id=source_id,
                platform=plan.get("source_name") or self.source.display_name,
            )
        else:
            reason = reasons.vanished()
        self._report(source_id, RunRecord.Outcome.SKIPPED, reason=reason)


def _attachment_detail(attachment: Attachment) -> str:
    size = f", {format_bytes(attachment.size)}" if attachment.size else ""
    return f"{attachment.file_name} ({attachment.content_type}{size})"
