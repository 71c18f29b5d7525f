"""Step 5: map statuses, types, priorities, custom fields and article statuses."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from connectors.errors import ConnectorError
from connectors.messages import translated
from migrator import services
from migrator.models import Migration
from wizard import steps
from wizard.configure_forms import MappingForm
from wizard.configure_pages import mapping_page
from wizard.views.base import next_step_redirect, render_step, wizard_step

TEMPLATE = "wizard/steps/mapping.html"


@require_http_methods(["GET", "POST"])
@wizard_step(steps.MAP)
def mapping(request: HttpRequest, migration: Migration) -> HttpResponse:
    refresh = request.method == "POST" and "refresh" in request.POST
    try:
        page = mapping_page(migration, refresh=refresh)
    except ConnectorError as error:
        return render_step(
            request,
            TEMPLATE,
            migration=migration,
            step=steps.MAP,
            context={"read_error": translated(error)},
        )
    if refresh:
        messages.success(request, _("Both help desks' fields were read again."))
        return redirect(steps.MAP.url(migration))
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        value_maps=page.value_maps,
        custom=page.custom,
        values_url=reverse("wizard_map_values", args=[migration.pk]),
    )
    if request.method == "POST" and form.is_valid():
        services.migration_configure(
            migration=migration, field_mappings=form.field_mappings(), by=request.user
        )
        messages.success(request, _("Field mapping saved."))
        return next_step_redirect(migration, steps.MAP)
    return render_step(
        request,
        TEMPLATE,
        migration=migration,
        step=steps.MAP,
        context={
            "page": page,
            "form": form,
            "step_done": steps.is_step_done(migration, steps.MAP),
        },
    )


@require_GET
@wizard_step(steps.MAP)
def mapping_values(request: HttpRequest, migration: Migration) -> HttpResponse:
    """The option-by-option map of one custom field for the target field just chosen
    (htmx swaps it in when the field's select changes)."""
    if not request.htmx:
        return redirect(steps.MAP.url(migration))
    try:
        index = int(request.GET.get("field", ""))
    except ValueError:
        raise Http404("No such field.") from None
    try:
        page = mapping_page(migration)
    except ConnectorError as error:
        return render(request, "wizard/steps/partials/read_error.html", {"error": error})
    if page.custom is None or not 0 <= index < len(page.custom.rows):
        raise Http404("No such field.")
    chosen = request.GET.get(f"field-{index}", "")
    form = MappingForm(value_maps={}, custom=page.custom, chosen_targets={index: chosen})
    return render(
        request,
        "wizard/steps/partials/value_map.html",
        {"index": index, "value_rows": form.field_value_rows(index), "page": page},
    )
