"""The Teamwork Desk connector's particulars, against the emulator in this process; what
every connector does is in tests/connectors/test_conformance.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models import Count
from django.utils import timezone
from pydantic import ValidationError

from connectors.base import Scope, is_marker, not_migrated, source_marker
from connectors.emulation import isoformat
from connectors.errors import AuthenticationError, InvalidRecordError, NotFoundError
from connectors.http import HttpClient, LocalRateBudget
from connectors.models import EmulatedRecord
from connectors.registry import registry
from connectors.sandbox import (
    SANDBOX_SOURCE_PLAN,
    SANDBOX_TARGET_PLAN,
    SeedPlan,
    acme_agents,
    sandbox_platform,
)
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    Entity,
    StatusCategory,
    Ticket,
)
from connectors.teamwork_desk import (
    CAPABILITIES,
    MISSING_AGENT_INSTRUCTIONS,
    TeamworkDeskCredentials,
)
from connectors.teamwork_desk import connector as tw_connector
from connectors.teamwork_desk import emulator as tw_emulator
from connectors.teamwork_desk.connector import AgentState, TeamworkDeskConnector
from connectors.teamwork_desk.sandbox import TeamworkDeskSandbox

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
SMALL_PLAN = SeedPlan(
    agents=5,
    inactive_agents=1,
    deleted_agents=1,
    contacts=6,
    organizations=3,
    groups=2,
    tickets=9,
    comments_per_ticket=(1, 5),
    attachment_ratio=0.5,
    article_categories=3,
    article_sections=4,
    articles=6,
    seed=11,
)
ORIGINAL = datetime(2023, 6, 1, 8, 15, tzinfo=UTC)
TICKET_MARKER = source_marker(migration_id=1, entity=Entity.TICKETS, source_id="t-1")


@pytest.fixture(autouse=True)
def blobs_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.ALLOWED_HOSTS = ["*"]


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """The emulator runs in this thread, inside the test's transaction: as Django's test
    client does, requests must not close the database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def sandbox() -> TeamworkDeskSandbox:
    platform = sandbox_platform("teamwork_desk")
    assert isinstance(platform, TeamworkDeskSandbox)
    return platform


@pytest.fixture
def account(sandbox):
    return sandbox.account_create(slug="tw-connector", name="Connector", rate_limit_per_minute=0)


@pytest.fixture
def seeded(sandbox, account):
    sandbox.seed(account=account, plan=SMALL_PLAN)
    return account


def connect(
    sandbox, account, *, scope: Scope | None = None, **credential_overrides: Any
) -> TeamworkDeskConnector:
    """A connector talking to the emulator in this process."""

    def factory(**options: Any) -> HttpClient:
        options.setdefault("max_retries", 3)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("backoff_cap", 0.02)
        options["budget"] = LocalRateBudget(limit=None, learned_seconds=0)
        options["transport"] = httpx.WSGITransport(app=WSGIHandler())
        return HttpClient(allow_private_networks=True, **options)

    values = {**sandbox.credentials(account=account, site_url=SITE), **credential_overrides}
    credentials = TeamworkDeskConnector.parse_credentials(values)
    return TeamworkDeskConnector(credentials=credentials, http_client_factory=factory, scope=scope)


def read_all(connector, entity: Entity, *, page_size: int = 2, **kwargs: Any) -> list:
    records, cursor = [], None
    for _ in range(1000):
        page = connector.read_page(entity, cursor=cursor, page_size=page_size, **kwargs)
        records.extend(page.records)
        if not page.has_more:
            return records
        cursor = page.next_cursor
    raise AssertionError("pagination does not end")


def stored(account, collection: str, **filters: Any):
    return EmulatedRecord.objects.filter(account=account, collection=collection, **filters)


def opener_of(contents: dict[str, bytes], chunk: int = 64 * 1024):
    """An attachment opener serving ``contents`` by source id, chunk by chunk."""

    @contextmanager
    def open_attachment(attachment: Attachment) -> Iterator[Iterator[bytes]]:
        data = contents[attachment.source_id]
        yield iter([data[start : start + chunk] for start in range(0, len(data), chunk)] or [b""])

    return open_attachment


