"""Step 4, matching agents and groups, through the test client against the emulators."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from connectors.schema import Agent, Entity
from migrator import configuration
from migrator.crypto import encrypt_credentials
from migrator.engine import connectors as engine_connectors
from migrator.models import Migration
from tests.wizard.configure_support import (
    TEAM_PLAN,
    live_site_url,
    sandbox_migration,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_url(live_server, settings) -> str:
    return live_site_url(live_server, settings)


ENTITIES = [Entity.AGENTS, Entity.GROUPS, Entity.TICKETS]


def rows(response, kind: str) -> dict[str, str]:
    """Source id -> the value each row's select starts with, as the page renders it."""
    form = response.context["form"]
    bound = form.agent_rows() if kind == "agents" else form.group_rows()
    return {row.source_id: field.value() for row, field in bound}


def by_email(migration: Migration, *, target: bool) -> dict[str, str]:
    from migrator import discovery

    agents = (
        discovery.target_agents(migration=migration)
        if target
        else discovery.source_agents(migration=migration)
    )
    return {agent.email: agent.source_id for agent in agents}


def post_data(response) -> dict[str, str]:
    """What the browser would send back for the page as rendered."""
    form = response.context["form"]
    return {name: form[name].value() or "" for name in form.fields}


@pytest.fixture
def freshdesk(user, site_url):
    return sandbox_migration(
        owner=user, site_url=site_url, entities=ENTITIES, source_plan=TEAM_PLAN
    )


