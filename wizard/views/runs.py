"""Step 8: the full migration — estimate, start now or on a schedule, pause, resume,
cancel, then a delta; and the controls every run shares."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from migrator import policy, selectors, services
from migrator.models import Migration, Run
from wizard import run_pages, steps
from wizard.run_forms import RunStartForm, WindowFormSet, windows_of
from wizard.views.base import render_step, wizard_step


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _controlled(
    request: HttpRequest, *, act: Callable[[], object], done: str, then: str
) -> HttpResponse:
    """A run control: the service acts (or refuses, with its message), then ``then``."""
    try:
        act()
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, done)
    return redirect(then)


@wizard_step(steps.RUN)
@require_http_methods(["GET", "POST"])
def full_run(request: HttpRequest, migration: Migration) -> HttpResponse:
    form = RunStartForm(request.POST or None)
    windows = WindowFormSet(request.POST or None, prefix="window")
    if request.method == "POST" and form.is_valid() and windows.is_valid():
        try:
            run = services.run_start(
                migration=migration,
                kind=Run.Kind.FULL,
                scheduled_for=form.cleaned_data["scheduled_for"],
                windows=windows_of(windows),
                created_by=request.user,
                demo_records=form.cleaned_data["demo_records"],
            )
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _started_message(run))
            return redirect(steps.RUN.url(migration))
    context = run_pages.full_run_context(migration=migration, query=request.GET)
    context.update(form=form, windows=windows)
    return render_step(
        request, "wizard/steps/run.html", migration=migration, step=steps.RUN, context=context
    )


def _started_message(run: Run) -> str:
    if run.kind == Run.Kind.ROLLBACK:
        return _(
            "The demo's records are being removed from the target; the full migration "
            "starts as soon as they are."
        )
    if run.status == Run.Status.QUEUED and run.scheduled_for:
        when = formats.date_format(timezone.localtime(run.scheduled_for), "DATETIME_FORMAT")
        return _("The full migration is scheduled for %(when)s.") % {"when": when}
    if run.status == Run.Status.QUEUED:
        return _("The full migration starts when its next window opens.")
    return _("The full migration has started.")


@wizard_step(steps.RUN)
@require_POST
def delta_start(request: HttpRequest, migration: Migration) -> HttpResponse:
    try:
        services.run_start(migration=migration, kind=Run.Kind.DELTA, created_by=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The delta migration has started."))
    return redirect(steps.RUN.url(migration))


# --------------------------------------------------------------------------- controls


@login_required
@require_POST
def run_pause(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_for_user(user=request.user, run_id=run_id, action=policy.Action.RUN)
    return _controlled(
        request,
        act=lambda: services.run_pause(run=run, by=request.user),
        done=_("Paused. Records being written finish first."),
        then=run_pages.run_page_url(run),
    )


@login_required
@require_POST
def run_verify_again(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_for_user(user=request.user, run_id=run_id, action=policy.Action.RUN)
    return _controlled(
        request,
        act=lambda: services.run_reverify_start(run=run, by=request.user),
        done=_(
            "Verifying again: every migrated record is read back from the target, and what "
            "differs is repaired."
        ),
        then=reverse("wizard_run_results", args=[run.pk]) + "#verification",
    )


@login_required
@require_POST
def run_remigrate(request: HttpRequest, run_id: int) -> HttpResponse:
    """ "Start a re-migration" on a finished full run's page (refused without the plan)."""
    run = selectors.run_for_user(user=request.user, run_id=run_id, action=policy.Action.RUN)
    try:
        started = services.remigration_start(run=run, by=request.user)
    except ValidationError as error:
        _refused(request, error)
        return redirect(reverse("wizard_run_results", args=[run.pk]) + "#next-steps")
    messages.success(
        request,
        _(
            "The re-migration has started: records already on the target are updated, the "
            "missing ones created."
        ),
    )
    return redirect(run_pages.run_page_url(started))


@login_required
@require_POST
def run_recheck(request: HttpRequest, run_id: int) -> HttpResponse:
    """ "Check skipped and failed records" on a finished full run's page (a plan feature)."""
    run = selectors.run_for_user(user=request.user, run_id=run_id, action=policy.Action.RUN)
    return _controlled(
        request,
        act=lambda: services.run_recheck_start(run=run, by=request.user),
        done=_(
            "Checking the skipped and failed records again on both sides; the results appear below."
        ),
        then=reverse("wizard_run_results", args=[run.pk]) + "#next-steps",
    )


@login_required
@require_POST
def run_resume(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_for_user(user=request.user, run_id=run_id, action=policy.Action.RUN)
    return _controlled(
        request,
        act=lambda: services.run_resume(run=run, by=request.user),
        done=_("Resumed: the run goes on where it stopped."),
        then=run_pages.run_page_url(run),
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    """Asks first (GET), cancels on the confirmation (POST)."""
    run = selectors.run_for_user(user=request.user, run_id=run_id, action=policy.Action.RUN)
    if request.method == "POST":
        try:
            services.run_cancel(run=run, by=request.user)
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _("The run is cancelled."))
        return redirect(run_pages.run_page_url(run))
    return render_step(
        request,
        "wizard/steps/run_cancel.html",
        migration=run.migration,
        step=run_pages.run_step(run),
        context={"run": run, "back_url": run_pages.run_page_url(run)},
    )
