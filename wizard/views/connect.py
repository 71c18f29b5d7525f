"""Step 1: connect the source and the target help desks."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from migrator import selectors, services
from migrator.models import Connection, Migration
from wizard import steps
from wizard.connect import (
    SIDES,
    Refusal,
    Role,
    connect_sides,
    connect_url,
    connector_for,
    keep_params,
    other_side,
)
from wizard.forms_connect import ConnectionChoiceForm, CredentialsForm
from wizard.text import as_sentence
from wizard.views.base import render_step, wizard_step

TEMPLATE = "wizard/steps/connect.html"


def _role(side: str) -> Role:
    if side not in SIDES:
        raise Http404("No such side.")
    return "source" if side == "source" else "target"


def _render(
    request: HttpRequest,
    migration: Migration,
    *,
    params: QueryDict,
    refusal: Refusal | None = None,
) -> HttpResponse:
    sides = connect_sides(request=request, migration=migration, params=params, refusal=refusal)
    return render_step(
        request,
        TEMPLATE,
        migration=migration,
        step=steps.CONNECT,
        context={"sides": sides, "step_done": steps.is_step_done(migration, steps.CONNECT)},
    )


def _connected(
    request: HttpRequest,
    migration: Migration,
    role: Role,
    connection: Connection,
    params: QueryDict,
) -> HttpResponse:
    """Point the migration at the connection, then back to the page showing it."""
    keep = keep_params(params, other_side(role), migration)
    services.migration_configure(migration=migration, by=request.user, **{role: connection})
    messages.success(
        request,
        _("Connected to %(account)s.") % {"account": connection.account_name},
    )
    return redirect(connect_url(migration, keep))


@wizard_step(steps.CONNECT)
@require_GET
def connect(request: HttpRequest, migration: Migration) -> HttpResponse:
    return _render(request, migration, params=request.GET)


@wizard_step(steps.CONNECT)
@require_POST
def connect_side(request: HttpRequest, migration: Migration, side: str) -> HttpResponse:
    """ "Connect": check the credentials at once, store them, point the migration at them."""
    role = _role(side)
    platform = connector_for(request.POST.get("platform"), role)
    if platform is None:
        messages.error(request, _("Choose the platform first."))
        return redirect(
            connect_url(migration, keep_params(request.POST, other_side(role), migration))
        )
    form = CredentialsForm(request.POST, credentials_model=platform.credentials_model, prefix=role)
    refusal = Refusal(role=role, platform=platform, form=form)
    if form.is_valid():
        try:
            # A migration's connections are its owner's, whichever teammate connects them.
            connection = services.connection_create(
                owner=migration.owner, platform=platform.key, credentials=form.credentials()
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "refused":
                refusal.message = as_sentence(error.messages[0])
            else:
                form.add_refusal(error)
        else:
            return _connected(request, migration, role, connection, request.POST)
    return _render(request, migration, params=request.POST, refusal=refusal)


@wizard_step(steps.CONNECT)
@require_POST
def connect_reuse(request: HttpRequest, migration: Migration, side: str) -> HttpResponse:
    """Reuse one of the user's earlier connections, checked again first."""
    role = _role(side)
    form = ConnectionChoiceForm(request.POST)
    if not form.is_valid():
        raise Http404("No such connection.")
    connection = (
        selectors.connections_reusable_on(migration=migration, user=request.user)
        .filter(pk=form.cleaned_data["connection"])
        .first()
    )
    platform = connector_for(connection.platform if connection else None, role)
    if connection is None or platform is None:
        raise Http404("No such connection.")
    try:
        services.connection_verify(connection=connection)
    except ValidationError as error:
        refusal = Refusal(
            role=role,
            platform=platform,
            form=CredentialsForm(credentials_model=platform.credentials_model, prefix=role),
            message=as_sentence(error.messages[0]),
        )
        return _render(request, migration, params=request.POST, refusal=refusal)
    return _connected(request, migration, role, connection, request.POST)
