"""A run's results, its live progress (polled by htmx) and its CSV reports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from migrator import selectors
from migrator.models import Run
from reports import selectors as report_selectors
from wizard import run_pages
from wizard.views.base import allowed_actions, render_step


@login_required
@require_GET
def run_results(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_for_user(user=request.user, run_id=run_id)
    context = {
        "back_url": run_pages.run_page_url(run),
        **run_pages.run_context(run=run, query=request.GET),
    }
    return render_step(
        request,
        "wizard/steps/run_results.html",
        migration=run.migration,
        step=run_pages.run_step(run),
        context=context,
    )


@login_required
@require_GET
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The polled part of a run's page. When the run's status is no longer the one the
    page shows (``?shown=``), htmx reloads the page: its controls, or its results."""
    run = selectors.run_for_user(user=request.user, run_id=run_id)
    response = render(
        request,
        "wizard/partials/run_progress.html",
        {
            **run_pages.progress_context(run=run),
            "allowed": allowed_actions(request, run.migration),
        },
    )
    shown = request.GET.get("shown")
    if request.htmx and shown and shown != run.status:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def run_history(request: HttpRequest, migration_id: int) -> HttpResponse:
    """The polled run history of the demo page (``?kind=demo``) or the full-run page."""
    migration = selectors.migration_for_user(user=request.user, migration_id=migration_id)
    kind = "demo" if request.GET.get("kind") == "demo" else "all"
    return render(
        request,
        "wizard/partials/run_history.html",
        run_pages.history_context(migration=migration, kind=kind),
    )


@login_required
@require_GET
def run_verification(request: HttpRequest, run_id: int) -> HttpResponse:
    """The polled verification panel of a finished run; the page reloads (new figures)
    when "Verify again" ends."""
    run = selectors.run_for_user(user=request.user, run_id=run_id)
    response = render(
        request,
        "wizard/partials/run_verification.html",
        {
            **run_pages.reverify_context(run=run),
            "allowed": allowed_actions(request, run.migration),
        },
    )
    if request.htmx and run.reverify_status != Run.ReverifyStatus.RUNNING:
        response["HX-Refresh"] = "true"
    return response


# A report names customers' records: no cache along the way keeps a copy.
@never_cache
@login_required
@require_GET
def run_records_csv(request: HttpRequest, run_id: int) -> StreamingHttpResponse:
    """The run's records as CSV (one outcome, or all; filtered as the records list may be),
    streamed row by row."""
    run = selectors.run_for_user(user=request.user, run_id=run_id)
    filters = run_pages.RecordFilters.from_query(request.GET)
    response = StreamingHttpResponse(
        report_selectors.run_records_csv(
            run=run,
            outcome=filters.outcome or None,
            entity=filters.entity or None,
            search=filters.search or None,
        ),
        content_type="text/csv; charset=utf-8",
    )
    name = f"run-{run.pk}-{run.kind}-{filters.outcome or 'all'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
