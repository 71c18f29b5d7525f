"""Zendesk to Teamwork Desk with a real worker over the emulators' HTTP: Teamwork Desk
cannot create agents, so the agents it lacks go to the default agent (or, given all at
once by the matching step's bulk control, to one chosen agent). Checked on Teamwork
Desk's own tickets."""

from __future__ import annotations

import uuid

import pytest

from connectors.base import Scope
from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import configuration, discovery, services
from migrator.models import RecordMap, Run
from tests.migrator.engine import stack as harness

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

SOURCE_PLAN = SeedPlan(
    agents=6,
    contacts=12,
    tickets=40,
    comments_per_ticket=(1, 1),
    attachment_ratio=0.0,
    inline_image_ratio=0.0,
    custom_fields=False,
    seed=21,
)
#: Acme's agents from the third on: Alice and Bruno are missing on Teamwork Desk.
TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, custom_fields=False, seed=22)


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def emails(account, *, key: str = "email") -> dict[int, str]:
    return {
        number: (data.get(key) or "").casefold()
        for number, data in EmulatedRecord.objects.filter(
            account=account, collection="users"
        ).values_list("number", "data")
    }


def test_unmatched_agents_tickets_go_to_the_default_and_to_the_bulk_choice(user, stack):
    slug = uuid.uuid4().hex[:8]
    accounts = {}
    connections = {}
    for role, key, plan in (
        ("source", "zendesk", SOURCE_PLAN),
        ("target", "teamwork_desk", TARGET_PLAN),
    ):
        platform = sandbox_platform(key)
        accounts[role] = platform.account_create(
            slug=f"{role[:3]}-{slug}", name=f"Acme on {key}", rate_limit_per_minute=0
        )
        platform.seed(account=accounts[role], plan=plan)
        connections[role] = services.connection_create(
            owner=user,
            platform=key,
            credentials=platform.credentials(account=accounts[role], site_url=stack.site_url),
            rate_limit_per_minute=0,
        )
    migration = services.migration_create(owner=user, name="Zendesk to Teamwork Desk")
    services.migration_configure(
        migration=migration,
        source=connections["source"],
        target=connections["target"],
        entities=[Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS],
    )
    migration.refresh_from_db()
    inbox = discovery.target_scopes(migration=migration)[0]
    source_agents = {
        a.email.casefold(): a.source_id
        for a in discovery.source_agents(migration=migration)
        if a.email
    }
    target_agents = {
        a.email.casefold(): a.source_id
        for a in discovery.target_agents(migration=migration)
        if a.email
    }
    esther, dmitri = target_agents["esther@acme.example"], target_agents["dmitri@acme.example"]
    alice, bruno = source_agents["alice@acme.example"], source_agents["bruno@acme.example"]
    assert "alice@acme.example" not in target_agents and "bruno@acme.example" not in target_agents
    agents = {
        source_id: target_agents.get(address, "") for address, source_id in source_agents.items()
    }
    agents[alice] = ""  # left to the default agent
    agents[bruno] = dmitri  # given to Dmitri (the bulk control's choice)
    services.migration_configure(
        migration=migration,
        target_scope=Scope(id=inbox.id, name=inbox.name),
        filters=configuration.Filters(),
        matches=configuration.Matches(agents=agents, default_agent_id=esther),
        field_mappings=configuration.FieldMappings(),
        options=configuration.Options(),
    )
    stack.worker()
    run = services.run_start(migration=migration, kind=Run.Kind.FULL)
    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason

    # Which agent each source ticket had, and which agent its copy has on Teamwork Desk
    # (the copy found by the id the run recorded; the agent read from Teamwork Desk).
    source_users = emails(accounts["source"])
    assignee_of = {
        str(number): source_users.get(data.get("assignee_id"), "")
        for number, data in EmulatedRecord.objects.filter(
            account=accounts["source"], collection="tickets"
        ).values_list("number", "data")
    }
    copies = dict(
        RecordMap.objects.filter(migration=migration, entity="tickets").values_list(
            "target_id", "source_id"
        )
    )
    target_users = emails(accounts["target"])
    tickets = EmulatedRecord.objects.filter(account=accounts["target"], collection="tickets")
    assert tickets.count() == SOURCE_PLAN.tickets
    seen = {"alice": 0, "bruno": 0, "kept": 0}
    for number, data in tickets.values_list("number", "data"):
        was = assignee_of[copies[str(number)]]
        now = target_users.get((data.get("agent") or {}).get("id"))
        if was == "alice@acme.example":
            assert now == "esther@acme.example", number
            seen["alice"] += 1
        elif was == "bruno@acme.example":
            assert now == "dmitri@acme.example", number
            seen["bruno"] += 1
        elif was:
            assert now == was, number  # matched by e-mail
            seen["kept"] += 1
    assert seen["alice"] and seen["bruno"] and seen["kept"], seen