def attachment(source_id: str, size: int | None, name: str = "file.bin") -> Attachment:
    return Attachment(
        source_id=source_id,
        file_name=name,
        content_type="application/octet-stream",
        size=size,
        url=f"source://{source_id}",
    )


def a_contact(connector, email: str = "rachel@example.com") -> str:
    contact = Contact(source_id="c-1", updated_at=ORIGINAL, name="Rachel Green", email=email)
    marker = source_marker(migration_id=1, entity=Entity.CONTACTS, source_id="c-1")
    return connector.create(Entity.CONTACTS, contact, marker=marker)


def owner_id(connector) -> str:
    email = connector.check_credentials().user_email
    match = connector.agent_match(email=email)
    assert match.target_id
    return match.target_id


def a_ticket(contact_id: str, agent_id: str | None, *, comments: list[Comment] = ()) -> Ticket:
    opening = Comment(
        source_id="m-1",
        author_id=contact_id,
        author_kind=AuthorKind.CONTACT,
        author_name="Rachel Green",
        author_email="rachel@example.com",
        public=True,
        html_body="<p>My printer is on fire.</p>",
        created_at=ORIGINAL,
    )
    return Ticket(
        source_id="t-1",
        subject="Printer on fire",
        status="open",
        status_category=StatusCategory.HOLD,
        priority="zendesk-urgent",
        requester_id=contact_id,
        assignee_id=agent_id,
        tags=["printer"],
        created_at=ORIGINAL,
        updated_at=ORIGINAL + timedelta(days=2),
        comments=[opening, *comments],
    )


def agent_note(*, hours: int, text: str, public: bool = False, files=()) -> Comment:
    return Comment(
        source_id=f"m-{hours}",
        author_kind=AuthorKind.AGENT,
        author_name="Monica Geller",
        author_email="monica@acme.example",
        public=public,
        html_body=f"<p>{text}</p>",
        created_at=ORIGINAL + timedelta(hours=hours),
        attachments=list(files),
    )


# --- credentials, account and capabilities ------------------------------------------------


def test_the_address_is_normalised_and_an_api_key_or_oauth_token_is_needed():
    assert TeamworkDeskCredentials(url="acme", api_key="k").url == "https://acme.teamwork.com"
    pasted = TeamworkDeskCredentials(
        url="https://acme.teamwork.com/desk/tickets/1", oauth_token="t"
    )
    assert pasted.url == "https://acme.teamwork.com"
    sandbox = TeamworkDeskCredentials(
        url="http://127.0.0.1:8000/sandbox/teamwork_desk/acme/", api_key="k"
    )
    assert sandbox.url == "http://127.0.0.1:8000/sandbox/teamwork_desk/acme"
    with pytest.raises(ValidationError):
        TeamworkDeskCredentials(url="acme")
    schema = TeamworkDeskCredentials.form_schema()
    assert TeamworkDeskCredentials.secret_field_names() == {"api_key", "oauth_token"}
    assert "API Keys" in schema["properties"]["api_key"]["hint"]
    assert "Developer Portal" in schema["properties"]["oauth_token"]["hint"]


def test_credentials_name_the_site_and_refusals_are_plain(sandbox, account):
    with connect(sandbox, account) as connector:
        info = connector.check_credentials()
    assert info.account_name == "tw-connector" and info.user_email == "owner@tw-connector.example"
    with connect(
        sandbox, account, api_key=None, oauth_token=account.secrets["oauth_token"]
    ) as oauth:
        assert oauth.check_credentials().user_email == info.user_email
    with (
        connect(sandbox, account, api_key="wrong") as wrong,
        pytest.raises(AuthenticationError) as refused,
    ):
        wrong.check_credentials()
    assert "refused the API key" in refused.value.user_message
    assert "wrong" not in refused.value.user_message + refused.value.detail
    with (
        connect(sandbox, account, api_key=None, oauth_token="stale") as stale,
        pytest.raises(AuthenticationError) as expired,
    ):
        stale.check_credentials()
    assert "OAuth access token" in expired.value.user_message
    gone = sandbox.account_create(slug="tw-gone", name="Gone")
    with connect(sandbox, gone) as missing:
        gone.delete()
        with pytest.raises(NotFoundError) as unknown:
            missing.check_credentials()
    assert unknown.value.user_message == "no Teamwork Desk site at this address"


