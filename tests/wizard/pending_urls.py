"""The site's addresses, plus a plain page for each wizard step not built on this branch.

The step indicator links every step, so a step page cannot render until every step has
its URL. Steps are built on parallel branches; until they are merged, the missing ones
answer here. Once every step is in ``wizard/urls.py`` this adds nothing.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, path, reverse

from migrator.urls import urlpatterns as site_urlpatterns
from wizard.steps import ALL_STEPS


def _resolvable(name: str) -> bool:
    try:
        reverse(name, urlconf="migrator.urls", args=[1])
    except NoReverseMatch:
        return False
    return True


def _not_built(request: HttpRequest, migration_id: int) -> HttpResponse:
    return HttpResponse(
        f"The {request.resolver_match.url_name} step is built on another branch.",
        content_type="text/plain",
    )


MISSING_STEPS = [step for step in ALL_STEPS if not _resolvable(step.url_name)]

urlpatterns = [
    *site_urlpatterns,
    *(
        path(f"migrations/<int:migration_id>/{step.slug}/", _not_built, name=step.url_name)
        for step in MISSING_STEPS
    ),
]
