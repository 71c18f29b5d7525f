"""Zendesk's bulk ticket import: ``POST /api/v2/imports/tickets/create_many`` takes up to
100 tickets with their comments and answers a job status, followed with
``GET /api/v2/job_statuses/{id}`` until it is ``completed`` (or ``failed``/``killed``).

A completed job's ``results`` hold one entry per ticket: ``{"index": i, "id": n}`` for a
ticket created, ``{"index": i, "error": ..., "details": ...}`` (or ``"status": "Failed"``)
for one refused. The ticket bodies are those of the one-ticket import, files uploaded
first and their tokens given in the comments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from connectors.base import AttachmentOpener, ensure_record_matches
from connectors.bulk import BulkJob, BulkResult, BulkSink, BulkTarget, JobState
from connectors.errors import NotFoundError
from connectors.messages import Message, gettext_noop
from connectors.schema import Comment, Entity, Record, Ticket
from connectors.wire import MalformedPayloadError
from connectors.zendesk import payloads as zd
from connectors.zendesk.payloads import PLATFORM

if TYPE_CHECKING:
    from connectors.zendesk.client import ZendeskApi

#: Tickets one create_many request takes.
BULK_IMPORT_MAX = 100
TICKET_BULK_SINK = BulkSink(
    max_items=BULK_IMPORT_MAX,
    first_poll_seconds=1.0,
    max_poll_seconds=8.0,
    job_timeout_seconds=600.0,
)
CREATE_MANY_PATH = "api/v2/imports/tickets/create_many.json"
JOB_STATUSES_PATH = "api/v2/job_statuses.json"
#: The job type Zendesk gives a bulk ticket import.
BULK_IMPORT_JOB_TYPE = "Bulk Import Tickets"


class ZendeskBulkImport(BulkTarget):
    """Mixed into the Zendesk connector: its ``api`` and ``_uploaded`` do the calls."""

    if TYPE_CHECKING:
        api: ZendeskApi

        def _uploaded(
            self, comments: Sequence[Comment], opener: AttachmentOpener | None
        ) -> tuple[list[Comment], dict[str, list[str]]]: ...

    def bulk_sink(self, entity: Entity) -> BulkSink | None:
        return TICKET_BULK_SINK if entity is Entity.TICKETS else None

    def bulk_prepare(
        self,
        entity: Entity,
        record: Record,
        *,
        marker: str,
        attachments: AttachmentOpener | None = None,
    ) -> Any:
        ensure_record_matches(entity, record)
        if not isinstance(record, Ticket):
            raise ValueError(f"Zendesk imports {entity.value} one by one")
        comments, tokens = self._uploaded(record.comments, attachments)
        body = zd.ticket_to_zendesk_import(
            record.model_copy(update={"comments": comments}), marker=marker, upload_tokens=tokens
        )
        return body["ticket"]

    def bulk_submit(self, entity: Entity, items: Sequence[Any]) -> BulkJob:
        if not 0 < len(items) <= BULK_IMPORT_MAX:
            raise ValueError(f"a bulk import takes 1 to {BULK_IMPORT_MAX} tickets")
        # Not idempotent: a lost answer is settled by the markers, never by sending again.
        payload = self.api.post(
            CREATE_MANY_PATH, entity=entity.value, body={"tickets": list(items)}, idempotent=False
        )
        return job_from_zendesk(payload.get("job_status"))

    def bulk_job(self, entity: Entity, job_id: str) -> BulkJob:
        try:
            payload = self.api.get(f"api/v2/job_statuses/{job_id}.json", entity=entity.value)
        except NotFoundError:
            # Zendesk keeps job statuses for a day.
            return BulkJob(job_id=job_id, state=JobState.UNKNOWN)
        return job_from_zendesk(payload.get("job_status"))

    def bulk_running(self, entity: Entity) -> bool:
        # Newest first, the first page is enough: a job of this run is minutes old.
        payload, _after, _more = self.api.cursor_page(
            JOB_STATUSES_PATH, entity=entity.value, page_size=BULK_IMPORT_MAX
        )
        statuses = payload.get("job_statuses") or []
        return any(
            isinstance(status, Mapping)
            and status.get("job_type") == BULK_IMPORT_JOB_TYPE
            and job_from_zendesk(status).state.running
            for status in statuses
        )


def job_from_zendesk(status: Any) -> BulkJob:
    """A job status object as :class:`BulkJob`."""
    if not isinstance(status, Mapping) or not status.get("id"):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s answered a bulk import without its job status."),
                {"platform": PLATFORM},
            ),
            field="job_status",
        )
    try:
        state = JobState(str(status.get("status")))
    except ValueError:
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s answered a job status it does not document."),
                {"platform": PLATFORM},
            ),
            field="job_status.status",
            detail=str(status.get("status"))[:80],
        ) from None
    results = status.get("results")
    return BulkJob(
        job_id=str(status["id"]),
        state=state,
        total=status.get("total") if isinstance(status.get("total"), int) else None,
        progress=status.get("progress") if isinstance(status.get("progress"), int) else None,
        results=tuple(_results(results)) if isinstance(results, list) else (),
        message=str(status.get("message") or ""),
    )


def _results(results: list[Any]) -> list[BulkResult]:
    found: list[BulkResult] = []
    for position, item in enumerate(results):
        if not isinstance(item, Mapping):
            continue
        index = item.get("index", position)
        if not isinstance(index, int):
            continue
        failed = bool(item.get("error")) or str(item.get("status", "")).lower() == "failed"
        if failed or item.get("id") is None:
            error = str(item.get("details") or item.get("error") or "not imported")
            found.append(
                BulkResult(index=index, target_id=None, error=error, detail=str(dict(item))[:2000])
            )
        else:
            found.append(BulkResult(index=index, target_id=str(item["id"])))
    return found
