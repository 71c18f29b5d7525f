"""The Halo connector's particulars against the emulator over loopback HTTP; what every
connector does is in tests/connectors/test_conformance.py."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import source_marker
from connectors.errors import InvalidRecordError
from connectors.halo.client import forget_tokens
from connectors.halo.connector import HaloConnector
from connectors.halo.sandbox import HaloSandbox
from connectors.http import HttpClient, LocalRateBudget
from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import (
    Agent,
    Article,
    Attachment,
    AuthorKind,
    Comment,
    Entity,
    Group,
    StatusCategory,
    Ticket,
)

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = SeedPlan(
    agents=4,
    inactive_agents=1,
    deleted_agents=1,
    contacts=5,
    organizations=2,
    groups=2,
    tickets=4,
    comments_per_ticket=(2, 3),
    attachment_ratio=1.0,
    article_categories=1,
    article_sections=2,
    articles=3,
    seed=9,
)
ORIGINAL = datetime(2023, 6, 1, 8, 15, tzinfo=UTC)
CONTENT = b"halo attachment " * 64


@pytest.fixture(autouse=True)
def fresh_tokens(settings, tmp_path) -> Iterator[None]:
    settings.DATA_DIR = tmp_path
    settings.ALLOWED_HOSTS = ["*"]
    forget_tokens()
    yield
    forget_tokens()


@pytest.fixture
def sandbox() -> HaloSandbox:
    platform = sandbox_platform("halo")
    assert isinstance(platform, HaloSandbox)
    return platform


@pytest.fixture
def account(sandbox):
    account = sandbox.account_create(slug="halo-connector", name="Halo", rate_limit_per_minute=0)
    sandbox.seed(account=account, plan=PLAN)
    return account


@pytest.fixture
def connector(sandbox, account, live_server) -> Iterator[HaloConnector]:
    def factory(**options: Any) -> HttpClient:
        options.setdefault("max_retries", 2)
        options.setdefault("backoff_base", 0.01)
        options["budget"] = LocalRateBudget(limit=None, learned_seconds=0)
        return HttpClient(allow_private_networks=True, **options)

    values = sandbox.credentials(account=account, site_url=live_server.url)
    credentials = HaloConnector.parse_credentials(values)
    with HaloConnector(credentials=credentials, http_client_factory=factory) as halo:
        yield halo


@contextmanager
def opener(attachment: Attachment) -> Iterator[Iterator[bytes]]:
    yield iter([CONTENT[:100], CONTENT[100:]])


def test_a_revoked_token_is_replaced_on_the_next_call(connector, account):
    assert connector.check_credentials().user_email == "api@acme.example"
    # Revoke every token issued so far; the next call gets a 401 and fetches a new one.
    account.options = {"tokens_valid_after": int(time.time()) + 1}
    account.save()
    while time.time() < account.options["tokens_valid_after"]:
        time.sleep(0.05)
    assert connector.describe_fields().statuses
    assert connector.http_statistics().calls["token"] == 2


def test_statuses_and_custom_fields_come_from_the_instance(connector):
    fields = connector.describe_fields()
    assert {option.name for option in fields.statuses} >= {"New", "On Hold", "Closed"}
    assert {field.title for field in fields.custom_fields} >= {"Order number", "Product"}
    assert [p.name for p in sorted(fields.priorities, key=lambda p: p.rank)][-1] == "Critical"


def test_tickets_read_with_their_actions_attachments_and_fields(connector):
    page = connector.read_page(Entity.TICKETS, page_size=10)
    assert len(page.records) == PLAN.tickets and not page.has_more
    ticket = page.records[0]
    assert isinstance(ticket, Ticket)
    assert len(ticket.comments) >= 2
    assert ticket.custom_fields["100"].startswith("ORD-")
    attachments = [a for t in page.records for a in t.attachments]
    with connector.download_attachment(attachments[0]) as chunks:
        assert len(b"".join(chunks)) == attachments[0].size


def test_missing_agents_and_teams_are_created_and_then_found(connector, account):
    now = datetime.now(UTC)
    team = Group(source_id="g1", updated_at=now, name="Night shift")
    marker = source_marker(migration_id=3, entity=Entity.GROUPS, source_id="g1")
    assert connector.find_by_marker(Entity.GROUPS, marker, record=team) is None
    team_id = connector.create(Entity.GROUPS, team, marker=marker)
    assert connector.find_by_marker(Entity.GROUPS, marker, record=team) == team_id
    agent = Agent(
        source_id="a1", updated_at=now, name="Nina Night", email="nina@acme.example",
        group_ids=[team_id],
    )  # fmt: skip
    agent_marker = source_marker(migration_id=3, entity=Entity.AGENTS, source_id="a1")
    agent_id = connector.create(Entity.AGENTS, agent, marker=agent_marker)
    assert connector.find_by_marker(Entity.AGENTS, agent_marker, record=agent) == agent_id
    stored = EmulatedRecord.objects.get(account=account, collection="agents", number=agent_id)
    assert stored.data["teams"][0]["team_id"] == int(team_id)


def test_a_ticket_is_written_with_notes_dates_and_attachments(connector, account):
    user = connector.read_page(Entity.CONTACTS, page_size=1).records[0]
    agent = next(a for a in connector.read_page(Entity.AGENTS, page_size=10).records if a.active)
    opening = Comment(
        source_id="c1",
        author_kind=AuthorKind.CONTACT,
        author_id=user.source_id,
        public=True,
        html_body="<p>Help</p>",
        created_at=ORIGINAL,
        attachments=[Attachment(source_id="f1", file_name="a.txt", url="x://a", size=10)],
    )
    private = Comment(
        source_id="c2",
        author_kind=AuthorKind.AGENT,
        author_id=agent.source_id,
        author_name=agent.name,
        public=False,
        html_body="<p>Checking</p>",
        created_at=ORIGINAL.replace(hour=9),
        attachments=[Attachment(source_id="f2", file_name="b.txt", url="x://b", size=10)],
    )
    ticket = Ticket(
        source_id="t1",
        subject="Migrated",
        status_category=StatusCategory.HOLD,
        requester_id=user.source_id,
        created_at=ORIGINAL,
        updated_at=ORIGINAL,
        custom_fields={"101": "Phone", "999": "gone"},
        comments=[opening, private],
    )
    marker = source_marker(migration_id=3, entity=Entity.TICKETS, source_id="t1")
    ticket_id = connector.create(Entity.TICKETS, ticket, marker=marker, attachments=opener)
    assert connector.find_by_marker(Entity.TICKETS, marker, record=ticket) == ticket_id
    stored = EmulatedRecord.objects.get(account=account, collection="tickets", number=ticket_id)
    assert stored.data["dateoccurred"] == "2023-06-01T08:15:00Z"
    assert stored.data["status_id"] == 5  # On Hold
    assert stored.data["customfields"] == [{"id": 101, "name": "CFProduct", "value": "Phone"}]
    actions = EmulatedRecord.objects.filter(
        account=account, collection="actions", parent_number=int(ticket_id)
    )
    assert [(a.data["hiddenfromuser"], a.data["who_agentid"]) for a in actions] == [
        (True, int(agent.source_id))
    ]
    files = EmulatedRecord.objects.filter(
        account=account, collection="attachments", parent_number=int(ticket_id)
    )
    assert sorted(f.data["action_id"] for f in files) == [0, actions[0].number]
    # An update adds nothing already there.
    connector.update(Entity.TICKETS, ticket_id, ticket, attachments=opener)
    assert actions.count() == 1
    assert files.count() == 2
    # A write cut short after the notes, before their files: completing it uploads the
    # files the ticket lacks, each once, however often it is asked.
    files.delete()
    for _again in range(2):
        connector.complete(Entity.TICKETS, ticket_id, ticket, attachments=opener)
    assert actions.count() == 1
    assert sorted((f.data["action_id"], f.data["filename"]) for f in files) == [
        (0, "a.txt"),
        (actions[0].number, "b.txt"),
    ]


def a_ticket_with_one_file(connector, *, subject: str, file_name: str) -> Ticket:
    """A ticket of the first contact whose only comment carries one file."""
    user = connector.read_page(Entity.CONTACTS, page_size=1).records[0]
    return Ticket(
        source_id=f"t-{file_name}",
        subject=subject,
        requester_id=user.source_id,
        created_at=ORIGINAL,
        updated_at=ORIGINAL,
        comments=[
            Comment(
                source_id="c",
                public=True,
                text_body=subject,
                created_at=ORIGINAL,
                attachments=[
                    Attachment(source_id="f", file_name=file_name, url=f"x://{file_name}")
                ],
            )
        ],
    )


def test_a_file_of_several_megabytes_arrives_whole(connector, account):
    """Halo takes files in base64 inside JSON: a 3 MB file is a 4 MB body, above what the
    site itself accepts from a form, and Halo takes it all the same."""
    content = bytes(range(256)) * (3 * 1024 * 4)
    ticket = a_ticket_with_one_file(connector, subject="Logs attached", file_name="logs.bin")

    @contextmanager
    def logs(_attachment: Attachment) -> Iterator[Iterator[bytes]]:
        yield iter([content])

    ticket_id = connector.create(Entity.TICKETS, ticket, marker="hdm-logs", attachments=logs)
    [stored] = EmulatedRecord.objects.filter(
        account=account, collection="attachments", parent_number=int(ticket_id)
    )
    [read] = connector.read_page(Entity.TICKETS, ids=[ticket_id]).records[0].attachments
    with connector.download_attachment(read) as chunks:
        assert hashlib.sha256(b"".join(chunks)).hexdigest() == hashlib.sha256(content).hexdigest()
    assert stored.data["filename"] == "logs.bin"


def test_an_attachment_halo_refuses_fails_the_ticket_in_plain_words(connector, account):
    account.options = {"max_attachment_bytes": 100}
    account.save()
    ticket = a_ticket_with_one_file(connector, subject="Big", file_name="big.bin")
    with pytest.raises(InvalidRecordError) as refused:
        connector.create(Entity.TICKETS, ticket, marker="hdm-x", attachments=opener)
    assert "Halo refused the attachment" in refused.value.user_message


def test_article_statuses_are_written_and_read_back(connector):
    section = connector.read_page(Entity.ARTICLE_SECTIONS, page_size=10).records[0]
    for status in ("draft", "published", "archived"):
        article = Article(
            source_id=f"art-{status}",
            updated_at=ORIGINAL,
            title=f"How to {status}",
            status=status,
            section_id=section.source_id,
        )
        marker = source_marker(migration_id=3, entity=Entity.ARTICLES, source_id=article.source_id)
        target_id = connector.create(Entity.ARTICLES, article, marker=marker)
        assert connector.find_by_marker(Entity.ARTICLES, marker, record=article) == target_id
        read = connector.read_page(Entity.ARTICLES, ids=[target_id]).records[0]
        assert isinstance(read, Article) and read.status == status
