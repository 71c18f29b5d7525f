"""The activity log records every action the issue lists, from the page or the engine that
does it, with who did it; the e-mails a finished demo and a completed run send.

(Payments are recorded by billing's services: tests/billing/test_audit.py.)"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from migrator import policy, services
from migrator.engine import scheduling
from migrator.models import AuditEvent, Membership, Migration, Run
from tests.wizard.conftest import drain
from tests.wizard.test_runs import start_form

pytestmark = pytest.mark.django_db


def form_as_shown(response) -> dict[str, str]:
    """What the browser would send back for the page as rendered."""
    form = response.context["form"]
    return {name: form[name].value() or "" for name in form.fields}


def invitation_path(body: str) -> str:
    url = next(line for line in body.splitlines() if "/invitations/" in line)
    return url.split("testserver", 1)[1].strip()


def logged(migration: Migration) -> list[tuple[str, str | None]]:
    return [
        (event.action, event.actor.email if event.actor else None)
        for event in AuditEvent.objects.filter(migration=migration).order_by("created_at", "id")
    ]


def latest_run(migration: Migration, kind: str) -> Run:
    return migration.runs.filter(kind=kind).order_by("-created_at", "-id").first()


def test_every_action_is_logged_with_who_did_it_and_listed_on_the_activity_page(
    client, user, make_user, sandbox
):
    migration = sandbox.migration
    AuditEvent.objects.filter(migration=migration).delete()  # the fixture's own set-up
    full = make_user(email="full@acme.example")
    restricted = make_user(email="restricted@acme.example")
    support = make_user(email="support@example.com", is_staff=True)
    support.groups.add(Group.objects.get_or_create(name=policy.SUPPORT_GROUP)[0])

    # Invited from the members page, accepted from the e-mailed link.
    for person, role in ((full, "full"), (restricted, "restricted")):
        client.force_login(user)
        sent = client.post(
            reverse("migration_member_invite", args=[migration.pk]),
            {"email": person.email, "role": role},
        )
        assert sent.status_code == 302
        client.force_login(person)
        assert client.post(invitation_path(mail.outbox[-1].body)).status_code == 302

    # A full teammate connects (here: the owner's source again, checked anew).
    client.force_login(full)
    connected = client.post(
        reverse("wizard_connect_reuse", args=[migration.pk, "source"]),
        {"connection": migration.source_id},
    )
    assert connected.status_code == 302

    # A restricted teammate saves the matching and the mapping.
    client.force_login(restricted)
    for name in ("wizard_match", "wizard_map"):
        url = reverse(name, args=[migration.pk])
        assert client.post(url, form_as_shown(client.get(url))).status_code == 302

    # The full teammate starts the demo; it runs to its end.
    client.force_login(full)
    assert client.post(reverse("wizard_demo_start", args=[migration.pk])).status_code == 302
    assert drain(latest_run(migration, Run.Kind.DEMO)).status == Run.Status.COMPLETED

    # The owner starts, pauses and resumes the full run.
    client.force_login(user)
    assert client.post(reverse("wizard_run", args=[migration.pk]), start_form()).status_code == 302
    run = latest_run(migration, Run.Kind.FULL)
    assert client.post(reverse("wizard_run_pause", args=[run.pk])).status_code == 302
    assert client.post(reverse("wizard_run_resume", args=[run.pk])).status_code == 302

    # The engine pauses it on a systemic error: the system's doing, with the reason.
    scheduling.run_pause(
        run=run, paused_by=Run.PausedBy.SYSTEM, reason="Freshdesk refused the API key."
    )

    # The owner grants support access; support staff look at the run and resume it.
    client.post(reverse("migration_support_grant", args=[migration.pk]), {"days": "2"})
    client.force_login(support)
    assert client.get(reverse("support_run", args=[run.pk])).status_code == 200
    assert client.post(reverse("support_run_resume", args=[run.pk])).status_code == 302

    # The owner revokes the restricted teammate.
    client.force_login(user)
    membership = Membership.objects.get(migration=migration, user=restricted)
    revoked = client.post(reverse("migration_member_revoke", args=[migration.pk, membership.pk]))
    assert revoked.status_code == 302

    owner = user.email
    expected = [
        ("invited", owner),
        ("invitation_accepted", full.email),
        ("invited", owner),
        ("invitation_accepted", restricted.email),
        ("connected", full.email),
        ("matching_saved", restricted.email),
        ("mapping_saved", restricted.email),
        ("demo_started", full.email),
        ("run_started", owner),
        ("run_paused", owner),
        ("run_resumed", owner),
        ("run_paused", None),
        ("support_granted", owner),
        ("support_viewed", support.email),
        ("run_resumed", support.email),
        ("access_revoked", owner),
    ]
    assert logged(migration) == expected
    system_pause = AuditEvent.objects.get(migration=migration, actor=None, action="run_paused")
    assert system_pause.detail == f"Full migration #{run.pk}: Freshdesk refused the API key."

    page = client.get(reverse("migration_activity", args=[migration.pk]))
    assert page.status_code == 200
    rows = [event.action for event in page.context["events"]]
    assert rows == [action for action, _actor in reversed(expected)]
    text = page.content.decode()
    assert "The system" in text
    assert "Freshdesk refused the API key." in text


def test_a_pause_and_a_resume_by_the_schedule_are_logged_as_the_systems(user, sandbox):
    migration = sandbox.migration
    run = services.run_start(migration=migration, kind=Run.Kind.DEMO, created_by=user)
    scheduling.run_pause(run=run, paused_by=Run.PausedBy.SCHEDULE, reason="Outside the windows.")
    # Its windows open again (it has none: it may run any time).
    scheduling.runs_reconcile()
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING
    system = [action for action, actor in logged(migration) if actor is None]
    assert system[-2:] == ["run_paused", "run_resumed"]


def test_a_finished_demo_and_a_completed_run_are_e_mailed_to_everyone_following(
    user, make_user, sandbox, django_capture_on_commit_callbacks
):
    migration = sandbox.migration
    teammate = make_user(email="mia@acme.example")
    Membership.objects.create(migration=migration, user=teammate, role=Membership.Role.RESTRICTED)
    page = settings.SITE_URL + reverse("migration_continue", args=[migration.pk])

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        demo = drain(services.run_start(migration=migration, kind=Run.Kind.DEMO))
    assert demo.status == Run.Status.COMPLETED
    [message] = mail.outbox
    assert set(message.to) == {user.email, teammate.email}
    assert message.subject == "[Helpdesk Migrator] The demo of “Zendesk to Freshdesk” has finished"
    assert "what was migrated, skipped or failed" in message.body
    assert page in message.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        full = drain(services.run_start(migration=migration, kind=Run.Kind.FULL))
    assert full.status == Run.Status.COMPLETED
    [message] = mail.outbox
    assert set(message.to) == {user.email, teammate.email}
    assert message.subject == (
        "[Helpdesk Migrator] Full migration of “Zendesk to Freshdesk” completed"
    )
    assert "The results and reports are on its page." in message.body
    assert page in message.body
