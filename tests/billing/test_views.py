"""The payment step's pages through the test client: GET, valid and invalid POST, and a
404 for anyone else; the step in the wizard; staff's admin actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import EntityPrice, Order, PriceTier
from migrator import configuration
from migrator.models import Run
from tests.billing.conftest import DETAILS, completed_run, paid_order
from tests.migrator.engine import memory
from wizard import steps

pytestmark = pytest.mark.usefixtures("billing_on")

CHECKOUT_FORM = {
    "plan": "premium",
    "company": "Acme SAS",
    "address": "12 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "country": "France",
    "vat_id": "FR40303265045",
    "billing_email": "billing@acme.example",
}


@pytest.fixture
def owner_client(client, migration):
    client.force_login(migration.owner)
    return client


@pytest.fixture
def stranger_client(client, make_user):
    client.force_login(make_user())
    return client


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("migrator.engine.scheduling.run_begin", lambda run: None)


def submitted(migration, plan="premium") -> Order:
    from billing import services

    return services.order_submit(
        migration=migration, created_by=migration.owner, plan=plan, details=DETAILS
    )


# --------------------------------------------------------------------------- the step


def test_pay_is_a_step_between_the_demo_and_the_full_run(migration, settings):
    slugs = [step.slug for step in steps.steps_for(migration)]
    assert slugs[slugs.index("demo") + 1 : slugs.index("demo") + 3] == ["pay", "run"]
    assert steps.is_reachable(migration, steps.PAY)
    assert not steps.is_reachable(migration, steps.RUN)
    settings.BILLING_ENABLED = False
    assert "pay" not in [step.slug for step in steps.steps_for(migration)]
    assert steps.is_reachable(migration, steps.RUN)


def test_paying_opens_the_full_run_step(migration, staff):
    assert not steps.is_step_done(migration, steps.PAY)
    paid_order(migration=migration, staff=staff)
    assert steps.is_step_done(migration, steps.PAY)
    assert steps.is_reachable(migration, steps.RUN)


def test_pay_page_shows_the_quote_plans_and_a_disabled_start(owner_client, migration):
    response = owner_client.get(reverse("wizard_pay", args=[migration.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-step="pay"' in page
    assert "Your quote" in page
    assert "150" in page  # tickets counted on the source
    assert "20.00\u00a0EUR" in page  # the minimum price
    for plan in ("Basic", "Premium", "Signature"):
        assert f'<span class="plan-name">{plan}</span>' in page
    assert "120.00\u00a0EUR" in page  # total with Premium
    assert "data-start-full disabled" in page
    assert "Available once the order is paid." in page


def test_pay_page_when_paid_shows_features_and_an_enabled_start(owner_client, migration, staff):
    paid_order(migration=migration, staff=staff, plan="premium")
    page = owner_client.get(reverse("wizard_pay", args=[migration.pk])).content.decode()
    assert "is paid" in page
    assert "data-start-full disabled" not in page
    assert "data-start-full" in page
    assert "Included in Signature" in page  # delta stays locked under Premium


def test_pay_page_says_when_the_source_cannot_be_counted(client, make_migration, user):
    migration = make_migration(owner=user, filters=configuration.Filters(tags=["vip"]))

    def refuse(entity):
        from connectors.errors import AuthenticationError

        raise AuthenticationError("Zendesk refused the API token (HTTP 401).", status=401)

    memory.ACCOUNTS[migration.source.account_name].on_read = refuse
    client.force_login(user)
    response = client.get(reverse("wizard_pay", args=[migration.pk]))
    assert response.status_code == 200
    assert "Zendesk refused the API token" in response.content.decode()


def test_pay_step_is_skipped_when_billing_is_off(owner_client, migration, settings):
    settings.BILLING_ENABLED = False
    response = owner_client.get(reverse("wizard_pay", args=[migration.pk]))
    assert response.status_code == 302
    assert "/pay/" not in response["Location"]


def test_pages_of_a_migration_are_404_for_anyone_else(stranger_client, migration, staff):
    order = paid_order(migration=migration, staff=staff)
    for name, args in (
        ("wizard_pay", [migration.pk]),
        ("billing_quote", [migration.pk]),
        ("billing_checkout", [migration.pk]),
        ("billing_order", [migration.pk, order.pk]),
        ("billing_receipt", [migration.pk, order.pk]),
    ):
        assert stranger_client.get(reverse(name, args=args)).status_code == 404, name
    for name, args in (
        ("billing_checkout", [migration.pk]),
        ("billing_order_pay", [migration.pk, order.pk]),
        ("billing_run_start", [migration.pk]),
    ):
        assert stranger_client.post(reverse(name, args=args), CHECKOUT_FORM).status_code == 404
    assert not migration.runs.exists()


def test_pages_need_sign_in(client, migration):
    response = client.get(reverse("wizard_pay", args=[migration.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --------------------------------------------------------------------------- quote


def test_printable_quote(owner_client, migration):
    response = owner_client.get(
        reverse("billing_quote", args=[migration.pk]), {"plan": "signature"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Quote</h1>" in page
    assert "Support plan: Signature." in page
    assert "270.00\u00a0EUR" in page  # 20.00 + 250.00
    assert "data-print" in page
    # An unknown plan falls back to Basic.
    page = owner_client.get(
        reverse("billing_quote", args=[migration.pk]), {"plan": "gold"}
    ).content.decode()
    assert "Support plan: Basic." in page


# --------------------------------------------------------------------------- checkout


def test_checkout_form_is_prefilled(owner_client, migration):
    response = owner_client.get(
        reverse("billing_checkout", args=[migration.pk]), {"plan": "premium"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="owner@example.com"' in page  # the user's e-mail as billing e-mail
    assert 'value="premium" id="id_plan_1" required checked' in page
    assert "Submit order" in page
    assert "data-warn-unsaved" in page


def test_checkout_submits_an_order_paid_by_invoice(owner_client, migration):
    response = owner_client.post(reverse("billing_checkout", args=[migration.pk]), CHECKOUT_FORM)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing_order", args=[migration.pk, order.pk])
    assert order.status == Order.Status.PENDING
    assert order.plan == "premium"
    assert order.company == "Acme SAS"
    assert order.created_by == migration.owner


def test_checkout_refuses_wrong_details_and_keeps_what_was_typed(owner_client, migration):
    form = {**CHECKOUT_FORM, "company": "", "vat_id": "303265045", "billing_email": "nope"}
    response = owner_client.post(reverse("billing_checkout", args=[migration.pk]), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page
    assert "two-letter country code" in page
    assert "Enter a valid e-mail address." in page
    assert 'value="12 rue de la Paix"' in page
    assert 'value="303265045"' in page
    assert not Order.objects.exists()


def test_checkout_of_a_paid_migration_goes_to_its_order(owner_client, migration, staff):
    order = paid_order(migration=migration, staff=staff)
    response = owner_client.get(reverse("billing_checkout", args=[migration.pk]))
    assert response["Location"] == reverse("billing_order", args=[migration.pk, order.pk])
    response = owner_client.post(reverse("billing_checkout", args=[migration.pk]), CHECKOUT_FORM)
    assert Order.objects.count() == 1


# --------------------------------------------------------------------------- order, receipt


def test_order_page_awaiting_an_invoice(owner_client, migration):
    order = submitted(migration)
    response = owner_client.get(reverse("billing_order", args=[migration.pk, order.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Awaiting payment" in page
    assert "The invoice goes to billing@acme.example" in page
    assert "data-start-full disabled" in page
    # "Pay now" of an invoice order explains itself.
    response = owner_client.post(reverse("billing_order_pay", args=[migration.pk, order.pk]))
    assert response.status_code == 302
    assert owner_client.get(response["Location"]).status_code == 200


def test_order_of_another_migration_is_404(owner_client, migration, make_migration):
    other = make_migration(owner=migration.owner)
    order = submitted(other)
    url = reverse("billing_order", args=[migration.pk, order.pk])
    assert owner_client.get(url).status_code == 404
    assert (
        owner_client.get(reverse("billing_receipt", args=[migration.pk, order.pk])).status_code
        == 404
    )


def test_receipt_only_for_a_paid_order(owner_client, migration, staff):
    order = submitted(migration)
    url = reverse("billing_receipt", args=[migration.pk, order.pk])
    assert owner_client.get(url).status_code == 404
    from billing import services

    services.order_mark_paid(order=order, staff=staff, reference="INV-2024-7")
    response = owner_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Receipt</h1>" in page
    assert order.number in page
    assert "FR40303265045" in page
    assert "INV-2024-7" in page
    assert "120.00\u00a0EUR" in page


def test_failed_order_offers_to_order_again(owner_client, migration, staff):
    from billing import services

    order = services.order_mark_failed(order=submitted(migration), staff=staff, reason="")
    page = owner_client.get(reverse("billing_order", args=[migration.pk, order.pk])).content
    assert b"Order again" in page
    assert b"Not paid." in page


# --------------------------------------------------------------------------- full run


def test_start_is_refused_until_paid(owner_client, migration):
    response = owner_client.post(reverse("billing_run_start", args=[migration.pk]), follow=True)
    assert not migration.runs.exists()
    assert "starts once its order is paid" in response.content.decode()


def test_start_once_paid(owner_client, migration, staff):
    paid_order(migration=migration, staff=staff)
    response = owner_client.post(reverse("billing_run_start", args=[migration.pk]))
    assert response.status_code == 302
    assert response["Location"] == steps.RUN.url(migration)
    run = migration.runs.get()
    assert run.kind == Run.Kind.FULL
    assert run.created_by == migration.owner
    # A second click while it runs starts nothing more.
    owner_client.post(reverse("billing_run_start", args=[migration.pk]))
    assert migration.runs.count() == 1
    assert owner_client.get(reverse("billing_run_start", args=[migration.pk])).status_code == 405


def test_after_the_full_run_the_page_links_its_results(owner_client, migration, staff):
    paid_order(migration=migration, staff=staff)
    completed_run(migration=migration)
    page = owner_client.get(reverse("wizard_pay", args=[migration.pk])).content.decode()
    assert "The full migration has run." in page
    assert "data-start-full" not in page


def test_webhook_takes_only_posts(client):
    assert client.get(reverse("billing_stripe_webhook")).status_code == 405


# --------------------------------------------------------------------------- admin


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(email="root@example.com", is_staff=True, is_superuser=True))
    return client


def test_staff_mark_an_order_paid_in_the_admin(admin_client, migration):
    order = submitted(migration)
    changelist = reverse("admin:billing_order_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert (
        admin_client.get(reverse("admin:billing_order_change", args=[order.pk])).status_code == 200
    )
    response = admin_client.post(
        changelist, {"action": "mark_paid", "_selected_action": [order.pk]}, follow=True
    )
    assert "1 order marked paid" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.marked_by.email == "root@example.com"
    # Twice: refused with a message, nothing changes.
    response = admin_client.post(
        changelist, {"action": "mark_paid", "_selected_action": [order.pk]}, follow=True
    )
    assert "cannot be marked paid" in response.content.decode()


def test_staff_switch_billing_off_and_back_in_the_admin(admin_client, migration):
    from billing import selectors
    from billing.models import Pricing

    changelist = reverse("admin:billing_pricing_changelist")
    pricing = Pricing.objects.get()
    admin_client.post(changelist, {"action": "set_free", "_selected_action": [pricing.pk]})
    assert not selectors.billing_enabled()
    admin_client.post(changelist, {"action": "restore_defaults", "_selected_action": [pricing.pk]})
    assert selectors.billing_enabled()


def test_staff_edit_volume_tiers(admin_client):
    tickets = EntityPrice.objects.get(entity="tickets")
    url = reverse("admin:billing_entityprice_change", args=[tickets.pk])
    assert admin_client.get(url).status_code == 200
    tiers = list(tickets.tiers.all())
    form = {
        "entity": "tickets",
        "tiers-TOTAL_FORMS": str(len(tiers) + 1),
        "tiers-INITIAL_FORMS": str(len(tiers)),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for index, tier in enumerate(tiers):
        form[f"tiers-{index}-id"] = str(tier.pk)
        form[f"tiers-{index}-entity_price"] = str(tickets.pk)
        form[f"tiers-{index}-up_to"] = "" if tier.up_to is None else str(tier.up_to)
        form[f"tiers-{index}-price_per_record"] = str(tier.price_per_record)
    # A second tier without an upper bound is refused.
    form[f"tiers-{len(tiers)}-up_to"] = ""
    form[f"tiers-{len(tiers)}-price_per_record"] = "0.01"
    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert "Only one tier may be left without an upper bound" in response.content.decode()
    # Bounded, it is saved.
    form[f"tiers-{len(tiers)}-up_to"] = "50000"
    response = admin_client.post(url, form)
    assert response.status_code == 302
    assert PriceTier.objects.filter(entity_price=tickets, up_to=50000).exists()


def test_nothing_to_move_gives_no_quote(owner_client, migration, monkeypatch):
    monkeypatch.setattr("billing.selectors.billable_entities", lambda migration: [])
    page = owner_client.get(reverse("wizard_pay", args=[migration.pk])).content.decode()
    assert "Select the data to migrate to get a quote." in page
    assert "Continue to checkout" not in page
    response = owner_client.post(reverse("billing_checkout", args=[migration.pk]), CHECKOUT_FORM)
    assert response.status_code == 400
    assert "Select the data to migrate first." in response.content.decode()
