"""Support plans and what each unlocks.

The features are fixed here, in code, so the services that enforce them and the pages that
show them read one table; only the plans' prices are editable (``billing.models.PlanPrice``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Plan(models.TextChoices):
    """In increasing order: each plan holds every feature of the plans before it."""

    BASIC = "basic", _("Basic")
    PREMIUM = "premium", _("Premium")
    SIGNATURE = "signature", _("Signature")


class Feature(models.TextChoices):
    REMIGRATION = "remigration", _("Re-migration")
    INTERVAL = "interval", _("Interval migration")
    DELTA = "delta", _("Delta migration")
    VERIFICATION = "verification", _("Verification of skipped and failed records")


FEATURE_DESCRIPTIONS = {
    Feature.REMIGRATION: _("Move the data again within days of the full migration."),
    Feature.INTERVAL: _("Pause during the work week and run at nights or weekends, on a schedule."),
    Feature.DELTA: _(
        "After the full migration, move only the records created or updated during it "
        "(beware of duplicates if you keep working on the source)."
    ),
    Feature.VERIFICATION: _(
        "Re-read the skipped and failed records on both sides and explain each one."
    ),
}

PLAN_ORDER: tuple[Plan, ...] = (Plan.BASIC, Plan.PREMIUM, Plan.SIGNATURE)

PLAN_FEATURES: dict[Plan, frozenset[Feature]] = {
    Plan.BASIC: frozenset(),
    Plan.PREMIUM: frozenset({Feature.REMIGRATION, Feature.INTERVAL, Feature.VERIFICATION}),
    Plan.SIGNATURE: frozenset(Feature),
}

#: Days after the full migration finished during which a re-migration may start.
REMIGRATION_DAYS: dict[Plan, int] = {Plan.PREMIUM: 5, Plan.SIGNATURE: 10}


def plan_has(plan: Plan | str, feature: Feature) -> bool:
    return feature in PLAN_FEATURES[Plan(plan)]


def unlocking_plan(feature: Feature) -> Plan:
    """The first plan that includes ``feature``."""
    return next(plan for plan in PLAN_ORDER if feature in PLAN_FEATURES[plan])


def feature_plan(feature: Feature, plan: Plan | str | None = None) -> Plan:
    """The plan to name beside ``feature``: ``plan`` when it includes the feature (the
    plan ordered or paid), else the first plan that does."""
    if plan is not None and plan_has(plan, feature):
        return Plan(plan)
    return unlocking_plan(feature)
