"""What the Zendesk connector and sandbox do beyond the conformance suite: OAuth, the
anonymous user, imports that keep dates and authors, closed tickets, inline images,
redirected and large downloads, malformed answers, records that vanish mid-read, delta
reads, and deterministic seeding of the sandbox plan."""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from pydantic import ValidationError

from connectors.base import source_marker
from connectors.errors import (
    AuthenticationError,
    InvalidRecordError,
    MalformedResponseError,
    NotFoundError,
    TransientError,
)
from connectors.http import HttpClient, LocalRateBudget
from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord
from connectors.registry import registry
from connectors.sandbox import SANDBOX_SOURCE_PLAN, SeedPlan, sandbox_platform
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    ArticleTranslation,
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    Entity,
    Organization,
    StatusCategory,
    Ticket,
)
from connectors.zendesk import ZendeskCredentials, comment_events
from connectors.zendesk import emulator as zde
from connectors.zendesk.connector import ZendeskConnector

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "http://testserver"
SMALL_PLAN = SeedPlan(
    agents=4,
    inactive_agents=1,
    deleted_agents=1,
    contacts=6,
    organizations=5,
    groups=3,
    tickets=6,
    comments_per_ticket=(2, 5),
    attachment_ratio=1.0,
    inline_image_ratio=1.0,
    article_categories=2,
    article_sections=3,
    articles=5,
    seed=11,
)
NOW = datetime(2024, 3, 5, 9, 30, tzinfo=UTC)


