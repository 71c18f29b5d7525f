"""Reads of billing: the prices, a migration's quote, its orders and what its plan allows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from billing.models import EntityPrice, OptionSurcharge, Order, PlanPrice, PriceTier, Pricing
from billing.plans import (
    FEATURE_DESCRIPTIONS,
    PLAN_ORDER,
    REMIGRATION_DAYS,
    Feature,
    Plan,
    feature_plan,
    plan_has,
)
from billing.pricing import PriceBook, Quote, Tier, quote_compute
from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity
from migrator import discovery, selectors
from migrator.engine import connectors as engine_connectors
from migrator.engine.plan import entities_to_move
from migrator.engine.transform import excluded_by_filters
from migrator.models import Migration, Run, User

#: Whether billing is on is read on every wizard page; prices change rarely, and saving
#: them clears this (billing.apps connects the signals).
ENABLED_CACHE_KEY = "billing:enabled:v1"
ENABLED_CACHE_SECONDS = 60
FILTERED_COUNT_SECONDS = discovery.CACHE_SECONDS
FILTERED_COUNT_PAGE = 100

# --------------------------------------------------------------------------- prices


def price_book() -> PriceBook:
    """The prices as staff set them (nothing set: everything free, billing off)."""
    pricing = Pricing.objects.filter(pk=Pricing.SINGLETON_ID).first()
    tiers: dict[str, list[Tier]] = {}
    for tier in PriceTier.objects.select_related("entity_price"):
        tiers.setdefault(tier.entity_price.entity, []).append(
            Tier(up_to=tier.up_to, price_per_record=tier.price_per_record)
        )
    return PriceBook(
        currency=pricing.currency if pricing else "EUR",
        minimum_price=pricing.minimum_price if pricing else 0,
        tiers={entity: tuple(entity_tiers) for entity, entity_tiers in tiers.items()},
        free_entities=frozenset(
            EntityPrice.objects.filter(free=True).values_list("entity", flat=True)
        ),
        surcharges={
            surcharge.option: (surcharge.percent, surcharge.amount)
            for surcharge in OptionSurcharge.objects.all()
        },
        plan_prices={plan.plan: plan.price for plan in PlanPrice.objects.all()},
    )


def billing_enabled() -> bool:
    """Billing is on unless the operator switched it off (BILLING_ENABLED=false) or set
    every price to zero. Off, the wizard has no payment step and every run is allowed."""
    if not settings.BILLING_ENABLED:
        return False
    enabled = cache.get(ENABLED_CACHE_KEY)
    if enabled is None:
        enabled = price_book().charges_anything
        cache.set(ENABLED_CACHE_KEY, enabled, ENABLED_CACHE_SECONDS)
    return enabled


def billing_enabled_forget() -> None:
    cache.delete(ENABLED_CACHE_KEY)


# --------------------------------------------------------------------------- quotes


def billable_entities(*, migration: Migration) -> list[Entity]:
    """The selected entities both sides can move: what a full run would move."""
    if migration.source is None or migration.target is None:
        return []
    try:
        source = registry.get_source(migration.source.platform)
        target = registry.get_target(migration.target.platform)
    except UnknownConnectorError:
        return []
    return entities_to_move(
        selected=migration.selected_entities(),
        source=source.capabilities,
        target=target.capabilities,
    )


def _filtered_count(*, migration: Migration, entity: Entity, refresh: bool) -> int:
    """Records of ``entity`` the migration's filters keep, read page by page from the
    source (platforms cannot count by creation date and tag), cached like discovery."""
    filters = migration.configured_filters()
    connection = migration.source
    verified = int(connection.verified_at.timestamp()) if connection.verified_at else 0
    digest = hashlib.sha256(
        json.dumps(filters.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()[:16]
    key = f"billing:filtered-count:v1:{connection.pk}:{verified}:{entity.value}:{digest}"
    if not refresh:
        found = cache.get(key)
        if found is not None:
            return found
    kept = 0
    with engine_connectors.source_connector(connection) as source:
        cursor: str | None = None
        while True:
            page = source.read_page(entity, cursor=cursor, page_size=FILTERED_COUNT_PAGE)
            kept += sum(1 for record in page.records if not excluded_by_filters(record, filters))
            if not page.has_more:
                break
            cursor = page.next_cursor
    cache.set(key, kept, FILTERED_COUNT_SECONDS)
    return kept


def quote_counts(*, migration: Migration, refresh: bool = False) -> dict[Entity, int]:
    """The source's count of each entity a full run would move, the filters applied.

    Raises ``connectors.errors.ConnectorError`` when the source cannot be read.
    """
    entities = billable_entities(migration=migration)
    if not entities:
        return {}
    counts = discovery.source_counts(migration=migration, entities=entities, refresh=refresh)
    if not migration.configured_filters().is_empty:
        # The filters only ever leave out tickets and articles.
        for entity in (Entity.TICKETS, Entity.ARTICLES):
            if entity in counts:
                counts[entity] = _filtered_count(
                    migration=migration, entity=entity, refresh=refresh
                )
    return {entity: counts.get(entity, 0) for entity in entities}


def migration_quote(*, migration: Migration, plan: Plan, refresh: bool = False) -> Quote:
    """The price of the migration's full run with ``plan``, from the source's counts now."""
    return quote_compute(
        book=price_book(),
        counts=quote_counts(migration=migration, refresh=refresh),
        options=migration.configured_options(),
        plan=plan,
    )


# --------------------------------------------------------------------------- orders


def orders_of(*, migration: Migration) -> QuerySet[Order]:
    return migration.orders.all()


def paid_order(*, migration: Migration) -> Order | None:
    """The order that paid for the migration's full run (the latest, if several)."""
    return migration.orders.filter(status=Order.Status.PAID).order_by("-paid_at", "-id").first()


