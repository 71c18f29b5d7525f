"""Step 2: the part of the target the migration writes to (an inbox, a channel…)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from connectors.errors import ConnectorError
from connectors.messages import translated
from connectors.registry import registry
from migrator import discovery, services
from migrator.models import Migration
from wizard import steps
from wizard.forms_scope import ScopeForm
from wizard.text import as_sentence, scope_kind_label
from wizard.views.base import next_step_redirect, render_step, wizard_step


@wizard_step(steps.SCOPE)
@require_http_methods(["GET", "POST"])
def scope(request: HttpRequest, migration: Migration) -> HttpResponse:
    assert migration.target is not None  # the step is only reachable once connected
    target_class = registry.get_target(migration.target.platform)
    kind = target_class.capabilities.scope_kind
    assert kind is not None  # the step only applies when the target needs a scope
    refresh = request.method == "GET" and "refresh" in request.GET
    error = ""
    try:
        scopes = discovery.target_scopes(migration=migration, refresh=refresh)
    except ConnectorError as failure:
        scopes, error = [], as_sentence(translated(failure))
    data = request.POST if request.method == "POST" else None
    initial = {"scope": migration.target_scope_id} if migration.target_scope_id else None
    form = ScopeForm(data, scopes=scopes, label=scope_kind_label(kind), initial=initial)
    if request.method == "POST" and not error and form.is_valid():
        chosen = form.chosen()
        services.migration_configure(migration=migration, target_scope=chosen, by=request.user)
        messages.success(
            request, _("The migration writes to “%(scope)s”.") % {"scope": chosen.name}
        )
        return next_step_redirect(migration, steps.SCOPE)
    return render_step(
        request,
        "wizard/steps/scope.html",
        migration=migration,
        step=steps.SCOPE,
        context={
            "form": form,
            "scopes": scopes,
            "error": error,
            "kind": kind,
            "target_name": target_class.display_name,
            "step_done": steps.is_step_done(migration, steps.SCOPE),
        },
    )
