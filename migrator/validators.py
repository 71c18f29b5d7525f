"""Validators the forms and services share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connectors.schema import is_email_address


def validate_email_address(value: str) -> None:
    """An e-mail address, ASCII or internationalised ("zoë@exämple.fr", "josé@example.com",
    an IDN domain): Django's own validator refuses accented local parts."""
    if not is_email_address(value):
        raise ValidationError(_("Enter a valid e-mail address."), code="invalid")
