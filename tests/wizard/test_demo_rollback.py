"""The demo's records on the target: the demo page offers to remove them, the full-run
page says what happens to them and lets the user choose; only those who start runs may
remove them (others get a 404), and the removal is in the activity log."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from migrator import services
from migrator.models import AuditEvent, Membership, Run
from tests.wizard.conftest import drain

pytestmark = pytest.mark.django_db


def rollback_url(migration, **query) -> str:
    url = reverse("wizard_demo_rollback", args=[migration.pk])
    return url + ("?from=run" if query.get("from_run") else "")


def test_before_any_demo_neither_page_speaks_of_the_demos_records(client, user, sandbox):
    client.force_login(user)
    demo = client.get(reverse("wizard_demo", args=[sandbox.migration.pk])).content.decode()
    run = client.get(reverse("wizard_run", args=[sandbox.migration.pk])).content.decode()
    assert "data-demo-records" not in demo
    assert "data-demo-records" not in run
    assert "Keep the demo" not in run


def test_after_a_demo_both_pages_offer_the_choice_and_the_removal(client, user, sandbox):
    drain(services.run_start(migration=sandbox.migration, kind=Run.Kind.DEMO))
    client.force_login(user)
    demo = client.get(reverse("wizard_demo", args=[sandbox.migration.pk])).content.decode()
    assert "data-demo-records" in demo
    assert "The full migration takes them over and updates them" in demo
    assert rollback_url(sandbox.migration) in demo
    run = html.unescape(
        client.get(reverse("wizard_run", args=[sandbox.migration.pk])).content.decode()
    )
    assert "Keep the demo's records — the full run updates them" in run
    assert "Remove the demo's records first — the full run creates them again" in run
    assert re.search(r'value="keep"[^>]*checked', run)
    assert rollback_url(sandbox.migration, from_run=True) in run


def test_the_removal_asks_first_then_runs_and_is_logged(client, user, sandbox):
    drain(services.run_start(migration=sandbox.migration, kind=Run.Kind.DEMO))
    client.force_login(user)
    page = client.get(rollback_url(sandbox.migration))
    assert page.status_code == 200
    assert "Yes, remove the demo" in page.content.decode()
    assert not Run.objects.filter(kind=Run.Kind.ROLLBACK).exists()

    response = client.post(rollback_url(sandbox.migration))

    assert response.status_code == 302
    removal = Run.objects.get(migration=sandbox.migration, kind=Run.Kind.ROLLBACK)
    assert removal.created_by == user
    assert AuditEvent.objects.filter(
        migration=sandbox.migration, action=AuditEvent.Action.DEMO_ROLLBACK, actor=user
    ).exists()
    removal = drain(removal)
    assert removal.status == Run.Status.COMPLETED
    demo = client.get(reverse("wizard_demo", args=[sandbox.migration.pk])).content.decode()
    assert "data-demo-records" not in demo
    assert "Demo records removal" in demo
    # Its report: what it removed, per entity; nothing to verify on the target any more.
    assert '<th scope="col">Removed</th>' in demo
    assert "Verify again" not in demo
    assert 'data-label="Verified"' not in demo
    # Nothing left: asked again, the page says so and nothing starts.
    client.post(rollback_url(sandbox.migration))
    assert Run.objects.filter(kind=Run.Kind.ROLLBACK).count() == 1


def test_those_who_may_not_start_runs_get_a_404(client, make_user, user, sandbox):
    drain(services.run_start(migration=sandbox.migration, kind=Run.Kind.DEMO))
    restricted = make_user()
    Membership.objects.create(
        migration=sandbox.migration, user=restricted, role=Membership.Role.RESTRICTED
    )
    stranger = make_user()
    for person in (restricted, stranger):
        client.force_login(person)
        assert client.get(rollback_url(sandbox.migration)).status_code == 404
        assert client.post(rollback_url(sandbox.migration)).status_code == 404
    assert not Run.objects.filter(kind=Run.Kind.ROLLBACK).exists()


def test_once_a_full_run_started_the_demos_records_are_the_migrations(client, user, sandbox):
    drain(services.run_start(migration=sandbox.migration, kind=Run.Kind.DEMO))
    drain(services.run_start(migration=sandbox.migration, kind=Run.Kind.FULL))
    client.force_login(user)
    assert (
        "data-demo-records"
        not in client.get(reverse("wizard_demo", args=[sandbox.migration.pk])).content.decode()
    )
    client.post(rollback_url(sandbox.migration))
    assert not Run.objects.filter(kind=Run.Kind.ROLLBACK).exists()


def test_starting_the_full_run_with_remove_first_removes_then_runs(client, user, sandbox):
    drain(services.run_start(migration=sandbox.migration, kind=Run.Kind.DEMO))
    client.force_login(user)
    response = client.post(
        reverse("wizard_run", args=[sandbox.migration.pk]),
        {
            "start": "now",
            "demo_records": "remove",
            "window-TOTAL_FORMS": "0",
            "window-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    removal = Run.objects.get(migration=sandbox.migration, kind=Run.Kind.ROLLBACK)
    assert removal.kind == Run.Kind.ROLLBACK and removal.follow_up["kind"] == Run.Kind.FULL
    page = client.get(reverse("wizard_run", args=[sandbox.migration.pk])).content.decode()
    assert "being removed from the target" in page
    assert f'data-run-id="{removal.pk}"' in page
    drain(removal)
    full = Run.objects.get(migration=sandbox.migration, kind=Run.Kind.FULL)
    assert full.status == Run.Status.RUNNING and full.created_by == user