def test_agents_are_matched_by_e_mail_and_groups_by_name(client, user, freshdesk):
    client.force_login(user)
    response = client.get(reverse("wizard_match", args=[freshdesk.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Save matching" in page and "data-warn-unsaved" in page

    source, target = by_email(freshdesk, target=False), by_email(freshdesk, target=True)
    agents = rows(response, "agents")
    # Chloé to Farid exist on both sides: matched by address.
    for email in ("chloé@acme.example", "dmitri@acme.example", "farid@acme.example"):
        assert agents[source[email]] == target[email]
    # Alice and Bruno are missing on Freshdesk, which can create agents.
    assert agents[source["alice@acme.example"]] == configuration.CREATE_ON_TARGET
    # Greta is inactive and Hugo deleted on the source: the default agent takes theirs.
    assert agents[source["greta@acme.example"]] == ""
    assert agents[source["hugo@acme.example"]] == ""
    assert "Inactive" in page and "Deleted" in page

    groups = {row.name: field.value() for row, field in response.context["form"].group_rows()}
    target_groups = {
        choice.label: choice.value for choice in response.context["page"].groups.targets
    }
    assert groups["Technical Support"] == target_groups["Technical support"]
    assert groups["Billing"] == target_groups["Billing"]
    assert groups["Returns"] == configuration.CREATE_ON_TARGET


def test_saving_the_matching_stores_every_choice_and_goes_on(client, user, freshdesk):
    client.force_login(user)
    url = reverse("wizard_match", args=[freshdesk.pk])
    response = client.get(url)
    data = post_data(response)
    target = by_email(freshdesk, target=True)
    data["default_agent_id"] = target["esther@acme.example"]
    data["assign_unassigned_to_default"] = "on"
    saved = client.post(url, data)
    assert saved.status_code == 302
    assert saved["Location"] == reverse("wizard_map", args=[freshdesk.pk])

    freshdesk.refresh_from_db()
    matches = freshdesk.configured_matches()
    source = by_email(freshdesk, target=False)
    assert matches.agents[source["dmitri@acme.example"]] == target["dmitri@acme.example"]
    assert matches.agents[source["bruno@acme.example"]] == configuration.CREATE_ON_TARGET
    assert matches.agents[source["greta@acme.example"]] == ""
    assert len(matches.agents) == 9 and len(matches.groups) == 4
    assert matches.default_agent_id == target["esther@acme.example"]
    assert matches.assign_unassigned_to_default is True
    # Only what the user chose is created: nothing else behind their back.
    assert matches.create_missing_agents is False

    # Coming back shows the saved choices, not fresh suggestions.
    again = client.get(url)
    assert rows(again, "agents") == {
        source_id: value or "" for source_id, value in matches.agents.items()
    }
    assert again.context["form"]["default_agent_id"].value() == target["esther@acme.example"]
    assert "Next" in again.content.decode()


def test_a_refused_choice_is_shown_with_the_rest_kept(client, user, freshdesk):
    client.force_login(user)
    url = reverse("wizard_match", args=[freshdesk.pk])
    data = post_data(client.get(url))
    target = by_email(freshdesk, target=True)
    data["agent-1"] = target["esther@acme.example"]  # a change the user made
    data["agent-2"] = "no-such-agent"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert response.context["form"]["agent-1"].value() == target["esther@acme.example"]
    freshdesk.refresh_from_db()
    assert freshdesk.matches == {}


def test_teamwork_desk_blocks_saving_while_agents_are_missing(client, user, site_url):
    migration = sandbox_migration(
        owner=user,
        site_url=site_url,
        target="teamwork_desk",
        entities=[Entity.AGENTS, Entity.TICKETS],
        source_plan=TEAM_PLAN,
        name="Zendesk to Teamwork Desk",
    )
    client.force_login(user)
    url = reverse("wizard_match", args=[migration.pk])
    response = client.get(url)
    page = response.content.decode()
    assert 'data-testid="missing-agents"' in page
    assert "People &gt; Agents &gt; Invite agents" in page  # the steps to invite them
    problems = {row.email for row in response.context["page"].agents.problems}
    # Alice, Bruno and the source's administrator are not on Teamwork Desk.
    assert {"alice@acme.example", "bruno@acme.example"} <= problems
    assert "greta@acme.example" not in problems  # inactive on the source: not needed
    assert "Create on the target" not in page  # Teamwork Desk cannot create agents
    assert "Teamwork Desk cannot create agents" in page
    assert "Teamwork Desk has no groups: tickets arrive without one." in page

    data = post_data(response)
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "have no active match on the target yet" in refused.content.decode()
    migration.refresh_from_db()
    assert migration.matches == {}

    # Matching each missing agent to an active one is a valid choice.
    target = by_email(migration, target=True)
    form = refused.context["form"]
    for index, row in enumerate(form.agents.rows):
        if row.problem:
            data[f"agent-{index}"] = target["esther@acme.example"]
    saved = client.post(url, data)
    assert saved.status_code == 302
    migration.refresh_from_db()
    source = by_email(migration, target=False)
    matches = migration.configured_matches()
    assert matches.agents[source["alice@acme.example"]] == target["esther@acme.example"]
    assert matches.agents[source["chloé@acme.example"]] == target["chloé@acme.example"]


def test_refresh_reads_both_sides_again(client, user, freshdesk):
    client.force_login(user)
    url = reverse("wizard_match", args=[freshdesk.pk])
    before = client.get(url)
    source = by_email(freshdesk, target=False)
    assert rows(before, "agents")[source["alice@acme.example"]] == configuration.CREATE_ON_TARGET

    # Alice gets an account on Freshdesk meanwhile.
    with engine_connectors.target_connector(freshdesk.target) as target:
        alice = Agent(
            source_id="new",
            updated_at=datetime.now(UTC),
            name="Alice Agent",
            email="alice@acme.example",
        )
        alice_id = target.create(Entity.AGENTS, alice, marker="wizard-test")
    cached = client.get(url)
    assert rows(cached, "agents")[source["alice@acme.example"]] == configuration.CREATE_ON_TARGET

    refreshed = client.post(url, {"refresh": "1"}, follow=True)
    assert refreshed.status_code == 200
    assert "Both help desks were read again." in refreshed.content.decode()
    assert rows(refreshed, "agents")[source["alice@acme.example"]] == alice_id


def test_nothing_to_match_can_be_saved_as_is(client, user, site_url):
    migration = sandbox_migration(
        owner=user,
        site_url=site_url,
        entities=[Entity.ORGANIZATIONS, Entity.CONTACTS],
        source_plan=TEAM_PLAN,
    )
    client.force_login(user)
    url = reverse("wizard_match", args=[migration.pk])
    response = client.get(url)
    assert "Nothing to match" in response.content.decode()
    assert client.post(url, {}).status_code == 302
    migration.refresh_from_db()
    assert migration.configured_matches() == configuration.Matches()
    assert migration.matches  # the step counts as done


def test_a_help_desk_that_cannot_be_read_says_why(client, user, freshdesk):
    target = freshdesk.target
    target.encrypted_credentials = encrypt_credentials(
        credentials={"url": target.account_url, "api_key": "revoked-key"}
    )
    target.verified_at = datetime.now(UTC)  # a new cache key: read again
    target.save()
    client.force_login(user)
    response = client.get(reverse("wizard_match", args=[freshdesk.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The help desks could not be read" in page
    assert "revoked-key" not in page
    assert "Save matching" not in page


def test_other_users_get_a_404_and_visitors_the_log_in(client, user, make_user, freshdesk):
    url = reverse("wizard_match", args=[freshdesk.pk])
    visitor = client.get(url)
    assert visitor.status_code == 302
    assert visitor["Location"].startswith(reverse("account_login"))
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


@pytest.fixture
def teamwork_desk(user, site_url):
    return sandbox_migration(
        owner=user,
        site_url=site_url,
        target="teamwork_desk",
        entities=[Entity.AGENTS, Entity.TICKETS],
        source_plan=TEAM_PLAN,
        name="Zendesk to Teamwork Desk",
    )


def test_teamwork_desk_takes_a_default_agent_for_the_missing_ones(client, user, teamwork_desk):
    migration = teamwork_desk
    client.force_login(user)
    url = reverse("wizard_match", args=[migration.pk])
    response = client.get(url)
    page = response.content.decode()
    # Said before anything is chosen: a default agent is enough.
    assert "or choose a default agent below: their tickets go to it." in page
    assert "or saving is refused" not in page
    target = by_email(migration, target=True)
    data = post_data(response)
    data["default_agent_id"] = target["esther@acme.example"]
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context["form"].errors
    matches = migration.__class__.objects.get(pk=migration.pk).configured_matches()
    source = by_email(migration, target=False)
    assert matches.default_agent_id == target["esther@acme.example"]
    assert matches.agents[source["alice@acme.example"]] == ""  # to the default
    assert matches.agents[source["chloé@acme.example"]] == target["chloé@acme.example"]


def test_the_bulk_control_gives_every_unmatched_agent_to_one_agent(client, user, teamwork_desk):
    migration = teamwork_desk
    client.force_login(user)
    url = reverse("wizard_match", args=[migration.pk])
    response = client.get(url)
    assert 'name="bulk_assign"' in response.content.decode()
    target = by_email(migration, target=True)
    source = by_email(migration, target=False)
    data = post_data(response)

    # No agent chosen in the bulk select: nothing changes, and the page says so.
    nothing = client.post(url, {**data, "bulk_assign": "1", "bulk_agent": ""})
    assert "Choose the agent to give the unmatched agents to." in nothing.content.decode()
    assert rows(nothing, "agents") == rows(response, "agents")

    bulk = client.post(
        url, {**data, "bulk_assign": "1", "bulk_agent": target["esther@acme.example"]}
    )
    assert bulk.status_code == 200
    assert "unmatched agents now go to the agent you chose" in bulk.content.decode()
    after = rows(bulk, "agents")
    before = rows(response, "agents")
    states = {row.source_id: row.state for row in response.context["form"].agents.rows}
    for source_id, value in before.items():
        if value in target.values():
            assert after[source_id] == value  # matched ones are kept
        elif states[source_id] == "active":
            assert after[source_id] == target["esther@acme.example"]
        else:
            assert after[source_id] == ""  # deleted and inactive ones keep the default
    assert after[source["alice@acme.example"]] == target["esther@acme.example"]
    assert Migration.objects.get(pk=migration.pk).matches == {}  # not saved yet

    # Saving what the page now shows keeps it.
    saved = client.post(url, post_data(bulk))
    assert saved.status_code == 302
    matches = Migration.objects.get(pk=migration.pk).configured_matches()
    assert matches.agents[source["alice@acme.example"]] == target["esther@acme.example"]
    assert matches.agents[source["bruno@acme.example"]] == target["esther@acme.example"]
    assert matches.agents[source["chloé@acme.example"]] == target["chloé@acme.example"]

    # Once all have a match, the bulk control says there is nothing left to do.
    again = client.get(url)
    done = client.post(
        url, {**post_data(again), "bulk_assign": "1", "bulk_agent": target["esther@acme.example"]}
    )
    assert "Every agent already has a match: nothing changed." in done.content.decode()


def test_a_target_that_cannot_give_tickets_to_a_default_says_so_before_saving(
    client, user, teamwork_desk, monkeypatch
):
    from connectors.teamwork_desk.connector import TeamworkDeskConnector

    strict = TeamworkDeskConnector.capabilities.model_copy(
        update={"default_agent_for_unmatched": False}
    )
    monkeypatch.setattr(TeamworkDeskConnector, "capabilities", strict)
    migration = teamwork_desk
    client.force_login(user)
    url = reverse("wizard_match", args=[migration.pk])
    response = client.get(url)
    page = response.content.decode()
    assert "nor give an agent&#x27;s tickets to another one" in page
    assert "or saving is refused" in page
    target = by_email(migration, target=True)
    data = post_data(response)
    data["default_agent_id"] = target["esther@acme.example"]
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "have no active match on the target yet" in refused.content.decode()
    assert Migration.objects.get(pk=migration.pk).matches == {}


def test_the_matching_page_in_french_agrees_and_has_the_new_words(
    client, user, freshdesk, teamwork_desk
):
    client.force_login(user)
    client.cookies["django_language"] = "fr"
    page = client.get(reverse("wizard_match", args=[freshdesk.pk])).content.decode()
    assert "Donner aussi à l\u2019agent et au groupe par défaut" in page
    assert "aux agent et groupe" not in page
    page = client.get(reverse("wizard_match", args=[teamwork_desk.pk])).content.decode()
    assert "Associer chaque agent sans correspondance à" in page
    assert "Ces agents ne sont pas actifs dans Teamwork Desk" in page
    assert "Assign every unmatched agent to" not in page
    translation.activate("en")  # the language of the tests that follow
