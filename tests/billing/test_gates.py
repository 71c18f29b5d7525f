"""Each plan gate is enforced by the services (run_start refuses), not only by the pages."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import selectors, services
from billing.models import OptionSurcharge, PlanPrice, PriceTier, Pricing
from billing.plans import Feature
from migrator import configuration
from migrator import services as migrator_services
from migrator.models import Run
from tests.billing.conftest import DETAILS, completed_run, paid_order

pytestmark = pytest.mark.usefixtures("billing_on")

NIGHTS = [configuration.Window(days=[1, 2, 3, 4, 5], start=time(20), end=time(6))]


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Runs that start do not reach a broker in these tests."""
    monkeypatch.setattr("migrator.engine.scheduling.run_begin", lambda run: None)


def start(migration, kind, **arguments) -> Run:
    return migrator_services.run_start(migration=migration, kind=kind, **arguments)


def refused(migration, kind, **arguments) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        start(migration, kind, **arguments)
    return caught.value


def test_full_run_refused_until_the_order_is_paid(migration, staff):
    error = refused(migration, Run.Kind.FULL)
    assert error.code == "payment_required"
    assert not migration.runs.exists()

    order = services.order_submit(
        migration=migration,
        created_by=migration.owner,
        plan="basic",
        details=DETAILS,
    )
    assert refused(migration, Run.Kind.FULL).code == "payment_required"  # pending
    services.order_mark_paid(order=order, staff=staff)
    run = start(migration, Run.Kind.FULL)
    assert run.kind == Run.Kind.FULL


def test_refunded_order_shuts_the_full_run_again(migration, staff):
    order = paid_order(migration=migration, staff=staff)
    services.order_mark_refunded(order=order, staff=staff)
    assert refused(migration, Run.Kind.FULL).code == "payment_required"


def test_demo_needs_no_payment(migration):
    assert start(migration, Run.Kind.DEMO).kind == Run.Kind.DEMO


def test_everything_is_allowed_when_billing_is_off(migration, settings):
    settings.BILLING_ENABLED = False
    run = start(migration, Run.Kind.FULL, windows=NIGHTS)
    run.status = Run.Status.COMPLETED
    run.started_at = run.finished_at = timezone.now()
    run.save()
    assert start(migration, Run.Kind.DELTA).kind == Run.Kind.DELTA
    services.feature_require(migration=migration, feature=Feature.VERIFICATION)


def test_prices_all_zero_switch_billing_off(migration):
    services.pricing_set_free()
    assert not selectors.billing_enabled()
    assert start(migration, Run.Kind.FULL).kind == Run.Kind.FULL


def test_the_full_run_runs_once(migration, staff):
    paid_order(migration=migration, staff=staff, plan="signature")
    completed_run(migration=migration)
    assert refused(migration, Run.Kind.FULL).code == "full_run_done"


def test_a_failed_full_run_may_start_again(migration, staff):
    paid_order(migration=migration, staff=staff)
    Run.objects.create(migration=migration, kind=Run.Kind.FULL, status=Run.Status.FAILED)
    assert start(migration, Run.Kind.FULL).kind == Run.Kind.FULL


@pytest.mark.parametrize(
    ("plan", "allowed"), [("basic", False), ("premium", False), ("signature", True)]
)
def test_delta_needs_signature(migration, staff, plan, allowed):
    paid_order(migration=migration, staff=staff, plan=plan)
    completed_run(migration=migration)
    if allowed:
        assert start(migration, Run.Kind.DELTA).kind == Run.Kind.DELTA
    else:
        error = refused(migration, Run.Kind.DELTA)
        assert error.code == "plan_required"
        assert "Signature" in error.messages[0]


@pytest.mark.parametrize(("plan", "days"), [("premium", 5), ("signature", 10)])
def test_remigration_within_the_plans_window(migration, staff, plan, days):
    paid_order(migration=migration, staff=staff, plan=plan)
    finished = timezone.now()
    completed_run(migration=migration, finished_at=finished, started_at=finished)
    with time_machine.travel(finished + timedelta(days=days) - timedelta(minutes=1)):
        run = start(migration, Run.Kind.REMIGRATION)
    run.status = Run.Status.COMPLETED
    run.started_at = run.finished_at = finished + timedelta(days=days - 1)
    run.save()
    with time_machine.travel(finished + timedelta(days=days, minutes=1)):
        error = refused(migration, Run.Kind.REMIGRATION)
    assert error.code == "remigration_window_over"
    assert str(days) in error.messages[0]


def test_basic_plan_has_no_remigration(migration, staff):
    paid_order(migration=migration, staff=staff, plan="basic")
    completed_run(migration=migration)
    error = refused(migration, Run.Kind.REMIGRATION)
    assert error.code == "plan_required"
    assert "Premium" in error.messages[0]


@pytest.mark.parametrize(
    ("plan", "allowed"), [("basic", False), ("premium", True), ("signature", True)]
)
def test_interval_windows_need_premium(migration, staff, plan, allowed):
    paid_order(migration=migration, staff=staff, plan=plan)
    if allowed:
        assert start(migration, Run.Kind.FULL, windows=NIGHTS).windows
    else:
        assert refused(migration, Run.Kind.FULL, windows=NIGHTS).code == "plan_required"
        # A scheduled start is no interval migration: every plan has it.
        later = timezone.now() + timedelta(days=1)
        assert start(migration, Run.Kind.FULL, scheduled_for=later).scheduled_for == later


@pytest.mark.parametrize(
    ("plan", "allowed"), [("basic", False), ("premium", True), ("signature", True)]
)
def test_verification_needs_premium(migration, staff, plan, allowed):
    paid_order(migration=migration, staff=staff, plan=plan)
    if allowed:
        services.feature_require(migration=migration, feature=Feature.VERIFICATION)
    else:
        with pytest.raises(ValidationError) as caught:
            services.feature_require(migration=migration, feature=Feature.VERIFICATION)
        assert caught.value.code == "plan_required"


def test_features_show_the_plan_that_unlocks_them(migration, staff):
    paid_order(migration=migration, staff=staff, plan="premium")
    states = {state.feature: state for state in selectors.feature_states(migration=migration)}
    assert states[Feature.REMIGRATION].allowed
    assert states[Feature.INTERVAL].allowed
    assert states[Feature.VERIFICATION].allowed
    assert not states[Feature.DELTA].allowed
    assert states[Feature.DELTA].unlocked_by == "signature"


def test_no_paid_order_locks_every_feature(migration):
    states = selectors.feature_states(migration=migration)
    assert all(not state.allowed for state in states)
    assert {state.unlocked_by for state in states} == {"premium", "signature"}


def test_billing_enabled_follows_the_prices_and_the_setting(settings):
    assert selectors.billing_enabled()
    PlanPrice.objects.update(price=0)
    PriceTier.objects.update(price_per_record=0)
    pricing = Pricing.objects.get()
    pricing.minimum_price = 0
    pricing.save()  # a save clears the cached answer
    OptionSurcharge.objects.all().delete()
    assert not selectors.billing_enabled()
    services.pricing_reset_to_defaults()
    assert selectors.billing_enabled()
    settings.BILLING_ENABLED = False
    assert not selectors.billing_enabled()
