"""The emulated Zendesk's bulk ticket import and its job statuses.

``POST /api/v2/imports/tickets/create_many`` takes 1 to 100 tickets (more: 400
``TooManyValues``) and answers at once with a ``queued`` job status; the job then runs on
its own, as Zendesk's background jobs do: ``queued`` for ``job_queue_seconds``, then
``working`` while it imports ``job_tickets_per_second`` tickets a second, each as the
one-ticket import would (a ticket it refuses becomes a failed result with Zendesk's reason,
the others go on), then ``completed`` with one result per ticket: ``{"index", "id"}`` or
``{"index", "error", "details"}``. ``GET /api/v2/job_statuses/{id}`` shows a job,
``GET /api/v2/job_statuses`` lists them newest first (cursor pagination); every one of these
calls counts in the account's rate limit.

The job is worked by a thread of the process that took it and, should that process stop,
by whoever looks at it next: each step holds the job's row, so two never import the same
ticket. Account options: ``job_queue_seconds`` (0.5), ``job_tickets_per_second`` (200),
``bulk_import_item_failure_ratio`` (0: the share of tickets a job fails with a
``ProcessingError``, though a retry of the same ticket would pass).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import URLPattern
from django.utils import timezone

from connectors.emulation import EmulatorError, request_json
from connectors.models import EmulatedAccount, EmulatedRecord
from connectors.zendesk import emulator as core

logger = logging.getLogger(__name__)

JOB_TYPE = "Bulk Import Tickets"
JOB_QUEUE_SECONDS = 0.5
JOB_TICKETS_PER_SECOND = 200.0
#: How often the background thread takes a step.
JOB_STEP_SECONDS = 0.1
FINISHED = frozenset({"completed", "failed", "killed"})
# Bookkeeping in the job's stored JSON (never rendered).
TICKETS_KEY = "_tickets"
SUBMITTED_KEY = "_submitted"
RESULTS_KEY = "_results"
CLIENT_KEY = "_client"


def _options(account: EmulatedAccount) -> tuple[float, float, float]:
    options = account.options or {}
    return (
        float(options.get("job_queue_seconds", JOB_QUEUE_SECONDS)),
        max(float(options.get("job_tickets_per_second", JOB_TICKETS_PER_SECOND)), 0.1),
        float(options.get("bulk_import_item_failure_ratio", 0.0)),
    )


@core._endpoint
def ticket_import_many_view(ctx: core.Ctx) -> Any:
    def create() -> Any:
        core._require_admin(ctx)
        tickets = request_json(ctx.request, core.PROFILE).get("tickets")
        if not isinstance(tickets, list) or not tickets:
            raise core._bad_request("InvalidValue", "Parameter tickets is required")
        if len(tickets) > core.BULK_IMPORT_MAX:
            raise core._bad_request(
                "TooManyValues", f"Too many tickets in the request (max {core.BULK_IMPORT_MAX})"
            )
        job = core._insert(
            ctx.account,
            core.JOB_STATUSES,
            {
                "job_type": JOB_TYPE,
                "total": len(tickets),
                "progress": 0,
                "status": "queued",
                "message": None,
                "results": None,
                TICKETS_KEY: tickets,
                SUBMITTED_KEY: time.time(),
                RESULTS_KEY: [],
                CLIENT_KEY: {
                    "HTTP_USER_AGENT": ctx.request.headers.get("User-Agent", ""),
                    "REMOTE_ADDR": ctx.request.META.get("REMOTE_ADDR"),
                },
            },
        )
        account_pk, number = ctx.account.pk, job.number
        transaction.on_commit(lambda: _work_in_background(account_pk=account_pk, number=number))
        return 200, {"job_status": core._render(ctx, core.JOB_STATUSES, job.data)}

    return core._dispatch(ctx, POST=create)


@core._endpoint
def job_status_view(ctx: core.Ctx, job_id: str) -> Any:
    def show() -> Any:
        try:
            number = int(job_id, 16)
        except ValueError:
            raise core._not_found() from None
        job_advance(account=ctx.account, number=number)
        return core._show_response(ctx, core.JOB_STATUSES, number)

    return core._dispatch(ctx, GET=show)


@core._endpoint
def job_statuses_view(ctx: core.Ctx) -> Any:
    def listing() -> Any:
        rows = core._rows(ctx.account, core.JOB_STATUSES)
        unfinished = rows.exclude(data__status__in=sorted(FINISHED))
        for number in unfinished.values_list("number", flat=True):
            job_advance(account=ctx.account, number=number)
        newest_first = core.Order(("number",), descending=True)
        return core._cursor_page(
            ctx,
            core.JOB_STATUSES,
            core._rows(ctx.account, core.JOB_STATUSES),
            newest_first,
            lambda page: core._render_all(ctx, core.JOB_STATUSES, page),
        )

    return core._dispatch(ctx, GET=listing)


def job_advance(*, account: EmulatedAccount, number: int) -> EmulatedRecord | None:
    """Bring a job to where its time says it is: the tickets due by now imported."""
    queue_seconds, per_second, failure_ratio = _options(account)
    with transaction.atomic():
        job = (
            EmulatedRecord.objects.select_for_update()
            .filter(account=account, collection=core.JOB_STATUSES.collection, number=number)
            .first()
        )
        if job is None or job.data.get("status") in FINISHED or TICKETS_KEY not in job.data:
            return job
        data = dict(job.data)
        working_for = time.time() - float(data[SUBMITTED_KEY]) - queue_seconds
        if working_for < 0:
            return job
        tickets: list[Any] = data[TICKETS_KEY]
        results: list[dict[str, Any]] = list(data[RESULTS_KEY])
        due = min(len(tickets), int(working_for * per_second) + 1)
        if due > len(results):
            ctx = core.Ctx(_background_request(data.get(CLIENT_KEY) or {}), account)
            for index in range(len(results), due):
                results.append(_import(ctx, index, tickets[index], failure_ratio=failure_ratio))
        done = len(results) == len(tickets)
        data[RESULTS_KEY] = results
        data["progress"] = len(results)
        data["status"] = "completed" if done else "working"
        if done:
            data["results"] = results
            data["message"] = f"Completed at {timezone.now():%Y-%m-%d %H:%M:%S} +0000"
            data.pop(TICKETS_KEY)
        core._save(job, data)
    return job


def _import(ctx: core.Ctx, index: int, payload: Any, *, failure_ratio: float) -> dict[str, Any]:
    """One ticket of the job, imported as the one-ticket import does, or its failure."""
    try:
        if not isinstance(payload, dict):
            raise core._bad_request("InvalidValue", "Each ticket must be an object")
        if failure_ratio and random.random() < failure_ratio:  # noqa: S311
            raise core.PROFILE.error(
                500, "ProcessingError", "The ticket could not be imported; try again"
            )
        record = core._ticket_import_one(ctx, payload)
    except EmulatorError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return {
            "index": index,
            "error": str(body.get("error", "Error")),
            "details": core._flatten_details(error),
        }
    return {"index": index, "id": record.number}


def _background_request(client: dict[str, Any]) -> HttpRequest:
    """What a comment records of the request that brought its ticket (the job has none)."""
    request = HttpRequest()
    request.META.update({key: value for key, value in client.items() if value is not None})
    return request


def _work_in_background(*, account_pk: int, number: int) -> None:
    thread = threading.Thread(
        target=_work, kwargs={"account_pk": account_pk, "number": number}, daemon=True
    )
    thread.start()


def _work(*, account_pk: int, number: int) -> None:
    try:
        while True:
            account = EmulatedAccount.objects.filter(pk=account_pk).first()
            job = account and job_advance(account=account, number=number)
            if job is None or job.data.get("status") in FINISHED:
                return
            time.sleep(JOB_STEP_SECONDS)
    except Exception:
        # Whoever looks at the job next takes it on.
        logger.exception("emulated Zendesk job %s stopped", number)
    finally:
        connection.close()


def urlpatterns() -> list[URLPattern]:
    return [
        *core._api("imports/tickets/create_many", ticket_import_many_view),
        *core._api("job_statuses", job_statuses_view),
        *core._api("job_statuses/<str:job_id>", job_status_view),
    ]
