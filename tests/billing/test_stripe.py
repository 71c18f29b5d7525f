"""Stripe Checkout through the SDK, Stripe's HTTP faked with `responses`, and its signed
webhook: a payment marks the order paid; a forged signature and a replayed event change
nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing import selectors, services
from billing.models import Order, PaymentEvent
from tests.billing.conftest import DETAILS

SECRET_KEY = "sk_test_51Billing"
WEBHOOK_SECRET = "whsec_test_secret"
SESSIONS = "https://api.stripe.com/v1/checkout/sessions"
WEBHOOK = "billing_stripe_webhook"


@pytest.fixture
def stripe_on(billing_on, settings):
    settings.BILLING_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def fake_stripe():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def session_json(order: Order, *, session_id="cs_test_a1", paid=False, **fields) -> dict:
    values = {
        "id": session_id,
        "object": "checkout.session",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "client_reference_id": str(order.pk),
        "metadata": {"order_id": str(order.pk)},
        "payment_status": "paid" if paid else "unpaid",
        "status": "complete" if paid else "open",
        "payment_intent": "pi_3Paid" if paid else None,
        "amount_total": int(order.total * 100),
        "currency": order.currency.lower(),
        "expires_at": int(time.time()) + 24 * 3600,
    }
    values.update(fields)
    return values


def signed(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    timestamp = at or int(time.time())
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


def event(event_type: str, obj: dict, *, event_id: str = "evt_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()


def post_webhook(client, payload: bytes, signature: str):
    return client.post(
        reverse(WEBHOOK),
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )


@pytest.fixture
def order(stripe_on, migration) -> Order:
    return services.order_submit(
        migration=migration, created_by=migration.owner, plan="premium", details=DETAILS
    )


def test_checkout_opens_a_stripe_session_for_the_order(order, fake_stripe):
    fake_stripe.post(SESSIONS, json=session_json(order))
    url = services.order_checkout(
        order=order, success_url="https://migrate.example/o/1/", cancel_url="https://x/c/"
    )
    assert url == "https://checkout.stripe.com/c/pay/cs_test_a1"
    assert order.provider == Order.Provider.STRIPE
    assert order.checkout_reference == "cs_test_a1"
    request = fake_stripe.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    sent = parse_qs(request.body)
    assert sent["mode"] == ["payment"]
    assert sent["client_reference_id"] == [str(order.pk)]
    assert sent["customer_email"] == ["billing@acme.example"]
    assert sent["line_items[0][price_data][unit_amount]"] == ["12000"]
    assert sent["line_items[0][price_data][currency]"] == ["eur"]
    assert sent["success_url"] == ["https://migrate.example/o/1/?session_id={CHECKOUT_SESSION_ID}"]


def test_an_open_session_is_reused(order, fake_stripe):
    fake_stripe.post(SESSIONS, json=session_json(order))
    first = services.order_checkout(order=order, success_url="https://a/", cancel_url="https://b/")
    again = services.order_checkout(order=order, success_url="https://a/", cancel_url="https://b/")
    assert first == again
    assert len(fake_stripe.calls) == 1


def test_stripe_refusing_says_why(order, fake_stripe):
    fake_stripe.post(
        SESSIONS,
        status=400,
        json={"error": {"type": "invalid_request_error", "message": "Amount too large."}},
    )
    with pytest.raises(ValidationError) as caught:
        services.order_checkout(order=order, success_url="https://a/", cancel_url="https://b/")
    assert "Amount too large." in " ".join(caught.value.messages)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not order.checkout_reference


def test_signed_completed_session_marks_the_order_paid_once(client, order, fake_stripe):
    fake_stripe.post(SESSIONS, json=session_json(order))
    services.order_checkout(order=order, success_url="https://a/", cancel_url="https://b/")
    payload = event("checkout.session.completed", session_json(order, paid=True))

    response = post_webhook(client, payload, signed(payload))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.payment_reference == "pi_3Paid"
    assert selectors.is_step_done(migration=order.migration)
    paid_at = order.paid_at

    # Stripe delivers again (a retry): accepted, nothing changes.
    again = post_webhook(client, payload, signed(payload))
    assert again.status_code == 200
    order.refresh_from_db()
    assert order.paid_at == paid_at
    assert PaymentEvent.objects.count() == 1
    assert PaymentEvent.objects.get().outcome == "paid"


def test_a_replayed_event_cannot_undo_a_later_change(client, order, staff):
    paid = event("checkout.session.completed", session_json(order, paid=True), event_id="evt_p")
    assert post_webhook(client, paid, signed(paid)).status_code == 200
    services.order_mark_refunded(order=Order.objects.get(pk=order.pk), staff=staff)
    # The same payment event, replayed with a fresh signature, is not applied again.
    assert post_webhook(client, paid, signed(paid)).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "t=1,v1=deadbeef",
        "forged",
    ],
)
def test_a_bad_signature_is_refused_and_changes_nothing(client, order, signature):
    payload = event("checkout.session.completed", session_json(order, paid=True))
    response = post_webhook(client, payload, signature)
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert not PaymentEvent.objects.exists()


def test_a_payload_signed_with_another_secret_is_refused(client, order):
    payload = event("checkout.session.completed", session_json(order, paid=True))
    assert post_webhook(client, payload, signed(payload, secret="whsec_other")).status_code == 400
    # A genuine signature over a different body does not cover a tampered one.
    genuine = signed(payload)
    tampered = payload.replace(b'"unpaid"', b'"paid"').replace(b"12000", b"1")
    assert post_webhook(client, tampered, genuine).status_code == 400
    # Nor does an old signature (replayed outside Stripe's tolerance).
    stale = signed(payload, at=int(time.time()) - 3600)
    assert post_webhook(client, payload, stale).status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_a_payment_of_another_amount_does_not_pay_the_order(client, order):
    payload = event("checkout.session.completed", session_json(order, paid=True, amount_total=100))
    assert post_webhook(client, payload, signed(payload)).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert PaymentEvent.objects.get().outcome == "amount_mismatch"


def test_an_unpaid_completion_waits_for_the_async_payment(client, order):
    pending = event("checkout.session.completed", session_json(order), event_id="evt_a")
    post_webhook(client, pending, signed(pending))
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    succeeded = event(
        "checkout.session.async_payment_succeeded",
        session_json(order, paid=True),
        event_id="evt_b",
    )
    post_webhook(client, succeeded, signed(succeeded))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_expiry_fails_only_the_current_session(client, order, fake_stripe):
    fake_stripe.post(SESSIONS, json=session_json(order, session_id="cs_current"))
    services.order_checkout(order=order, success_url="https://a/", cancel_url="https://b/")
    old = event("checkout.session.expired", session_json(order, session_id="cs_old"), event_id="e1")
    post_webhook(client, old, signed(old))
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    current = event(
        "checkout.session.expired", session_json(order, session_id="cs_current"), event_id="e2"
    )
    post_webhook(client, current, signed(current))
    order.refresh_from_db()
    assert order.status == Order.Status.FAILED
    assert order.status_reason == "The payment page expired before payment."


def test_a_full_refund_unpays_the_migration(client, order):
    paid = event("checkout.session.completed", session_json(order, paid=True), event_id="e1")
    post_webhook(client, paid, signed(paid))
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_3Paid",
        "amount": 12000,
        "amount_refunded": 12000,
        "currency": "eur",
        "metadata": {},
    }
    refund = event("charge.refunded", charge, event_id="e2")
    assert post_webhook(client, refund, signed(refund)).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert not selectors.is_step_done(migration=order.migration)


def test_events_of_other_kinds_are_acknowledged_and_ignored(client, order):
    payload = event("customer.created", {"id": "cus_1", "object": "customer"})
    assert post_webhook(client, payload, signed(payload)).status_code == 200
    assert PaymentEvent.objects.get().outcome == ""
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_back_from_stripe_the_order_page_asks_stripe(client, order, fake_stripe):
    fake_stripe.post(SESSIONS, json=session_json(order))
    services.order_checkout(order=order, success_url="https://a/", cancel_url="https://b/")
    fake_stripe.get(f"{SESSIONS}/cs_test_a1", json=session_json(order, paid=True))
    client.force_login(order.migration.owner)
    url = reverse("billing_order", args=[order.migration_id, order.pk])
    response = client.get(url, {"session_id": "cs_test_a1"})
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.total == Decimal("120.00")
    assert "Paid on" in response.content.decode()


def test_checkout_page_sends_the_payer_to_stripe(client, stripe_on, migration, fake_stripe):
    fake_stripe.post(SESSIONS, json={"id": "cs_x", "url": "https://checkout.stripe.com/c/pay/cs_x"})
    client.force_login(migration.owner)
    response = client.post(
        reverse("billing_checkout", args=[migration.pk]),
        {
            "plan": "basic",
            "company": "Acme SAS",
            "address": "12 rue de la Paix",
            "postal_code": "75002",
            "city": "Paris",
            "country": "France",
            "vat_id": "",
            "billing_email": "billing@acme.example",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_x"
    sent = parse_qs(fake_stripe.calls[0].request.body)
    order = Order.objects.get()
    assert sent["success_url"] == [
        f"http://testserver/migrations/{migration.pk}/pay/orders/{order.pk}/"
        "?session_id={CHECKOUT_SESSION_ID}"
    ]


def test_pay_now_goes_back_to_the_open_payment_page(client, order, fake_stripe):
    fake_stripe.post(SESSIONS, json=session_json(order))
    client.force_login(order.migration.owner)
    url = reverse("billing_order_pay", args=[order.migration_id, order.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_a1"
    assert client.post(url)["Location"] == response["Location"]
    assert len(fake_stripe.calls) == 1
    page = client.get(reverse("billing_order", args=[order.migration_id, order.pk]))
    assert "Pay now" in page.content.decode()


def test_webhooks_are_refused_without_a_signing_secret(client, order, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = event("checkout.session.completed", session_json(order, paid=True))
    assert post_webhook(client, payload, signed(payload)).status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