def test_the_inboxes_are_the_scopes(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        assert [scope.name for scope in connector.list_scopes()] == ["Support", "Sales"]


def test_capabilities_say_what_the_default_flow_cannot_import():
    zendesk = registry.get("zendesk").capabilities
    losses = not_migrated(source=zendesk, target=CAPABILITIES)
    for expected in (
        "Organizations cannot be imported.",
        "Groups cannot be imported.",
        "Inline images.",
        "Ticket and comment creation dates: they become the migration date.",
        "Comment authors: comments are posted by the account used for the migration.",
        "CCs.",
        "Knowledge base article tags.",
        "Knowledge base article attachments.",
        "Article dates: articles get the date of the migration.",
        "Attachments larger than 20 MB.",
    ):
        assert expected in losses
    assert any(loss.startswith("Missing agents cannot be created") for loss in losses)
    assert (CAPABILITIES.can_create_agents, CAPABILITIES.scope_kind) == (False, "inbox")
    assert CAPABILITIES.rate_limit_per_minute == 120
    assert any("date of the migration" in sentence for sentence in CAPABILITIES.particulars)
    assert MISSING_AGENT_INSTRUCTIONS in CAPABILITIES.particulars
    assert "Invite agents" in MISSING_AGENT_INSTRUCTIONS
    assert TeamworkDeskConnector.missing_agent_instructions == MISSING_AGENT_INSTRUCTIONS
    checklist = TeamworkDeskConnector.pre_migration_checklist()
    assert any("Invite every agent" in step for step in checklist)


# --- agents must exist and be active ------------------------------------------------------


def test_agents_are_matched_by_email_and_missing_ones_block_with_the_steps(sandbox, account):
    sandbox.seed(account=account, plan=SANDBOX_TARGET_PLAN)
    people = acme_agents(SANDBOX_SOURCE_PLAN.agents)
    source_agents = [
        Agent(source_id=str(index), updated_at=ORIGINAL, name=person.name, email=person.email)
        for index, person in enumerate(people)
    ]
    with connect(sandbox, account) as connector:
        blocking = connector.missing_agents(agents=source_agents)
        assert connector.http_statistics().calls["agents"] == 2  # the users, the invitations
        target = {agent.email for agent in read_all(connector, Entity.AGENTS, page_size=50)}
        assert {match.email for match in blocking} == {p.email for p in people} - target
        assert all(match.state is AgentState.MISSING and match.blocking for match in blocking)
        shared = next(agent for agent in source_agents if agent.email in target)
        marker = source_marker(migration_id=1, entity=Entity.AGENTS, source_id=shared.source_id)
        found = connector.find_by_marker(Entity.AGENTS, marker, record=shared)
        assert found and connector.create(Entity.AGENTS, shared, marker=marker) == found
        missing = source_agents[0]
        assert connector.find_by_marker(Entity.AGENTS, "m", record=missing) is None
        with pytest.raises(InvalidRecordError) as refused:
            connector.create(Entity.AGENTS, missing, marker="m")
    message = refused.value.user_message
    assert f"No agent has the e-mail address {missing.email}" in message
    assert "cannot create agents" in message and "Invite agents" in message


def test_invited_and_deactivated_agents_are_not_active(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        agents = read_all(connector, Entity.AGENTS, page_size=10)
        invited = next(a for a in agents if not a.active and not a.deleted)
        deleted = next(a for a in agents if a.deleted)
        assert connector.agent_match(email=invited.email).state is AgentState.INVITED
        assert connector.agent_match(email=deleted.email).state is AgentState.INACTIVE
        states = {
            m.state
            for m in connector.missing_agents(agents=[invited.model_copy(update={"active": True})])
        }
        assert states == {AgentState.INVITED}
        # Matched agents belong to the site: nothing is changed or removed on them.
        active = next(a for a in agents if a.active)
        connector.update(Entity.AGENTS, active.source_id, active)
        connector.delete(Entity.AGENTS, active.source_id)
        assert connector.agent_match(email=active.email).state is AgentState.ACTIVE


# --- tickets ------------------------------------------------------------------------------


def test_a_ticket_goes_into_the_chosen_inbox_with_dates_and_authors_in_its_messages(
    sandbox, seeded
):
    with connect(sandbox, seeded) as reader:
        sales = next(scope for scope in reader.list_scopes() if scope.name == "Sales")
    with connect(sandbox, seeded, scope=sales) as connector:
        contact_id = a_contact(connector)
        agent_id = owner_id(connector)
        content = bytes(range(256)) * 300
        ticket = a_ticket(
            contact_id,
            agent_id,
            comments=[
                agent_note(
                    hours=1,
                    text="Extinguisher on its way.",
                    files=[attachment("f1", len(content), "fire.txt")],
                ),
                agent_note(hours=2, text="Fixed.", public=True),
            ],
        )
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=ticket) is None
        ticket_id = connector.create(
            Entity.TICKETS, ticket, marker=TICKET_MARKER, attachments=opener_of({"f1": content})
        )
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=ticket) == ticket_id
        [read] = connector.read_page(Entity.TICKETS, ids=[ticket_id]).records
        with connector.download_attachment(read.comments[1].file_attachments[0]) as chunks:
            assert b"".join(chunks) == content
    data = stored(seeded, "tickets", number=int(ticket_id)).get().data
    assert data["inbox"]["id"] == int(sales.id)
    # No on-hold equivalent named "open": the category falls back; an unknown priority goes.
    assert data["status"]["id"] == 2 and data["priority"] is None
    assert TICKET_MARKER in read.tags and "printer" in read.tags
    assert [c.public for c in read.comments] == [True, False, True]
    assert read.comments[0].html_body.startswith(
        '<p class="migrated-original-date">On 2023-06-01 08:15 UTC, Rachel Green'
    )
    assert "On 2023-06-01 09:15 UTC, Monica Geller" in read.comments[1].text_body
    assert read.created_at > ORIGINAL + timedelta(days=365)  # the migration date


