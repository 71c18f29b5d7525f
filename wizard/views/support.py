"""The support console: paused and failed runs of migrations that granted access."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from migrator import policy, selectors, services
from migrator.models import AuditEvent
from reports.selectors import run_summary
from wizard.forms import SupportNoteForm


def _require_support_staff(request: HttpRequest) -> None:
    if not policy.is_support_staff(request.user):
        raise Http404("No such page.")


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    _require_support_staff(request)
    return render(
        request,
        "wizard/support/console.html",
        {"runs": selectors.support_runs_explained(user=request.user)},
    )


@login_required
@require_GET
def run_inspect(request: HttpRequest, run_id: int) -> HttpResponse:
    _require_support_staff(request)
    run = selectors.support_run_for_user(user=request.user, run_id=run_id)
    policy.require(request.user, run.migration, policy.Action.INSPECT)
    services.audit_record(
        migration=run.migration,
        actor=request.user,
        action=AuditEvent.Action.SUPPORT_VIEWED,
        detail=f"{run.get_kind_display()} #{run.pk}",
    )
    return render(
        request,
        "wizard/support/run.html",
        {
            "run": run,
            "why": selectors.run_stop_reason(run=run),
            "migration": run.migration,
            "summary": run_summary(run=run),
            "log": selectors.run_failures_log(run=run),
            "notes": selectors.support_notes_of(migration=run.migration).filter(run=run),
            "note_form": SupportNoteForm(),
        },
    )


@login_required
@require_POST
def run_note(request: HttpRequest, run_id: int) -> HttpResponse:
    _require_support_staff(request)
    run = selectors.support_run_for_user(user=request.user, run_id=run_id)
    policy.require(request.user, run.migration, policy.Action.INSPECT)
    form = SupportNoteForm(request.POST)
    if form.is_valid():
        services.support_note_add(run=run, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("Note saved: the customer sees it on the run's page."))
    else:
        messages.error(request, _("Write the note first."))
    return redirect("support_run", run.pk)


@login_required
@require_POST
def run_resume(request: HttpRequest, run_id: int) -> HttpResponse:
    _require_support_staff(request)
    run = selectors.support_run_for_user(user=request.user, run_id=run_id)
    policy.require(request.user, run.migration, policy.Action.SUPPORT_RESUME)
    try:
        services.run_resume(run=run, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("support_run", run.pk)
    messages.success(request, _("Run resumed."))
    return redirect("support_console")
