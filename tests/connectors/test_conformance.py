"""The conformance suite: every registered connector against its platform's emulator.

Each connector with a sandbox (``connectors/<platform>/sandbox.py``) runs every test twice:
in-process (httpx's WSGI transport into the emulator) and over real loopback HTTP to a
live server. Reads cross at least three pages, every writable entity is written and found
again by its marker, 429s are waited out, 5xx answers are retried, bad credentials and
unreachable hosts give a clear error.
"""

from __future__ import annotations

import hashlib
import importlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler

from connectors.base import ConnectorBase, Source, Target, source_marker
from connectors.errors import AuthenticationError, UnreachableError
from connectors.http import HttpClient, LocalRateBudget
from connectors.models import EmulatedAccount, EmulatedBlob
from connectors.registry import registry
from connectors.sandbox import SandboxPlatform, SeedPlan, sandbox_platforms
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    ArticleStatusCategory,
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    Entity,
    FieldSchema,
    Group,
    Organization,
    Record,
    StatusCategory,
    Ticket,
)

REGISTERED = set(registry.keys())
PLATFORMS = sorted(key for key in sandbox_platforms() if key in REGISTERED)
PAGE_SIZE = 2
#: Enough of everything for at least three pages of PAGE_SIZE.
READ_PLAN = SeedPlan(
    agents=7,
    inactive_agents=1,
    deleted_agents=1,
    contacts=7,
    organizations=7,
    groups=7,
    tickets=7,
    comments_per_ticket=(1, 4),
    attachment_ratio=0.5,
    article_categories=7,
    article_sections=7,
    articles=7,
    seed=7,
)
ATTACHMENT_BYTES = b"conformance attachment \x00\x01\x02" * 100

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Harness:
    """One connector pointed at one emulated account, over one kind of transport."""

    platform: SandboxPlatform
    account: EmulatedAccount
    site_url: str
    in_process: bool
    #: The connectors' rate budgets, per test: the limit holds within a test, and what
    #: one test spent does not hold the next one back (all use the same account URL).
    budgets: dict[tuple[Any, ...], LocalRateBudget] = field(default_factory=dict)

    def connector(self, **credential_overrides: Any) -> ConnectorBase:
        connector_class = registry.get(self.platform.key)
        values = self.platform.credentials(account=self.account, site_url=self.site_url)
        values.update(credential_overrides)
        credentials = connector_class.parse_credentials(values)
        return connector_class(credentials=credentials, http_client_factory=self.http_client)

    def http_client(self, **options: Any) -> HttpClient:
        options.setdefault("max_retries", 6)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("backoff_cap", 0.05)
        limit, period = options.get("rate_limit"), options.get("rate_period", 60.0)
        key = (options.get("platform"), options.get("account"), limit, period)
        if key not in self.budgets:
            # What the emulators announce is not kept (learned_seconds=0): the limits
            # these tests set are met with 429s, which are what they check.
            self.budgets[key] = LocalRateBudget(limit=limit, period=period, learned_seconds=0)
        options.setdefault("budget", self.budgets[key])
        if self.in_process:
            options["transport"] = httpx.WSGITransport(app=WSGIHandler())
        return HttpClient(allow_private_networks=True, **options)


@pytest.fixture(params=PLATFORMS or [pytest.param(None, marks=pytest.mark.skip("no sandbox"))])
def platform(request) -> SandboxPlatform:
    return sandbox_platforms()[request.param]


@pytest.fixture(params=["in-process", "loopback"])
def harness(request, platform, settings) -> Iterator[Harness]:
    in_process = request.param == "in-process"
    site_url = "http://testserver" if in_process else request.getfixturevalue("live_server").url
    settings.ALLOWED_HOSTS = ["*"]
    account = platform.account_create(
        slug="conformance", name="Conformance", rate_limit_per_minute=0
    )
    yield Harness(platform=platform, account=account, site_url=site_url, in_process=in_process)


def read_all(source: Source, entity: Entity, **kwargs: Any) -> tuple[list[Record], int]:
    records: list[Record] = []
    cursor = None
    pages = 0
    while True:
        page = source.read_page(entity, cursor=cursor, page_size=PAGE_SIZE, **kwargs)
        records.extend(page.records)
        pages += 1
        if not page.has_more:
            return records, pages
        assert page.next_cursor, "a page with more after it must give a cursor"
        cursor = page.next_cursor
        assert pages < 500, "pagination does not end"


# --- credentials --------------------------------------------------------------------------