def test_attachments_over_20_mb_are_refused_before_anything_is_created(
    sandbox, seeded, monkeypatch
):
    monkeypatch.setattr(tw_connector, "MAX_ATTACHMENT_BYTES", 1000)
    with connect(sandbox, seeded) as connector:
        contact_id = a_contact(connector)
        before = stored(seeded, "tickets").count()
        note = agent_note(hours=1, text="x", files=[attachment("f1", 2000)])
        big = a_ticket(contact_id, None, comments=[note])
        with pytest.raises(InvalidRecordError) as refused:
            connector.create(
                Entity.TICKETS, big, marker=TICKET_MARKER, attachments=opener_of({"f1": b"x"})
            )
        assert "at most 0.0 MB" in refused.value.user_message
        assert stored(seeded, "tickets").count() == before
        # A size only known while streaming stops the message that carries it: the ticket
        # made before it is found again by its marker.
        unsized = note.model_copy(update={"attachments": [attachment("f1", None)]})
        streamed = big.model_copy(update={"comments": [big.comments[0], unsized]})
        with pytest.raises(InvalidRecordError):
            connector.create(
                Entity.TICKETS,
                streamed,
                marker=TICKET_MARKER,
                attachments=opener_of({"f1": b"y" * 2000}),
            )
        found = connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=streamed)
    assert stored(seeded, "tickets").count() == before + 1
    assert found == str(stored(seeded, "tickets").order_by("number").last().number)


def test_attachments_adding_up_to_more_than_20_mb_go_into_further_notes(
    sandbox, seeded, monkeypatch
):
    monkeypatch.setattr(tw_connector, "MAX_ATTACHMENT_BYTES", 1000)
    monkeypatch.setattr(tw_emulator, "MAX_MESSAGE_FILES_BYTES", 1000)
    files = {name: name.encode() * 300 for name in ("a1", "a2", "a3")}  # 600 bytes each
    with connect(sandbox, seeded) as connector:
        contact_id = a_contact(connector)
        note = agent_note(
            hours=1, text="Logs", files=[attachment(n, 600, f"{n}.txt") for n in files]
        )
        ticket_id = connector.create(
            Entity.TICKETS,
            a_ticket(contact_id, None, comments=[note]),
            marker=TICKET_MARKER,
            attachments=opener_of(files),
        )
        [read] = connector.read_page(Entity.TICKETS, ids=[ticket_id]).records
    per_message = [[a.file_name for a in c.file_attachments] for c in read.comments]
    assert per_message == [[], ["a1.txt"], ["a2.txt"], ["a3.txt"]]
    assert "(part 2)" in read.comments[2].text_body and not read.comments[2].public


