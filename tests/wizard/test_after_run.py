"""After a finished full run: re-migration (within the plan's window) and the verification
of skipped and failed records, offered on the run's page and gated by the plan in the
services; the marker's configured prefix on the target's records."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, timezone

from billing.models import Order
from connectors.models import EmulatedRecord
from connectors.schema import Entity
from migrator import configuration, services
from migrator.engine import recheck
from migrator.models import AuditEvent, Run
from reports.models import RunRecord
from tests.billing.conftest import install_test_prices, paid_order
from tests.wizard.conftest import drain, recorded_run, sandbox_pair_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_process_emulators")]

ENTITIES = [Entity.ORGANIZATIONS, Entity.GROUPS, Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS]


@pytest.fixture
def no_broker(monkeypatch):
    """Runs that start and checks that begin reach no broker here."""
    from migrator import tasks

    monkeypatch.setattr("migrator.engine.scheduling.run_begin", lambda run: None)
    monkeypatch.setattr(tasks.run_recheck, "apply_async", lambda args, **options: None)


@pytest.fixture
def billing(settings, db):
    settings.BILLING_ENABLED = True
    settings.BILLING_PROVIDER = "manual"
    install_test_prices()


@pytest.fixture
def staff(make_user):
    return make_user(email="staff@example.com", is_staff=True)


def results_url(run: Run) -> str:
    return reverse("wizard_run_results", args=[run.pk])


def section(client, run: Run, feature: str) -> str:
    page = client.get(results_url(run)).content.decode()
    start = page.index(f'data-feature="{feature}"')
    return page[start : page.index("</div>", start)]


def full_run_of(migration) -> Run:
    return recorded_run(migration, tickets=30)


# --------------------------------------------------------------------------- the gate


def test_without_the_plan_both_are_shown_disabled_and_refused(
    client, user, staff, billing, no_broker
):
    migration = sandbox_pair_create(owner=user, entities=ENTITIES).migration
    paid_order(migration=migration, staff=staff, plan="basic")
    run = full_run_of(migration)
    client.force_login(user)
    for feature, plan in (("remigration", "Premium"), ("verification", "Premium")):
        shown = section(client, run, feature)
        assert 'data-allowed="no"' in shown
        assert "disabled" in shown
        assert f"Included in {plan} — upgrade" in shown
        assert reverse("wizard_pay", args=[migration.pk]) in shown
    response = client.post(reverse("wizard_run_remigrate", args=[run.pk]), follow=True)
    assert "Re-migration needs the Premium support plan or higher." in response.content.decode()
    assert not migration.runs.filter(kind=Run.Kind.REMIGRATION).exists()
    response = client.post(reverse("wizard_run_recheck", args=[run.pk]), follow=True)
    assert (
        "Verification of skipped and failed records needs the Premium support plan or higher."
        in response.content.decode()
    )
    assert not RunRecord.objects.filter(run=run).exclude(recheck="").exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RUN_RECHECKED).exists()


def test_with_the_plan_the_buttons_start_them(client, user, staff, billing, no_broker):
    migration = sandbox_pair_create(owner=user, entities=ENTITIES).migration
    paid_order(migration=migration, staff=staff, plan="premium")
    run = full_run_of(migration)
    client.force_login(user)
    shown = section(client, run, "remigration")
    assert 'data-allowed="yes"' in shown and 'data-action="remigrate"' in shown
    assert "Possible until" in shown
    assert "updated, never created a second time" in shown
    shown = section(client, run, "verification")
    assert 'data-action="recheck"' in shown
    assert "fine now, still missing, or migratable again" in shown

    response = client.post(reverse("wizard_run_recheck", args=[run.pk]))
    assert response.status_code == 302
    pending = RunRecord.objects.filter(run=run, recheck=RunRecord.Recheck.PENDING)
    assert pending.count() == RunRecord.objects.filter(run=run).exclude(outcome="migrated").count()
    assert "Checking… " in section(client, run, "verification")
    assert AuditEvent.objects.filter(
        migration=migration, action=AuditEvent.Action.RUN_RECHECKED, actor=user
    ).exists()

    response = client.post(reverse("wizard_run_remigrate", args=[run.pk]))
    assert response.status_code == 302
    remigration = migration.runs.get(kind=Run.Kind.REMIGRATION)
    assert AuditEvent.objects.filter(
        migration=migration, action=AuditEvent.Action.RUN_STARTED, detail__contains="Re-migration"
    ).exists()
    assert remigration.created_by == user


def test_after_the_window_the_page_says_when_it_closed_and_the_service_refuses(
    client, user, staff, billing, no_broker
):
    migration = sandbox_pair_create(owner=user, entities=ENTITIES).migration
    paid_order(migration=migration, staff=staff, plan="premium")
    run = full_run_of(migration)
    client.force_login(user)
    closed = run.finished_at + timedelta(days=5)
    with time_machine.travel(run.finished_at + timedelta(days=6)):
        shown = section(client, run, "remigration")
        assert "data-window-closed" in shown
        date = formats.date_format(timezone.localtime(closed), "DATETIME_FORMAT")
        assert (
            f"The re-migration window of your Premium plan closed on {date} (5 days after "
            "the full migration)." in shown
        )
        response = client.post(reverse("wizard_run_remigrate", args=[run.pk]), follow=True)
        assert "that time ended on" in response.content.decode()
    assert not migration.runs.filter(kind=Run.Kind.REMIGRATION).exists()


def test_a_demo_offers_neither_and_a_teammate_without_access_gets_a_404(
    client, user, make_user, no_broker
):
    migration = sandbox_pair_create(owner=user, entities=ENTITIES).migration
    demo = Run.objects.create(
        migration=migration,
        kind=Run.Kind.DEMO,
        status=Run.Status.COMPLETED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    client.force_login(user)
    assert 'id="next-steps"' not in client.get(results_url(demo)).content.decode()
    response = client.post(reverse("wizard_run_remigrate", args=[demo.pk]), follow=True)
    assert "A re-migration follows the full migration, not a demo." in response.content.decode()
    run = full_run_of(migration)
    stranger = make_user(email="stranger@example.com")
    client.force_login(stranger)
    assert client.post(reverse("wizard_run_remigrate", args=[run.pk])).status_code == 404
    assert client.post(reverse("wizard_run_recheck", args=[run.pk])).status_code == 404


# --------------------------------------------------------------------------- the order page


def test_the_order_page_names_the_plan_that_includes_each_feature(client, user, staff, billing):
    migration = sandbox_pair_create(owner=user, entities=ENTITIES).migration
    from billing import services as billing_services
    from tests.billing.conftest import DETAILS

    order = billing_services.order_submit(
        migration=migration, created_by=user, plan="premium", details=DETAILS
    )
    client.force_login(user)
    page = client.get(reverse("billing_order", args=[migration.pk, order.pk])).content.decode()
    assert 'data-feature="delta" data-plan="signature"' in page
    assert 'data-feature="remigration" data-plan="premium"' in page
    assert "Unlocked by" not in page
    assert "Included in Premium: yours once the order is paid" in page
    assert "Included in Signature" in page
    Order.objects.filter(pk=order.pk).update(plan="signature")
    page = client.get(reverse("billing_order", args=[migration.pk, order.pk])).content.decode()
    for feature in ("remigration", "interval", "delta", "verification"):
        assert f'data-feature="{feature}" data-plan="signature"' in page
    assert "Included in Premium" not in page
    order.refresh_from_db()
    billing_services.order_mark_paid(order=order, staff=staff)
    page = client.get(reverse("billing_order", args=[migration.pk, order.pk])).content.decode()
    assert page.count("Included in your Signature plan") == 4


# --------------------------------------------------------------------------- the engine


def test_the_check_reads_both_sides_and_the_marker_has_the_chosen_prefix(
    client, user, in_process_emulators, enqueued
):
    pair = sandbox_pair_create(
        owner=user, entities=ENTITIES, options=configuration.Options(marker_prefix="acme")
    )
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL, created_by=user))
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    # Every ticket created on the target carries the marker with the chosen prefix.
    created = EmulatedRecord.objects.filter(account=pair.target, collection="tickets")
    tags = [tag for ticket in created for tag in ticket.data.get("tags") or []]
    markers = [tag for tag in tags if tag.startswith("acme-")]
    written = created.count()
    assert len(markers) == written > 0
    assert not [tag for tag in tags if tag.startswith("hdm-")]

    # Three tickets reported failed: one is on the target after all, one is gone from
    # the target, one gone from the source.
    on_target, lost, deleted = RunRecord.objects.filter(
        run=run, entity="tickets", outcome="migrated"
    ).order_by("id")[:3]
    RunRecord.objects.filter(pk__in=[on_target.pk, lost.pk, deleted.pk]).update(
        outcome=RunRecord.Outcome.FAILED, reason="The target answered with an error."
    )
    EmulatedRecord.objects.filter(
        account=pair.target, collection="tickets", number=int(lost.target_id)
    ).delete()
    EmulatedRecord.objects.filter(
        account=pair.source, collection="tickets", number=int(deleted.source_id)
    ).delete()
    from migrator import tasks

    tasks.run_recheck.apply_async = lambda args, **options: None
    services.run_recheck_start(run=run, by=user)
    recheck.run_recheck(run_id=run.pk)

    verdicts = dict(
        RunRecord.objects.filter(pk__in=[on_target.pk, lost.pk, deleted.pk]).values_list(
            "source_id", "recheck"
        )
    )
    assert verdicts == {
        on_target.source_id: RunRecord.Recheck.FINE,
        lost.source_id: RunRecord.Recheck.MIGRATABLE,
        deleted.source_id: RunRecord.Recheck.MISSING,
    }
    # Nothing was written on the target.
    assert created.all().count() == written - 1
    client.force_login(user)
    shown = client.get(results_url(run)).content.decode()
    shown = shown[shown.index('id="next-steps"') :]
    assert f"It is on the target now (id {on_target.target_id})." in shown
    assert "a re-migration moves it." in shown
    assert "It no longer exists on the source." in shown
    assert 'data-recheck-count="fine">Fine now: <strong>1</strong>' in shown
