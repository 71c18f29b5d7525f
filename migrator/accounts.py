"""Accounts: what an e-mail confirmation link is worth, and confirming it signs its user in.

A link confirms its address once and signs that user in then; opened again, or once
expired, it says so instead of showing a form that can only fail.
"""

from __future__ import annotations

import enum

from allauth.account import app_settings as account_settings
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.contrib.auth import login, logout
from django.core import signing
from django.http import HttpRequest

from migrator.models import User

SIGN_IN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


class LinkState(enum.StrEnum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    INVALID = "invalid"


def confirmation_link_state(*, key: str) -> tuple[LinkState, EmailAddress | None]:
    """Whether a confirmation key can still confirm its address, and which address."""
    try:
        pk = signing.loads(key, salt=account_settings.SALT)
    except signing.BadSignature:
        return LinkState.INVALID, None
    address = EmailAddress.objects.select_related("user").filter(pk=pk).first()
    if address is None:
        return LinkState.INVALID, None
    if address.verified:
        return LinkState.USED, address
    max_age = 60 * 60 * 24 * account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS
    try:
        signing.loads(key, salt=account_settings.SALT, max_age=max_age)
    except signing.SignatureExpired:
        return LinkState.EXPIRED, address
    except signing.BadSignature:
        return LinkState.INVALID, None
    return LinkState.VALID, address


def email_confirm_and_sign_in(*, request: HttpRequest, key: str) -> tuple[LinkState, User | None]:
    """Confirm the link's address and sign its user in (once: a used link does neither)."""
    state, _address = confirmation_link_state(key=key)
    if state != LinkState.VALID:
        return state, None
    confirmation = EmailConfirmationHMAC.from_key(key)
    confirmed = confirmation.confirm(request) if confirmation else None
    if confirmed is None:
        # Another account holds the address, or it was confirmed in the meantime.
        return LinkState.USED, None
    user = confirmed.user
    if request.user.is_authenticated and request.user.pk != user.pk:
        logout(request)
    if not request.user.is_authenticated:
        login(request, user, backend=SIGN_IN_BACKEND)
    return LinkState.VALID, user
