"""Amounts and durations as the pages and the payment provider show them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from billing.providers import ZERO_DECIMAL_CURRENCIES


def money(value: Decimal | int | str | None, currency: str = "EUR") -> str:
    """``1 234,50 EUR`` in French, ``1,234.50 EUR`` in English."""
    if value is None or value == "":
        return ""
    places = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
    amount = number_format(Decimal(value), decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{amount}\u00a0{currency}"


def unit_price(value: Decimal | str, currency: str = "EUR") -> str:
    """A price per record: at least two decimals, more only where they matter (0.025)."""
    amount = Decimal(value).normalize()
    places = max(2, -amount.as_tuple().exponent)
    text = number_format(Decimal(value), decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{currency}"


def duration(value: timedelta | None) -> str:
    """About how long: "2 h 30 min", "45 min", "under a minute"."""
    if value is None:
        return ""
    minutes = round(value.total_seconds() / 60)
    if minutes < 1:
        return _("under a minute")
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}
