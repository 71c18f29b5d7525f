"""Step 3: which data moves (entities, with their counts on the source) and filters."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from connectors.schema import Entity
from migrator import policy, services
from migrator.models import Migration
from wizard import selection, steps
from wizard.forms_select import SelectDataForm
from wizard.views.base import next_step_redirect, render_step, wizard_step

#: Asked by the page instead of saving: read the counts again, or update the summary.
#: Both only read, so they also come as GET (teammates who may not save use them too).
REFRESH, PREVIEW = "refresh", "preview"


def _submitted(data: QueryDict, movable: list[Entity]) -> list[Entity]:
    values = set(data.getlist("entities"))
    return [entity for entity in movable if entity.value in values]


@wizard_step(steps.SELECT)
@require_http_methods(["GET", "POST"])
def select(request: HttpRequest, migration: Migration) -> HttpResponse:
    movable = selection.movable_entities(migration)
    data = request.POST if request.method == "POST" else request.GET
    action = data.get("action", "save" if request.method == "POST" else "")
    if action == "save":
        form = SelectDataForm(request.POST, entities=movable)
        if form.is_valid():
            services.migration_configure(
                migration=migration,
                entities=form.selected_entities(),
                filters=form.filters(),
                by=request.user,
            )
            messages.success(request, _("Your selection is saved."))
            return next_step_redirect(migration, steps.SELECT)
        selected = _submitted(request.POST, movable)
    elif action in (REFRESH, PREVIEW):
        # Nothing is saved: the page comes back as the user left it.
        form = SelectDataForm(initial=SelectDataForm.initial_from(data), entities=movable)
        selected = _submitted(data, movable)
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
            "can_save": policy.can(request.user, migration, policy.Action.CONFIGURE),
            "step_done": steps.is_step_done(migration, steps.SELECT),
        },
    )