def test_credentials_are_checked_and_name_the_account(harness):
    with harness.connector() as connector:
        info = connector.check_credentials()
    assert info.account_name


def test_wrong_credentials_are_refused_in_plain_words(harness):
    connector_class = registry.get(harness.platform.key)
    secret_fields = connector_class.credentials_model.secret_field_names()
    assert secret_fields, "a connector's credentials must mark their secrets"
    wrong = dict.fromkeys(secret_fields, "definitely-wrong-secret")
    with harness.connector(**wrong) as connector, pytest.raises(AuthenticationError) as refused:
        connector.check_credentials()
    message = refused.value.user_message
    assert message and "definitely-wrong-secret" not in message
    assert "definitely-wrong-secret" not in refused.value.detail


def test_unreachable_address_says_so(harness):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    unreachable = Harness(
        platform=harness.platform,
        account=harness.account,
        site_url=f"http://127.0.0.1:{closed_port}",
        in_process=False,
    )
    with unreachable.connector() as connector, pytest.raises(UnreachableError) as failure:
        connector.check_credentials()
    assert failure.value.user_message


# --- reading ------------------------------------------------------------------------------


@pytest.fixture
def seeded(harness) -> Harness:
    harness.platform.seed(account=harness.account, plan=READ_PLAN)
    return harness


def readable_entities(connector: ConnectorBase) -> list[Entity]:
    assert isinstance(connector, Source)
    return Entity.in_dependency_order(connector.capabilities.reads)


def test_every_entity_reads_across_pages_and_counts_match(seeded):
    with seeded.connector() as connector:
        if not isinstance(connector, Source):
            pytest.skip("not a source")
        for entity in readable_entities(connector):
            records, pages = read_all(connector, entity)
            assert pages >= 3, f"{entity}: {len(records)} records in {pages} pages"
            ids = [record.source_id for record in records]
            assert len(ids) == len(set(ids)), f"{entity}: a record was read twice"
            assert connector.count(entity) == len(records), entity


def test_a_cursor_resumes_in_a_new_connector(seeded):
    with seeded.connector() as first:
        if not isinstance(first, Source):
            pytest.skip("not a source")
        page_one = first.read_page(Entity.TICKETS, page_size=PAGE_SIZE)
        page_two = first.read_page(Entity.TICKETS, cursor=page_one.next_cursor, page_size=PAGE_SIZE)
    with seeded.connector() as second:
        again = second.read_page(Entity.TICKETS, cursor=page_one.next_cursor, page_size=PAGE_SIZE)
    assert [t.source_id for t in again.records] == [t.source_id for t in page_two.records]
    assert not {t.source_id for t in page_one.records} & {t.source_id for t in page_two.records}


def test_tickets_come_with_comments_and_attachments_download_whole(seeded):
    with seeded.connector() as connector:
        if not isinstance(connector, Source):
            pytest.skip("not a source")
        tickets, _pages = read_all(connector, Entity.TICKETS)
        assert all(ticket.comments for ticket in tickets)
        attachments = [a for t in tickets for c in t.comments for a in c.file_attachments]
        assert attachments, "the seeded tickets carry attachments"
        for attachment in attachments[:3]:
            with connector.download_attachment(attachment) as chunks:
                content = b"".join(chunks)
            if attachment.size is not None:
                assert len(content) == attachment.size
            stored = EmulatedBlob.objects.filter(account=seeded.account, size=len(content))
            assert hashlib.sha256(content).hexdigest() in {blob.sha256 for blob in stored}


def test_ids_and_updated_since_select_records(seeded):
    with seeded.connector() as connector:
        if not isinstance(connector, Source):
            pytest.skip("not a source")
        tickets, _pages = read_all(connector, Entity.TICKETS)
        chosen = [tickets[0].source_id, tickets[-1].source_id]
        picked = connector.read_page(Entity.TICKETS, ids=chosen, page_size=PAGE_SIZE)
        picked_ids = {t.source_id for t in picked.records}
        if picked.has_more:
            rest = connector.read_page(
                Entity.TICKETS, ids=chosen, cursor=picked.next_cursor, page_size=PAGE_SIZE
            )
            picked_ids |= {t.source_id for t in rest.records}
        assert picked_ids == set(chosen)

        future = datetime.now(UTC) + timedelta(days=1)
        assert connector.count(Entity.TICKETS, updated_since=future) == 0
        later, _pages = read_all(connector, Entity.TICKETS, updated_since=future)
        assert later == []


# --- writing ------------------------------------------------------------------------------


