"""Response headers that limit what a page may load and use.

Django 5.2 has no Content-Security-Policy of its own (it arrives in 6.0), so the policy
and the Permissions-Policy are set here, on every response, from the settings
``CONTENT_SECURITY_POLICY`` and ``PERMISSIONS_POLICY``. A view that needs another policy
sets the header itself and is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


def header_value(directives: Mapping[str, Sequence[str]], *, separator: str) -> str:
    """``{"script-src": ["'self'"]}`` as ``script-src 'self'`` (CSP) or, with
    Permissions-Policy's ``=(…)`` form, as ``camera=()``."""
    if separator == "=":
        return ", ".join(f"{name}=({' '.join(values)})" for name, values in directives.items())
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.content_security_policy = header_value(settings.CONTENT_SECURITY_POLICY, separator=" ")
        self.permissions_policy = header_value(settings.PERMISSIONS_POLICY, separator="=")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Django's debug pages for 404 and 500 (DEBUG only) style themselves inline.
        debug_page = settings.DEBUG and response.status_code in (404, 500)
        if "Content-Security-Policy" not in response and not debug_page:
            response["Content-Security-Policy"] = self.content_security_policy
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.permissions_policy
        return response
