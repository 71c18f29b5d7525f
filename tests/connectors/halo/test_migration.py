"""A full sandbox migration from Zendesk to Halo with real workers: the emulators over
loopback HTTP, PostgreSQL, Redis and beat, as the engine's own run tests drive them.

Halo's particulars are asserted on what arrives: the agents and teams missing on Halo are
created, comments become notes (hidden from the user when private) with their dates,
articles keep their status through the mapping, an attachment over Halo's 20 MB is
skipped with its reason, and custom fields go into the fields Halo has with the same title
(the others into a private note).
"""

from __future__ import annotations

import pytest

from connectors.base import is_marker
from connectors.sandbox import SeedPlan, acme_agents, sandbox_platform
from tests.migrator.engine import stack as harness

SOURCE, TARGET = "zendesk", "halo"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

SOURCE_PLAN = SeedPlan(
    agents=6,
    deleted_agents=1,
    contacts=12,
    organizations=3,
    groups=3,
    tickets=16,
    comments_per_ticket=(1, 4),
    attachment_ratio=0.3,
    inline_image_ratio=0.0,
    large_attachment_bytes=21 * 1024 * 1024,
    article_categories=2,
    article_sections=3,
    articles=8,
    seed=5,
)
#: Acme's agents from the third on, and one team ("Billing"): the first two agents and the
#: teams "Technical Support" and "Returns" of the source are missing on Halo.
TARGET_PLAN = SeedPlan(agents=5, agents_offset=2, groups=1, seed=11)


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def test_a_full_zendesk_to_halo_run_creates_agents_and_teams_and_keeps_the_particulars(user, stack):
    from migrator import configuration, services
    from migrator.models import Run
    from reports.models import RunRecord
    from reports.selectors import run_summary

    source_platform, target_platform = sandbox_platform(SOURCE), sandbox_platform(TARGET)
    source = source_platform.account_create(slug="zd-to-halo", name="Acme on Zendesk")
    source_platform.seed(account=source, plan=SOURCE_PLAN)
    # The instance's own limit (500 calls in 5 minutes) is the emulator tests' business.
    target = target_platform.account_create(
        slug="halo-from-zd", name="Acme on Halo", rate_limit_per_minute=0
    )
    target_platform.seed(account=target, plan=TARGET_PLAN)
    teams_before = set(harness.target_records(target, "teams").values_list("data__name", flat=True))
    assert teams_before == {"Billing"}
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
    migration = services.migration_create(owner=user, name="Zendesk to Halo")
    services.migration_configure(
        migration=migration,
        source=source_connection,
        target=target_connection,
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
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
    assert summary["tickets"].migrated == SOURCE_PLAN.tickets

    # Missing agents and teams were created on Halo; the others matched.
    agents = {row.data["email"]: row.data for row in harness.target_records(target, "agents")}
    for person in acme_agents(TARGET_PLAN.agents_offset):
        assert person.email in agents, person.email
    assert len(agents) > TARGET_PLAN.agents + 1
    teams = set(harness.target_records(target, "teams").values_list("data__name", flat=True))
    assert {"Billing", "Technical Support", "Returns"} <= teams
    source_groups = harness.target_records(source, "groups").values_list("data__name", flat=True)
    assert teams == set(source_groups)
    created_agents = RunRecord.objects.filter(
        run=run, entity="agents", outcome=RunRecord.Outcome.MIGRATED
    )
    assert created_agents.count() >= TARGET_PLAN.agents_offset

    # Tickets keep their marker and date; comments are notes, public and private.
    tickets = [row.data for row in harness.target_records(target, "tickets")]
    assert len(tickets) == SOURCE_PLAN.tickets
    assert len({ticket["third_party_id"] for ticket in tickets}) == SOURCE_PLAN.tickets
    assert all(is_marker(ticket["third_party_id"]) for ticket in tickets)
    assert all(ticket["dateoccurred"] < ticket["last_update"] for ticket in tickets)
    actions = [row.data for row in harness.target_records(target, "actions")]
    assert actions
    assert {action["outcome"] for action in actions} == {"Note"}
    assert {action["hiddenfromuser"] for action in actions} == {True, False}
    assert harness.target_records(target, "attachments").exists()

    # Custom fields: those Halo has by title in the ticket, the others in a private note.
    order_number = next(
        row.number
        for row in harness.target_records(target, "fields")
        if row.data["label"] == "Order number"
    )
    values = [
        value["value"]
        for ticket in tickets
        for value in ticket["customfields"]
        if value["id"] == order_number
    ]
    assert values and all(str(value).startswith("ORD-") for value in values)
    notes = [a for a in actions if "without a place on this help desk" in a["note_html"]]
    assert notes and all(note["hiddenfromuser"] for note in notes)

    # The attachment over 20 MB was skipped, with its reason in the report.
    skipped = RunRecord.objects.filter(
        run=run, entity="attachments", outcome=RunRecord.Outcome.SKIPPED
    )
    assert any("20 MB" in reason for reason in skipped.values_list("reason", flat=True))

    # Articles arrive with their status mapped: drafts stay drafts.
    articles = [row.data for row in harness.target_records(target, "articles")]
    assert len(articles) == SOURCE_PLAN.articles
    drafts = [row.data["draft"] for row in harness.target_records(source, "hc_articles")]
    assert True in drafts and False in drafts
    assert sorted(not article["approved"] for article in articles) == sorted(drafts)
    assert harness.target_records(target, "faqlists").count() == (
        SOURCE_PLAN.article_categories + SOURCE_PLAN.article_sections
    )
