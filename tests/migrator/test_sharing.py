"""Roles, invitations, support access, the audit log and archiving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404

from migrator import policy, selectors, services
from migrator.crypto import encrypt_credentials
from migrator.models import AuditEvent, Connection, Membership, Migration, Run
from migrator.policy import Action, Role

pytestmark = pytest.mark.django_db


def _link_token(body: str) -> str:
    url = next(line for line in body.splitlines() if "/invitations/" in line)
    return url.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def migration(user) -> Migration:
    return services.migration_create(owner=user, name="Zendesk to Freshdesk")


@pytest.fixture
def support_user(make_user):
    staff = make_user(email="support@example.com", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=policy.SUPPORT_GROUP)[0])
    return staff


def _invite_and_accept(migration, *, owner, invitee, role):
    services.invitation_create(
        migration=migration,
        email=invitee.email,
        role=role,
        invited_by=owner,
        accept_url_for=lambda token: f"http://testserver/invitations/{token}/",
    )
    return services.invitation_accept(token=_link_token(mail.outbox[-1].body), user=invitee)


def test_each_role_may_do_exactly_its_actions(migration, user, make_user, support_user):
    full, restricted, outsider = make_user(), make_user(), make_user()
    _invite_and_accept(migration, owner=user, invitee=full, role=Membership.Role.FULL)
    _invite_and_accept(migration, owner=user, invitee=restricted, role=Membership.Role.RESTRICTED)
    assert policy.role_of(user, migration) is Role.OWNER
    assert policy.role_of(full, migration) is Role.FULL
    assert policy.role_of(restricted, migration) is Role.RESTRICTED
    assert policy.role_of(outsider, migration) is None
    # Support staff without a grant have no role at all.
    assert policy.role_of(support_user, migration) is None

    assert policy.allowed_actions(user, migration) == frozenset(Action) - {
        Action.INSPECT,
        Action.SUPPORT_RESUME,
    }
    assert Action.DELETE not in policy.allowed_actions(full, migration)
    assert Action.MANAGE_MEMBERS not in policy.allowed_actions(full, migration)
    assert Action.RUN in policy.allowed_actions(full, migration)
    assert policy.allowed_actions(restricted, migration) == {Action.VIEW, Action.EDIT_MAPPING}
    assert policy.allowed_actions(outsider, migration) == frozenset()

    for person, action in [
        (restricted, Action.MANAGE_CONNECTIONS),
        (restricted, Action.RUN),
        (restricted, Action.PAY),
        (restricted, Action.MANAGE_MEMBERS),
        (full, Action.MANAGE_MEMBERS),
        (outsider, Action.VIEW),
    ]:
        with pytest.raises(Http404):
            selectors.migration_for_user(user=person, migration_id=migration.pk, action=action)
    assert list(selectors.migrations_visible_to(user=restricted)) == [migration]
    assert list(selectors.migrations_visible_to(user=outsider)) == []


def test_an_invitation_is_for_its_address_only_once_and_not_after_it_expires(
    migration, user, make_user
):
    invitee, stranger = make_user(email="Mia@Example.com"), make_user()
    services.invitation_create(
        migration=migration,
        email="mia@example.com",
        role=Membership.Role.RESTRICTED,
        invited_by=user,
        accept_url_for=lambda token: f"http://testserver/invitations/{token}/",
    )
    message = mail.outbox[-1]
    assert message.to == ["mia@example.com"]
    assert "Zendesk to Freshdesk" in message.subject
    token = _link_token(message.body)

    with pytest.raises(ValidationError, match=r"sent to mia@example\.com"):
        services.invitation_accept(token=token, user=stranger)
    with pytest.raises(ValidationError, match="not valid"):
        services.invitation_accept(token=token[:-2] + "xx", user=invitee)
    membership = services.invitation_accept(token=token, user=invitee)
    assert membership.role == Membership.Role.RESTRICTED
    with pytest.raises(ValidationError, match="already been accepted"):
        services.invitation_accept(token=token, user=invitee)
    with pytest.raises(ValidationError, match="already has access"):
        services.invitation_create(
            migration=migration,
            email="MIA@example.com",
            role=Membership.Role.FULL,
            invited_by=user,
            accept_url_for=str,
        )

    late = make_user(email="late@example.com")
    services.invitation_create(
        migration=migration,
        email=late.email,
        role=Membership.Role.FULL,
        invited_by=user,
        accept_url_for=lambda token: f"http://testserver/invitations/{token}/",
    )
    late_token = _link_token(mail.outbox[-1].body)
    with (
        time_machine.travel(datetime.now(UTC) + timedelta(days=8)),
        pytest.raises(ValidationError, match="expired"),
    ):
        services.invitation_accept(token=late_token, user=late)


def test_revoking_a_teammate_takes_the_access_away_at_once(migration, user, make_user):
    teammate = make_user()
    membership = _invite_and_accept(
        migration, owner=user, invitee=teammate, role=Membership.Role.FULL
    )
    assert selectors.migration_for_user(user=teammate, migration_id=migration.pk)
    services.membership_revoke(membership=membership, revoked_by=user)
    with pytest.raises(Http404):
        selectors.migration_for_user(user=teammate, migration_id=migration.pk)
    actions = list(
        AuditEvent.objects.filter(migration=migration)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["invited", "invitation_accepted", "access_revoked"]


def test_support_sees_a_paused_run_only_while_the_grant_lasts(migration, user, support_user):
    run = Run.objects.create(
        migration=migration,
        kind=Run.Kind.DEMO,
        status=Run.Status.PAUSED,
        paused_by=Run.PausedBy.SYSTEM,
        pause_reason="Freshdesk refused the API key.",
    )
    assert list(selectors.support_runs_visible_to(user=support_user)) == []
    with pytest.raises(Http404):
        selectors.support_run_for_user(user=support_user, run_id=run.pk)

    services.support_grant(migration=migration, granted_by=user, days=3)
    assert list(selectors.support_runs_visible_to(user=support_user)) == [run]
    assert policy.role_of(support_user, migration) is Role.SUPPORT
    # Support inspects through the console only: the wizard's pages stay closed.
    with pytest.raises(Http404):
        selectors.migration_for_user(user=support_user, migration_id=migration.pk)

    with time_machine.travel(datetime.now(UTC) + timedelta(days=4)):
        assert list(selectors.support_runs_visible_to(user=support_user)) == []
    services.support_revoke(migration=migration, revoked_by=user)
    assert list(selectors.support_runs_visible_to(user=support_user)) == []
    with pytest.raises(ValidationError):
        services.support_grant(migration=migration, granted_by=user, days=0)


def test_a_paused_run_e_mails_everyone_following_it_with_the_reason(
    migration, user, make_user, django_capture_on_commit_callbacks
):
    teammate = make_user()
    _invite_and_accept(migration, owner=user, invitee=teammate, role=Membership.Role.RESTRICTED)
    run = Run.objects.create(migration=migration, kind=Run.Kind.FULL, status=Run.Status.RUNNING)
    mail.outbox.clear()
    from migrator.engine import scheduling

    with django_capture_on_commit_callbacks(execute=True):
        scheduling.run_pause(
            run=run, paused_by=Run.PausedBy.SYSTEM, reason="The target stopped answering."
        )
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {user.email, teammate.email}
    assert "The target stopped answering." in mail.outbox[0].body
    # A pause the user asked for is not news to them.
    run.status = Run.Status.RUNNING
    run.save()
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.run_pause(run=run, paused_by=Run.PausedBy.USER, reason="")
    assert len(mail.outbox) == 1


def _connection(owner, name: str) -> Connection:
    return Connection.objects.create(
        owner=owner,
        platform="zendesk",
        encrypted_credentials=encrypt_credentials(credentials={"token": "secret"}),
        account_name=name,
    )


def test_archiving_after_the_full_run_erases_credentials_keeps_reports_and_freezes(migration, user):
    source, unrelated = _connection(user, "acme"), _connection(user, "unrelated")
    shared = _connection(user, "shared")
    migration.source, migration.target = source, shared
    migration.save()
    still_used = services.migration_create(owner=user, name="Another")
    still_used.source = shared
    still_used.save()
    finished = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    Run.objects.create(
        migration=migration,
        kind=Run.Kind.FULL,
        status=Run.Status.COMPLETED,
        started_at=finished - timedelta(hours=2),
        finished_at=finished,
    )
    with time_machine.travel(finished + timedelta(days=4, hours=23), tick=False):
        assert services.migrations_archive() == 0
    with time_machine.travel(finished + timedelta(days=5, minutes=1), tick=False):
        assert services.migrations_archive() == 1
        assert services.migrations_archive() == 0
    migration.refresh_from_db()
    assert migration.archived_at is not None
    assert migration.status == Migration.Status.ARCHIVED
    assert Connection.objects.get(pk=source.pk).encrypted_credentials == ""
    # A connection another live migration uses keeps its credentials.
    assert Connection.objects.get(pk=shared.pk).encrypted_credentials != ""
    assert Connection.objects.get(pk=unrelated.pk).encrypted_credentials != ""
    assert policy.can(user, migration, Action.VIEW)
    assert not policy.can(user, migration, Action.RUN)
    assert not policy.can(user, migration, Action.EDIT_MAPPING)
    assert AuditEvent.objects.filter(migration=migration, action="archived").exists()
