"""The site's routes, plus a plain page for each wizard step whose page this build lacks.

The step pages are built on other branches in parallel; the step indicator of the payment
step links to all of them. Where a step's page exists (after the merge) nothing is added,
so these tests then run against the real pages.
"""

from django.http import HttpResponse
from django.urls import NoReverseMatch, path, reverse

from migrator.urls import urlpatterns as site_patterns
from wizard import steps


def _missing(url_name: str) -> bool:
    try:
        reverse(url_name, urlconf="migrator.urls", args=[1])
    except NoReverseMatch:
        return True
    return False


def _step_page(step: steps.Step):
    def view(request, migration_id: int) -> HttpResponse:
        return HttpResponse(f"<h1>{step.title}</h1>", content_type="text/html")

    return view


urlpatterns = [
    *site_patterns,
    *(
        path(f"migrations/<int:migration_id>/{step.slug}/", _step_page(step), name=step.url_name)
        for step in steps.ALL_STEPS
        if _missing(step.url_name)
    ),
]