class RecordingTransport(httpx.BaseTransport):
    """The emulator in-process, with every hop recorded and an optional hook before it."""

    def __init__(self, before: Callable[[httpx.Request], None] | None = None) -> None:
        self.inner = httpx.WSGITransport(app=WSGIHandler())
        self.before = before
        self.hops: list[tuple[str, str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.before is not None:
            self.before(request)
        response = self.inner.handle_request(request)
        self.hops.append((request.method, request.url.path, response.status_code))
        return response


@pytest.fixture(autouse=True)
def emulator_settings(settings, tmp_path):
    settings.ALLOWED_HOSTS = ["*"]
    settings.DATA_DIR = tmp_path


@pytest.fixture
def sandbox():
    return sandbox_platform("zendesk")


@pytest.fixture
def account(sandbox) -> EmulatedAccount:
    return sandbox.account_create(slug="acme", name="Acme", rate_limit_per_minute=0)


@pytest.fixture
def seeded(sandbox, account) -> EmulatedAccount:
    sandbox.seed(account=account, plan=SMALL_PLAN)
    return account


def connect(
    account: EmulatedAccount,
    *,
    transport: httpx.BaseTransport | None = None,
    **overrides: Any,
) -> ZendeskConnector:
    values: dict[str, Any] = sandbox_platform("zendesk").credentials(account=account, site_url=SITE)
    values.update(overrides)
    values = {name: value for name, value in values.items() if value is not None}
    credentials = ZendeskConnector.parse_credentials(values)
    budget = LocalRateBudget(limit=None, learned_seconds=0)

    def factory(**options: Any) -> HttpClient:
        options.update(budget=budget, max_retries=2, backoff_base=0.01, backoff_cap=0.02)
        return HttpClient(
            allow_private_networks=True,
            transport=transport or httpx.WSGITransport(app=WSGIHandler()),
            **options,
        )

    return ZendeskConnector(credentials=credentials, http_client_factory=factory)


def read_everything(connector: ZendeskConnector, entity: Entity, **kwargs: Any) -> list[Any]:
    records: list[Any] = []
    cursor = None
    while True:
        page = connector.read_page(entity, cursor=cursor, **kwargs)
        records.extend(page.records)
        if not page.has_more:
            return records
        cursor = page.next_cursor


def stored(account: EmulatedAccount, collection: str, number: int | str) -> EmulatedRecord:
    return EmulatedRecord.objects.get(account=account, collection=collection, number=int(number))


def opener_of(content: bytes) -> Callable[[Attachment], Any]:
    """An attachment opener whose every file holds ``content``, sent in two chunks."""

    @contextmanager
    def opener(attachment: Attachment) -> Iterator[Iterator[bytes]]:
        yield iter([content[: len(content) // 2], content[len(content) // 2 :]])

    return opener


# --- credentials ----------------------------------------------------------------------------


def test_the_connector_is_registered_with_its_sandbox():
    assert registry.get("zendesk") is ZendeskConnector
    assert sandbox_platform("zendesk").key == "zendesk"


def test_credentials_need_an_api_token_with_its_email_or_an_oauth_token():
    with pytest.raises(ValidationError, match="OAuth"):
        ZendeskCredentials(url="acme", email="admin@acme.test")
    assert ZendeskCredentials(url="acme", oauth_token="t0k3n").email is None
    assert ZendeskCredentials(url="acme", email="a@acme.test", api_token="t").oauth_token is None


def test_an_oauth_token_signs_in_as_a_bearer(account):
    oauth_token = account.secrets["oauth_token"]
    with connect(account, email=None, api_token=None, oauth_token=oauth_token) as connector:
        info = connector.check_credentials()
    assert info.account_name == "Acme"
    assert info.user_email == "admin@acme.example"

    with (
        connect(
            account, email=None, api_token=None, oauth_token="no-longer-valid-0x5f"
        ) as connector,
        pytest.raises(AuthenticationError, match="OAuth token") as refused,
    ):
        connector.check_credentials()
    assert "no-longer-valid-0x5f" not in refused.value.user_message + refused.value.detail


def test_a_wrong_api_token_is_refused_in_plain_words(account):
    with (
        connect(account, api_token="wrong-token") as connector,
        pytest.raises(AuthenticationError) as refused,
    ):
        connector.check_credentials()
    assert refused.value.user_message.startswith("Zendesk refused the e-mail and API token")


def test_the_anonymous_user_is_not_taken_for_a_signed_in_one(account):
    # Zendesk answers users/me with the anonymous user (id null) when it ignores credentials.
    def drop_credentials(request: httpx.Request) -> None:
        request.headers.pop("Authorization", None)

    with (
        connect(account, transport=RecordingTransport(before=drop_credentials)) as connector,
        pytest.raises(AuthenticationError, match="Zendesk refused the e-mail and API token"),
    ):
        connector.check_credentials()


def test_an_address_without_an_account_says_so(account):
    with (
        connect(account, url=f"{SITE}/sandbox/zendesk/nobody") as connector,
        pytest.raises(NotFoundError, match=r"no Zendesk account at http://testserver/sandbox"),
    ):
        connector.check_credentials()


# --- reading --------------------------------------------------------------------------------


def test_agents_include_the_deactivated_and_the_deleted(seeded):
    with connect(seeded) as connector:
        agents = read_everything(connector, Entity.AGENTS, page_size=2)
        assert connector.count(Entity.AGENTS) == len(agents)
    # The plan's agents and the account owner.
    assert len(agents) == SMALL_PLAN.agents + 1
    assert sum(not agent.active and not agent.deleted for agent in agents) == 1
    assert sum(agent.deleted for agent in agents) == 1
    assert all(isinstance(agent, Agent) for agent in agents)


def test_tickets_carry_comments_authors_custom_fields_and_solved_dates(seeded):
    with connect(seeded) as connector:
        fields = connector.describe_fields()
        tickets = read_everything(connector, Entity.TICKETS, page_size=4)
    assert len(tickets) == SMALL_PLAN.tickets
    custom_keys = {field.key for field in fields.custom_fields}
    assert len(custom_keys) == 8
    assert {field.type.value for field in fields.custom_fields} >= {
        "text",
        "dropdown",
        "checkbox",
        "date",
        "multiselect",
    }
    assert {option.key for option in fields.article_statuses} == {"draft", "published", "archived"}
    for ticket in tickets:
        assert set(ticket.custom_fields) == custom_keys
        low, high = SMALL_PLAN.comments_per_ticket
        assert low <= len(ticket.comments) <= high
        opening = ticket.comments[0]
        assert opening.author_id == ticket.requester_id
        assert opening.author_kind is AuthorKind.CONTACT
        assert opening.author_email == ticket.requester_email
        assert [c.created_at for c in ticket.comments] == sorted(
            c.created_at for c in ticket.comments
        )
        assert ticket.updated_at >= ticket.created_at
        if ticket.status_category in (StatusCategory.SOLVED, StatusCategory.CLOSED):
            assert ticket.solved_at is not None
        else:
            assert ticket.solved_at is None
    agent_comments = [c for t in tickets for c in t.comments if c.author_kind is AuthorKind.AGENT]
    assert agent_comments and all(c.author_email for c in agent_comments)


def test_inline_images_point_at_their_attachment_and_download_through_a_redirect(seeded):
    transport = RecordingTransport()
    with connect(seeded, transport=transport) as connector:
        tickets = read_everything(connector, Entity.TICKETS, page_size=10)
        images = [
            (comment, image)
            for ticket in tickets
            for comment in ticket.comments
            for image in comment.inline_images
        ]
        assert len(images) == SMALL_PLAN.tickets
        comment, image = images[0]
        assert f'src="{image.url}"' in comment.html_body
        assert image.url.startswith(f"{SITE}/sandbox/zendesk/acme/attachments/token/")
        transport.hops.clear()
        with connector.download_attachment(image) as chunks:
            content = b"".join(chunks)
    # content_url answers 302 to the file storage, which the download follows.
    assert [status for _method, _path, status in transport.hops] == [302, 200]
    assert "/zdusercontent/" in transport.hops[1][1]
    blob = EmulatedBlob.objects.get(
        account=seeded, size=len(content), sha256=hashlib.sha256(content).hexdigest()
    )
    assert blob.content_type == "image/png"


def test_the_11_mb_attachment_streams_in_small_chunks(sandbox, account):
    size = 11 * 1024 * 1024
    sandbox.seed(
        account=account,
        plan=SeedPlan(
            agents=2,
            contacts=2,
            tickets=2,
            comments_per_ticket=(1, 2),
            attachment_ratio=0,
            inline_image_ratio=0,
            large_attachment_bytes=size,
            seed=3,
        ),
    )
    with connect(account) as connector:
        tickets = read_everything(connector, Entity.TICKETS)
        [large] = [a for t in tickets for a in t.attachments if a.size == size]
        digest = hashlib.sha256()
        chunk_sizes = []
        tracemalloc.start()
        try:
            with connector.download_attachment(large) as chunks:
                for chunk in chunks:
                    chunk_sizes.append(len(chunk))
                    digest.update(chunk)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert sum(chunk_sizes) == size
    assert max(chunk_sizes) <= 64 * 1024
    assert peak < size / 4, f"the download held {peak} bytes at once"
    assert EmulatedBlob.objects.get(account=account, size=size).sha256 == digest.hexdigest()


def test_malformed_answers_raise_a_clear_retryable_error(seeded):
    seeded.fault_malformed_ratio = 1.0
    seeded.save()
    with connect(seeded) as connector, pytest.raises(MalformedResponseError) as broken:
        connector.read_page(Entity.TICKETS)
    assert "not valid JSON" in broken.value.user_message
    assert broken.value.retryable


def test_a_ticket_deleted_while_being_read_is_skipped(seeded, monkeypatch):
    # Read one by one: the comments call is what finds the ticket gone (the events of a
    # page read in bulk still hold a ticket deleted since the page was listed).
    monkeypatch.setattr(comment_events, "BULK_MIN_TICKETS", 10**9)
    with connect(seeded) as connector:
        expected = connector.count(Entity.TICKETS)
    victim = (
        EmulatedRecord.objects.filter(account=seeded, collection="tickets")
        .order_by("number")
        .last()
    )
    assert victim is not None

    def delete_before_its_comments(request: httpx.Request) -> None:
        if request.url.path.endswith(f"/tickets/{victim.number}/comments.json"):
            EmulatedRecord.objects.filter(pk=victim.pk).update(collection="deleted_tickets")

    transport = RecordingTransport(before=delete_before_its_comments)
    with connect(seeded, transport=transport) as connector:
        tickets = read_everything(connector, Entity.TICKETS, page_size=50)
        again = connector.read_page(Entity.TICKETS, ids=[str(victim.number)])
    assert len(tickets) == expected - 1
    assert str(victim.number) not in {ticket.source_id for ticket in tickets}
    assert list(again.records) == []
    assert any(status == 404 for _method, _path, status in transport.hops)


def test_delta_reads_follow_the_exports_and_agree_with_counts(seeded):
    # Organizations export by time: give several the same second so a page boundary cuts it.
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    organizations = list(EmulatedRecord.objects.filter(account=seeded, collection="organizations"))
    for row in organizations[:4]:
        row.updated_at = moment
        row.data = {**row.data, "updated_at": zde.isoformat(moment)}
    EmulatedRecord.objects.bulk_update(organizations[:4], ["updated_at", "data"])
    since = moment - timedelta(seconds=1)
    with connect(seeded) as connector:
        for entity in (
            Entity.ORGANIZATIONS,
            Entity.TICKETS,
            Entity.CONTACTS,
            Entity.ARTICLES,
            Entity.GROUPS,
        ):
            records = read_everything(connector, entity, page_size=2, updated_since=since)
            ids = [record.source_id for record in records]
            assert len(ids) == len(set(ids)), entity
            assert all(record.updated_at >= since for record in records), entity
            assert connector.count(entity, updated_since=since) == len(records), entity
        changed = read_everything(connector, Entity.ORGANIZATIONS, page_size=2, updated_since=since)
    assert {o.source_id for o in changed} >= {str(row.number) for row in organizations[:4]}


# --- writing --------------------------------------------------------------------------------


@pytest.fixture
def target(sandbox) -> EmulatedAccount:
    return sandbox.account_create(slug="target", name="Target", rate_limit_per_minute=0)


def people_on(connector: ZendeskConnector) -> tuple[str, str]:
    contact = Contact(
        source_id="c1", updated_at=NOW, name="Rosa Quintero", email="rosa@customer.example"
    )
    agent = Agent(source_id="a1", updated_at=NOW, name="Kenji Agent", email="kenji@acme.example")
    contact_id = connector.create(
        Entity.CONTACTS,
        contact,
        marker=source_marker(migration_id=1, entity=Entity.CONTACTS, source_id="c1"),
    )
    agent_id = connector.create(
        Entity.AGENTS,
        agent,
        marker=source_marker(migration_id=1, entity=Entity.AGENTS, source_id="a1"),
    )
    return contact_id, agent_id


def a_ticket(
    *, requester: str, agent: str, status: str = "open", with_image: bool = False
) -> Ticket:
    image = Attachment(
        source_id="img",
        file_name="shot.png",
        content_type="image/png",
        size=10,
        url="https://source.example/attachments/token/abc/?name=shot.png",
        inline=True,
    )
    opening_html = "<p>The printer is on fire.</p>"
    if with_image:
        opening_html += f'<p><img src="{image.url}"></p>'
    return Ticket(
        source_id="t1",
        updated_at=NOW + timedelta(days=2),
        created_at=NOW,
        subject="Printer on fire",
        status=status,
        status_category=StatusCategory(status),
        requester_id=requester,
        assignee_id=agent,
        tags=["printer"],
        comments=[
            Comment(
                source_id="m1",
                author_id=requester,
                public=True,
                html_body=opening_html,
                created_at=NOW,
                attachments=[image] if with_image else [],
            ),
            Comment(
                source_id="m2",
                author_id=agent,
                public=False,
                html_body="<p>Extinguisher sent.</p>",
                created_at=NOW + timedelta(hours=5),
            ),
        ],
    )


def test_the_ticket_import_keeps_dates_and_comment_authors(target):
    with connect(target) as connector:
        contact_id, agent_id = people_on(connector)
        ticket = a_ticket(requester=contact_id, agent=agent_id, status="solved")
        marker = source_marker(migration_id=1, entity=Entity.TICKETS, source_id="t1")
        ticket_id = connector.create(Entity.TICKETS, ticket, marker=marker)
        assert connector.find_by_marker(Entity.TICKETS, marker) == ticket_id
    row = stored(target, "tickets", ticket_id)
    assert row.created_at == NOW
    assert row.data["created_at"] == "2024-03-05T09:30:00Z"
    assert row.data["external_id"] == marker and marker in row.data["tags"]
    comments = EmulatedRecord.objects.filter(
        account=target, collection="ticket_comments", parent_number=int(ticket_id)
    ).order_by("created_at")
    assert [(c.data["author_id"], c.data["public"], c.created_at) for c in comments] == [
        (int(contact_id), True, NOW),
        (int(agent_id), False, NOW + timedelta(hours=5)),
    ]


def test_inline_images_are_uploaded_and_the_body_points_at_the_copy(target):
    content = b"\x89PNG fake image"
    with connect(target) as connector:
        contact_id, agent_id = people_on(connector)
        ticket = a_ticket(requester=contact_id, agent=agent_id, with_image=True)
        ticket_id = connector.create(
            Entity.TICKETS, ticket, marker="hdm-00000000-tkt-t1", attachments=opener_of(content)
        )
        [read] = connector.read_page(Entity.TICKETS, ids=[ticket_id]).records
    opening = read.comments[0]
    [copy] = opening.attachments
    assert "source.example" not in opening.html_body
    assert copy.url in opening.html_body
    assert EmulatedBlob.objects.get(account=target, file_name="shot.png").size == len(content)


def test_a_closed_ticket_is_left_as_it_is_with_a_clear_error(target):
    with connect(target) as connector:
        contact_id, agent_id = people_on(connector)
        ticket = a_ticket(requester=contact_id, agent=agent_id, status="closed")
        ticket_id = connector.create(Entity.TICKETS, ticket, marker="hdm-00000000-tkt-t1")
        before = stored(target, "tickets", ticket_id).data
        changed = ticket.model_copy(update={"subject": "Changed"})
        with pytest.raises(InvalidRecordError, match="closed tickets") as refused:
            connector.update(Entity.TICKETS, ticket_id, changed)
    assert refused.value.status == 422
    assert stored(target, "tickets", ticket_id).data == before


def test_an_update_adds_the_comments_written_since_the_import(target):
    with connect(target) as connector:
        contact_id, agent_id = people_on(connector)
        ticket = a_ticket(requester=contact_id, agent=agent_id)
        ticket_id = connector.create(Entity.TICKETS, ticket, marker="hdm-00000000-tkt-t1")
        later = Comment(
            source_id="m3",
            author_id=contact_id,
            public=True,
            html_body="<p>Still burning.</p>",
            created_at=NOW + timedelta(days=1),
        )
        connector.update(
            Entity.TICKETS,
            ticket_id,
            ticket.model_copy(
                update={"comments": [*ticket.comments, later], "tags": ["printer", "fire"]}
            ),
        )
        connector.update(
            Entity.TICKETS,
            ticket_id,
            ticket.model_copy(update={"comments": [*ticket.comments, later]}),
        )
        [read] = connector.read_page(Entity.TICKETS, ids=[ticket_id]).records
    assert [c.text_body for c in read.comments][-1] == "Still burning."
    assert len(read.comments) == 3
    # The marker tag survives updates that rewrite the tags.
    assert "hdm-00000000-tkt-t1" in read.tags


def test_comments_are_told_apart_by_their_text_not_by_the_target_s_dates(target):
    """Comments an update adds are dated by Zendesk when they arrive: a source comment
    written before that moment (during the previous delta, or on a source whose clock is
    behind) must still come, and a comment said twice must come twice."""
    with connect(target) as connector:
        contact_id, agent_id = people_on(connector)
        ticket = a_ticket(requester=contact_id, agent=agent_id)
        ticket_id = connector.create(Entity.TICKETS, ticket, marker="hdm-00000000-tkt-t1")

        def said(number: int, text: str) -> Comment:
            return Comment(
                source_id=f"m{number}",
                author_id=contact_id,
                public=True,
                html_body=f"<p>{text}</p>",
                created_at=NOW + timedelta(days=1, minutes=number),
            )

        first_delta = [*ticket.comments, said(3, "Thanks!")]
        connector.update(
            Entity.TICKETS, ticket_id, ticket.model_copy(update={"comments": first_delta})
        )
        second_delta = [*first_delta, said(4, "Still burning."), said(5, "Thanks!")]
        for _again in range(2):
            connector.update(
                Entity.TICKETS, ticket_id, ticket.model_copy(update={"comments": second_delta})
            )
        [read] = connector.read_page(Entity.TICKETS, ids=[ticket_id]).records
    texts = [comment.text_body for comment in read.comments]
    assert texts[len(ticket.comments) :] == ["Thanks!", "Still burning.", "Thanks!"], texts


def test_a_contact_whose_address_exists_is_matched_and_never_deleted_by_the_migration(target):
    with connect(target) as connector:
        existing = Contact(
            source_id="x", updated_at=NOW, name="Admin", email="admin@target.example"
        )
        found = connector.create(Entity.CONTACTS, existing, marker="hdm-00000000-ctc-x")
        owner = EmulatedRecord.objects.get(
            account=target, collection="users", data__email="admin@target.example"
        )
        assert found == str(owner.number)
        connector.delete(Entity.CONTACTS, found)
    assert EmulatedRecord.objects.filter(pk=owner.pk, collection="users").exists()


def test_a_refused_record_says_why_in_zendesks_words(target):
    organization = Organization(source_id="o1", updated_at=NOW, name="Globex")
    with connect(target) as connector:
        connector.create(Entity.ORGANIZATIONS, organization, marker="hdm-00000000-org-o1")
        with pytest.raises(InvalidRecordError) as refused:
            connector.create(Entity.ORGANIZATIONS, organization, marker="hdm-00000000-org-o2")
    assert refused.value.user_message == "Zendesk refused the record: Name: has already been taken"
    assert refused.value.status == 422
    assert '"DuplicateValue"' in refused.value.detail


def test_an_agent_whose_address_is_an_end_user_becomes_an_agent(target):
    with connect(target) as connector:
        contact = Contact(source_id="c", updated_at=NOW, name="Wes", email="wes@acme.example")
        contact_id = connector.create(Entity.CONTACTS, contact, marker="hdm-00000000-ctc-c")
        agent = Agent(source_id="a", updated_at=NOW, name="Wes Agent", email="wes@acme.example")
        agent_id = connector.create(Entity.AGENTS, agent, marker="hdm-00000000-agt-a")
    assert agent_id == contact_id
    assert stored(target, "users", agent_id).data["role"] == "agent"


#: An inline image of the articles written below.
DIAGRAM = Attachment(
    source_id="i1",
    file_name="diagram.png",
    content_type="image/png",
    url="https://source.example/hc/article_attachments/1/diagram.png",
    inline=True,
)


def printers_section(connector: ZendeskConnector) -> tuple[str, str]:
    """A category "Guides" with a section "Printers": their ids on the target."""
    category = ArticleCategory(source_id="k", updated_at=NOW, name="Guides")
    category_id = connector.create(Entity.ARTICLE_CATEGORIES, category, marker="m")
    section = ArticleSection(
        source_id="s", updated_at=NOW, name="Printers", category_id=category_id
    )
    section_id = connector.create(Entity.ARTICLE_SECTIONS, section, marker="m")
    assert connector.find_by_marker(Entity.ARTICLE_SECTIONS, "m", record=section) == section_id
    return category_id, section_id


def test_articles_are_written_with_translations_and_their_inline_images(target):
    image = DIAGRAM
    with connect(target) as connector:
        category_id, section_id = printers_section(connector)
        article = Article(
            source_id="a",
            updated_at=NOW,
            title="Putting out a printer fire",
            html_body=f'<p>Like this:</p><img src="{image.url}">',
            status="published",
            section_id=section_id,
            tags=["printers"],
            translations=[ArticleTranslation(locale="fr", title="Éteindre une imprimante")],
            attachments=[image],
        )
        marker = "hdm-00000000-art-a"
        article_id = connector.create(
            Entity.ARTICLES, article, marker=marker, attachments=opener_of(b"png bytes")
        )
        assert connector.find_by_marker(Entity.ARTICLES, marker) == article_id
        [read] = connector.read_page(Entity.ARTICLES, ids=[article_id]).records
        archived = article.model_copy(update={"source_id": "b", "status": "archived"})
        archived_marker = "hdm-00000000-art-b"
        connector.create(Entity.ARTICLES, archived, marker=archived_marker)
        assert connector.find_by_marker(Entity.ARTICLES, archived_marker) is None
    assert read.category_id == category_id
    assert set(read.tags) == {"printers", marker}
    assert [(t.locale, t.title) for t in read.translations] == [("fr", "Éteindre une imprimante")]
    [copy] = read.attachments
    assert copy.url in read.html_body and "source.example" not in read.html_body


def test_an_article_cut_short_after_it_was_made_is_completed_with_each_file_once(
    target, monkeypatch
):
    """The article exists, its translation and its file do not: ``complete`` writes them,
    and a second ``complete`` (a lost answer) writes nothing twice."""
    image = DIAGRAM
    with connect(target) as connector:
        _category_id, section_id = printers_section(connector)
        article = Article(
            source_id="a",
            updated_at=NOW,
            title="Putting out a printer fire",
            html_body=f'<p>Like this:</p><img src="{image.url}">',
            status="published",
            section_id=section_id,
            translations=[ArticleTranslation(locale="fr", title="Éteindre une imprimante")],
            attachments=[image],
        )
        made: list[str] = []

        def cut_short(*_args, **_kwargs):
            raise TransientError("the connection dropped", ambiguous=True)

        # The article is made; the next call (its translation) never arrives.
        with monkeypatch.context() as patched:
            original_post = connector.api.post

            def post_once(path, **kwargs):
                if made:
                    cut_short()
                return original_post(path, **kwargs)

            patched.setattr(connector.api, "post", post_once)
            with pytest.raises(TransientError):
                connector.create(
                    Entity.ARTICLES,
                    article,
                    marker="hdm-00000000-art-a",
                    attachments=opener_of(b"png bytes"),
                    on_created=made.append,
                )
        [article_id] = made
        for _again in range(2):
            connector.complete(
                Entity.ARTICLES, article_id, article, attachments=opener_of(b"png bytes")
            )
        [read] = connector.read_page(Entity.ARTICLES, ids=[article_id]).records
    files = EmulatedRecord.objects.filter(
        account=target, collection="hc_article_attachments", parent_number=int(article_id)
    )
    assert files.count() == 1
    assert [(t.locale, t.title) for t in read.translations] == [("fr", "Éteindre une imprimante")]
    [copy] = read.attachments
    assert copy.url in read.html_body and "source.example" not in read.html_body


# --- sandbox seeding ------------------------------------------------------------------------


def snapshot(account: EmulatedAccount) -> list[tuple[Any, ...]]:
    rows = EmulatedRecord.objects.filter(account=account).order_by("collection", "number")
    blobs = EmulatedBlob.objects.filter(account=account).order_by("token")
    return [
        *(
            (r.collection, r.number, r.parent_number, r.data, r.created_at, r.updated_at)
            for r in rows
        ),
        *((b.token, b.file_name, b.size, b.sha256) for b in blobs),
    ]


def test_seeding_is_deterministic(sandbox, account):
    with time_machine.travel(datetime(2026, 5, 4, 10, 15, tzinfo=UTC), tick=False):
        sandbox.seed(account=account, plan=SMALL_PLAN)
        first = snapshot(account)
        sandbox.seed(account=account, plan=SMALL_PLAN)
        second = snapshot(account)
    assert first == second
    assert len(first) > 100


def test_ids_handed_out_after_seeding_follow_the_seeded_ones(seeded):
    highest = max(
        EmulatedRecord.objects.filter(account=seeded, collection="organizations").values_list(
            "number", flat=True
        )
    )
    organization = Organization(source_id="new", updated_at=NOW, name="Brand New Org")
    with connect(seeded) as connector:
        created = connector.create(Entity.ORGANIZATIONS, organization, marker="hdm-00000000-org-n")
    assert int(created) == highest + 1


def test_the_sandbox_plan_seeds_fast_and_whole(sandbox, account):
    plan = SANDBOX_SOURCE_PLAN
    started = time.monotonic()
    sandbox.seed(account=account, plan=plan)
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"seeding took {elapsed:.1f}s"

    def rows(collection: str, **filters: Any) -> Any:
        return EmulatedRecord.objects.filter(account=account, collection=collection, **filters)

    staff = [r.data for r in rows("users") if r.data["role"] != "end-user"]
    # The account owner besides the plan's agents, the deleted ones kept apart.
    assert len(staff) == plan.agents + 1 - plan.deleted_agents
    assert sum(user["suspended"] for user in staff) == plan.inactive_agents
    assert rows("deleted_users").count() == plan.deleted_agents
    assert all(not r.data["active"] for r in rows("deleted_users"))
    assert rows("users", data__role="end-user").count() == plan.contacts
    assert rows("organizations").count() == plan.organizations
    assert rows("groups").count() == plan.groups + 1  # and "Support"
    assert rows("tickets").count() == plan.tickets
    tickets = [r.data for r in rows("tickets")]
    assert {t["status"] for t in tickets} == {"new", "open", "pending", "hold", "solved", "closed"}
    assert {t["priority"] for t in tickets} >= {"low", "normal", "high", "urgent"}
    assert any(t["tags"] for t in tickets)
    assert all(any(f["value"] is not None for f in t["custom_fields"]) for t in tickets[:50])
    counts = {}
    for parent in rows("ticket_comments").values_list("parent_number", flat=True):
        counts[parent] = counts.get(parent, 0) + 1
    low, high = plan.comments_per_ticket
    assert (
        len(counts) == plan.tickets and low <= min(counts.values()) and max(counts.values()) <= high
    )
    assert rows("ticket_comments", data__public=False).exists()
    assert [
        b.size
        for b in EmulatedBlob.objects.filter(account=account, size=plan.large_attachment_bytes)
    ] == [plan.large_attachment_bytes]
    inline = rows("attachments", data__inline=True).count()
    assert 0 < inline < plan.tickets * plan.inline_image_ratio * 3
    bodies = rows("ticket_comments").values_list("data__html_body", flat=True)
    assert sum(body.count('src="/attachments/token/') for body in bodies) == inline
    with_files = rows("attachments", data__inline=False).count()
    assert (
        plan.tickets * plan.attachment_ratio * 0.6
        < with_files
        < plan.tickets * plan.attachment_ratio * 1.4
    )
    assert rows("hc_categories").count() == plan.article_categories
    assert rows("hc_sections").count() == plan.article_sections
    articles = [r.data for r in rows("hc_articles")]
    assert len(articles) == plan.articles
    assert {a["draft"] for a in articles} == {True, False}
    assert rows("hc_translations").count() > plan.articles
    assert rows("ticket_fields", data__removable=True).count() == 8

    with connect(account) as connector:
        assert connector.count(Entity.TICKETS) == plan.tickets
        assert connector.count(Entity.AGENTS) == plan.agents + 1
        assert connector.count(Entity.CONTACTS) == plan.contacts
        assert connector.count(Entity.ARTICLES) == plan.articles
        page = connector.read_page(Entity.TICKETS, page_size=20)
        assert len(page.records) == 20 and page.has_more
