"""A page of records written in bulk, where the target declares a bulk form
(:class:`connectors.bulk.BulkTarget`) for the entity: the records' files uploaded one by one,
then one request per ``max_items`` records, the job it starts followed until it is over, and
each record's id kept from the job's results.

The "nothing lost" rules of the one-record path (:mod:`migrator.engine.execute`) hold:

- every record has its pending record-map row, committed before the request that may
  create it; as soon as the target answers with the job, each row keeps
  ``<job id>/<index>`` (``RecordMap.bulk_job``), and the ids the job gives are kept before
  anything else is done with them;
- a batch that finds rows of a job it sent before (a worker killed while the job ran, a
  run paused) reads that job's results for them instead of sending them again;
- a row sent without the job's answer kept (the answer lost, the worker killed on the way)
  is resolved by its marker, once the target runs no bulk job any more, exactly as the
  one-record path resolves a pending row;
- a record the job refused, or whose job failed, goes through the one-record path alone,
  which asks the target for its marker first: it is created once, or reported failed in
  the target's words.

Verification and reports are the one-record path's (``BatchWork._done``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from connectors.base import Target
from connectors.bulk import BulkJob, BulkSink, BulkTarget, JobState
from connectors.errors import ConnectorError
from connectors.messages import Message, gettext_noop, message_of
from connectors.schema import Entity, Record
from migrator.engine import failures
from migrator.engine.attachments import AttachmentProblem, has_attachments
from migrator.engine.failures import RetryLater, SystemicFailure
from migrator.engine.faults import crash_point
from migrator.engine.transform import Prepared
from migrator.models import RecordMap

if TYPE_CHECKING:
    from migrator.engine.execute import BatchWork

logger = logging.getLogger(__name__)

JOB_STILL_RUNNING = gettext_noop(
    "The target's import job %(job)s is still running after %(minutes)s minutes; its "
    "records are looked at again later."
)
A_JOB_STILL_RUNNING = gettext_noop(
    "The target still runs an import job after %(minutes)s minutes; the records it may "
    "have created are looked for again later."
)
#: Attachments one record may leave out before it goes through the one-record path.
DROPS_MAX = 50


def bulk_sink(target: Target, entity: Entity) -> BulkSink | None:
    """The target's bulk form for ``entity``, when it has one."""
    if isinstance(target, BulkTarget):
        return target.bulk_sink(entity)
    return None


def page_size(target: Target, entity: Entity, *, default: int) -> int:
    """Records a batch reads: as many as one bulk request takes, where the target has one."""
    sink = bulk_sink(target, entity)
    return max(default, sink.max_items) if sink is not None else default


@dataclass
class _Sent:
    record: Record
    prepared: Prepared
    mapping: RecordMap