def pick_status(fields: FieldSchema, category: StatusCategory) -> str | None:
    for option in fields.statuses:
        if option.category == category and option.active:
            return option.key
    return fields.statuses[0].key if fields.statuses else None


def sample_record(
    entity: Entity, *, ids: dict[Entity, str], fields: FieldSchema, suffix: str
) -> Record:
    """A record as the engine hands it to a target: references already target ids."""
    now = datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    match entity:
        case Entity.ORGANIZATIONS:
            return Organization(
                source_id=f"org-{suffix}", updated_at=now, name=f"Conformance Org {suffix}"
            )
        case Entity.GROUPS:
            return Group(
                source_id=f"grp-{suffix}", updated_at=now, name=f"Conformance Group {suffix}"
            )
        case Entity.AGENTS:
            return Agent(
                source_id=f"agt-{suffix}",
                updated_at=now,
                name=f"Conformance Agent {suffix}",
                email=f"agent-{suffix}@conformance.example",
            )
        case Entity.CONTACTS:
            return Contact(
                source_id=f"ctc-{suffix}",
                updated_at=now,
                name=f"Conformance Contact {suffix}",
                email=f"contact-{suffix}@conformance.example",
                organization_id=ids.get(Entity.ORGANIZATIONS),
            )
        case Entity.TICKETS:
            opening = Comment(
                source_id=f"c1-{suffix}",
                author_id=ids.get(Entity.CONTACTS),
                author_kind=AuthorKind.CONTACT,
                author_email=f"contact-{suffix}@conformance.example",
                public=True,
                html_body="<p>My printer is on fire.</p>",
                created_at=now,
                attachments=[
                    Attachment(
                        source_id=f"a1-{suffix}",
                        file_name="fire.txt",
                        content_type="text/plain",
                        size=len(ATTACHMENT_BYTES),
                        url="conformance://fire.txt",
                    )
                ],
            )
            reply = Comment(
                source_id=f"c2-{suffix}",
                author_id=ids.get(Entity.AGENTS),
                author_kind=AuthorKind.AGENT,
                author_email=f"agent-{suffix}@conformance.example",
                public=False,
                html_body="<p>Internal: extinguisher on its way.</p>",
                created_at=now + timedelta(hours=1),
            )
            return Ticket(
                source_id=f"tkt-{suffix}",
                subject=f"Conformance ticket {suffix}",
                description="My printer is on fire.",
                status=pick_status(fields, StatusCategory.OPEN),
                status_category=StatusCategory.OPEN,
                priority=fields.priorities[0].key if fields.priorities else None,
                requester_id=ids.get(Entity.CONTACTS),
                requester_email=f"contact-{suffix}@conformance.example",
                assignee_id=ids.get(Entity.AGENTS),
                group_id=ids.get(Entity.GROUPS),
                organization_id=ids.get(Entity.ORGANIZATIONS),
                tags=["conformance"],
                created_at=now,
                updated_at=now + timedelta(hours=1),
                comments=[opening, reply],
            )
        case Entity.ARTICLE_CATEGORIES:
            return ArticleCategory(
                source_id=f"cat-{suffix}", updated_at=now, name=f"Conformance Category {suffix}"
            )
        case Entity.ARTICLE_SECTIONS:
            return ArticleSection(
                source_id=f"sec-{suffix}",
                updated_at=now,
                name=f"Conformance Section {suffix}",
                category_id=ids[Entity.ARTICLE_CATEGORIES],
            )
        case Entity.ARTICLES:
            published = [
                option.key
                for option in fields.article_statuses
                if option.category == ArticleStatusCategory.PUBLISHED
            ]
            return Article(
                source_id=f"art-{suffix}",
                updated_at=now,
                title=f"Conformance article {suffix}",
                html_body="<p>How to put out a printer fire.</p>",
                status=published[0] if published else fields.article_statuses[0].key,
                category_id=ids.get(Entity.ARTICLE_CATEGORIES),
                section_id=ids[Entity.ARTICLE_SECTIONS],
                author_id=ids.get(Entity.AGENTS),
            )
    raise AssertionError(f"no sample for {entity}")


@contextmanager
def open_sample_attachment(attachment: Attachment) -> Iterator[Iterator[bytes]]:
    yield iter([ATTACHMENT_BYTES[:1000], ATTACHMENT_BYTES[1000:]])


