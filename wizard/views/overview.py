"""A migration's address: it opens the step the user is at."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from migrator import selectors
from wizard import steps


@login_required
def migration_continue(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(user=request.user, migration_id=migration_id)
    return redirect(steps.first_open_step(migration).url(migration))
