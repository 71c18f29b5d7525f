"""Template variables every page reads."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from migrator import policy


def support(request: HttpRequest) -> dict[str, object]:
    # Lazy: only pages that show the top bar's support link ask the database.
    return {"is_support_staff": SimpleLazyObject(lambda: policy.is_support_staff(request.user))}
