"""Step 4: match the source's agents and groups to the target's."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from connectors.errors import ConnectorError
from connectors.messages import translated
from migrator import services
from migrator.models import Migration
from wizard import steps
from wizard.configure_forms import BULK_ASSIGN, MatchForm, with_bulk_assignment
from wizard.configure_pages import match_page
from wizard.views.base import next_step_redirect, render_step, wizard_step

TEMPLATE = "wizard/steps/match.html"


@require_http_methods(["GET", "POST"])
@wizard_step(steps.MATCH)
def match(request: HttpRequest, migration: Migration) -> HttpResponse:
    refresh = request.method == "POST" and "refresh" in request.POST
    try:
        page = match_page(migration, refresh=refresh)
    except ConnectorError as error:
        return render_step(
            request,
            TEMPLATE,
            migration=migration,
            step=steps.MATCH,
            context={"read_error": translated(error)},
        )
    if refresh:
        messages.success(request, _("Both help desks were read again."))
        return redirect(steps.MATCH.url(migration))
    data = request.POST if request.method == "POST" else None
    bulk = data is not None and BULK_ASSIGN in data and page.agents is not None
    if bulk:
        assert data is not None and page.agents is not None
        data, level, message = with_bulk_assignment(data, agents=page.agents)
        messages.add_message(request, level, message)
    form = MatchForm(
        data,
        agents=page.agents,
        groups=page.groups,
        assign_unassigned_to_default=migration.configured_matches().assign_unassigned_to_default,
    )
    if request.method == "POST" and not bulk and form.is_valid():
        services.migration_configure(migration=migration, matches=form.matches(), by=request.user)
        messages.success(request, _("Matching saved."))
        return next_step_redirect(migration, steps.MATCH)
    return render_step(
        request,
        TEMPLATE,
        migration=migration,
        step=steps.MATCH,
        context={
            "page": page,
            "form": form,
            "step_done": steps.is_step_done(migration, steps.MATCH),
        },
    )
