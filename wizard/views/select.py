"""Step 3: which data moves (entities, with their counts on the source) and filters."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from connectors.schema import Entity
from migrator import services
from migrator.models import Migration
from wizard import selection, steps
from wizard.forms_select import SelectDataForm
from wizard.views.base import next_step_redirect, render_step, wizard_step

#: Sent by the page instead of saving: read the counts again, or update the summary.
REFRESH, PREVIEW = "refresh", "preview"


def _submitted(request: HttpRequest, movable: list[Entity]) -> list[Entity]:
    values = set(request.POST.getlist("entities"))
    return [entity for entity in movable if entity.value in values]


@wizard_step(steps.SELECT)
@require_http_methods(["GET", "POST"])
def select(request: HttpRequest, migration: Migration) -> HttpResponse:
    movable = selection.movable_entities(migration)
    action = request.POST.get("action", "save") if request.method == "POST" else None
    if action == "save":
        form = SelectDataForm(request.POST, entities=movable)
        if form.is_valid():
            services.migration_configure(
                migration=migration, entities=form.selected_entities(), filters=form.filters()
            )
            messages.success(request, _("Your selection is saved."))
            return next_step_redirect(migration, steps.SELECT)
        selected = _submitted(request, movable)
    elif action in (REFRESH, PREVIEW):
        # Nothing is saved: the page comes back as the user left it.
        form = SelectDataForm(initial=SelectDataForm.initial_from(request.POST), entities=movable)
        selected = _submitted(request, movable)
    else:
        selected = selection.default_selection(migration, movable)
        form = SelectDataForm(
            initial=SelectDataForm.initial_for(
                selected=selected, filters=migration.configured_filters()
            ),
            entities=movable,
        )
    page = selection.select_page(
        migration=migration, movable=movable, selected=selected, refresh=action == REFRESH
    )
    return render_step(
        request,
        "wizard/steps/select.html",
        migration=migration,
        step=steps.SELECT,
        context={
            "form": form,
            "page": page,
            "step_done": steps.is_step_done(migration, steps.SELECT),
        },
    )