def test_an_update_adds_only_the_messages_the_ticket_lacks_and_keeps_the_marker(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        contact_id = a_contact(connector)
        ticket = a_ticket(contact_id, None, comments=[agent_note(hours=1, text="First")])
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER)
        later = ticket.model_copy(
            update={
                "subject": "Printer still on fire",
                "tags": ["escalated"],
                "comments": [*ticket.comments, agent_note(hours=5, text="Second", public=True)],
            }
        )
        connector.update(Entity.TICKETS, ticket_id, later)
        connector.update(Entity.TICKETS, ticket_id, later)
        [read] = connector.read_page(Entity.TICKETS, ids=[ticket_id]).records
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=later) == ticket_id
    assert read.subject == "Printer still on fire"
    assert sorted(read.tags) == sorted(["escalated", TICKET_MARKER])
    assert [c.text_body.split("wrote:")[-1].strip() for c in read.comments] == [
        "My printer is on fire.",
        "First",
        "Second",
    ]


def test_a_marker_tag_on_another_customers_ticket_is_not_this_ticket(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        first = a_contact(connector)
        other = a_contact(connector, email="joey@example.com")
        connector.create(Entity.TICKETS, a_ticket(first, None), marker=TICKET_MARKER)
        elsewhere = a_ticket(other, None)
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=elsewhere) is None


# --- customers ----------------------------------------------------------------------------


def test_customers_carry_the_marker_and_an_existing_address_is_taken_over(sandbox, seeded):
    taken = stored(seeded, "customers").order_by("number").first()
    email = taken.data["email"]
    with connect(sandbox, seeded) as connector:
        contact = Contact(source_id="c-9", updated_at=ORIGINAL, name="Someone Else", email=email)
        marker = source_marker(migration_id=1, entity=Entity.CONTACTS, source_id="c-9")
        assert connector.find_by_marker(Entity.CONTACTS, marker, record=contact) is None
        assert connector.create(Entity.CONTACTS, contact, marker=marker) == str(taken.number)
        assert connector.find_by_marker(Entity.CONTACTS, marker, record=contact) == str(
            taken.number
        )
        connector.update(Entity.CONTACTS, str(taken.number), contact)
        fresh = a_contact(connector, email="new.person@example.com")
        assert is_marker(stored(seeded, "customers", number=int(fresh)).get().data["externalId"])
    assert stored(seeded, "customers", number=taken.number).get().data["externalId"] == marker


# --- reading ------------------------------------------------------------------------------


def test_tickets_changed_in_the_same_second_are_read_once(sandbox, seeded):
    moment = timezone.now().replace(microsecond=0) - timedelta(days=1)
    for row in stored(seeded, "tickets"):
        row.updated_at = moment
        row.data["updatedAt"] = isoformat(moment)
        row.save()
    with connect(sandbox, seeded) as connector:
        tickets = read_all(connector, Entity.TICKETS, page_size=2)
        assert len({t.source_id for t in tickets}) == len(tickets) == SMALL_PLAN.tickets
        assert connector.count(Entity.TICKETS, updated_since=moment) == SMALL_PLAN.tickets
        later = moment + timedelta(seconds=1)
        assert read_all(connector, Entity.TICKETS, updated_since=later) == []


def test_delta_reads_follow_updated_since(sandbox, seeded):
    recent = stored(seeded, "tickets").order_by("number").last()
    moment = timezone.now().replace(microsecond=0)
    recent.updated_at = moment
    recent.data["updatedAt"] = isoformat(moment)
    recent.save()
    with connect(sandbox, seeded) as connector:
        delta = read_all(connector, Entity.TICKETS, updated_since=moment)
        assert [t.source_id for t in delta] == [str(recent.number)]
        assert connector.count(Entity.TICKETS, updated_since=moment) == 1


