"""Step 7: the free demo — start it, watch it, read its results, run it again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from migrator import policy, selectors, services
from migrator.models import Migration, Run
from wizard import run_pages, steps
from wizard.views.base import render_step, wizard_step


@wizard_step(steps.DEMO)
@require_GET
def demo(request: HttpRequest, migration: Migration) -> HttpResponse:
    return render_step(
        request,
        "wizard/steps/demo.html",
        migration=migration,
        step=steps.DEMO,
        context=run_pages.demo_context(migration=migration, query=request.GET),
    )


@wizard_step(steps.DEMO)
@require_POST
def demo_start(request: HttpRequest, migration: Migration) -> HttpResponse:
    try:
        services.run_start(migration=migration, kind=Run.Kind.DEMO, created_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The demo has started."))
    return redirect(steps.DEMO.url(migration))


@wizard_step(steps.DEMO)
@require_POST
def demo_restart(request: HttpRequest, migration: Migration) -> HttpResponse:
    """ "I have fixed the errors": the demo again, writing its records anew."""
    try:
        services.demo_restart(migration=migration, created_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The demo has started again."))
    return redirect(steps.DEMO.url(migration))


@login_required
@require_http_methods(["GET", "POST"])
def demo_rollback(request: HttpRequest, migration_id: int) -> HttpResponse:
    """ "Remove the demo's records from the target": asks first (GET), starts the removal
    on the confirmation (POST). Whoever may not start runs gets a 404, the page included."""
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.RUN
    )
    back = steps.RUN if request.GET.get("from") == steps.RUN.slug else steps.DEMO
    if request.method == "POST":
        try:
            services.demo_rollback_start(migration=migration, created_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The demo's records are being removed from the target."))
        return redirect(steps.DEMO.url(migration))
    return render_step(
        request,
        "wizard/steps/demo_rollback.html",
        migration=migration,
        step=back,
        context={
            **run_pages.demo_records_context(migration=migration),
            "back_url": back.url(migration),
        },
    )
