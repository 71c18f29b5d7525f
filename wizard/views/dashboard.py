"""Pages of the wizard. Views stay thin: read through selectors, write through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from migrator import policy, selectors, services
from migrator.models import Migration
from wizard.forms import MigrationNameForm


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    overviews = selectors.migration_overviews(
        migrations=selectors.migrations_visible_to(user=request.user), viewer=request.user
    )
    return render(request, "wizard/dashboard.html", {"overviews": overviews})


def _row(request: HttpRequest, migration: Migration) -> HttpResponse:
    [overview] = selectors.migration_overviews(
        migrations=selectors.migrations_visible_to(user=request.user).filter(pk=migration.pk),
        viewer=request.user,
    )
    return render(request, "wizard/partials/migration_row.html", {"overview": overview})


@login_required
@require_http_methods(["GET", "POST"])
def migration_create(request: HttpRequest) -> HttpResponse:
    form = MigrationNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            migration = services.migration_create(
                owner=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            form.add_error("name", error)
        else:
            messages.success(request, _("Migration “%(name)s” created.") % {"name": migration})
            return redirect("wizard_connect", migration.pk)
    return render(
        request,
        "wizard/migration_form.html",
        {"form": form, "title": _("New migration"), "submit_label": _("Create")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def migration_rename(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.CONFIGURE
    )
    form = MigrationNameForm(request.POST or None, initial={"name": migration.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.migration_rename(migration=migration, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error("name", error)
        else:
            if request.htmx:
                return _row(request, migration)
            messages.success(request, _("Migration renamed."))
            return redirect("dashboard")
    if request.htmx:
        return render(
            request,
            "wizard/partials/migration_rename_row.html",
            {"migration": migration, "form": form},
        )
    return render(
        request,
        "wizard/migration_form.html",
        {"form": form, "title": _("Rename migration"), "submit_label": _("Save")},
    )


@login_required
def migration_row(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(user=request.user, migration_id=migration_id)
    return _row(request, migration)


@login_required
@require_http_methods(["GET", "POST"])
def migration_delete(request: HttpRequest, migration_id: int) -> HttpResponse:
    migration = selectors.migration_for_user(
        user=request.user, migration_id=migration_id, action=policy.Action.DELETE
    )
    if request.method == "POST":
        try:
            services.migration_delete(migration=migration)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("migration_delete", migration.pk)
        messages.success(request, _("Migration “%(name)s” deleted.") % {"name": migration})
        return redirect("dashboard")
    return render(request, "wizard/migration_delete.html", {"migration": migration})