def test_threads_come_with_notes_authors_and_files(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        tickets = read_all(connector, Entity.TICKETS, page_size=5)
    comments = [comment for ticket in tickets for comment in ticket.comments]
    assert {c.author_kind for c in comments} == {AuthorKind.AGENT, AuthorKind.CONTACT}
    assert any(not c.public for c in comments) and all(c.author_email for c in comments)
    assert all(ticket.comments[0].author_kind is AuthorKind.CONTACT for ticket in tickets)
    assert any(c.file_attachments for c in comments)


def test_help_docs_are_read_site_by_site_and_written_by_name(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        sites = read_all(connector, Entity.ARTICLE_CATEGORIES)
        sections = read_all(connector, Entity.ARTICLE_SECTIONS)
        articles = read_all(connector, Entity.ARTICLES, page_size=1)
        assert len(articles) == SMALL_PLAN.articles == connector.count(Entity.ARTICLES)
        assert any(section.parent_section_id for section in sections)
        assert {a.status for a in articles} == {"draft", "published"}
        site = next(s for s in sites)
        same = ArticleCategory(source_id="x", updated_at=ORIGINAL, name=site.name.upper())
        assert connector.create(Entity.ARTICLE_CATEGORIES, same, marker="m") == site.source_id
        new_site = connector.create(
            Entity.ARTICLE_CATEGORIES,
            ArticleCategory(source_id="y", updated_at=ORIGINAL, name="Product guides"),
            marker=source_marker(migration_id=1, entity=Entity.ARTICLE_CATEGORIES, source_id="y"),
        )
        top = ArticleSection(
            source_id="s1", updated_at=ORIGINAL, name="Basics", category_id=new_site
        )
        top_id = connector.create(Entity.ARTICLE_SECTIONS, top, marker="m")
        nested = ArticleSection(
            source_id="s2",
            updated_at=ORIGINAL,
            name="Basics",
            category_id=new_site,
            parent_section_id=top_id,
        )
        nested_id = connector.create(Entity.ARTICLE_SECTIONS, nested, marker="m")
        assert nested_id != top_id
        assert connector.find_by_marker(Entity.ARTICLE_SECTIONS, "m", record=nested) == nested_id
        article = Article(
            source_id="a1",
            updated_at=ORIGINAL,
            created_at=ORIGINAL,
            title="Reset your password",
            html_body="<p>Click reset.</p>",
            status="published",
            section_id=nested_id,
            tags=["howto"],
        )
        assert connector.find_by_marker(Entity.ARTICLES, "m", record=article) is None
        article_id = connector.create(Entity.ARTICLES, article, marker="m")
        assert connector.find_by_marker(Entity.ARTICLES, "m", record=article) == article_id
        fresh = TeamworkDeskConnector(
            credentials=connector.credentials, http_client_factory=connector.http_client_factory
        )
        fresh.update(Entity.ARTICLES, article_id, article.model_copy(update={"status": "draft"}))
        [read] = fresh.read_page(Entity.ARTICLES, ids=[article_id]).records
        fresh.delete(Entity.ARTICLES, article_id)
        assert fresh.read_page(Entity.ARTICLES, ids=[article_id]).records == []
    assert (read.status, read.category_id, read.section_id) == ("draft", new_site, nested_id)
    # Article dates become the migration date; tags cannot be imported.
    assert read.created_at > ORIGINAL + timedelta(days=365) and read.tags == []


# --- the sandbox --------------------------------------------------------------------------


def snapshot(account) -> list[tuple[str, int, Any, str, str]]:
    return [
        (
            row.collection,
            row.number,
            row.data,
            row.created_at.isoformat(),
            row.updated_at.isoformat(),
        )
        for row in EmulatedRecord.objects.filter(account=account).order_by("collection", "number")
    ]


def test_seeding_is_deterministic(sandbox, account):
    with time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=UTC), tick=False):
        sandbox.seed(account=account, plan=SMALL_PLAN)
        first = snapshot(account)
        again = sandbox.account_create(slug=account.slug, name=account.name)
        sandbox.seed(account=again, plan=SMALL_PLAN)
        assert snapshot(again) == first
        other = sandbox.account_create(slug=account.slug, name=account.name)
        sandbox.seed(account=other, plan=SeedPlan(**{**SMALL_PLAN.__dict__, "seed": 12}))
        assert snapshot(other) != first