def listed_agent_email(connector: ConnectorBase) -> str | None:
    """The address of an agent the target lists, for targets whose credentials do not say
    whose they are."""
    if not isinstance(connector, Source) or Entity.AGENTS not in connector.capabilities.reads:
        return None
    page = connector.read_page(Entity.AGENTS, page_size=PAGE_SIZE)
    return next((agent.email for agent in page.records if agent.email), None)


def test_every_entity_is_written_found_by_marker_and_updated(harness):
    with harness.connector() as connector:
        if not isinstance(connector, Target):
            pytest.skip("not a target")
        fields = connector.describe_fields()
        ids: dict[Entity, str] = {}
        for entity in Entity.in_dependency_order(connector.capabilities.writes):
            record = sample_record(entity, ids=ids, fields=fields, suffix="one")
            marker = source_marker(migration_id=42, entity=entity, source_id=record.source_id)
            if entity is Entity.AGENTS and not connector.capabilities.can_create_agents:
                # Agents are matched by e-mail, never created: the credentials' own (or,
                # when they do not say, one the target lists) stands in.
                me = connector.check_credentials().user_email or listed_agent_email(connector)
                found = connector.find_by_marker(
                    entity, marker, record=record.model_copy(update={"email": me})
                )
                assert found, entity
                ids[entity] = found
                continue
            assert connector.find_by_marker(entity, marker, record=record) is None, entity
            target_id = connector.create(
                entity, record, marker=marker, attachments=open_sample_attachment
            )
            assert target_id, entity
            ids[entity] = target_id
            assert connector.find_by_marker(entity, marker, record=record) == target_id, entity
            connector.update(entity, target_id, record, attachments=open_sample_attachment)
            if isinstance(connector, Source) and entity in connector.capabilities.reads:
                page = connector.read_page(entity, ids=[target_id], page_size=PAGE_SIZE)
                assert [r.source_id for r in page.records] == [target_id], entity
        assert set(ids) == set(connector.capabilities.writes)


# --- rate limits and server errors --------------------------------------------------------


def test_429_answers_are_waited_out(seeded):
    seeded.account.rate_limit_per_minute = 3
    seeded.account.options = {**seeded.account.options, "rate_window_seconds": 2}
    seeded.account.save()
    with seeded.connector() as connector:
        if not isinstance(connector, Source):
            connector.check_credentials()
            connector.check_credentials()
            connector.check_credentials()
            connector.check_credentials()
        else:
            read_all(connector, Entity.TICKETS)
        statistics = connector.http_statistics()
    declared = importlib.import_module(f"connectors.{seeded.platform.key}.client")
    # A platform that says when its window starts again (a reset header) has its requests
    # held back until then when nothing is left, so it may never answer 429.
    assert statistics.rate_limited >= 1 or declared.RATE_LIMIT_HEADERS.reset
    assert statistics.total_calls > 3


def test_server_errors_are_retried(seeded):
    seeded.account.fault_server_error_ratio = 0.2
    seeded.account.save()
    with seeded.connector() as connector:
        if isinstance(connector, Source):
            for entity in readable_entities(connector):
                read_all(connector, entity)
        else:
            for _ in range(10):
                connector.check_credentials()
        statistics = connector.http_statistics()
    assert statistics.retries >= 1


# --- internationalised e-mail addresses ----------------------------------------------------

ACCENTED_ADDRESSES = ("zoë@exämple.fr", "josé@example.com")


def test_an_accented_address_is_written_and_read_back_intact(harness):
    """A contact whose address has accents (local part, domain) is an e-mail address to
    every target, and the target's own API gives it back as it was written."""
    with harness.connector() as connector:
        if (
            not isinstance(connector, Target)
            or Entity.CONTACTS not in connector.capabilities.writes
        ):
            pytest.skip("does not write contacts")
        fields = connector.describe_fields()
        for number, address in enumerate(ACCENTED_ADDRESSES):
            record = sample_record(
                Entity.CONTACTS, ids={}, fields=fields, suffix=f"intl{number}"
            ).model_copy(update={"email": address})
            marker = source_marker(
                migration_id=43, entity=Entity.CONTACTS, source_id=record.source_id
            )
            target_id = connector.create(Entity.CONTACTS, record, marker=marker)
            assert target_id
            assert connector.find_by_marker(Entity.CONTACTS, marker, record=record) == target_id
            if isinstance(connector, Source) and Entity.CONTACTS in connector.capabilities.reads:
                page = connector.read_page(Entity.CONTACTS, ids=[target_id], page_size=PAGE_SIZE)
                [read] = page.records
                assert read.email == address
