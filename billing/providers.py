"""Payment providers behind one interface.

- ``manual``: the operator sends an invoice and staff record the payment in the admin
  (self-hosted operators who bill by bank transfer);
- ``stripe``: a Stripe Checkout Session, confirmed by Stripe's signed webhook (or by asking
  Stripe for the session when the payer comes back).

A provider never changes an order itself: it says what happened (:class:`PaymentUpdate`)
and ``billing.services`` applies it, once.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import Order

logger = logging.getLogger(__name__)


class ProviderError(Exception):
    """The provider refused or could not be reached; ``user_message`` says so plainly."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class WebhookRefused(Exception):
    """A notification that is not provably from the provider (bad or missing signature)."""


class Outcome:
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where to send the payer (None: the payment is arranged outside, by invoice)."""

    url: str | None
    reference: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PaymentUpdate:
    """What a provider says happened to a payment."""

    event_id: str
    event_type: str
    #: One of :class:`Outcome`, or None when the event changes nothing.
    outcome: str | None
    order_id: int | None = None
    checkout_reference: str = ""
    payment_reference: str = ""
    #: The amount paid, in the currency's smallest unit, and the currency (lower case).
    amount_minor: int | None = None
    currency: str = ""
    reason: str = ""


class PaymentProvider(ABC):
    key: str

    @abstractmethod
    def checkout_start(self, *, order: Order, success_url: str, cancel_url: str) -> Checkout:
        """Open the payment of ``order``; raises :class:`ProviderError`."""

    def checkout_status(self, *, order: Order) -> PaymentUpdate | None:
        """Ask the provider where the order's checkout stands (None: nothing to ask)."""
        return None

    def webhook_parse(self, *, payload: bytes, signature: str) -> PaymentUpdate:
        """Verify a notification and say what it means; raises :class:`WebhookRefused`."""
        raise WebhookRefused(f"{self.key} sends no notifications")


class ManualInvoiceProvider(PaymentProvider):
    """The operator invoices; staff mark the order paid when the money arrives."""

    key = Order.Provider.MANUAL

    def checkout_start(self, *, order: Order, success_url: str, cancel_url: str) -> Checkout:
        return Checkout(url=None)


# Stripe counts these currencies in whole units, every other in hundredths.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)


def amount_in_minor_units(amount: Decimal, currency: str) -> int:
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return int(amount.quantize(Decimal(1)))
    return int((amount * 100).quantize(Decimal(1)))


