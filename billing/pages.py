"""What the billing pages show, gathered outside the views so they stay thin."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from billing import selectors
from billing.formatting import money
from billing.plans import PLAN_ORDER, Plan
from billing.pricing import Quote, quote_compute
from connectors.errors import ConnectorError
from migrator import selectors as migrator_selectors
from migrator.models import Migration
from wizard.estimate_text import estimate_sentences


def plan_from(value: str | None, default: Plan = Plan.BASIC) -> Plan:
    try:
        return Plan(value) if value else default
    except ValueError:
        return default


@dataclass
class Quotes:
    """The migration's quote under each plan (the source counted once), or why not."""

    by_plan: dict[Plan, Quote] = field(default_factory=dict)
    error: str = ""
    estimate: timedelta | None = None
    #: What the estimate assumes (limits, requests a ticket), a sentence each.
    estimate_assumptions: list[str] = field(default_factory=list)

    def for_plan(self, plan: Plan) -> Quote | None:
        return self.by_plan.get(plan)


def quotes(*, migration: Migration, refresh: bool = False) -> Quotes:
    try:
        counts = selectors.quote_counts(migration=migration, refresh=refresh)
    except ConnectorError as error:
        return Quotes(error=error.user_message)
    if not counts:
        # Nothing both sides can move is selected: nothing to quote.
        return Quotes()
    estimate = migrator_selectors.migration_estimate(migration=migration, counts=counts)
    book = selectors.price_book()
    options = migration.configured_options()
    return Quotes(
        by_plan={
            plan: quote_compute(book=book, counts=counts, options=options, plan=plan)
            for plan in PLAN_ORDER
        },
        estimate=estimate.duration if estimate else None,
        estimate_assumptions=(
            estimate_sentences(migration=migration, estimate=estimate) if estimate else []
        ),
    )


def plan_labels(found: Quotes) -> dict[str, str]:
    """The plan choices of the checkout form, each with the order's total under it."""
    labels: dict[str, str] = {}
    for plan, quote in found.by_plan.items():
        labels[plan.value] = f"{plan.label} — {money(quote.total, quote.currency)}"
    return labels


@dataclass(frozen=True)
class PlanOffer:
    """A plan card: the plan, its features, and the order's total under it."""

    choice: selectors.PlanChoice
    quote: Quote | None


def plan_offers(found: Quotes) -> list[PlanOffer]:
    return [
        PlanOffer(choice=choice, quote=found.for_plan(choice.plan))
        for choice in selectors.plan_choices()
    ]