def test_the_seed_holds_what_the_plan_asks(sandbox, account):
    plan = SeedPlan(
        **{**SMALL_PLAN.__dict__, "tickets": 30, "large_attachment_bytes": 11 * 1024 * 1024}
    )
    sandbox.seed(account=account, plan=plan)
    counts = dict(
        EmulatedRecord.objects.filter(account=account)
        .values_list("collection")
        .annotate(Count("id"))
    )
    assert counts["users"] == plan.agents and counts["agentinvites"] == plan.inactive_agents
    assert counts["customers"] == plan.contacts and counts["companies"] == plan.organizations
    assert counts["tickets"] == plan.tickets and counts["inboxes"] == 2
    assert counts["helpdocssites"] == plan.article_categories
    assert counts["helpdocscategories"] == plan.article_sections
    assert counts["helpdocarticles"] == plan.articles
    sizes = [row.data["size"] for row in stored(account, "files")]
    assert max(sizes) == 11 * 1024 * 1024
    with connect(sandbox, account) as connector:
        assert connector.count(Entity.TICKETS) == plan.tickets
        assert connector.count(Entity.CONTACTS) == plan.contacts
        new_id = a_contact(connector, email="someone.new@example.com")
    assert int(new_id) > max(
        stored(account, "customers").exclude(number=int(new_id)).values_list("number", flat=True)
    )


def test_the_target_sandbox_has_inboxes_and_agents_partly_matching_the_source(sandbox, account):
    sandbox.seed(account=account, plan=SANDBOX_TARGET_PLAN)
    with connect(sandbox, account) as connector:
        target_emails = {a.email for a in read_all(connector, Entity.AGENTS, page_size=50)}
        assert len(connector.list_scopes()) == 2
        assert not connector.read_page(Entity.TICKETS).records
        owner = connector.check_credentials().user_email
    source_emails = {person.email for person in acme_agents(SANDBOX_SOURCE_PLAN.agents)}
    shared = target_emails & source_emails
    assert shared and shared != source_emails and shared != target_emails
    assert owner in target_emails


# --- rate limits --------------------------------------------------------------------------


def test_a_429_without_retry_after_waits_until_the_documented_reset(sandbox, account):
    """Teamwork Desk's guide names X-Rate-Limit-Reset (UTC epoch seconds) as the end of the
    window; a 429 that carries only that header is waited out until then."""
    now = [1_000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    answers = iter(
        [
            httpx.Response(
                429,
                headers={
                    "X-Rate-Limit-Limit": "120",
                    "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": str(int(time.time()) + 7),
                },
                json={"errors": [{"detail": "You have exceeded your rate limit."}]},
            ),
            httpx.Response(
                200,
                json={"user": {"id": 1, "email": "a@b.io", "updatedAt": "2024-01-01T00:00:00Z"}},
            ),
        ]
    )

    def factory(**options: Any) -> HttpClient:
        options.update(
            budget=LocalRateBudget(limit=None, clock=lambda: now[0]),
            transport=httpx.MockTransport(lambda request: next(answers)),
            sleep=sleep,
            clock=lambda: now[0],
        )
        return HttpClient(allow_private_networks=True, **options)

    credentials = TeamworkDeskCredentials(url="https://acme.teamwork.com", api_key="k")
    with TeamworkDeskConnector(credentials=credentials, http_client_factory=factory) as connector:
        assert connector.check_credentials().user_email == "a@b.io"
        assert connector.http_statistics().rate_limited == 1
    assert 5 <= sum(slept) <= 8


def test_a_requester_migrated_as_an_agent_is_named_by_email(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        agent_id = owner_id(connector)
        ticket = a_ticket(agent_id, None).model_copy(
            update={"requester_email": "owner@agent.example"}
        )
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER)
        [read] = connector.read_page(Entity.TICKETS, ids=[ticket_id]).records
        assert read.requester_email == "owner@agent.example"
        without_email = ticket.model_copy(update={"requester_email": None})
        with pytest.raises(InvalidRecordError) as refused:
            connector.create(Entity.TICKETS, without_email, marker=TICKET_MARKER)
    assert f"customer: customer {agent_id} does not exist" in refused.value.user_message
