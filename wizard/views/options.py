"""Step 6: the automated options of the pair, and the records of a custom demo."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from connectors.base import ConnectorBase
from connectors.registry import UnknownConnectorError, registry
from migrator import services
from migrator.models import Migration
from wizard import steps
from wizard.configure_forms import OptionsForm
from wizard.configure_pages import options_page
from wizard.views.base import next_step_redirect, render_step, wizard_step


def source_connector_class(migration: Migration) -> type[ConnectorBase] | None:
    """The source's connector class, when the source is connected and installed."""
    source = migration.source
    if source is None:
        return None
    try:
        return registry.get(source.platform)
    except UnknownConnectorError:
        return None


@require_http_methods(["GET", "POST"])
@wizard_step(steps.OPTIONS)
def options(request: HttpRequest, migration: Migration) -> HttpResponse:
    page = options_page(migration)
    source_class = source_connector_class(migration)
    form = OptionsForm(
        request.POST if request.method == "POST" else None,
        available=page.available,
        demo=page.demo,
        saved=migration.configured_options(),
        source_name=source_class.display_name if source_class else "",
        source_ids=source_class.record_id_pattern if source_class else None,
        marker_locked=page.marker.locked,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.migration_configure(
                migration=migration, options=form.options(), by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Options saved."))
            return next_step_redirect(migration, steps.OPTIONS)
    return render_step(
        request,
        "wizard/steps/options.html",
        migration=migration,
        step=steps.OPTIONS,
        context={
            "page": page,
            "form": form,
            "step_done": steps.is_step_done(migration, steps.OPTIONS),
        },
    )
