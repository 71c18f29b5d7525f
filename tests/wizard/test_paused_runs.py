"""A paused run: no countdown, and support sees who paused it, when and why. Pairs are
named by account and platform ("Acme on Zendesk"), never by platform keys."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from migrator import policy, services
from migrator.models import Run
from tests.wizard.conftest import recorded_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def paused(sandbox, user):
    user.full_name = "Olivia Owner"
    user.save()
    run = recorded_run(sandbox.migration, tickets=30, status=Run.Status.RUNNING)
    services.run_pause(run=run, reason="Waiting for the agents' import.", by=user)
    run.refresh_from_db()
    return run


@pytest.fixture
def support_client(client, make_user, sandbox, user):
    staff = make_user(is_staff=True, full_name="Sam Support")
    staff.groups.add(Group.objects.get_or_create(name=policy.SUPPORT_GROUP)[0])
    services.support_grant(migration=sandbox.migration, granted_by=user, days=7)
    client.force_login(staff)
    return client


def test_a_paused_run_shows_no_time_left(client, user, paused):
    client.force_login(user)
    page = client.get(reverse("wizard_run_progress", args=[paused.pk])).content.decode()
    assert "less than a minute" not in page
    assert "Paused — goes on when you resume it" in page


def test_support_sees_who_paused_the_run_when_and_why(support_client, paused):
    console = support_client.get(reverse("support_console")).content.decode()
    why = console.split('class="migration-name run-why">', 1)[1].split("</td>", 1)[0]
    assert "Paused by Olivia Owner on " in why
    assert "Reason given: Waiting for the agents&#x27; import." in why
    page = support_client.get(reverse("support_run", args=[paused.pk])).content.decode()
    assert "Paused by Olivia Owner on " in page


def test_the_pair_is_named_by_account_and_platform(support_client, paused):
    page = support_client.get(reverse("support_run", args=[paused.pk])).content.decode()
    assert "Acme on Zendesk → " in page
    assert "(zendesk)" not in page and "(freshdesk)" not in page
    assert " on Freshdesk" in page