def pending_order(*, migration: Migration) -> Order | None:
    return migration.orders.filter(status=Order.Status.PENDING).order_by("-id").first()


def order_for_user(*, user: User, migration: Migration, order_id: int) -> Order:
    """An order of a migration the user may see (checked by the caller); else a 404."""
    migration = selectors.migration_for_user(user=user, migration_id=migration.pk)
    try:
        return migration.orders.get(pk=order_id)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


def is_step_done(*, migration: Migration) -> bool:
    """The wizard's payment step: done once an order of the migration is paid."""
    return migration.orders.filter(status=Order.Status.PAID).exists()


# --------------------------------------------------------------------------- entitlements


@dataclass(frozen=True, slots=True)
class Entitlements:
    """What a migration may do: everything when billing is off, else what it paid for."""

    billing_on: bool
    order: Order | None

    @property
    def plan(self) -> Plan | None:
        return Plan(self.order.plan) if self.order else None

    @property
    def paid(self) -> bool:
        return self.order is not None

    @property
    def may_run_full(self) -> bool:
        return not self.billing_on or self.paid

    def allows(self, feature: Feature) -> bool:
        if not self.billing_on:
            return True
        return self.plan is not None and plan_has(self.plan, feature)


def entitlements(*, migration: Migration) -> Entitlements:
    if not billing_enabled():
        return Entitlements(billing_on=False, order=None)
    return Entitlements(billing_on=True, order=paid_order(migration=migration))


def full_run_finished_at(*, migration: Migration) -> datetime | None:
    """When the migration's first completed full run finished."""
    run = (
        migration.runs.filter(kind=Run.Kind.FULL, status=Run.Status.COMPLETED)
        .exclude(finished_at=None)
        .order_by("finished_at")
        .first()
    )
    return run.finished_at if run else None


def remigration_deadline(*, migration: Migration, plan: Plan | None) -> datetime | None:
    """Until when a re-migration may start: the plan's days after the full run finished."""
    finished = full_run_finished_at(migration=migration)
    days = REMIGRATION_DAYS.get(plan) if plan else None
    if finished is None or days is None:
        return None
    return finished + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class FeatureState:
    feature: Feature
    description: object
    allowed: bool
    #: The plan that includes it: the migration's (or the order's) when it does, else the
    #: first plan that does (``billing.plans.feature_plan``).
    plan: Plan
    #: Included in the plan of the order shown, which is not paid yet.
    ordered: bool = False

    @property
    def unlocked_by(self) -> Plan | None:
        """The plan to choose to unlock it (None when allowed)."""
        return None if self.allowed else self.plan


def feature_states(*, migration: Migration, order: Order | None = None) -> list[FeatureState]:
    """Each plan feature, whether this migration has it, and which plan includes it: the
    plan of ``order`` (an order page) when it does, else the paid plan, else the first."""
    granted = entitlements(migration=migration)
    shown_plan = Plan(order.plan) if order is not None else granted.plan
    states = []
    for feature in Feature:
        allowed = granted.allows(feature)
        plan = feature_plan(feature, shown_plan)
        states.append(
            FeatureState(
                feature=feature,
                description=FEATURE_DESCRIPTIONS[feature],
                allowed=allowed,
                plan=plan,
                ordered=not allowed and order is not None and plan_has(order.plan, feature),
            )
        )
    return states


@dataclass(frozen=True, slots=True)
class FeatureOffer:
    """A plan feature as a finished run's page offers it."""

    feature: Feature
    allowed: bool
    #: The plan that includes it (the migration's own when it does).
    plan: Plan
    #: Re-migration: until when it may start (None: no limit, or no full run yet), and
    #: the plan's days after the full run.
    deadline: datetime | None = None
    days: int | None = None

    @property
    def window_closed(self) -> bool:
        return self.deadline is not None and timezone.now() > self.deadline


def feature_offer(*, migration: Migration, feature: Feature) -> FeatureOffer:
    """Whether ``feature`` may be used on this migration now, as billing decides it
    (``billing.services.run_start_check`` and ``feature_require`` enforce the same)."""
    granted = entitlements(migration=migration)
    allowed = granted.allows(feature)
    deadline = None
    if allowed and feature is Feature.REMIGRATION and granted.billing_on:
        deadline = remigration_deadline(migration=migration, plan=granted.plan)
    return FeatureOffer(
        feature=feature,
        allowed=allowed,
        plan=feature_plan(feature, granted.plan),
        deadline=deadline,
        days=REMIGRATION_DAYS.get(granted.plan) if deadline is not None else None,
    )


@dataclass(frozen=True, slots=True)
class PlanChoice:
    plan: Plan
    price: object
    features: list[tuple[Feature, object, bool]]
    remigration_days: int | None


def plan_choices() -> list[PlanChoice]:
    """The plans side by side: price, and each feature included or not."""
    book = price_book()
    return [
        PlanChoice(
            plan=plan,
            price=book.plan_price(plan),
            features=[
                (feature, FEATURE_DESCRIPTIONS[feature], plan_has(plan, feature))
                for feature in Feature
            ],
            remigration_days=REMIGRATION_DAYS.get(plan),
        )
        for plan in PLAN_ORDER
    ]
