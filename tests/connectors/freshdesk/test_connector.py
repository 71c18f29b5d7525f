"""The Freshdesk connector's particulars, against the emulator (in-process) and crafted
answers; what every connector does is in tests/connectors/test_conformance.py."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import httpx
import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models import Count
from django.utils import timezone
from django.utils.html import strip_tags

from connectors.base import is_marker, source_marker
from connectors.emulation import isoformat
from connectors.errors import (
    ConnectorError,
    InvalidRecordError,
    MalformedResponseError,
    NotFoundError,
    TransientError,
)
from connectors.freshdesk import MAX_ATTACHMENT_BYTES, FreshdeskCredentials
from connectors.freshdesk import emulator as fd_emulator
from connectors.freshdesk.client import FreshdeskApi, ListPage
from connectors.freshdesk.connector import FreshdeskConnector, account_name_from_url
from connectors.freshdesk.sandbox import FreshdeskSandbox
from connectors.http import HttpClient, LocalRateBudget
from connectors.models import EmulatedBlob, EmulatedRecord
from connectors.sandbox import (
    SANDBOX_SOURCE_PLAN,
    SANDBOX_TARGET_PLAN,
    SeedPlan,
    acme_agents,
    sandbox_platform,
)
from connectors.schema import (
    Agent,
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    Entity,
    Group,
    StatusCategory,
    Ticket,
)

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
SMALL_PLAN = SeedPlan(
    agents=4,
    inactive_agents=1,
    deleted_agents=1,
    contacts=6,
    organizations=3,
    groups=2,
    tickets=9,
    comments_per_ticket=(1, 5),
    attachment_ratio=0.5,
    article_categories=2,
    article_sections=3,
    articles=5,
    seed=11,
)
ORIGINAL = datetime(2023, 6, 1, 8, 15, tzinfo=UTC)


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
def sandbox() -> FreshdeskSandbox:
    platform = sandbox_platform("freshdesk")
    assert isinstance(platform, FreshdeskSandbox)
    return platform


@pytest.fixture
def account(sandbox):
    return sandbox.account_create(slug="fd-connector", name="Connector", rate_limit_per_minute=0)


@pytest.fixture
def seeded(sandbox, account):
    sandbox.seed(account=account, plan=SMALL_PLAN)
    return account


def connect(sandbox, account, *, transport: httpx.BaseTransport | None = None):
    """A connector talking to the emulator in this process (or to ``transport``)."""

    def factory(**options: Any) -> HttpClient:
        options.setdefault("max_retries", 3)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("backoff_cap", 0.02)
        options["budget"] = LocalRateBudget(limit=None, learned_seconds=0)
        options["transport"] = transport or httpx.WSGITransport(app=WSGIHandler())
        return HttpClient(allow_private_networks=True, **options)

    values = sandbox.credentials(account=account, site_url=SITE)
    credentials = FreshdeskConnector.parse_credentials(values)
    return FreshdeskConnector(credentials=credentials, http_client_factory=factory)


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


@contextmanager
def opener_of(contents: dict[str, bytes], chunk: int = 1024 * 1024):
    """An attachment opener serving ``contents`` by source id, chunk by chunk."""

    @contextmanager
    def open_attachment(attachment: Attachment) -> Iterator[Iterator[bytes]]:
        data = contents[attachment.source_id]
        yield iter([data[start : start + chunk] for start in range(0, len(data), chunk)] or [b""])

    yield open_attachment


def attachment(source_id: str, size: int | None, name: str = "file.bin") -> Attachment:
    return Attachment(
        source_id=source_id,
        file_name=name,
        content_type="application/octet-stream",
        size=size,
        url=f"source://{source_id}",
    )


def target_people(connector) -> tuple[str, str]:
    """A contact and an agent on the target, created through the connector."""
    contact = Contact(
        source_id="c-1", updated_at=ORIGINAL, name="Rachel Green", email="rachel@example.com"
    )
    agent = Agent(
        source_id="a-1", updated_at=ORIGINAL, name="Monica Geller", email="monica@acme.example"
    )
    contact_id = connector.create(
        Entity.CONTACTS,
        contact,
        marker=source_marker(migration_id=1, entity=Entity.CONTACTS, source_id="c-1"),
    )
    agent_id = connector.create(
        Entity.AGENTS,
        agent,
        marker=source_marker(migration_id=1, entity=Entity.AGENTS, source_id="a-1"),
    )
    return contact_id, agent_id


def a_ticket(contact_id: str, agent_id: str, *, comments: list[Comment] | None = None) -> Ticket:
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
        status="2",
        status_category=StatusCategory.OPEN,
        priority="3",
        requester_id=contact_id,
        assignee_id=agent_id,
        tags=["printer"],
        created_at=ORIGINAL,
        updated_at=ORIGINAL + timedelta(days=2),
        solved_at=ORIGINAL + timedelta(days=1),
        comments=[opening, *(comments or [])],
    )


def agent_reply(agent_id: str, *, hours: int, text: str) -> Comment:
    return Comment(
        source_id=f"m-{hours}",
        author_id=agent_id,
        author_kind=AuthorKind.AGENT,
        author_name="Monica Geller",
        author_email="monica@acme.example",
        public=True,
        html_body=f"<p>{text}</p>",
        created_at=ORIGINAL + timedelta(hours=hours),
    )


TICKET_MARKER = source_marker(migration_id=1, entity=Entity.TICKETS, source_id="t-1")


# --- credentials and addresses -------------------------------------------------------------


def test_address_is_normalised_and_a_sandbox_path_is_kept():
    assert FreshdeskCredentials(url="acme", api_key="k").url == "https://acme.freshdesk.com"
    pasted = FreshdeskCredentials(url="https://acme.freshdesk.com/a/tickets/12", api_key="k")
    assert pasted.url == "https://acme.freshdesk.com"
    sandbox = FreshdeskCredentials(url="http://127.0.0.1:8000/sandbox/freshdesk/acme/", api_key="k")
    assert sandbox.url == "http://127.0.0.1:8000/sandbox/freshdesk/acme"
    assert account_name_from_url("https://acme.freshdesk.com") == "acme"
    assert account_name_from_url(sandbox.url) == "acme"


def test_credentials_name_the_agent_and_a_missing_account_says_so(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        info = connector.check_credentials()
    assert info.account_name == "fd-connector"
    first_agent = acme_agents(SMALL_PLAN.agents)[0]
    assert info.user_email == first_agent.email
    seeded.slug = "no-such-account"
    with connect(sandbox, seeded) as connector, pytest.raises(NotFoundError) as missing:
        connector.check_credentials()
    assert missing.value.user_message == "no Freshdesk account at this address"


# --- reading: the ticket list's window and page cap ----------------------------------------


def test_tickets_older_than_the_30_day_window_are_read(sandbox, seeded):
    window_start = timezone.now() - timedelta(days=30)
    tickets = stored(seeded, "tickets")
    assert tickets.filter(created_at__lt=window_start).exists()
    assert tickets.filter(created_at__gte=window_start).exists()
    with connect(sandbox, seeded) as connector:
        read = read_all(connector, Entity.TICKETS)
        assert connector.count(Entity.TICKETS) == len(read) == SMALL_PLAN.tickets
    times = [(ticket.updated_at, int(ticket.source_id)) for ticket in read]
    assert times == sorted(times), "tickets come oldest change first"


def test_reading_goes_past_the_page_cap(sandbox, seeded, monkeypatch):
    # Two tickets a page and two pages at most: the walk must start again from the last
    # ticket's time, again and again.
    monkeypatch.setattr(fd_emulator, "MAX_TICKET_PAGE", 2)
    monkeypatch.setattr("connectors.freshdesk.connector.LIST_PAGE_MAX", 2)
    monkeypatch.setattr(FreshdeskConnector, "ticket_page_cap", 2)
    # Three tickets changed in the same second: the cursor skips the ones already read.
    same = timezone.now().replace(microsecond=0) - timedelta(days=90)
    for ticket in stored(seeded, "tickets").order_by("number")[2:5]:
        ticket.updated_at = same
        ticket.data["updated_at"] = isoformat(same)
        ticket.save()
    expected = set(stored(seeded, "tickets").values_list("number", flat=True))
    with connect(sandbox, seeded) as connector:
        assert connector.count(Entity.TICKETS) == len(expected)
        for page_size in (1, 2, 3):
            ids = [
                ticket.source_id
                for ticket in read_all(connector, Entity.TICKETS, page_size=page_size)
            ]
            assert len(ids) == len(set(ids)), page_size
            assert {int(ticket_id) for ticket_id in ids} == expected, page_size


def test_more_tickets_in_one_second_than_the_cap_allows_is_a_clear_error(
    sandbox, seeded, monkeypatch
):
    monkeypatch.setattr(fd_emulator, "MAX_TICKET_PAGE", 2)
    monkeypatch.setattr("connectors.freshdesk.connector.LIST_PAGE_MAX", 2)
    monkeypatch.setattr(FreshdeskConnector, "ticket_page_cap", 2)
    same = timezone.now().replace(microsecond=0) - timedelta(days=5)
    for ticket in stored(seeded, "tickets"):
        ticket.updated_at = same
        ticket.data["updated_at"] = isoformat(same)
        ticket.save()
    with connect(sandbox, seeded) as connector, pytest.raises(ConnectorError) as stuck:
        connector.count(Entity.TICKETS)
    assert "same second" in stuck.value.user_message


def test_delta_reads_resume_from_updated_since(sandbox, seeded):
    tickets = stored(seeded, "tickets").order_by("updated_at")
    boundary = tickets[4].updated_at.replace(microsecond=0)
    expected = {str(row.number) for row in tickets if row.updated_at >= boundary}
    with connect(sandbox, seeded) as connector:
        assert connector.count(Entity.TICKETS, updated_since=boundary) == len(expected)
        read = read_all(connector, Entity.TICKETS, updated_since=boundary)
        contacts = read_all(connector, Entity.CONTACTS, updated_since=boundary)
    assert {ticket.source_id for ticket in read} == expected
    assert all(contact.updated_at >= boundary for contact in contacts)


def test_a_ticket_gone_between_list_and_read_is_skipped(sandbox, seeded, monkeypatch):
    numbers = list(
        stored(seeded, "tickets").order_by("updated_at").values_list("number", flat=True)
    )
    vanished, trashed = numbers[0], numbers[1]
    listed = FreshdeskApi.list_page

    def list_then_lose_two(self, path: str, **kwargs: Any) -> ListPage:
        page = listed(self, path, **kwargs)
        if path == "tickets":
            stored(seeded, "tickets", number=vanished).delete()
            trash = stored(seeded, "tickets", number=trashed).first()
            if trash is not None:
                trash.data["deleted"] = True
                trash.save()
        return page

    monkeypatch.setattr(FreshdeskApi, "list_page", list_then_lose_two)
    with connect(sandbox, seeded) as connector:
        page = connector.read_page(Entity.TICKETS, page_size=4)
    assert {ticket.source_id for ticket in page.records} == {str(n) for n in numbers[2:4]}
    assert page.has_more


def test_every_conversation_page_is_read_with_authors_named(sandbox, seeded):
    ticket = stored(seeded, "tickets").first()
    agent = stored(seeded, "agents").first()
    contact = stored(seeded, "contacts", number=ticket.data["requester_id"]).first()
    stored(seeded, "conversations", parent_number=ticket.number).delete()
    first = fd_emulator.CONVERSATION_ID_START + 10_000
    for index in range(23):
        from_agent = index % 2 == 0
        data = fd_emulator._conversation_template()
        data.update(
            id=first + index,
            body=f"<p>Message {index}</p>",
            body_text=f"Message {index}",
            incoming=not from_agent,
            private=False,
            user_id=agent.number if from_agent else contact.number,
            from_email="support@fd-connector.freshdesk.com"
            if from_agent
            else contact.data["email"],
            ticket_id=ticket.number,
            created_at=isoformat(ticket.created_at + timedelta(minutes=index + 1)),
            updated_at=isoformat(ticket.created_at + timedelta(minutes=index + 1)),
        )
        EmulatedRecord.objects.create(
            account=seeded,
            collection="conversations",
            number=first + index,
            parent_number=ticket.number,
            data=data,
        )
    with connect(sandbox, seeded) as connector:
        (read,) = connector.read_page(Entity.TICKETS, ids=[str(ticket.number)]).records
    assert len(read.comments) == 1 + 23
    replies = [comment for comment in read.comments[1:] if comment.author_kind is AuthorKind.AGENT]
    assert {(c.author_name, c.author_email) for c in replies} == {
        (agent.data["contact"]["name"], agent.data["contact"]["email"])
    }
    answers = [
        comment for comment in read.comments[1:] if comment.author_kind is AuthorKind.CONTACT
    ]
    assert {c.author_name for c in answers} == {contact.data["name"]}


# --- reading: malformed answers ------------------------------------------------------------


def crafted(handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def test_a_body_cut_short_is_asked_for_again_then_reported(sandbox, account):
    me = {
        "id": 1,
        "contact": {"name": "Ann", "email": "ann@example.com"},
        "updated_at": isoformat(ORIGINAL),
    }
    answers = [b'{"id": 1, "contact": {"na', json.dumps(me).encode()]

    def flaky(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answers.pop(0) if answers else b"{")

    with connect(sandbox, account, transport=crafted(flaky)) as connector:
        assert connector.check_credentials().user_email == "ann@example.com"
        with pytest.raises(MalformedResponseError) as garbled:
            connector.check_credentials()
    assert "not valid JSON" in garbled.value.user_message


def test_a_write_whose_answer_is_cut_short_is_ambiguous(sandbox, account):
    def cut(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, content=b'{"id": 12, "na')

    group = Group(source_id="g-1", updated_at=ORIGINAL, name="Billing")
    with (
        connect(sandbox, account, transport=crafted(cut)) as connector,
        pytest.raises(TransientError) as unsure,
    ):
        connector.create(Entity.GROUPS, group, marker="x")
    assert unsure.value.ambiguous


def test_malformed_pages_from_the_emulator_are_retried(sandbox, seeded, monkeypatch):
    # Every other answer of the emulator is cut in half.
    answers = itertools.cycle(["malformed", None])
    monkeypatch.setattr("connectors.emulation._draw_fault", lambda account: next(answers))
    with connect(sandbox, seeded) as connector:
        contacts = read_all(connector, Entity.CONTACTS, page_size=3)
    assert len(contacts) == stored(seeded, "contacts", data__deleted=False).count()


# --- writing --------------------------------------------------------------------------------


def test_original_dates_go_into_a_private_note_and_authors_into_the_bodies(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id, agent_id = target_people(connector)
        internal = Comment(
            source_id="m-2",
            author_id=agent_id,
            author_kind=AuthorKind.AGENT,
            author_name="Monica Geller",
            author_email="monica@acme.example",
            public=False,
            html_body="<p>Extinguisher on its way.</p>",
            created_at=ORIGINAL + timedelta(hours=2),
        )
        answer = Comment(
            source_id="m-3",
            author_id=contact_id,
            author_kind=AuthorKind.CONTACT,
            author_name="Rachel Green",
            author_email="rachel@example.com",
            public=True,
            html_body="<p>Thanks, it is out.</p>",
            created_at=ORIGINAL + timedelta(hours=5),
        )
        reply = agent_reply(agent_id, hours=1, text="We are on it.")
        ticket_id = connector.create(
            Entity.TICKETS,
            a_ticket(contact_id, agent_id, comments=[reply, internal, answer]),
            marker=TICKET_MARKER,
        )
    ticket = stored(account, "tickets", number=int(ticket_id)).get()
    assert TICKET_MARKER in ticket.data["tags"] and "printer" in ticket.data["tags"]
    dates, *conversations = [
        row.data
        for row in stored(account, "conversations", parent_number=int(ticket_id)).order_by("number")
    ]
    assert dates["private"] is True
    assert "Created on 2023-06-01 08:15 UTC" in dates["body"]
    assert "Resolved on 2023-06-02 08:15 UTC" in dates["body"]
    first, second, third = conversations
    # An agent's public answer arrives as a public note: a reply would e-mail the customer.
    assert first["source"] == fd_emulator.NOTE_SOURCE and first["user_id"] == int(agent_id)
    assert first["private"] is False
    assert (
        "On 2023-06-01 09:15 UTC, Monica Geller &lt;monica@acme.example&gt; wrote:" in first["body"]
    )
    assert second["private"] is True and "Monica Geller" in second["body"]
    assert third["incoming"] is True and third["private"] is False
    assert "Rachel Green" in third["body"] and third["user_id"] == int(contact_id)


def test_an_update_adds_only_the_comments_the_ticket_lacks(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id, agent_id = target_people(connector)
        first_reply = agent_reply(agent_id, hours=1, text="We are on it.")
        ticket = a_ticket(contact_id, agent_id, comments=[first_reply])
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER)
        conversations = stored(account, "conversations", parent_number=int(ticket_id))
        assert conversations.count() == 2  # the dates note and the reply
        later = agent_reply(agent_id, hours=30, text="Fixed for good.")
        changed = ticket.model_copy(
            update={"comments": [*ticket.comments, later], "tags": ["fire"]}
        )
        connector.update(Entity.TICKETS, ticket_id, changed)
        connector.update(Entity.TICKETS, ticket_id, changed)
        assert conversations.count() == 3
        assert "Fixed for good." in conversations.order_by("number").last().data["body"]
        tags = stored(account, "tickets", number=int(ticket_id)).get().data["tags"]
        assert tags == ["fire", TICKET_MARKER]
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=changed) == ticket_id


def test_attachments_over_20_mb_are_refused_before_anything_is_created(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id, agent_id = target_people(connector)
        ticket = a_ticket(contact_id, agent_id)
        too_big = MAX_ATTACHMENT_BYTES + 1
        opening = ticket.comments[0].model_copy(
            update={"attachments": [attachment("big", too_big, "recording.wav")]}
        )
        ticket = ticket.model_copy(update={"comments": [opening]})
        with opener_of({"big": b""}) as opener, pytest.raises(InvalidRecordError) as refused:
            connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER, attachments=opener)
        assert "'recording.wav'" in refused.value.user_message
        assert "20.0 MB" in refused.value.user_message
        assert not stored(account, "tickets").exists()

        # A size the source did not tell is found out while the file streams in.
        unknown = opening.model_copy(
            update={"attachments": [attachment("big", None, "recording.wav")]}
        )
        with opener_of({"big": b"\0" * too_big}) as opener, pytest.raises(InvalidRecordError):
            connector.create(
                Entity.TICKETS,
                ticket.model_copy(update={"comments": [unknown]}),
                marker=TICKET_MARKER,
                attachments=opener,
            )


def test_attachments_adding_up_to_more_than_20_mb_are_split_over_notes(sandbox, account):
    eight_mb = 8 * 1024 * 1024
    contents = {name: bytes([index]) * eight_mb for index, name in enumerate(("a", "b", "c"))}
    with connect(sandbox, account) as connector:
        contact_id, agent_id = target_people(connector)
        ticket = a_ticket(contact_id, agent_id)
        files = [attachment(name, eight_mb, f"{name}.bin") for name in contents]
        opening = ticket.comments[0].model_copy(update={"attachments": files})
        with opener_of(contents) as opener:
            ticket_id = connector.create(
                Entity.TICKETS,
                ticket.model_copy(update={"comments": [opening]}),
                marker=TICKET_MARKER,
                attachments=opener,
            )
    created = stored(account, "tickets", number=int(ticket_id)).get()
    assert [item["name"] for item in created.data["attachments"]] == ["a.bin", "b.bin"]
    notes = [row.data for row in stored(account, "conversations", parent_number=int(ticket_id))]
    continued = [note for note in notes if note["attachments"]]
    assert len(continued) == 1 and continued[0]["private"] is True
    assert [item["name"] for item in continued[0]["attachments"]] == ["c.bin"]
    uploaded = EmulatedBlob.objects.get(account=account, file_name="c.bin")
    assert uploaded.sha256 == hashlib.sha256(contents["c"]).hexdigest()


def test_an_existing_address_is_taken_over_not_duplicated(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id, _agent_id = target_people(connector)
        again = Contact(
            source_id="c-9", updated_at=ORIGINAL, name="Rachel G.", email="rachel@example.com"
        )
        marker = source_marker(migration_id=2, entity=Entity.CONTACTS, source_id="c-9")
        assert connector.create(Entity.CONTACTS, again, marker=marker) == contact_id
        assert connector.find_by_marker(Entity.CONTACTS, marker, record=again) == contact_id
        # An agent whose address is a contact's: Freshdesk makes the contact an agent.
        agent = Agent(
            source_id="a-9", updated_at=ORIGINAL, name="Rachel", email="rachel@example.com"
        )
        marker = source_marker(migration_id=2, entity=Entity.AGENTS, source_id="a-9")
        assert connector.create(Entity.AGENTS, agent, marker=marker) == contact_id
    assert stored(account, "agents", number=int(contact_id)).exists()


def test_agents_gone_from_the_source_take_no_seat(sandbox, account):
    former = Agent(
        source_id="a-7", updated_at=ORIGINAL, name="Joey", email="joey@acme.example", active=False
    )
    with connect(sandbox, account) as connector:
        agent_id = connector.create(Entity.AGENTS, former, marker="m")
    assert stored(account, "agents", number=int(agent_id)).get().data["occasional"] is True


def test_markers_survive_updates_of_contacts(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id, _agent_id = target_people(connector)
        contact = Contact(
            source_id="c-1",
            updated_at=ORIGINAL,
            name="Rachel Green",
            email="rachel@example.com",
            tags=["vip"],
        )
        connector.update(Entity.CONTACTS, contact_id, contact)
    tags = stored(account, "contacts", number=int(contact_id)).get().data["tags"]
    assert tags[0] == "vip" and is_marker(tags[1])


# --- the sandbox -------------------------------------------------------------------------


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
        blobs = sorted(EmulatedBlob.objects.filter(account=account).values_list("token", "sha256"))
        again = sandbox.account_create(slug=account.slug, name=account.name)
        sandbox.seed(account=again, plan=SMALL_PLAN)
        assert snapshot(again) == first
        assert (
            sorted(EmulatedBlob.objects.filter(account=again).values_list("token", "sha256"))
            == blobs
        )
        other = sandbox.account_create(slug=account.slug, name=account.name)
        sandbox.seed(account=other, plan=SeedPlan(**{**SMALL_PLAN.__dict__, "seed": 12}))
        assert snapshot(other) != first


def test_the_seed_holds_what_the_plan_asks(sandbox, account):
    plan = SeedPlan(
        **{**SMALL_PLAN.__dict__, "tickets": 40, "large_attachment_bytes": 25 * 1024 * 1024}
    )
    sandbox.seed(account=account, plan=plan)
    counts = dict(
        EmulatedRecord.objects.filter(account=account)
        .values_list("collection")
        .annotate(Count("id"))
    )
    assert counts["agents"] == plan.agents - plan.deleted_agents
    assert counts["contacts"] == plan.contacts + plan.deleted_agents
    assert counts["companies"] == plan.organizations
    assert counts["groups"] == plan.groups
    assert counts["tickets"] == plan.tickets
    assert counts["ticket_fields"] > 0
    assert counts["solution_categories"] == plan.article_categories
    assert counts["solution_folders"] == plan.article_sections
    assert counts["solution_articles"] == plan.articles
    agents = [row.data for row in stored(account, "agents")]
    assert sum(agent["deactivated"] for agent in agents) == plan.inactive_agents
    tickets = list(stored(account, "tickets"))
    assert all(row.updated_at >= row.created_at for row in tickets)
    assert all(row.updated_at <= timezone.now() for row in tickets)
    assert min(row.created_at for row in tickets) < timezone.now() - timedelta(days=300)
    assert any(
        row.data["custom_fields"] and any(row.data["custom_fields"].values()) for row in tickets
    )
    conversations = [row.data for row in stored(account, "conversations")]
    assert {(c["private"], c["incoming"]) for c in conversations} >= {
        (True, False),
        (False, True),
        (False, False),
    }
    sizes = [item["size"] for row in tickets for item in row.data["attachments"]]
    assert max(sizes) == MAX_ATTACHMENT_BYTES  # Freshdesk cannot hold the 25 MB the plan asks
    statuses = {row.data["status"] for row in stored(account, "solution_articles")}
    assert statuses == {1, 2}
    # The API's next ids follow the seeded ones.
    with connect(sandbox, account) as connector:
        contact = Contact(source_id="new", updated_at=ORIGINAL, name="New", email="new@example.com")
        new_id = connector.create(Entity.CONTACTS, contact, marker="m")
    assert int(new_id) > max(
        stored(account, "contacts").values_list("number", flat=True).exclude(number=int(new_id))
    )


def test_the_target_sandbox_agents_partly_match_the_source_by_email(sandbox, account):
    sandbox.seed(account=account, plan=SANDBOX_TARGET_PLAN)
    with connect(sandbox, account) as connector:
        target_emails = {agent.email for agent in read_all(connector, Entity.AGENTS, page_size=50)}
        assert not connector.read_page(Entity.TICKETS).records
    source_emails = {person.email for person in acme_agents(SANDBOX_SOURCE_PLAN.agents)}
    shared = target_emails & source_emails
    assert shared and shared != source_emails and shared != target_emails


def test_a_delta_update_repeats_neither_the_dates_note_nor_any_comment(
    sandbox, account, monkeypatch
):
    # A body_text derived as some HTML-to-text converters do: entities first, so the
    # header's "<monica@acme.example>" is then taken for a tag and lost.
    monkeypatch.setattr(
        fd_emulator, "_text_of", lambda markup: " ".join(strip_tags(unescape(markup or "")).split())
    )
    with connect(sandbox, account) as connector:
        contact_id, agent_id = target_people(connector)
        internal = Comment(
            source_id="m-2",
            author_id=agent_id,
            author_kind=AuthorKind.AGENT,
            author_name="Monica Geller",
            author_email="monica@acme.example",
            public=False,
            html_body="<p>Keep &lt;b&gt; and a < b &amp; c as they are: "
            '<a href="https://acme.example/kb?x=1&amp;y=2">the guide</a></p>',
            created_at=ORIGINAL + timedelta(hours=2),
        )
        plain = Comment(
            source_id="m-3",
            author_id=contact_id,
            author_kind=AuthorKind.CONTACT,
            author_email="rachel@example.com",
            public=True,
            text_body="Thanks <rachel@example.com>\nis it   <b>fixed</b>?",
            created_at=ORIGINAL + timedelta(hours=5),
        )
        ticket = a_ticket(contact_id, agent_id, comments=[internal, plain])
        ticket = ticket.model_copy(update={"solved_at": None})
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER)
        conversations = stored(account, "conversations", parent_number=int(ticket_id))
        assert conversations.count() == 3
        # Solved and changed since: the dates note gains a line and its last one changes.
        later = agent_reply(agent_id, hours=30, text="Fixed for good.")
        changed = ticket.model_copy(
            update={
                "comments": [*ticket.comments, later],
                "solved_at": ORIGINAL + timedelta(days=3),
                "updated_at": ORIGINAL + timedelta(days=4),
            }
        )
        connector.update(Entity.TICKETS, ticket_id, changed)
        connector.update(Entity.TICKETS, ticket_id, changed)
        dates, *bodies = [row.data["body"] for row in conversations.order_by("number")]
        assert len(bodies) == 3, bodies
        assert "Fixed for good." in bodies[-1]
        # The one dates note now tells the resolution and the last update.
        assert "Resolved on 2023-06-04 08:15 UTC" in dates
        assert "Last updated on 2023-06-05 08:15 UTC" in dates
