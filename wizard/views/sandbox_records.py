"""The sandbox's readable page of a record, where the reports' links point."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from connectors.schema import Entity
from reports.sandbox_records import sandbox_record_page
from wizard import run_pages


# A record names a customer: no cache along the way keeps a copy.
@never_cache
@require_GET
def sandbox_record(
    request: HttpRequest, account_slug: str, record_id: str, *, platform: str, entity: str
) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    page = sandbox_record_page(
        user=request.user,
        platform=platform,
        account_slug=account_slug,
        entity=Entity(entity),
        record_id=record_id,
    )
    context = {
        "page": page,
        "entity_label": run_pages.entity_label(page.entity if page else entity),
        "record_id": record_id,
    }
    return render(
        request,
        "wizard/sandbox_record.html",
        context,
        status=200 if page is not None else 404,
    )
