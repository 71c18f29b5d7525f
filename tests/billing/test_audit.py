"""The migration's activity log records the payment, however the order came to be paid:
nothing to pay, an invoice staff mark paid, or Stripe's signed notification (once)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing import services
from billing.models import Order, PlanPrice, PriceTier, Pricing
from migrator.models import AuditEvent
from tests.billing.conftest import DETAILS
from tests.billing.test_stripe import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    event,
    post_webhook,
    session_json,
    signed,
)

pytestmark = pytest.mark.django_db


def paid_events(migration) -> list[tuple[str | None, str]]:
    return [
        (event.actor.email if event.actor else None, event.detail)
        for event in AuditEvent.objects.filter(migration=migration, action=AuditEvent.Action.PAID)
    ]


def submit(migration, plan: str = "basic") -> Order:
    return services.order_submit(
        migration=migration, created_by=migration.owner, plan=plan, details=DETAILS
    )


def test_an_order_with_nothing_to_pay_is_recorded_paid(billing_on, migration):
    Pricing.objects.update(minimum_price=0)
    PriceTier.objects.update(price_per_record=0)
    PlanPrice.objects.update(price=Decimal(0))
    PlanPrice.objects.filter(plan="premium").update(price=Decimal("100"))
    order = submit(migration)
    assert order.status == Order.Status.PAID
    assert paid_events(migration) == [(migration.owner.email, f"{order.number}: 0.00 EUR")]


def test_an_invoice_marked_paid_by_staff_is_recorded_as_the_customers_payment(
    billing_on, migration, staff
):
    order = submit(migration)
    assert paid_events(migration) == []
    services.order_mark_paid(order=order, staff=staff, reference="Transfer 42")
    assert paid_events(migration) == [
        (migration.owner.email, f"{order.number}: {order.total} {order.currency}")
    ]


def test_stripes_notification_is_recorded_once(billing_on, settings, client, migration):
    settings.BILLING_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    order = submit(migration, plan="premium")
    payload = event("checkout.session.completed", session_json(order, paid=True))
    assert post_webhook(client, payload, signed(payload)).status_code == 200
    assert post_webhook(client, payload, signed(payload)).status_code == 200  # a retry
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert paid_events(migration) == [
        (migration.owner.email, f"{order.number}: {order.total} {order.currency}")
    ]
