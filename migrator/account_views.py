"""The e-mail confirmation page: it confirms the address and signs its user in."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from migrator.accounts import LinkState, confirmation_link_state, email_confirm_and_sign_in


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, key: str) -> HttpResponse:
    if request.method == "POST":
        state, user = email_confirm_and_sign_in(request=request, key=key)
        if user is not None:
            confirmed = _("Your address %(email)s is confirmed; you are signed in.")
            messages.success(request, confirmed % {"email": user.email})
            return redirect(settings.LOGIN_REDIRECT_URL)
        address = None
    else:
        state, address = confirmation_link_state(key=key)
    status = 200 if state == LinkState.VALID else 410 if state != LinkState.INVALID else 404
    return render(
        request,
        "account/email_confirm.html",
        {"state": state.value, "key": key, "email": address.email if address else ""},
        status=status,
    )
