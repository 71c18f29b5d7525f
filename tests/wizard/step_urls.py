"""The project's URLs, plus a stand-in for each wizard step another branch serves.

Every step page draws the whole step indicator, which reverses the URL of every step
(wizard/steps.py). Steps built in other branches (connect, scope, select, demo, run)
are not served by this one until they are merged: their names then resolve to a
404, so the pages of this branch render. Once merged, nothing is added here.
"""

from __future__ import annotations

from django.http import HttpResponseNotFound
from django.urls import NoReverseMatch, path, reverse

from migrator.urls import urlpatterns as project_urlpatterns
from wizard.steps import ALL_STEPS


def _not_in_this_branch(request, migration_id: int):
    return HttpResponseNotFound("This step is served by another branch.")


def _missing_step_names() -> list[str]:
    missing = []
    for step in ALL_STEPS:
        try:
            reverse(step.url_name, args=[1], urlconf="migrator.urls")
        except NoReverseMatch:
            missing.append(step.url_name)
    return missing


urlpatterns = [
    *project_urlpatterns,
    *(
        path(f"migrations/<int:migration_id>/{name}/", _not_in_this_branch, name=name)
        for name in _missing_step_names()
    ),
]