class StripeProvider(PaymentProvider):
    """Stripe Checkout through the official SDK, over ``requests`` (what tests fake)."""

    key = Order.Provider.STRIPE

    def __init__(self, *, secret_key: str, webhook_secret: str) -> None:
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret

    def _client(self):
        import stripe

        return stripe.StripeClient(
            self.secret_key, http_client=stripe.RequestsClient(), max_network_retries=2
        )

    def checkout_start(self, *, order: Order, success_url: str, cancel_url: str) -> Checkout:
        import stripe

        name = _("Full migration “%(name)s”, %(plan)s plan") % {
            "name": order.migration.name,
            "plan": order.get_plan_display(),
        }
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": str(order.pk),
            "customer_email": order.billing_email,
            "metadata": {"order_id": str(order.pk), "order_number": order.number},
            "payment_intent_data": {"metadata": {"order_id": str(order.pk)}},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": order.currency.lower(),
                        "unit_amount": amount_in_minor_units(order.total, order.currency),
                        "product_data": {"name": name[:250]},
                    },
                }
            ],
            "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": cancel_url,
        }
        try:
            session = self._client().v1.checkout.sessions.create(params=params)
        except stripe.StripeError as error:
            logger.warning("Stripe refused a checkout for order %s: %s", order.pk, error)
            raise ProviderError(
                _("The payment provider could not open the payment page: %(reason)s")
                % {"reason": error.user_message or _("no reason given")}
            ) from None
        created = session.to_dict()
        expires = created.get("expires_at")
        return Checkout(
            url=created["url"],
            reference=created["id"],
            expires_at=datetime.fromtimestamp(expires, tz=UTC) if expires else None,
        )

    def checkout_status(self, *, order: Order) -> PaymentUpdate | None:
        import stripe

        if not order.checkout_reference:
            return None
        try:
            session = self._client().v1.checkout.sessions.retrieve(order.checkout_reference)
        except stripe.StripeError as error:
            logger.warning("Stripe did not answer for order %s: %s", order.pk, error)
            return None
        found = session.to_dict()
        update = self._session_update(
            event_id=f"retrieve:{found['id']}",
            event_type="checkout.session.retrieved",
            session=found,
        )
        # Only a payment is learnt this way; failures and expiries come by webhook.
        return update if update.outcome == Outcome.PAID else None

    def webhook_parse(self, *, payload: bytes, signature: str) -> PaymentUpdate:
        import stripe

        if not self.webhook_secret:
            raise WebhookRefused("STRIPE_WEBHOOK_SECRET is not set")
        try:
            event = self._client().construct_event(payload, signature, self.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise WebhookRefused(str(error)) from None
        data = event.to_dict()
        event_type = data.get("type", "")
        obj = (data.get("data") or {}).get("object") or {}
        event_id = data.get("id", "")
        if event_type == "charge.refunded":
            refunded = obj.get("amount_refunded", 0) >= obj.get("amount", 0) > 0
            return PaymentUpdate(
                event_id=event_id,
                event_type=event_type,
                outcome=Outcome.REFUNDED if refunded else None,
                order_id=_order_id((obj.get("metadata") or {}).get("order_id")),
                payment_reference=_id_of(obj.get("payment_intent")),
                amount_minor=obj.get("amount_refunded"),
                currency=obj.get("currency", ""),
            )
        if event_type.startswith("checkout.session."):
            return self._session_update(event_id=event_id, event_type=event_type, session=obj)
        return PaymentUpdate(event_id=event_id, event_type=event_type, outcome=None)

    @staticmethod
    def _session_update(*, event_id: str, event_type: str, session: dict) -> PaymentUpdate:
        payment_status = session.get("payment_status")
        outcome: str | None = None
        reason = ""
        if event_type in ("checkout.session.completed", "checkout.session.retrieved"):
            outcome = Outcome.PAID if payment_status == "paid" else None
        elif event_type == "checkout.session.async_payment_succeeded":
            outcome = Outcome.PAID
        elif event_type == "checkout.session.async_payment_failed":
            outcome, reason = Outcome.FAILED, gettext_noop("The payment did not go through.")
        elif event_type == "checkout.session.expired":
            outcome = Outcome.FAILED
            reason = gettext_noop("The payment page expired before payment.")
        order_id = _order_id(
            session.get("client_reference_id") or (session.get("metadata") or {}).get("order_id")
        )
        return PaymentUpdate(
            event_id=event_id,
            event_type=event_type,
            outcome=outcome,
            order_id=order_id,
            checkout_reference=session.get("id", ""),
            payment_reference=_id_of(session.get("payment_intent")),
            amount_minor=session.get("amount_total"),
            currency=session.get("currency") or "",
            reason=reason,
        )


def _order_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _id_of(value: Any) -> str:
    """A Stripe reference given as an id or as an expanded object."""
    if isinstance(value, dict):
        return str(value.get("id", ""))
    return str(value or "")


def provider(key: str | None = None) -> PaymentProvider:
    """The provider named ``key``, or the one the site is configured with."""
    key = key or settings.BILLING_PROVIDER
    if key == Order.Provider.STRIPE:
        return StripeProvider(
            secret_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET
        )
    if key == Order.Provider.MANUAL:
        return ManualInvoiceProvider()
    raise LookupError(f"no payment provider {key!r}")
