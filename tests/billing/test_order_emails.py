"""Submitting an order sends its quote (the invoice, when paid by invoice); paying it
sends the receipt — as the order page says."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from billing import services
from billing.models import Order
from tests.billing.conftest import DETAILS
from tests.billing.test_views import CHECKOUT_FORM

pytestmark = pytest.mark.usefixtures("billing_on")


def test_an_invoice_order_mails_the_invoice_then_the_receipt(
    client, migration, staff, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8123"
    client.force_login(migration.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing_checkout", args=[migration.pk]), CHECKOUT_FORM)
    order = Order.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "The invoice goes to billing@acme.example" in page

    [invoice] = mail.outbox
    assert set(invoice.to) == {"billing@acme.example", migration.owner.email}
    assert f"Invoice for order {order.number}" in invoice.subject
    assert "This e-mail is your invoice." in invoice.body
    assert "120.00\u00a0EUR" in invoice.body  # the quote's total
    assert "Tickets (150)" in invoice.body
    assert "Acme SAS" in invoice.body and "FR40303265045" in invoice.body
    assert " on Memory Desk → " in invoice.body
    order_url = reverse("billing_order", args=[migration.pk, order.pk])
    assert f"http://127.0.0.1:8123{order_url}" in invoice.body

    with django_capture_on_commit_callbacks(execute=True):
        services.order_mark_paid(order=order, staff=staff, reference="INV-2024-7")
    receipt = mail.outbox[-1]
    assert len(mail.outbox) == 2
    assert f"Receipt for order {order.number}" in receipt.subject
    assert "is paid (120.00\u00a0EUR)" in receipt.body
    assert "INV-2024-7" in receipt.body
    assert reverse("billing_receipt", args=[migration.pk, order.pk]) in receipt.body


def test_an_order_with_nothing_to_pay_sends_the_receipt_only(
    migration, django_capture_on_commit_callbacks
):
    from billing.models import PlanPrice, PriceTier, Pricing

    PriceTier.objects.update(price_per_record=0)
    Pricing.objects.update(minimum_price=0)
    PlanPrice.objects.update(price=0)
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_submit(
            migration=migration, created_by=migration.owner, plan="basic", details=DETAILS
        )
    assert order.status == Order.Status.PAID
    assert [message.subject for message in mail.outbox] == [
        f"[Helpdesk Migrator] Receipt for order {order.number}"
    ]
