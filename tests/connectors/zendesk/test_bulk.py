"""Zendesk's job statuses read as the engine's bulk jobs: the shapes its reference gives
for a bulk import's results (created, failed) and what is not a job status."""

from __future__ import annotations

import pytest

from connectors.bulk import BulkResult, JobState
from connectors.schema import Entity
from connectors.wire import MalformedPayloadError
from connectors.zendesk import ZendeskCredentials
from connectors.zendesk.bulk import BULK_IMPORT_MAX, TICKET_BULK_SINK, job_from_zendesk
from connectors.zendesk.connector import ZendeskConnector


def test_a_completed_job_gives_each_ticket_its_id_or_zendesks_reason():
    job = job_from_zendesk(
        {
            "id": "8b726e606741012ffc2d782bcb7848fe",
            "url": "https://acme.zendesk.com/api/v2/job_statuses/8b72.json",
            "job_type": "Bulk Import Tickets",
            "status": "completed",
            "total": 3,
            "progress": 3,
            "message": "Completed at 2026-12-07 20:00:00 +0000",
            "results": [
                {"index": 0, "id": 244},
                {"index": 1, "error": "RecordInvalid", "details": "Requester: is invalid"},
                {"index": 2, "id": 245, "status": "Failed", "error": "TicketImportFailed"},
            ],
        }
    )
    assert (job.job_id, job.state, job.total, job.progress) == (
        "8b726e606741012ffc2d782bcb7848fe",
        JobState.COMPLETED,
        3,
        3,
    )
    assert job.results[0] == BulkResult(index=0, target_id="244")
    assert (job.results[1].target_id, job.results[1].error) == (None, "Requester: is invalid")
    assert (job.results[2].target_id, job.results[2].error) == (None, "TicketImportFailed")
    assert not job.state.running


@pytest.mark.parametrize("status", ["queued", "working"])
def test_a_job_still_queued_or_working_has_no_results_yet(status):
    job = job_from_zendesk({"id": "ab", "status": status, "total": 2, "results": None})
    assert job.state.running and job.results == ()


@pytest.mark.parametrize(
    "status",
    [None, {"status": "completed"}, {"id": "ab", "status": "exploded"}, ["not", "an object"]],
)
def test_what_is_not_a_job_status_is_refused_as_malformed(status):
    with pytest.raises(MalformedPayloadError):
        job_from_zendesk(status)


def test_zendesk_declares_tickets_in_bulk_a_hundred_a_request_and_nothing_else():
    credentials = ZendeskCredentials(
        url="https://acme.zendesk.com", email="admin@acme.test", api_token="token"
    )
    connector = ZendeskConnector(
        credentials=credentials, http_client_factory=lambda **options: None
    )
    assert TICKET_BULK_SINK.max_items == BULK_IMPORT_MAX == 100
    assert connector.bulk_sink(Entity.TICKETS) is TICKET_BULK_SINK
    assert connector.bulk_sink(Entity.ARTICLES) is None
