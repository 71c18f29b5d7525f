"""The price of a full migration, from record counts, chosen options and a support plan.

Pure arithmetic on a :class:`PriceBook` (the prices read from the database by
``billing.selectors.price_book``), so every rule is tested without a database:

- each entity's records are priced through graduated volume tiers (the first records at
  the first tier's price, the next ones at the next tier's, …);
- free entities cost nothing whatever their volume; replies, notes, attachments, inline
  images and custom fields always travel free with their tickets;
- chosen options add a percentage of the records' price and/or a fixed amount;
- the migration costs at least the minimum price; the support plan is added on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from billing.plans import Plan
from connectors.schema import Entity
from migrator.configuration import Options

CENT = Decimal("0.01")
ZERO = Decimal(0)

ENTITY_NAMES: dict[str, Promise] = {
    Entity.ORGANIZATIONS: _("Organizations"),
    Entity.GROUPS: _("Groups"),
    Entity.AGENTS: _("Agents"),
    Entity.CONTACTS: _("Contacts"),
    Entity.TICKETS: _("Tickets"),
    Entity.ARTICLE_CATEGORIES: _("Knowledge base categories"),
    Entity.ARTICLE_SECTIONS: _("Knowledge base sections and folders"),
    Entity.ARTICLES: _("Knowledge base articles"),
}

OPTION_NAMES: dict[str, Promise] = {
    "inline_images_as_attachments": _("Inline images as attachments"),
    "side_conversations_as_notes": _("Side conversations as notes"),
    "call_recordings_as_notes": _("Call recordings as attachments"),
    "translations": _("Content translations"),
    "migrated_tag": _("Tag migrated tickets"),
}

INCLUDED_FREE = _("Replies, notes, attachments, inline images and custom fields")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Tier:
    #: The last record this tier covers (counted from the first), None: all the rest.
    up_to: int | None
    price_per_record: Decimal


@dataclass(frozen=True, slots=True)
class PriceBook:
    currency: str
    minimum_price: Decimal = ZERO
    #: entity value -> tiers (any order); an entity missing here is free.
    tiers: Mapping[str, tuple[Tier, ...]] = field(default_factory=dict)
    free_entities: frozenset[str] = frozenset()
    #: option name -> (percent of the records' price, fixed amount)
    surcharges: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    plan_prices: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def charges_anything(self) -> bool:
        """False when every price is zero: billing is off."""
        return any(
            (
                self.minimum_price > 0,
                any(
                    tier.price_per_record > 0
                    for entity, tiers in self.tiers.items()
                    if entity not in self.free_entities
                    for tier in tiers
                ),
                any(percent > 0 or amount > 0 for percent, amount in self.surcharges.values()),
                any(price > 0 for price in self.plan_prices.values()),
            )
        )

    def plan_price(self, plan: Plan | str) -> Decimal:
        return self.plan_prices.get(str(plan), ZERO)


@dataclass(frozen=True, slots=True)
class TierUse:
    """How many records of an entity fell in one tier, and what they cost."""

    records: int
    price_per_record: Decimal
    amount: Decimal


def graduated_amount(count: int, tiers: Iterable[Tier]) -> tuple[Decimal, list[TierUse]]:
    """The price of ``count`` records through graduated tiers, with the part of each tier.

    Records beyond the last bounded tier (when no tier is open-ended) take its price.
    """
    ordered = sorted(tiers, key=lambda tier: (tier.up_to is None, tier.up_to or 0))
    uses: list[TierUse] = []
    priced = 0
    for index, tier in enumerate(ordered):
        if priced >= count:
            break
        last_tier = index == len(ordered) - 1
        ceiling = count if tier.up_to is None or last_tier else min(count, tier.up_to)
        records = ceiling - priced
        if records <= 0:
            continue
        uses.append(
            TierUse(
                records=records,
                price_per_record=tier.price_per_record,
                amount=tier.price_per_record * records,
            )
        )
        priced = ceiling
    total = money(sum((use.amount for use in uses), ZERO))
    return total, [
        TierUse(records=u.records, price_per_record=u.price_per_record, amount=money(u.amount))
        for u in uses
    ]


class LineKind:
    ENTITY = "entity"
    INCLUDED = "included"
    SURCHARGE = "surcharge"
    MINIMUM = "minimum"
    PLAN = "plan"


@dataclass(frozen=True, slots=True)
class QuoteLine:
    kind: str
    #: The entity, option or plan the line is about.
    key: str
    amount: Decimal
    records: int | None = None
    free: bool = False
    percent: Decimal | None = None
    tiers: tuple[TierUse, ...] = ()

    @property
    def label(self) -> str | Promise:
        if self.kind == LineKind.ENTITY:
            return ENTITY_NAMES.get(self.key, self.key)
        if self.kind == LineKind.INCLUDED:
            return INCLUDED_FREE
        if self.kind == LineKind.SURCHARGE:
            return OPTION_NAMES.get(self.key, self.key)
        if self.kind == LineKind.MINIMUM:
            return _("Minimum price adjustment")
        return _("Support plan: %(plan)s") % {"plan": Plan(self.key).label}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "amount": str(self.amount),
            "records": self.records,
            "free": self.free,
            "percent": None if self.percent is None else str(self.percent),
            "tiers": [
                [use.records, str(use.price_per_record), str(use.amount)] for use in self.tiers
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QuoteLine:
        return cls(
            kind=data["kind"],
            key=data["key"],
            amount=Decimal(data["amount"]),
            records=data.get("records"),
            free=bool(data.get("free")),
            percent=None if data.get("percent") is None else Decimal(data["percent"]),
            tiers=tuple(
                TierUse(records=int(r), price_per_record=Decimal(p), amount=Decimal(a))
                for r, p, a in data.get("tiers") or []
            ),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    plan: Plan
    lines: tuple[QuoteLine, ...]
    #: The records' price (tiers), before surcharges and the minimum.
    records_price: Decimal
    #: What the migration itself costs: records, surcharges, the minimum.
    migration_price: Decimal
    plan_price: Decimal
    total: Decimal

    @property
    def counts(self) -> dict[str, int]:
        return {line.key: line.records or 0 for line in self.lines if line.kind == LineKind.ENTITY}

    @property
    def total_records(self) -> int:
        return sum(self.counts.values())

    @property
    def migration_lines(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.kind != LineKind.PLAN]

    @property
    def plan_line(self) -> QuoteLine | None:
        return next((line for line in self.lines if line.kind == LineKind.PLAN), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "plan": str(self.plan),
            "lines": [line.to_json() for line in self.lines],
            "records_price": str(self.records_price),
            "migration_price": str(self.migration_price),
            "plan_price": str(self.plan_price),
            "total": str(self.total),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quote:
        return cls(
            currency=data["currency"],
            plan=Plan(data["plan"]),
            lines=tuple(QuoteLine.from_json(line) for line in data["lines"]),
            records_price=Decimal(data["records_price"]),
            migration_price=Decimal(data["migration_price"]),
            plan_price=Decimal(data["plan_price"]),
            total=Decimal(data["total"]),
        )


def chosen_options(options: Options) -> list[str]:
    """The surchargeable options the migration has turned on."""
    values = options.model_dump()
    return [name for name in OPTION_NAMES if values.get(name)]


def quote_compute(
    *,
    book: PriceBook,
    counts: Mapping[Entity, int],
    options: Options,
    plan: Plan,
) -> Quote:
    """The quote for moving ``counts`` records (in dependency order) with these options."""
    lines: list[QuoteLine] = []
    records_price = ZERO
    for entity in Entity.in_dependency_order(counts):
        count = counts[entity]
        tiers = book.tiers.get(entity.value, ())
        if entity.value in book.free_entities or not tiers:
            lines.append(
                QuoteLine(
                    kind=LineKind.ENTITY, key=entity.value, amount=ZERO, records=count, free=True
                )
            )
            continue
        amount, uses = graduated_amount(count, tiers)
        records_price += amount
        lines.append(
            QuoteLine(
                kind=LineKind.ENTITY,
                key=entity.value,
                amount=amount,
                records=count,
                tiers=tuple(uses),
            )
        )
    if Entity.TICKETS in counts:
        lines.append(QuoteLine(kind=LineKind.INCLUDED, key="ticket_parts", amount=ZERO, free=True))

    migration_price = records_price
    for option in chosen_options(options):
        percent, fixed = book.surcharges.get(option, (ZERO, ZERO))
        amount = money(records_price * percent / 100 + fixed)
        if amount <= 0:
            continue
        migration_price += amount
        lines.append(
            QuoteLine(
                kind=LineKind.SURCHARGE,
                key=option,
                amount=amount,
                percent=percent if percent > 0 else None,
            )
        )
    if migration_price < book.minimum_price:
        lines.append(
            QuoteLine(
                kind=LineKind.MINIMUM, key="minimum", amount=book.minimum_price - migration_price
            )
        )
        migration_price = book.minimum_price

    plan_price = money(book.plan_price(plan))
    lines.append(QuoteLine(kind=LineKind.PLAN, key=str(plan), amount=plan_price))
    migration_price = money(migration_price)
    return Quote(
        currency=book.currency,
        plan=plan,
        lines=tuple(lines),
        records_price=money(records_price),
        migration_price=migration_price,
        plan_price=plan_price,
        total=money(migration_price + plan_price),
    )
