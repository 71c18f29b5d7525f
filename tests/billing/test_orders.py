"""Orders: the quote frozen from the source's counts (filters applied), billing details
validated, statuses moved by staff, the default prices a new site starts with."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing import defaults, selectors, services
from billing.models import EntityPrice, Order, PlanPrice, PriceTier, Pricing
from billing.plans import Plan
from connectors.schema import Entity
from migrator import configuration
from tests.billing.conftest import DETAILS, paid_order
from tests.migrator.engine import memory

pytestmark = pytest.mark.usefixtures("billing_on")


def submit(migration, *, plan="basic", details=DETAILS) -> Order:
    return services.order_submit(
        migration=migration, created_by=migration.owner, plan=plan, details=details
    )


def test_quote_counts_what_the_source_holds(migration):
    counts = selectors.quote_counts(migration=migration)
    assert counts == {Entity.AGENTS: 3, Entity.CONTACTS: 30, Entity.TICKETS: 150}
    quote = selectors.migration_quote(migration=migration, plan=Plan.PREMIUM)
    # 100 x 0.10 + 50 x 0.05 tickets, 30 x 0.01 contacts, agents free → 12.80, minimum 20.
    assert quote.records_price == Decimal("12.80")
    assert quote.migration_price == Decimal("20.00")
    assert quote.total == Decimal("120.00")


def test_quote_applies_the_filters(make_migration, user):
    next_day = memory.BASE_TIME.date() + timedelta(days=1)
    migration = make_migration(owner=user, filters=configuration.Filters(created_from=next_day))
    # memory.ticket(n) is created n minutes after BASE_TIME: these on the next days.
    memory.ACCOUNTS[migration.source.account_name].add(
        *(memory.ticket(number) for number in range(2000, 2010))
    )
    counts = selectors.quote_counts(migration=migration)
    assert counts[Entity.TICKETS] == 10
    assert counts[Entity.CONTACTS] == 30  # filters leave contacts alone
    tagged = make_migration(owner=user, filters=configuration.Filters(tags=["vip"]))
    assert selectors.quote_counts(migration=tagged)[Entity.TICKETS] == 0


def test_only_entities_both_sides_move_are_quoted(make_migration, user):
    migration = make_migration(owner=user, entities=[Entity.TICKETS])
    assert selectors.quote_counts(migration=migration) == {Entity.TICKETS: 150}


def test_submit_freezes_the_quote_and_cleans_the_details(migration):
    order = submit(migration, plan="premium")
    assert order.status == Order.Status.PENDING
    assert order.provider == Order.Provider.MANUAL
    assert order.total == Decimal("120.00")
    assert order.vat_id == "FR40303265045"
    assert order.quote["plan"] == "premium"
    # Prices changing later do not change the order.
    PlanPrice.objects.filter(plan="premium").update(price=999)
    order.refresh_from_db()
    assert order.total == Decimal("120.00")
    assert order.number.startswith("HM-") and order.number.endswith(f"{order.pk:06d}")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("company", "  ", "required"),
        ("billing_email", "billing at acme", "e-mail"),
        ("vat_id", "40303265045", "country code"),
        ("vat_id", "FR1", "country code"),
        ("postal_code", "9" * 21, "At most 20"),
    ],
)
def test_wrong_billing_details_are_refused_per_field(migration, field, value, message):
    details = dataclasses.replace(DETAILS, **{field: value})
    with pytest.raises(ValidationError) as caught:
        submit(migration, details=details)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Order.objects.exists()


def test_a_new_order_replaces_the_one_awaiting_payment(migration):
    first = submit(migration)
    second = submit(migration, plan="signature")
    first.refresh_from_db()
    assert first.status == Order.Status.FAILED
    assert first.status_reason == "Replaced by a newer order."
    assert selectors.pending_order(migration=migration) == second


def test_a_paid_migration_takes_no_second_order(migration, staff):
    paid_order(migration=migration, staff=staff)
    with pytest.raises(ValidationError) as caught:
        submit(migration)
    assert caught.value.code == "already_paid"


def test_nothing_to_pay_is_paid_at_once(migration):
    Pricing.objects.update(minimum_price=0)
    PriceTier.objects.update(price_per_record=0)
    PlanPrice.objects.filter(plan="premium").update(price=Decimal("100"))
    order = submit(migration, plan="basic")
    assert order.status == Order.Status.PAID
    assert order.provider == Order.Provider.FREE
    assert order.total == 0


def test_no_order_when_billing_is_off(migration, settings):
    settings.BILLING_ENABLED = False
    with pytest.raises(ValidationError) as caught:
        submit(migration)
    assert caught.value.code == "billing_off"


def test_an_unreadable_source_says_why(make_migration, user):
    # With filters, the tickets are read to be counted.
    migration = make_migration(owner=user, filters=configuration.Filters(tags=["vip"]))
    source = memory.ACCOUNTS[migration.source.account_name]

    def refuse(entity):
        from connectors.errors import AuthenticationError

        raise AuthenticationError("the token was revoked (HTTP 401)", status=401)

    source.on_read = refuse
    with pytest.raises(ValidationError) as caught:
        services.order_submit(
            migration=migration,
            created_by=migration.owner,
            plan="basic",
            details=DETAILS,
            refresh_counts=True,
        )
    assert caught.value.code == "source_unreadable"


def test_staff_move_orders_through_their_statuses(migration, staff):
    order = submit(migration)
    with pytest.raises(ValidationError):
        services.order_mark_paid(order=order, staff=migration.owner)  # not staff
    with pytest.raises(ValidationError):
        services.order_mark_refunded(order=order, staff=staff)  # not paid yet
    order = services.order_mark_paid(order=order, staff=staff, reference="Transfer 42")
    assert order.status == Order.Status.PAID
    assert order.marked_by == staff
    assert order.payment_reference == "Transfer 42"
    assert selectors.is_step_done(migration=migration)
    with pytest.raises(ValidationError):
        services.order_mark_paid(order=order, staff=staff)  # twice
    order = services.order_mark_refunded(order=order, staff=staff)
    assert order.status == Order.Status.REFUNDED and order.refunded_at
    assert not selectors.is_step_done(migration=migration)

    unpaid = submit(migration)
    services.order_mark_failed(order=unpaid, staff=staff, reason="Invoice overdue")
    unpaid.refresh_from_db()
    assert unpaid.status == Order.Status.FAILED
    assert unpaid.status_reason == "Invoice overdue"


def test_default_prices_are_installed_and_restored(db):
    # The data migration seeded them; the billing tests replaced them: restore.
    services.pricing_reset_to_defaults()
    book = selectors.price_book()
    assert book.currency == "EUR"
    assert book.minimum_price == defaults.MINIMUM_PRICE
    assert book.charges_anything
    assert {"groups", "article_categories", "article_sections"} <= book.free_entities
    tickets = book.tiers["tickets"]
    assert [tier.up_to for tier in tickets] == [1_000, 10_000, 50_000, None]
    # Volume makes each record cheaper.
    prices = [tier.price_per_record for tier in tickets]
    assert prices == sorted(prices, reverse=True)
    assert (
        book.plan_prices["basic"] == 0 < book.plan_prices["premium"] < book.plan_prices["signature"]
    )
    assert EntityPrice.objects.filter(entity="tickets", free=False).exists()
