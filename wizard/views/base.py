"""What every step view shares: who may see the migration, reachability, the layout."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from migrator import policy, selectors
from migrator.models import Migration
from wizard import steps
from wizard.steps import Step

StepView = Callable[..., HttpResponse]


def wizard_step(step: Step) -> Callable[[StepView], StepView]:
    """Load the migration for the signed-in user (404 for anyone the policy does not let
    open or save this step) and keep the user on steps they can reach; the view is
    called as ``view(request, migration, ...)``."""

    def decorate(view: StepView) -> StepView:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, migration_id: int, *args: Any, **kwargs: Any):
            migration = selectors.migration_for_user(
                user=request.user,
                migration_id=migration_id,
                action=steps.step_action(step, method=request.method or "GET"),
            )
            if step not in steps.steps_for(migration) or not steps.is_reachable(migration, step):
                messages.info(request, _("Finish this step first."))
                return redirect(steps.first_open_step(migration).url(migration))
            return view(request, migration, *args, **kwargs)

        return wrapped

    return decorate


def render_step(
    request: HttpRequest,
    template: str,
    *,
    migration: Migration,
    step: Step,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a step page inside the wizard's layout (templates/wizard/step_base.html)."""
    allowed = allowed_actions(request, migration)
    return render(
        request,
        template,
        {
            **steps.step_context(migration, step, openable=steps.openable_steps(allowed)),
            "allowed": allowed,
            **(context or {}),
        },
        status=status,
    )


def allowed_actions(request: HttpRequest, migration: Migration) -> frozenset[str]:
    """What the user may do here, for templates to show or leave out its controls."""
    return frozenset(action.value for action in policy.allowed_actions(request.user, migration))


def next_step_redirect(migration: Migration, step: Step) -> HttpResponse:
    """After saving a step: on to the next one (or the first one still open)."""
    migration.refresh_from_db()
    applicable = steps.steps_for(migration)
    index = applicable.index(step) if step in applicable else -1
    if 0 <= index < len(applicable) - 1:
        return redirect(applicable[index + 1].url(migration))
    return redirect(steps.first_open_step(migration).url(migration))
