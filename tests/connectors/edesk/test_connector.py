"""The eDesk connector's particulars, against the emulator (in-process); what every connector
does is in tests/connectors/test_conformance.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models import Count

from connectors.base import Scope, not_migrated, source_marker
from connectors.edesk import CAPABILITIES, CHECKLIST, MAX_ATTACHMENT_BYTES, EdeskCredentials
from connectors.edesk import emulator as ed_emulator
from connectors.edesk.client import ACCOUNT_NOT_FOUND, STATUS_MESSAGES, http_client_options
from connectors.edesk.connector import EdeskConnector
from connectors.edesk.sandbox import EdeskSandbox, sandbox_read_only_token
from connectors.errors import AuthenticationError, InvalidRecordError, NotFoundError
from connectors.http import HttpClient, LocalRateBudget
from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord
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
    StatusCategory,
    Ticket,
)
from connectors.zendesk import CAPABILITIES as ZENDESK_CAPABILITIES

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
SMALL_PLAN = SeedPlan(
    agents=4,
    inactive_agents=1,
    deleted_agents=1,
    contacts=6,
    tickets=9,
    comments_per_ticket=(1, 5),
    attachment_ratio=0.5,
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
def sandbox() -> EdeskSandbox:
    platform = sandbox_platform("edesk")
    assert isinstance(platform, EdeskSandbox)
    return platform


@pytest.fixture
def account(sandbox) -> EmulatedAccount:
    """A fresh account: its e-mail channel and its administrator."""
    return sandbox.account_create(slug="ed-connector", name="Connector", rate_limit_per_minute=0)


@pytest.fixture
def seeded(sandbox, account) -> EmulatedAccount:
    sandbox.seed(account=account, plan=SMALL_PLAN)
    return account


class Recorder(httpx.BaseTransport):
    """The emulator in this process, with every request it was sent."""

    def __init__(self) -> None:
        self.inner = httpx.WSGITransport(app=WSGIHandler())
        self.requests: list[tuple[str, str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        body = None
        if request.headers.get("content-type") == "application/json":
            body = json.loads(request.content)
        self.requests.append((request.method, request.url.path, body))
        return self.inner.handle_request(request)

    def sent(self, method: str, path_end: str) -> list[Any]:
        return [body for m, path, body in self.requests if m == method and path.endswith(path_end)]


def connect(
    sandbox,
    account,
    *,
    scope: Scope | None = None,
    transport: httpx.BaseTransport | None = None,
    **overrides: str,
) -> EdeskConnector:
    def factory(**options: Any) -> HttpClient:
        options.setdefault("max_retries", 3)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("backoff_cap", 0.02)
        options["budget"] = LocalRateBudget(limit=None, learned_seconds=0)
        options["transport"] = transport or httpx.WSGITransport(app=WSGIHandler())
        return HttpClient(allow_private_networks=True, **options)

    values = {**sandbox.credentials(account=account, site_url=SITE), **overrides}
    credentials = EdeskConnector.parse_credentials(values)
    return EdeskConnector(credentials=credentials, http_client_factory=factory, scope=scope)


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


def opener_of(contents: dict[str, bytes], chunk: int = 1024 * 1024):
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


def an_agent(account: EmulatedAccount, *, email: str = "monica@acme.example") -> str:
    """A user invited on the account (the API cannot create users)."""
    data = ed_emulator.user_template()
    data.update(name="Monica Geller", email=email, username=email.split("@")[0])
    number = 7001 + stored(account, "users").count()
    EmulatedRecord.objects.create(
        account=account, collection="users", number=number, data={**data, "id": number}
    )
    return str(number)


def a_contact(connector, *, source_id: str = "c-1", **fields: Any) -> str:
    values = {"name": "Rachel Green", "email": "rachel@example.com", **fields}
    contact = Contact(source_id=source_id, updated_at=ORIGINAL, **values)
    marker = source_marker(migration_id=1, entity=Entity.CONTACTS, source_id=source_id)
    return connector.create(Entity.CONTACTS, contact, marker=marker)


def a_ticket(
    contact_id: str, agent_id: str | None, *, comments: list[Comment] = (), **fields: Any
) -> Ticket:
    opening = Comment(
        source_id="m-1",
        author_id=contact_id,
        author_kind=AuthorKind.CONTACT,
        author_name="Rachel Green",
        author_email="rachel@example.com",
        public=True,
        html_body="<p>My parcel never came.</p>",
        created_at=ORIGINAL,
    )
    values: dict[str, Any] = {
        "source_id": "t-1",
        "subject": "Where is my parcel?",
        "status_category": StatusCategory.OPEN,
        "requester_id": contact_id,
        "requester_email": "rachel@example.com",
        "assignee_id": agent_id,
        "created_at": ORIGINAL,
        "updated_at": ORIGINAL + timedelta(days=2),
        "comments": [opening, *comments],
    }
    values.update(fields)
    return Ticket(**values)


def agent_reply(agent_id: str, *, hours: int, text: str, public: bool = True) -> Comment:
    return Comment(
        source_id=f"m-{hours}",
        author_id=agent_id,
        author_kind=AuthorKind.AGENT,
        author_email="monica@acme.example",
        public=public,
        html_body=f"<p>{text}</p>",
        created_at=ORIGINAL + timedelta(hours=hours),
    )


def messages_of(account, ticket_id: str) -> list[dict[str, Any]]:
    return [
        row.data
        for row in stored(account, "messages", parent_number=int(ticket_id)).order_by(
            "created_at", "number"
        )
    ]


# --- credentials, account and channels ---------------------------------------------------


def test_the_connect_form_asks_for_a_token_at_edesks_address():
    credentials = EdeskCredentials(api_token="t")
    assert credentials.api_url == "https://api.edesk.com"
    assert EdeskCredentials(api_token="t", api_url="https://api.edesk.com/v1").api_url == (
        "https://api.edesk.com"
    )
    sandbox = EdeskCredentials(api_token="t", api_url="http://127.0.0.1:8000/sandbox/edesk/acme/")
    assert sandbox.api_url == "http://127.0.0.1:8000/sandbox/edesk/acme"
    assert EdeskCredentials.secret_field_names() == {"api_token"}
    hint = EdeskCredentials.form_schema()["properties"]["api_token"]["hint"]
    assert "dashboard.edesk.com/api-token" in hint and "Full Access" in hint


def test_calls_keep_inside_edesks_bucket_with_a_budget_per_token():
    one = http_client_options(EdeskCredentials(api_token="one"))
    two = http_client_options(EdeskCredentials(api_token="two"))
    declared = one["rate_limit_headers"]
    assert (declared.default_limit, declared.window_seconds) == (60, 30.0)
    assert one["headers"] == {"Authorization": "Bearer one"}
    assert one["account"] != two["account"] and "one" not in one["account"]


def test_credentials_name_the_channels_and_say_what_is_wrong(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        info = connector.check_credentials()
    assert info.account_name == "Connector support e-mail (Email) and 1 other channel"
    nobody = f"{SITE}/sandbox/edesk/nobody"
    with (
        connect(sandbox, seeded, api_url=nobody) as connector,
        pytest.raises(NotFoundError) as not_found,
    ):
        connector.check_credentials()
    assert not_found.value.user_message == ACCOUNT_NOT_FOUND
    with (
        connect(sandbox, seeded, api_token="wrong") as connector,
        pytest.raises(AuthenticationError) as refused,
    ):
        connector.check_credentials()
    assert refused.value.user_message == STATUS_MESSAGES[401]


def test_a_read_only_token_cannot_import_and_says_so(sandbox, account):
    token = sandbox_read_only_token(account.slug)
    with connect(sandbox, account, api_token=token) as connector:
        assert connector.check_credentials().account_name
        with pytest.raises(AuthenticationError) as refused:
            a_contact(connector)
    assert "Full Access" in refused.value.user_message


def test_channels_are_the_scope_and_several_need_a_choice(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        scopes = connector.list_scopes()
        assert [scope.name for scope in scopes] == [
            "Connector support e-mail (Email)",
            "Connector on Amazon (Amazon)",
        ]
        with pytest.raises(InvalidRecordError, match="Choose the eDesk channel"):
            a_contact(connector)
    amazon = scopes[1]
    with connect(sandbox, seeded, scope=amazon) as connector:
        contact_id = a_contact(connector)
        agent = an_agent(seeded)
        ticket_id = connector.create(
            Entity.TICKETS, a_ticket(contact_id, agent), marker=TICKET_MARKER
        )
    assert stored(seeded, "contacts", number=int(contact_id)).get().data["channel_id"] == int(
        amazon.id
    )
    assert stored(seeded, "tickets", number=int(ticket_id)).get().data["channel_id"] == int(
        amazon.id
    )


# --- the particulars ---------------------------------------------------------------------


def test_attachments_over_10_mb_are_refused_naming_the_file_and_nothing_is_written(
    sandbox, account
):
    with connect(sandbox, account) as connector:
        contact_id = a_contact(connector)
        big = attachment("big", MAX_ATTACHMENT_BYTES + 1, name="video.mp4")
        small = attachment("small", 10, name="note.txt")
        reply = agent_reply(an_agent(account), hours=1, text="Here").model_copy(
            update={"attachments": [small, big]}
        )
        ticket = a_ticket(contact_id, None, comments=[reply])
        contents = {"small": b"x" * 10, "big": b"y" * (MAX_ATTACHMENT_BYTES + 1)}
        with pytest.raises(InvalidRecordError) as refused:
            connector.create(
                Entity.TICKETS, ticket, marker=TICKET_MARKER, attachments=opener_of(contents)
            )
        assert refused.value.user_message == (
            "The attachment 'video.mp4' is 10.0 MB: eDesk cannot import files larger than 10 MB."
        )
        # A size the source did not tell is found out while streaming.
        unsized = reply.model_copy(update={"attachments": [attachment("big", None, "clip.mov")]})
        with pytest.raises(InvalidRecordError, match=r"'clip\.mov'.*10 MB"):
            connector.create(
                Entity.TICKETS,
                a_ticket(contact_id, None, comments=[unsized]),
                marker=TICKET_MARKER,
                attachments=opener_of(contents),
            )
    assert not stored(account, "tickets").exists()
    assert not EmulatedBlob.objects.filter(account=account).exists()


def test_attachments_stream_into_uploads_named_by_the_messages(sandbox, account):
    contents = {"a1": b"receipt " * 5000, "a2": b"%PDF" + bytes(range(256)) * 40}
    with connect(sandbox, account) as connector:
        contact_id = a_contact(connector)
        reply = agent_reply(an_agent(account), hours=1, text="Attached").model_copy(
            update={
                "attachments": [
                    attachment("a1", len(contents["a1"]), "receipt.txt"),
                    attachment("a2", None, "label.pdf"),
                ]
            }
        )
        ticket_id = connector.create(
            Entity.TICKETS,
            a_ticket(contact_id, None, comments=[reply]),
            marker=TICKET_MARKER,
            attachments=opener_of(contents, chunk=1000),
        )
        page = connector.read_page(Entity.TICKETS, ids=[ticket_id])
        (read,) = page.records
        files = read.comments[-1].attachments
        assert [f.file_name for f in files] == ["receipt.txt", "label.pdf"]
        for file, source_id in zip(files, ("a1", "a2"), strict=True):
            with connector.download_attachment(file) as chunks:
                assert b"".join(chunks) == contents[source_id]


def test_custom_fields_are_written_into_a_private_note(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id = a_contact(connector)
        ticket = a_ticket(contact_id, None, custom_fields={"Order number": "204-1", "Gift": False})
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER)
    opening, note = messages_of(account, ticket_id)
    assert (note["type"], note["external_id"]) == ("Note", f"{TICKET_MARKER}.custom-fields")
    assert note["body"] == (
        "<p><strong>Custom fields of the original ticket</strong></p><ul>"
        "<li><strong>Order number</strong>: 204-1</li><li><strong>Gift</strong>: No</li></ul>"
    )
    assert opening["external_id"] == TICKET_MARKER
    assert "custom_fields" not in json.dumps(stored(account, "tickets").get().data["custom_fields"])


def test_a_ticket_with_two_requesters_sends_every_reply_to_the_first(sandbox, account):
    recorder = Recorder()
    with connect(sandbox, account, transport=recorder) as connector:
        first = a_contact(connector)
        second = a_contact(connector, source_id="c-2", name="Bea Boss", email="bea@example.com")
        agent = an_agent(account)
        # The second requester comes in as a CC of the canonical ticket.
        by_second = Comment(
            source_id="m-2",
            author_id=second,
            author_kind=AuthorKind.CONTACT,
            author_name="Bea Boss",
            author_email="bea@example.com",
            public=True,
            html_body="<p>Same for my order.</p>",
            created_at=ORIGINAL + timedelta(minutes=5),
        )
        ticket = a_ticket(
            first,
            agent,
            cc_ids=[second],
            cc_emails=["bea@example.com"],
            comments=[by_second, agent_reply(agent, hours=2, text="Both are on their way.")],
        )
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER)
    (body,) = recorder.sent("POST", "/v1/tickets")
    assert body["contact_id"] == int(first)
    # Nothing in the request addresses the second requester: they are only named as the
    # author of their message.
    assert second not in json.dumps(body)
    assert [set(item) & {"to", "cc", "from_consumer_id"} for item in body["messages"]] == [
        set()
    ] * 3
    stored_ticket = stored(account, "tickets", number=int(ticket_id)).get().data
    assert stored_ticket["contact_id"] == int(first)
    opening, from_second, reply = messages_of(account, ticket_id)
    assert {m["from_consumer_id"] for m in (opening, from_second)} == {int(first)}
    assert from_second["direction"] == "Incoming"
    assert from_second["body"].startswith("<p>From Bea Boss &lt;bea@example.com&gt;:</p>")
    assert (reply["direction"], reply["from_user"]["id"]) == ("Outgoing", int(agent))
    assert all(m["from_consumer_id"] != int(second) for m in (opening, from_second, reply))


def test_a_contact_deleted_on_the_source_arrives_as_name_without_email(sandbox, account):
    deleted = Contact(source_id="c-9", updated_at=ORIGINAL, name="Jane Doe", deleted=True)
    marker = source_marker(migration_id=1, entity=Entity.CONTACTS, source_id="c-9")
    with connect(sandbox, account) as connector:
        assert connector.find_by_marker(Entity.CONTACTS, marker, record=deleted) is None
        contact_id = connector.create(Entity.CONTACTS, deleted, marker=marker)
        assert stored(account, "contacts", number=int(contact_id)).get().data["email"] == (
            "jane-doe+without-email.com"
        )
        assert connector.find_by_marker(Entity.CONTACTS, marker, record=deleted) == contact_id
        # Written again (a retry after a lost answer), the address finds the same person.
        assert connector.create(Entity.CONTACTS, deleted, marker=marker) == contact_id
    assert stored(account, "contacts").count() == 1


def test_agents_are_matched_by_email_and_never_created(sandbox, account):
    agent_id = an_agent(account)
    recorder = Recorder()
    with connect(sandbox, account, transport=recorder) as connector:
        known = Agent(source_id="a-1", updated_at=ORIGINAL, name="M", email="MONICA@acme.example")
        marker = source_marker(migration_id=1, entity=Entity.AGENTS, source_id="a-1")
        assert connector.create(Entity.AGENTS, known, marker=marker) == agent_id
        assert connector.find_by_marker(Entity.AGENTS, marker, record=known) == agent_id
        unknown = Agent(source_id="a-2", updated_at=ORIGINAL, name="X", email="x@acme.example")
        with pytest.raises(InvalidRecordError) as refused:
            connector.create(Entity.AGENTS, unknown, marker="m")
        connector.update(Entity.AGENTS, agent_id, known)
        connector.delete(Entity.AGENTS, agent_id)
    assert "x@acme.example is not a user" in refused.value.user_message
    assert "+ Invite users" in refused.value.user_message
    assert {method for method, _, _ in recorder.requests} == {"GET"}
    assert stored(account, "users").count() == 2


def test_a_ticket_is_found_again_by_its_marker(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id = a_contact(connector)
        ticket = a_ticket(contact_id, None)
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=ticket) is None
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER)
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=ticket) == ticket_id
        other = source_marker(migration_id=2, entity=Entity.TICKETS, source_id="t-1")
        assert connector.find_by_marker(Entity.TICKETS, other, record=ticket) is None
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER) is None
        connector.delete(Entity.TICKETS, ticket_id)
        assert connector.find_by_marker(Entity.TICKETS, TICKET_MARKER, record=ticket) is None


def test_dates_and_authors_are_kept(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id = a_contact(connector)
        agent = an_agent(account)
        note = agent_reply(agent, hours=3, text="Internal", public=False)
        ticket = a_ticket(
            contact_id, agent, comments=[agent_reply(agent, hours=1, text="Hi"), note]
        )
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=TICKET_MARKER)
    data = stored(account, "tickets", number=int(ticket_id)).get().data
    assert (data["created_at"], data["last_updated_at"]) == (
        "2023-06-01 08:15:00",
        "2023-06-01 11:15:00",
    )
    assert data["owner_user_id"] == int(agent)
    created = [
        (m["type"], m["created_at"], (m["from_user"] or {}).get("id"))
        for m in messages_of(account, ticket_id)
    ]
    assert created == [
        ("Message", "2023-06-01 08:15:00", None),
        ("Message", "2023-06-01 09:15:00", int(agent)),
        ("Note", "2023-06-01 11:15:00", int(agent)),
    ]


def test_an_update_adds_only_the_messages_the_ticket_lacks(sandbox, account):
    with connect(sandbox, account) as connector:
        contact_id = a_contact(connector)
        agent = an_agent(account)
        first_reply = agent_reply(agent, hours=1, text="On it")
        ticket_id = connector.create(
            Entity.TICKETS,
            a_ticket(contact_id, agent, comments=[first_reply]),
            marker=TICKET_MARKER,
        )
        later = a_ticket(
            contact_id,
            agent,
            status_category=StatusCategory.SOLVED,
            comments=[first_reply, agent_reply(agent, hours=5, text="Delivered")],
        )
        connector.update(Entity.TICKETS, ticket_id, later)
        connector.update(Entity.TICKETS, ticket_id, later)
    assert [m["body"] for m in messages_of(account, ticket_id)] == [
        "<p>My parcel never came.</p>",
        "<p>On it</p>",
        "<p>Delivered</p>",
    ]
    assert stored(account, "tickets", number=int(ticket_id)).get().data["status"] == "Closed"


def test_more_messages_than_one_creation_takes_follow_one_by_one(sandbox, account):
    recorder = Recorder()
    with connect(sandbox, account, transport=recorder) as connector:
        contact_id = a_contact(connector)
        agent = an_agent(account)
        replies = [agent_reply(agent, hours=hour, text=f"Reply {hour}") for hour in range(1, 105)]
        ticket_id = connector.create(
            Entity.TICKETS, a_ticket(contact_id, agent, comments=replies), marker=TICKET_MARKER
        )
    (body,) = recorder.sent("POST", "/v1/tickets")
    assert len(body["messages"]) == ed_emulator.MAX_MESSAGE_ITEMS
    assert len(recorder.sent("POST", f"/v1/tickets/{ticket_id}/messages")) == 5
    assert len(messages_of(account, ticket_id)) == 105


# --- reading -----------------------------------------------------------------------------


def test_tickets_read_with_their_messages_and_counts_match(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        tickets = read_all(connector, Entity.TICKETS)
        assert len(tickets) == SMALL_PLAN.tickets == connector.count(Entity.TICKETS)
        assert all(ticket.comments for ticket in tickets)
        assert all(t.comments[0].author_kind is AuthorKind.CONTACT for t in tickets)
        kinds = {(c.author_kind, c.public) for t in tickets for c in t.comments}
        assert (AuthorKind.AGENT, False) in kinds and (AuthorKind.AGENT, True) in kinds
        agents = read_all(connector, Entity.AGENTS)
        assert len(agents) == 1 + SMALL_PLAN.agents - SMALL_PLAN.deleted_agents
        assert sum(not agent.active for agent in agents) == SMALL_PLAN.inactive_agents
        assert len(read_all(connector, Entity.CONTACTS)) == SMALL_PLAN.contacts
        assert any(ticket.tags for ticket in tickets)
        assert all("Order number" in ticket.custom_fields for ticket in tickets)


def test_delta_reads_keep_tickets_updated_since_the_moment_asked(sandbox, seeded):
    with connect(sandbox, seeded) as connector:
        tickets = sorted(read_all(connector, Entity.TICKETS), key=lambda t: t.updated_at)
        since = tickets[len(tickets) // 2].updated_at
        expected = {t.source_id for t in tickets if t.updated_at >= since}
        later = read_all(connector, Entity.TICKETS, updated_since=since)
        assert {t.source_id for t in later} == expected
        assert connector.count(Entity.TICKETS, updated_since=since) == len(expected)
        assert connector.count(Entity.CONTACTS, updated_since=since) == SMALL_PLAN.contacts


# --- the sandbox and the wizard's lists --------------------------------------------------


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


def test_seeding_is_deterministic(sandbox):
    with time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=UTC), tick=False):
        account = sandbox.account_create(slug="ed-seeded", name="Seeded")
        sandbox.seed(account=account, plan=SMALL_PLAN)
        first = snapshot(account)
        again = sandbox.account_create(slug=account.slug, name=account.name)
        sandbox.seed(account=again, plan=SMALL_PLAN)
        assert snapshot(again) == first
        other = sandbox.account_create(slug=account.slug, name=account.name)
        sandbox.seed(account=other, plan=SeedPlan(**{**SMALL_PLAN.__dict__, "seed": 12}))
        assert snapshot(other) != first


def test_the_seed_holds_what_the_plan_asks(sandbox, account):
    plan = SeedPlan(**{**SMALL_PLAN.__dict__, "large_attachment_bytes": 11 * 1024 * 1024})
    sandbox.seed(account=account, plan=plan)
    counts = dict(
        EmulatedRecord.objects.filter(account=account)
        .values_list("collection")
        .annotate(Count("id"))
    )
    assert counts["channels"] == 2
    assert counts["users"] == 1 + plan.agents - plan.deleted_agents
    assert counts["contacts"] == plan.contacts
    assert counts["tickets"] == plan.tickets
    sizes = EmulatedBlob.objects.filter(account=account).values_list("size", flat=True)
    assert max(sizes) == 11 * 1024 * 1024
    with connect(
        sandbox, account, scope=Scope(id=str(ed_emulator.CHANNEL_ID_START), name="")
    ) as connector:
        new_id = a_contact(connector, email="new@example.com")
    assert int(new_id) > max(
        stored(account, "contacts").exclude(number=int(new_id)).values_list("number", flat=True)
    )


def test_the_target_sandbox_agents_partly_match_the_source_by_email(sandbox, account):
    sandbox.seed(account=account, plan=SANDBOX_TARGET_PLAN)
    with connect(sandbox, account) as connector:
        target_emails = {agent.email for agent in read_all(connector, Entity.AGENTS, page_size=50)}
        assert len(connector.list_scopes()) == 2
        assert not connector.read_page(Entity.TICKETS).records
    source_emails = {person.email for person in acme_agents(SANDBOX_SOURCE_PLAN.agents)}
    shared = target_emails & source_emails
    assert shared and shared != source_emails and shared != target_emails


def test_seed_sandbox_prints_the_edesk_target(settings, capsys):
    settings.SANDBOX_ENABLED = True
    call_command("seed_sandbox", "--site-url", "http://sandbox.test")
    output = capsys.readouterr().out
    line = next(line for line in output.splitlines() if "Acme on eDesk" in line)
    assert "target" in line
    assert "api_url: http://sandbox.test/sandbox/edesk/acme" in line
    assert "api_token: ed-sandbox-" in line


def test_what_will_not_be_migrated_from_zendesk_names_edesks_limits():
    losses = not_migrated(source=ZENDESK_CAPABILITIES, target=CAPABILITIES)
    for expected in (
        "Organizations cannot be imported.",
        "Groups cannot be imported.",
        "Custom fields.",
        "Inline images.",
        "Tags.",
        "Attachments larger than 10 MB.",
        "Missing agents cannot be created: their tickets go to the default agent unless an "
        "active agent of the target has the same e-mail address.",
    ):
        assert expected in losses
    assert not any("creation dates" in loss or "Comment authors" in loss for loss in losses)
    assert any("private note" in particular for particular in CAPABILITIES.particulars)
    assert any("first one" in particular for particular in CAPABILITIES.particulars)
    assert any("+without-email.com" in particular for particular in CAPABILITIES.particulars)
    assert any("free trial or an Enterprise plan" in step for step in CHECKLIST)
    assert EdeskConnector.pre_migration_checklist()[-len(CHECKLIST) :] == list(CHECKLIST)