class BulkPage:
    """The bulk path of one batch: ``process`` stands for the batch's record loop."""

    def __init__(self, work: BatchWork, *, target: BulkTarget, sink: BulkSink) -> None:
        self.work = work
        self.target = target
        self.sink = sink
        self.entity = work.entity

    def process(self, records: Sequence[Record]) -> None:
        self._results_of_kept_jobs()
        unresolved = [
            record
            for record in records
            if record.source_id not in self.work._untouched and self._unresolved(record)
        ]
        if unresolved:
            # Rows an earlier try may have sent without the job's answer kept: the markers
            # tell what it created, once no job of ours is left running. Those not found
            # were never created: they go in bulk again.
            self._wait_for_no_running_job()
            for record in unresolved:
                if self._not_on_target(record):
                    self.work._untouched.add(record.source_id)
        fresh = [record for record in records if record.source_id in self.work._untouched]
        fresh_ids = {record.source_id for record in fresh}
        for record in records:
            if record.source_id not in fresh_ids:
                self.work._process_one(record)
        for start in range(0, len(fresh), self.sink.max_items):
            self._send(fresh[start : start + self.sink.max_items])

    # ------------------------------------------------------------------ earlier tries

    def _unresolved(self, record: Record) -> bool:
        mapping = self.work._mappings.get(record.source_id)
        return (
            mapping is not None
            and mapping.state == RecordMap.State.PENDING
            and not mapping.target_id
        )

    def _not_on_target(self, record: Record) -> bool:
        """Whether the target has no record with this record's marker (one request); a
        record found has its id kept, and the one-record path completes it."""
        marker = self.work._marker(record.source_id)
        try:
            found = self.work.target.find_by_marker(self.entity, marker, record=record)
        except ConnectorError as error:
            self._raise_if_systemic(error)
            return False  # the one-record path asks again, with its retries
        if found:
            self.work._created(self.work._mappings[record.source_id], found, made=True)
            return False
        return True

    def _results_of_kept_jobs(self) -> None:
        """Rows an earlier try sent in a job whose id it kept: the job's results for them."""
        by_job: dict[str, list[tuple[int, RecordMap]]] = {}
        for mapping in self.work._mappings.values():
            if mapping.state == RecordMap.State.PENDING and mapping.bulk_job:
                job_id, _slash, index = mapping.bulk_job.rpartition("/")
                by_job.setdefault(job_id, []).append((int(index), mapping))
        for job_id, rows in by_job.items():
            job = self._followed(job_id)
            ids = {result.index: result.target_id for result in job.results}
            found = {mapping.pk: ids.get(index) for index, mapping in rows}
            self._keep_ids(
                [(mapping, found[mapping.pk]) for _index, mapping in rows],
                job=job,
            )

    def _wait_for_no_running_job(self) -> None:
        deadline = time.monotonic() + self.sink.job_timeout_seconds
        pause = self.sink.first_poll_seconds
        while self._running():
            if time.monotonic() > deadline:
                raise RetryLater(
                    Message(
                        A_JOB_STILL_RUNNING,
                        {"minutes": round(self.sink.job_timeout_seconds / 60)},
                    ),
                    delay=self.sink.max_poll_seconds * 4,
                )
            self.work._sleep(pause)
            pause = min(pause * 2, self.sink.max_poll_seconds)

    def _running(self) -> bool:
        try:
            return self.target.bulk_running(self.entity)
        except ConnectorError as error:
            self._raise_if_systemic(error)
            if error.retryable:
                return True
            raise

    # ------------------------------------------------------------------ this try

    def _send(self, records: Sequence[Record]) -> None:
        items: list[Any] = []
        sent: list[_Sent] = []
        for record in records:
            self.work._check_running()
            prepared_item = self._prepared(record)
            if prepared_item is None:
                # Anything unusual (skipped, refused, a file's failure): the one-record
                # path deals with it and reports it, as it would without bulk.
                self.work._process_one(record)
                continue
            prepared, item = prepared_item
            items.append(item)
            mapping = self.work._mappings[record.source_id]
            sent.append(_Sent(record=record, prepared=prepared, mapping=mapping))
        if not sent:
            return
        # From here on the records may be created: a later try resolves their rows.
        self.work._untouched.difference_update(entry.record.source_id for entry in sent)
        crash_point("before_bulk_create")
        try:
            job = self.target.bulk_submit(self.entity, items)
        except ConnectorError as error:
            self._raise_if_systemic(error)
            logger.info("bulk request of %s %s refused or lost: %s", len(sent), self.entity, error)
            if error.retryable:
                # The answer may be lost after the job started: its records are found by
                # their markers once it is over.
                self._wait_for_no_running_job()
            for entry in sent:
                self.work._process_one(entry.record)
            return
        crash_point("after_bulk_create")
        self._keep_job(job.job_id, sent)
        crash_point("after_bulk_job_kept")
        job = self._followed(job.job_id, first=job)
        ids = {result.index: result.target_id for result in job.results}
        reasons = {result.index: result.error for result in job.results if result.error}
        self._keep_ids(
            [(entry.mapping, ids.get(index)) for index, entry in enumerate(sent)], job=job
        )
        crash_point("after_bulk_results")
        for index, entry in enumerate(sent):
            target_id = ids.get(index)
            if target_id:
                self.work._done(entry.record, entry.mapping, target_id, entry.prepared, made=True)
                self.work._mark_processed(entry.record.source_id)
                continue
            logger.info(
                "%s %s not imported by job %s (%s): imported alone",
                self.entity,
                entry.record.source_id,
                job.job_id,
                reasons.get(index) or job.state,
            )
            self.work._process_one(entry.record)

    def _prepared(self, record: Record) -> tuple[Prepared, Any] | None:
        """The record transformed and its part of the request (files uploaded), or None
        when it is to go through the one-record path."""
        try:
            prepared = self.work.transformer.prepare(record)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            return None
        marker = self.work._marker(record.source_id)
        for _drop in range(DROPS_MAX):
            try:
                item = self.target.bulk_prepare(
                    self.entity,
                    prepared.record,
                    marker=marker,
                    attachments=self.work.gate if has_attachments(prepared.record) else None,
                )
            except AttachmentProblem as problem:
                self.work._drop_attachment(prepared, problem)
                continue
            except ConnectorError as error:
                self._raise_if_systemic(error)
                return None
            return prepared, item
        return None

    def _keep_job(self, job_id: str, sent: Sequence[_Sent]) -> None:
        for index, entry in enumerate(sent):
            entry.mapping.bulk_job = f"{job_id}/{index}"
        with transaction.atomic():
            RecordMap.objects.bulk_update([entry.mapping for entry in sent], ["bulk_job"])

    def _keep_ids(self, rows: Sequence[tuple[RecordMap, str | None]], *, job: BulkJob) -> None:
        """The ids the job gave, kept with the pending rows (made by this migration); rows
        it gave none are cleared to go through the one-record path."""
        kind = self.work.run_obj.kind
        for mapping, target_id in rows:
            mapping.bulk_job = ""
            if target_id:
                mapping.target_id = target_id
                mapping.created_on_target = True
                mapping.created_by_kind = kind
        with transaction.atomic():
            RecordMap.objects.bulk_update(
                [mapping for mapping, _id in rows],
                ["bulk_job", "target_id", "created_on_target", "created_by_kind"],
            )
        if job.state is not JobState.COMPLETED:
            logger.warning(
                "%s job %s ended %s: %s", self.entity, job.job_id, job.state, job.message
            )

    def _followed(self, job_id: str, *, first: BulkJob | None = None) -> BulkJob:
        """Look at the job until it is over: the first look after ``first_poll_seconds``,
        each wait twice the one before up to ``max_poll_seconds`` (every look is a request)."""
        job = first or BulkJob(job_id=job_id, state=JobState.QUEUED)
        pause = self.sink.first_poll_seconds
        deadline = time.monotonic() + self.sink.job_timeout_seconds
        # A job just sent is given time before the first look; one of an earlier try is
        # looked at straight away.
        wait = first is not None
        while job.state.running:
            if wait:
                if time.monotonic() > deadline:
                    raise RetryLater(
                        Message(
                            JOB_STILL_RUNNING,
                            {
                                "job": job_id,
                                "minutes": round(self.sink.job_timeout_seconds / 60),
                            },
                        ),
                        delay=self.sink.max_poll_seconds * 4,
                    )
                self.work._sleep(pause)
                pause = min(pause * 2, self.sink.max_poll_seconds)
            wait = True
            try:
                job = self.target.bulk_job(self.entity, job_id)
            except ConnectorError as error:
                self._raise_if_systemic(error)
                if not error.retryable:
                    raise
                logger.info("looking at %s job %s: %s", self.entity, job_id, message_of(error))
        return job

    @staticmethod
    def _raise_if_systemic(error: ConnectorError) -> None:
        if error.systemic and not error.retryable:
            raise SystemicFailure(failures.systemic_reason(error), detail=error.detail) from error


def bulk_page(work: BatchWork) -> BulkPage | None:
    """The bulk path for this batch's records, when its target has one for the entity."""
    target = work.target
    sink = bulk_sink(target, work.entity)
    if sink is None or not isinstance(target, BulkTarget):
        return None
    return BulkPage(work, target=target, sink=sink)
