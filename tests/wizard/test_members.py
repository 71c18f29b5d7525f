"""The members page, invitations, the activity log and the support console."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from connectors.sandbox import sandbox_platform
from migrator import policy, services
from migrator.models import AuditEvent, Membership, Run, RunBatch, SupportNote
from reports.models import RunRecord
from tests.wizard.conftest import SITE_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def migration(user):
    return services.migration_create(owner=user, name="Acme move")


@pytest.fixture
def support_user(make_user):
    staff = make_user(email="support@example.com", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=policy.SUPPORT_GROUP)[0])
    return staff


def _invitation_path(body: str) -> str:
    url = next(line for line in body.splitlines() if "/invitations/" in line)
    return url.split("testserver", 1)[1].strip()


def test_the_owner_invites_and_the_invitee_accepts_from_the_e_mailed_link(
    client, user, make_user, migration
):
    client.force_login(user)
    page = client.get(reverse("migration_members", args=[migration.pk]))
    assert page.status_code == 200
    assert b"Invite a teammate" in page.content

    refused = client.post(
        reverse("migration_member_invite", args=[migration.pk]),
        {"email": "not-an-address", "role": "restricted"},
    )
    assert refused.status_code == 400
    assert b"not-an-address" in refused.content  # kept for the user to fix

    sent = client.post(
        reverse("migration_member_invite", args=[migration.pk]),
        {"email": "mia@example.com", "role": "restricted"},
    )
    assert sent.status_code == 302
    path = _invitation_path(mail.outbox[-1].body)

    invitee = make_user(email="mia@example.com")
    client.force_login(invitee)
    assert client.get(path).status_code == 200
    accepted = client.post(path)
    assert accepted.status_code == 302
    assert Membership.objects.get(user=invitee).role == "restricted"
    assert client.get(reverse("dashboard")).content.count(b"Acme move") >= 1
    assert client.post(path).status_code == 400  # once only


def test_only_the_owner_manages_members_and_a_revoked_teammate_gets_404(
    client, user, make_user, migration
):
    full = make_user()
    membership = Membership.objects.create(migration=migration, user=full, role="full")
    client.force_login(full)
    members_page = client.get(reverse("migration_members", args=[migration.pk]))
    assert members_page.status_code == 200
    assert b"Invite a teammate" not in members_page.content
    assert (
        client.post(
            reverse("migration_member_invite", args=[migration.pk]),
            {"email": "x@example.com", "role": "full"},
        ).status_code
        == 404
    )
    assert client.get(reverse("migration_activity", args=[migration.pk])).status_code == 200

    client.force_login(user)
    client.post(reverse("migration_member_revoke", args=[migration.pk, membership.pk]))
    client.force_login(full)
    assert client.get(reverse("migration_members", args=[migration.pk])).status_code == 404
    assert b"Acme move" not in client.get(reverse("dashboard")).content


def test_restricted_teammates_do_not_see_the_activity_log(client, make_user, migration):
    restricted = make_user()
    Membership.objects.create(migration=migration, user=restricted, role="restricted")
    client.force_login(restricted)
    assert client.get(reverse("migration_members", args=[migration.pk])).status_code == 200
    assert client.get(reverse("migration_activity", args=[migration.pk])).status_code == 404


def test_support_console_shows_a_paused_demo_only_with_a_grant_and_resumes_it(
    client, user, support_user, migration, monkeypatch
):
    run = Run.objects.create(
        migration=migration,
        kind=Run.Kind.DEMO,
        status=Run.Status.PAUSED,
        paused_by=Run.PausedBy.SYSTEM,
        pause_reason="Freshdesk answered 503 for ten minutes.",
        started_at="2026-11-01T10:00:00Z",
    )
    client.force_login(support_user)
    console = client.get(reverse("support_console"))
    assert console.status_code == 200
    assert b"Acme move" not in console.content
    assert client.get(reverse("support_run", args=[run.pk])).status_code == 404

    client.force_login(user)
    client.post(reverse("migration_support_grant", args=[migration.pk]), {"days": "2"})
    client.force_login(support_user)
    assert b"Acme move" in client.get(reverse("support_console")).content
    inspect = client.get(reverse("support_run", args=[run.pk]))
    assert inspect.status_code == 200
    assert b"Freshdesk answered 503" in inspect.content

    client.post(
        reverse("support_run_note", args=[run.pk]), {"text": "We raised your plan's limit."}
    )
    assert SupportNote.objects.get(run=run).text == "We raised your plan's limit."
    resumed = client.post(reverse("support_run_resume", args=[run.pk]))
    assert resumed.status_code == 302
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING
    actions = set(AuditEvent.objects.filter(migration=migration).values_list("action", flat=True))
    assert {"support_granted", "support_viewed", "support_note", "run_resumed"} <= actions
    for action in ("support_viewed", "support_note", "run_resumed"):
        assert AuditEvent.objects.get(migration=migration, action=action).actor == support_user

    # Anyone but support staff: the console does not exist.
    client.force_login(user)
    assert client.get(reverse("support_console")).status_code == 404
    assert client.get(reverse("support_run", args=[run.pk])).status_code == 404


def test_only_the_owner_deletes_a_migration_and_not_while_a_run_is_under_way(
    client, user, make_user, migration
):
    full = make_user()
    Membership.objects.create(migration=migration, user=full, role="full")
    client.force_login(full)
    assert client.post(reverse("migration_delete", args=[migration.pk])).status_code == 404

    running = Run.objects.create(migration=migration, kind=Run.Kind.FULL, status="running")
    client.force_login(user)
    assert client.get(reverse("migration_delete", args=[migration.pk])).status_code == 200
    client.post(reverse("migration_delete", args=[migration.pk]))
    assert migration.__class__.objects.filter(pk=migration.pk).exists()
    running.status = Run.Status.CANCELLED
    running.save()
    assert client.post(reverse("migration_delete", args=[migration.pk])).status_code == 302
    assert not migration.__class__.objects.filter(pk=migration.pk).exists()


def test_a_restricted_teammate_is_offered_no_step_they_may_not_open(
    client, user, make_user, sandbox
):
    migration = sandbox.migration
    restricted = make_user()
    Membership.objects.create(migration=migration, user=restricted, role="restricted")
    connect = f'href="{reverse("wizard_connect", args=[migration.pk])}"'
    match = f'href="{reverse("wizard_match", args=[migration.pk])}"'
    select = reverse("wizard_select", args=[migration.pk])

    client.force_login(user)
    page = client.get(select).content.decode()
    assert connect in page and match in page
    assert 'rel="prev"' in page

    # The connect step (the credentials) answers them 404: no link, no "Back" to it.
    client.force_login(restricted)
    page = client.get(select).content.decode()
    assert connect not in page
    assert match in page
    assert 'rel="prev"' not in page
    assert 'rel="next"' in page


def test_the_dashboard_offers_rename_only_to_those_who_may_rename(client, user, make_user):
    migration = services.migration_create(owner=user, name="Acme move")
    rename = f'href="{reverse("migration_rename", args=[migration.pk])}"'
    full, restricted = make_user(), make_user()
    Membership.objects.create(migration=migration, user=full, role="full")
    Membership.objects.create(migration=migration, user=restricted, role="restricted")
    for person, offered in ((user, True), (full, True), (restricted, False)):
        client.force_login(person)
        page = client.get(reverse("dashboard")).content.decode()
        assert "Acme move" in page
        assert (rename in page) is offered, person


def test_teammates_read_who_paused_the_run(client, user, make_user, sandbox):
    teammate = make_user(email="teammate@example.com")
    Membership.objects.create(migration=sandbox.migration, user=teammate, role="full")
    run = services.run_start(migration=sandbox.migration, kind=Run.Kind.DEMO)
    services.run_pause(run=run, by=teammate)
    demo = reverse("wizard_demo", args=[sandbox.migration.pk])

    client.force_login(teammate)
    assert "You paused this run." in client.get(demo).content.decode()
    client.force_login(user)
    page = client.get(demo).content.decode()
    assert "teammate@example.com paused this run." in page
    assert "You paused this run." not in page


def test_support_reads_the_log_never_a_credential_and_the_customer_sees_the_note(
    client, user, support_user, sandbox
):
    migration = sandbox.migration
    token = sandbox_platform("zendesk").credentials(account=sandbox.source, site_url=SITE_URL)[
        "api_token"
    ]
    run = Run.objects.create(
        migration=migration,
        kind=Run.Kind.DEMO,
        status=Run.Status.PAUSED,
        paused_by=Run.PausedBy.SYSTEM,
        pause_reason="Zendesk refused the API token.",
    )
    RunBatch.objects.create(run=run, entity="tickets", sequence=0, last_error="401 Unauthorized")
    RunRecord.objects.create(
        run=run,
        entity="tickets",
        source_id="17",
        outcome=RunRecord.Outcome.FAILED,
        reason="Freshdesk refused the ticket.",
        # A platform that echoes the request back, token included.
        detail=f'{{"errors": [{{"field": "email"}}], "echo": "token={token}"}}',
    )
    services.support_grant(migration=migration, granted_by=user, days=1)

    client.force_login(support_user)
    page = client.get(reverse("support_run", args=[run.pk])).content.decode()
    assert "Zendesk refused the API token." in page
    assert "401 Unauthorized" in page
    assert "Freshdesk refused the ticket." in page
    assert "&quot;field&quot;: &quot;email&quot;" in page  # the payload excerpt
    assert token not in page
    assert migration.source.encrypted_credentials not in page
    client.post(
        reverse("support_run_note", args=[run.pk]),
        {"text": "Your Zendesk token was rotated: reconnect, then resume."},
    )

    client.force_login(user)
    demo_page = client.get(reverse("wizard_demo", args=[migration.pk])).content.decode()
    assert "Your Zendesk token was rotated: reconnect, then resume." in demo_page


def test_a_full_teammate_cannot_attach_the_owners_other_help_desks(client, user, make_user):
    from migrator import selectors
    from migrator.models import Connection

    migration = services.migration_create(owner=user, name="Shared")
    other = services.migration_create(owner=user, name="Private")

    def connection(name: str) -> Connection:
        return Connection.objects.create(
            owner=user, platform="zendesk", encrypted_credentials="x", account_name=name
        )

    used, private = connection("used"), connection("private")
    migration.source = used
    migration.save()
    other.source = private
    other.save()
    full = make_user()
    Membership.objects.create(migration=migration, user=full, role="full")
    assert set(selectors.connections_reusable_on(migration=migration, user=user)) == {
        used,
        private,
    }
    assert list(selectors.connections_reusable_on(migration=migration, user=full)) == [used]
    client.force_login(full)
    refused = client.post(
        reverse("wizard_connect_reuse", args=[migration.pk, "target"]),
        {"connection": private.pk},
    )
    assert refused.status_code == 404
