"""A full sandbox migration from Zendesk to Teamwork Desk with real workers: the emulators
over loopback HTTP, PostgreSQL, Redis and beat, as the engine's own run tests drive them.

Teamwork Desk's particulars are asserted on what arrives: agents are matched by e-mail and
never created (the missing ones are skipped and reported, and the connector lists them
with the steps to invite them), tickets go into the chosen inbox with their threads,
messages carry their original date and author, organizations and groups stay behind,
articles get the date of the migration and no tags.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.base import Scope, is_marker
from connectors.sandbox import SeedPlan, acme_agents, sandbox_platform
from connectors.schema import Agent
from migrator.engine import connectors as engine
from tests.migrator.engine import stack as harness

SOURCE, TARGET = "zendesk", "teamwork_desk"

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
    article_categories=2,
    article_sections=3,
    articles=8,
    seed=5,
)
#: Acme's agents from the third on: the first two of the source are missing on the target.
TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, seed=11)


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def test_a_full_zendesk_to_teamwork_desk_run_keeps_the_particulars(user, stack):
    from migrator import configuration, services
    from migrator.models import Run
    from reports.models import RunRecord
    from reports.selectors import run_summary

    source_platform, target_platform = sandbox_platform(SOURCE), sandbox_platform(TARGET)
    source = source_platform.account_create(slug="zd-to-tw", name="Acme on Zendesk")
    source_platform.seed(account=source, plan=SOURCE_PLAN)
    target = target_platform.account_create(slug="tw-from-zd", name="Acme on Teamwork Desk")
    target_platform.seed(account=target, plan=TARGET_PLAN)
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
        sales = next(scope for scope in connector.list_scopes() if scope.name == "Sales")
        source_agents = [
            Agent(source_id=str(index), updated_at=timezone.now(), name=p.name, email=p.email)
            for index, p in enumerate(acme_agents(SOURCE_PLAN.agents))
        ]
        blocking = connector.missing_agents(agents=source_agents)
    assert {match.email for match in blocking} == {
        person.email for person in acme_agents(TARGET_PLAN.agents_offset)
    }
    assert "Invite agents" in connector.missing_agent_instructions

    migration = services.migration_create(owner=user, name="Zendesk to Teamwork Desk")
    services.migration_configure(
        migration=migration,
        source=source_connection,
        target=target_connection,
        target_scope=Scope(id=sales.id, name=sales.name),
        matches=configuration.Matches(create_missing_agents=True),
    )
    migration.refresh_from_db()
    stack.worker()
    started = timezone.now()
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
    agents = RunRecord.objects.filter(run=run, entity="agents")
    skipped = agents.filter(outcome=RunRecord.Outcome.SKIPPED)
    assert any(
        "cannot create agents" in reason for reason in skipped.values_list("reason", flat=True)
    )
    assert agents.filter(outcome=RunRecord.Outcome.MATCHED).exists()
    assert harness.target_records(target, "users").count() == TARGET_PLAN.agents  # none created

    tickets = list(harness.target_records(target, "tickets"))
    assert len(tickets) == SOURCE_PLAN.tickets
    assert {ticket.data["inbox"]["id"] for ticket in tickets} == {int(sales.id)}
    tag_names = dict(harness.target_records(target, "tags").values_list("number", "data__name"))
    markers = [
        tag_names[tag["id"]]
        for ticket in tickets
        for tag in ticket.data["tags"]
        if is_marker(tag_names[tag["id"]])
    ]
    assert len(set(markers)) == SOURCE_PLAN.tickets
    messages = [row.data for row in harness.target_records(target, "messages")]
    assert all(m["message"].startswith('<p class="migrated-original-date">On ') for m in messages)
    assert {m["threadType"] for m in messages} == {"message", "note"}
    assert harness.target_records(target, "files").filter(data__state="active").exists()

    articles = list(harness.target_records(target, "helpdocarticles"))
    assert len(articles) == SOURCE_PLAN.articles
    assert all(row.created_at >= started - timedelta(seconds=5) for row in articles)
    assert harness.target_records(target, "helpdocssites").count() == SOURCE_PLAN.article_categories
