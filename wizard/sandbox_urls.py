"""The sandbox's record pages, at the addresses the reports link to (before the
emulators' own routes, which answer API calls only)."""

from django.urls import path

from reports.sandbox_records import sandbox_record_routes
from wizard.views.sandbox_records import sandbox_record

urlpatterns = [
    path(
        route.pattern,
        sandbox_record,
        {"platform": route.platform, "entity": route.entity.value},
        name=f"sandbox_record_{route.platform}_{route.entity.value}",
    )
    for route in sandbox_record_routes()
]
