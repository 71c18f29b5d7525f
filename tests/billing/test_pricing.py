"""The price arithmetic: graduated tiers and their boundaries, free entities, surcharges,
the minimum price and the plan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.plans import Plan
from billing.pricing import (
    LineKind,
    PriceBook,
    Quote,
    Tier,
    graduated_amount,
    quote_compute,
)
from connectors.schema import Entity
from migrator.configuration import Options

TICKETS = (Tier(100, Decimal("0.10")), Tier(1000, Decimal("0.05")), Tier(None, Decimal("0.02")))
BOOK = PriceBook(
    currency="EUR",
    minimum_price=Decimal("20.00"),
    tiers={"tickets": TICKETS, "contacts": (Tier(None, Decimal("0.01")),)},
    free_entities=frozenset({"groups"}),
    surcharges={
        "inline_images_as_attachments": (Decimal("10"), Decimal("0")),
        "call_recordings_as_notes": (Decimal("0"), Decimal("15.00")),
    },
    plan_prices={"basic": Decimal("0"), "premium": Decimal("100"), "signature": Decimal("250")},
)


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (0, "0.00"),
        (1, "0.10"),
        (99, "9.90"),
        (100, "10.00"),  # the last record of the first tier
        (101, "10.05"),  # the first record of the second tier
        (1000, "55.00"),  # 100 x 0.10 + 900 x 0.05
        (1001, "55.02"),  # …+ 1 x 0.02
        (100_000, "2035.00"),  # 55.00 + 99,000 x 0.02
    ],
)
def test_graduated_tiers_at_their_boundaries(records, expected):
    amount, uses = graduated_amount(records, TICKETS)
    assert amount == Decimal(expected)
    assert sum(use.records for use in uses) == records


def test_tier_breakdown_names_the_records_of_each_tier():
    _amount, uses = graduated_amount(1500, TICKETS)
    assert [(use.records, use.price_per_record, use.amount) for use in uses] == [
        (100, Decimal("0.10"), Decimal("10.00")),
        (900, Decimal("0.05"), Decimal("45.00")),
        (500, Decimal("0.02"), Decimal("10.00")),
    ]


def test_price_grows_slower_than_volume():
    small, _ = graduated_amount(1_000, TICKETS)
    large, _ = graduated_amount(10_000, TICKETS)
    assert large < small * 10
    # …and never drops when a record is added at a boundary.
    for boundary in (100, 1000):
        below, _ = graduated_amount(boundary, TICKETS)
        above, _ = graduated_amount(boundary + 1, TICKETS)
        assert above > below


def test_records_beyond_the_last_bounded_tier_take_its_price():
    bounded = (Tier(1000, Decimal("0.05")), Tier(10, Decimal("0.10")))
    amount, _ = graduated_amount(2000, bounded)
    assert amount == Decimal("1.00") + Decimal("0.05") * 1990


def _quote(counts, *, options=None, plan=Plan.BASIC, book=BOOK) -> Quote:
    return quote_compute(book=book, counts=counts, options=options or Options(), plan=plan)


def test_minimum_price_lifts_a_small_migration():
    quote = _quote({Entity.TICKETS: 50})  # 5.00 of records
    assert quote.records_price == Decimal("5.00")
    minimum = [line for line in quote.lines if line.kind == LineKind.MINIMUM]
    assert [line.amount for line in minimum] == [Decimal("15.00")]
    assert quote.migration_price == Decimal("20.00")
    assert quote.total == Decimal("20.00")


def test_minimum_price_does_not_touch_a_larger_migration():
    quote = _quote({Entity.TICKETS: 1000})
    assert not [line for line in quote.lines if line.kind == LineKind.MINIMUM]
    assert quote.migration_price == Decimal("55.00")


def test_minimum_applies_to_the_migration_and_the_plan_comes_on_top():
    quote = _quote({Entity.TICKETS: 10}, plan=Plan.PREMIUM)
    assert quote.migration_price == Decimal("20.00")
    assert quote.plan_price == Decimal("100.00")
    assert quote.total == Decimal("120.00")
    assert quote.lines[-1].kind == LineKind.PLAN


def test_free_entities_and_ticket_parts_cost_nothing_whatever_the_volume():
    quote = _quote({Entity.TICKETS: 1000, Entity.GROUPS: 50_000, Entity.AGENTS: 40})
    by_key = {line.key: line for line in quote.lines}
    assert by_key["groups"].free and by_key["groups"].amount == 0
    assert by_key["groups"].records == 50_000
    # An entity without tiers is free too.
    assert by_key["agents"].free and by_key["agents"].amount == 0
    assert by_key["ticket_parts"].kind == LineKind.INCLUDED
    assert by_key["ticket_parts"].amount == 0
    assert quote.migration_price == Decimal("55.00")
    assert quote.total_records == 1000 + 50_000 + 40


def test_lines_follow_dependency_order_and_sum_to_the_total():
    quote = _quote({Entity.TICKETS: 2000, Entity.CONTACTS: 3000}, plan=Plan.SIGNATURE)
    assert [line.key for line in quote.lines if line.kind == LineKind.ENTITY] == [
        "contacts",
        "tickets",
    ]
    assert sum(line.amount for line in quote.lines) == quote.total
    assert quote.total == Decimal("30.00") + Decimal("75.00") + Decimal("250.00")


def test_chosen_options_add_their_surcharge():
    options = Options(inline_images_as_attachments=True, call_recordings_as_notes=True)
    quote = _quote({Entity.TICKETS: 1000}, options=options)
    surcharges = {line.key: line for line in quote.lines if line.kind == LineKind.SURCHARGE}
    assert surcharges["inline_images_as_attachments"].amount == Decimal("5.50")
    assert surcharges["inline_images_as_attachments"].percent == Decimal("10")
    assert surcharges["call_recordings_as_notes"].amount == Decimal("15.00")
    assert quote.migration_price == Decimal("75.50")


def test_options_not_chosen_or_not_priced_add_nothing():
    quote = _quote({Entity.TICKETS: 1000}, options=Options(migrated_tag="migrated"))
    assert not [line for line in quote.lines if line.kind == LineKind.SURCHARGE]


def test_a_quote_survives_its_json_form():
    quote = _quote(
        {Entity.TICKETS: 1500, Entity.GROUPS: 4},
        options=Options(inline_images_as_attachments=True),
        plan=Plan.PREMIUM,
    )
    assert Quote.from_json(quote.to_json()) == quote


def test_zero_prices_charge_nothing():
    assert BOOK.charges_anything
    free = PriceBook(
        currency="EUR",
        tiers={"tickets": (Tier(None, Decimal(0)),)},
        surcharges={"translations": (Decimal(0), Decimal(0))},
        plan_prices={"premium": Decimal(0)},
    )
    assert not free.charges_anything
    # Tiers of a free entity do not count.
    priced_but_free = PriceBook(
        currency="EUR",
        tiers={"groups": (Tier(None, Decimal("1")),)},
        free_entities=frozenset({"groups"}),
    )
    assert not priced_but_free.charges_anything
