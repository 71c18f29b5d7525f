"""The prices a new site starts with (the data migration installs them; the admin's
"restore the default prices" puts them back). Amounts in euros.

Tiers are graduated and their prices fall with volume, so a desk ten times larger costs
far less than ten times as much. Replies, notes, attachments, inline images and custom
fields travel with their tickets at no charge; knowledge base categories and sections and
groups are free.
"""

from __future__ import annotations

from decimal import Decimal

CURRENCY = "EUR"
MINIMUM_PRICE = Decimal("39.00")

#: entity -> [(up to this many records, or None for the rest; price per record)]
ENTITY_TIERS: dict[str, list[tuple[int | None, Decimal]]] = {
    "tickets": [
        (1_000, Decimal("0.0900")),
        (10_000, Decimal("0.0600")),
        (50_000, Decimal("0.0400")),
        (None, Decimal("0.0250")),
    ],
    "contacts": [
        (5_000, Decimal("0.0200")),
        (50_000, Decimal("0.0100")),
        (None, Decimal("0.0050")),
    ],
    "organizations": [
        (5_000, Decimal("0.0200")),
        (50_000, Decimal("0.0100")),
        (None, Decimal("0.0050")),
    ],
    "agents": [(50, Decimal("1.0000")), (None, Decimal("0.5000"))],
    "articles": [(500, Decimal("0.2000")), (None, Decimal("0.1000"))],
}
FREE_ENTITIES = ("groups", "article_categories", "article_sections")

#: option -> (percent of the records' price, fixed amount)
OPTION_SURCHARGES: dict[str, tuple[Decimal, Decimal]] = {
    "inline_images_as_attachments": (Decimal("10.00"), Decimal(0)),
    "side_conversations_as_notes": (Decimal("5.00"), Decimal(0)),
    "call_recordings_as_notes": (Decimal("10.00"), Decimal(0)),
    "translations": (Decimal(0), Decimal(0)),
    "migrated_tag": (Decimal(0), Decimal(0)),
}

PLAN_PRICES: dict[str, Decimal] = {
    "basic": Decimal("0.00"),
    "premium": Decimal("149.00"),
    "signature": Decimal("349.00"),
}


def install(*, pricing_model, entity_price_model, tier_model, surcharge_model, plan_model) -> None:
    """Write the defaults through the given models (the real ones, or a data migration's
    historical ones), replacing whatever prices exist."""
    pricing_model.objects.update_or_create(
        pk=1, defaults={"currency": CURRENCY, "minimum_price": MINIMUM_PRICE}
    )
    tier_model.objects.all().delete()
    for entity, tiers in ENTITY_TIERS.items():
        entity_price, _ = entity_price_model.objects.update_or_create(
            entity=entity, defaults={"free": False}
        )
        tier_model.objects.bulk_create(
            tier_model(entity_price=entity_price, up_to=up_to, price_per_record=price)
            for up_to, price in tiers
        )
    for entity in FREE_ENTITIES:
        entity_price_model.objects.update_or_create(entity=entity, defaults={"free": True})
    for option, (percent, amount) in OPTION_SURCHARGES.items():
        surcharge_model.objects.update_or_create(
            option=option, defaults={"percent": percent, "amount": amount}
        )
    for plan, price in PLAN_PRICES.items():
        plan_model.objects.update_or_create(plan=plan, defaults={"price": price})
