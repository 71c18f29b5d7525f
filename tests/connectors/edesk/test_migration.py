"""A full sandbox migration from Zendesk to eDesk with real workers: the emulators over
loopback HTTP, PostgreSQL, Redis and beat, as the engine's own run tests drive them.

eDesk's particulars are asserted on what arrives: the 11 MB attachment is skipped with the
reason, custom fields are in a private note, a ticket with a second requester (a CC on
Zendesk) answers its first requester only, a contact deleted on Zendesk arrives as
``<name>+without-email.com``, agents are matched by e-mail and never created, tickets go
into the chosen channel with their dates, and organizations and groups stay behind.
"""

from __future__ import annotations

import httpx
import pytest

from connectors.base import Scope, is_marker
from connectors.edesk.emulator import MESSAGE_ID_START
from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan, acme_agents, sandbox_platform
from migrator.engine import connectors as engine
from tests.migrator.engine import stack as harness

SOURCE, TARGET = "zendesk", "edesk"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

SOURCE_PLAN = SeedPlan(
    agents=6,
    deleted_agents=1,
    contacts=15,
    organizations=4,
    groups=3,
    tickets=25,
    comments_per_ticket=(1, 4),
    attachment_ratio=0.3,
    inline_image_ratio=0.0,
    large_attachment_bytes=11 * 1024 * 1024,
    seed=5,
)
#: Acme's agents from the third on: the first two of the source are missing on the target.
TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, seed=11)


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def zendesk_user_delete(stack, source, number: int) -> None:
    """Delete a user on the Zendesk source through its API (Zendesk keeps it soft-deleted)."""
    credentials = sandbox_platform(SOURCE).credentials(account=source, site_url=stack.site_url)
    auth = (f"{credentials['email']}/token", credentials["api_token"])
    with httpx.Client(base_url=credentials["url"], auth=auth, timeout=30) as http:
        response = http.delete(f"/api/v2/users/{number}.json")
    assert response.status_code in (200, 204), response.text


def test_a_full_zendesk_to_edesk_run_keeps_the_particulars(user, stack):
    from migrator import configuration, services
    from migrator.models import Run
    from reports.models import RunRecord
    from reports.selectors import run_summary

    source_platform, target_platform = sandbox_platform(SOURCE), sandbox_platform(TARGET)
    source = source_platform.account_create(slug="zd-to-ed", name="Acme on Zendesk")
    source_platform.seed(account=source, plan=SOURCE_PLAN)
    target = target_platform.account_create(slug="ed-from-zd", name="Acme on eDesk")
    target_platform.seed(account=target, plan=TARGET_PLAN)

    # A requester who left: deleted on Zendesk after writing in.
    tickets = EmulatedRecord.objects.filter(account=source, collection="tickets")
    requester_ids = {row.data["requester_id"] for row in tickets}
    contacts = EmulatedRecord.objects.filter(
        account=source, collection="users", data__role="end-user", number__in=requester_ids
    ).order_by("number")
    leaver = contacts.first()
    zendesk_user_delete(stack, source, leaver.number)
    # A ticket with two requesters: a second customer in copy.
    shared = tickets.exclude(data__requester_id=leaver.number).order_by("number").first()
    second = contacts.exclude(number__in=[leaver.number, shared.data["requester_id"]]).first()
    shared.data["collaborator_ids"] = [second.number]
    shared.data["email_cc_ids"] = [second.number]
    shared.save(update_fields=["data"])

    source_connection = services.connection_create(
        owner=user,
        platform=SOURCE,
        credentials=source_platform.credentials(account=source, site_url=stack.site_url),
        rate_limit_per_minute=0,
    )
    target_connection = services.connection_create(
        owner=user,
        platform=TARGET,
        credentials=target_platform.credentials(account=target, site_url=stack.site_url),
        rate_limit_per_minute=0,
    )
    with engine.target_connector(target_connection) as connector:
        web_store = next(s for s in connector.list_scopes() if s.name.endswith("(Email)"))

    migration = services.migration_create(owner=user, name="Zendesk to eDesk")
    services.migration_configure(
        migration=migration,
        source=source_connection,
        target=target_connection,
        target_scope=Scope(id=web_store.id, name=web_store.name),
        matches=configuration.Matches(create_missing_agents=True),
    )
    migration.refresh_from_db()
    stack.worker()
    run = services.run_start(migration=migration, kind=Run.Kind.FULL)
    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    failed = list(
        RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED).values_list(
            "entity", "source_id", "reason"
        )
    )
    assert not failed, failed

    summary = {row.entity: row for row in run_summary(run=run)}
    assert "organizations" not in summary and "groups" not in summary
    assert summary["tickets"].migrated == SOURCE_PLAN.tickets

    # The 11 MB attachment is skipped, with the reason.
    (large,) = RunRecord.objects.filter(
        run=run, entity="attachments", outcome=RunRecord.Outcome.SKIPPED
    )
    assert "11 MB" in large.reason and "10 MB" in large.reason

    # Agents: matched by e-mail, the missing ones skipped, none created.
    agents = RunRecord.objects.filter(run=run, entity="agents")
    assert agents.filter(outcome=RunRecord.Outcome.MATCHED).exists()
    skipped = agents.filter(outcome=RunRecord.Outcome.SKIPPED).values_list("reason", flat=True)
    assert any("cannot create agents" in reason for reason in skipped)
    users = harness.target_records(target, "users")
    assert users.count() == 1 + TARGET_PLAN.agents
    missing = {person.email for person in acme_agents(TARGET_PLAN.agents_offset)}
    assert not users.filter(data__email__in=missing).exists()

    # Every ticket is in the chosen channel, keeps its dates, and carries its marker.
    migrated = {
        row.source_id: row.target_id
        for row in RunRecord.objects.filter(
            run=run, entity="tickets", outcome=RunRecord.Outcome.MIGRATED
        )
    }
    target_tickets = {str(row.number): row for row in harness.target_records(target, "tickets")}
    assert set(target_tickets) == set(migrated.values())
    assert {row.data["channel_id"] for row in target_tickets.values()} == {int(web_store.id)}
    messages = harness.target_records(target, "messages")
    firsts = [
        messages.filter(parent_number=number).order_by("created_at", "number").first()
        for number in (row.number for row in target_tickets.values())
    ]
    assert all(
        first.number >= MESSAGE_ID_START and is_marker(first.data["external_id"])
        for first in firsts
    )
    source_tickets = {str(row.number): row for row in tickets}
    for source_id, target_id in migrated.items():
        written = target_tickets[target_id]
        assert written.created_at == source_tickets[source_id].created_at

    # Custom fields went into a private note.
    notes = [row.data for row in messages.filter(data__type="Note")]
    assert any("without a place on this help desk" in note["body"] for note in notes)

    # Two requesters: the ticket's contact is the first; the second is never a recipient.
    written = target_tickets[migrated[str(shared.number)]]
    first_contact = harness.target_records(target, "contacts").get(
        number=written.data["contact_id"]
    )
    requester = EmulatedRecord.objects.get(
        account=source, collection="users", number=shared.data["requester_id"]
    )
    assert first_contact.data["email"] == requester.data["email"]
    shared_messages = messages.filter(parent_number=written.number)
    assert {
        m.data["from_consumer_id"] for m in shared_messages if m.data["direction"] == "Incoming"
    } <= {first_contact.number}

    # The contact deleted on Zendesk arrives as <name>+without-email.com.
    leaver_name = leaver.data["name"]
    arrived = harness.target_records(target, "contacts").filter(
        data__email__endswith="+without-email.com"
    )
    assert [row.data["full_name"] for row in arrived] == [leaver_name]
