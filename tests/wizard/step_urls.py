"""The project's URLs, for tests of the demo and full-run pages on a branch where the
pages of steps 1-6 are not merged yet.

Every step page links to every step (the step indicator), so their names must resolve.
The names the project already routes are left alone: once those steps are merged, this
module adds nothing and serves exactly the project's URLs.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.urls import get_resolver, path

from migrator.urls import urlpatterns as project_urlpatterns
from wizard import steps


def step_elsewhere(request: HttpRequest, migration_id: int):
    raise Http404("This step's page is built on another branch.")


_routed = set(get_resolver("migrator.urls").reverse_dict.keys())

urlpatterns = [
    *project_urlpatterns,
    *(
        path(f"migrations/<int:migration_id>/{step.slug}/", step_elsewhere, name=step.url_name)
        for step in steps.ALL_STEPS
        if step.url_name not in _routed
    ),
]
