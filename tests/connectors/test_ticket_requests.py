"""Requests a ticket costs, measured against each platform's emulator and compared with the
connector's declaration (``Capabilities.ticket_reads`` / ``ticket_writes``), so the
declarations the estimates and the floors table use cannot drift from the code.

As a source: one page of tickets is read, then every attachment downloaded. A page's own
requests are shared by the tickets on it, so the cost per ticket is measured on the
difference between a page of SMALL and a page of LARGE tickets, read by one connector
whose caches a first page filled (the declaration counts a
page's share in its ``ticket`` term: at most PAGE_SHARE_ALLOWANCE). As a target: tickets
of several shapes (comments, attachments) are created, each create counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler

from connectors.base import Source, Target, TicketRequests, source_marker
from connectors.bulk import BulkTarget
from connectors.http import HttpClient, LocalRateBudget
from connectors.registry import registry
from connectors.sandbox import SeedPlan, sandbox_platforms
from connectors.schema import Attachment, Comment, Entity, Record, Ticket
from tests.connectors.test_conformance import (
    listed_agent_email,
    open_sample_attachment,
    sample_record,
)

pytestmark = pytest.mark.django_db(transaction=True)

PLATFORMS = sorted(key for key in sandbox_platforms() if key in set(registry.keys()))
SMALL, LARGE = 2, 6
#: The most a page's own requests may add to a ticket's declared cost.
PAGE_SHARE_ALLOWANCE = 0.1
#: Ticket shapes written on the targets: (comments, description included; attachments).
WRITE_SHAPES = ((1, 0), (3, 0), (3, 1), (5, 2))
SEED = 20261207


@dataclass
class Account:
    platform: str
    connector_kwargs: dict[str, Any]

    def connector(self) -> Any:
        connector_class = registry.get(self.platform)
        return connector_class(**self.connector_kwargs)


def http_client(**options: Any) -> HttpClient:
    options["budget"] = LocalRateBudget(limit=None)
    options["transport"] = httpx.WSGITransport(app=WSGIHandler())
    options.setdefault("max_retries", 2)
    return HttpClient(allow_private_networks=True, **options)


def emulated(platform: str, *, slug: str, plan: SeedPlan | None = None) -> Account:
    sandbox = sandbox_platforms()[platform]
    account = sandbox.account_create(slug=slug, name=slug.title(), rate_limit_per_minute=0)
    if plan is not None:
        sandbox.seed(account=account, plan=plan)
    values = sandbox.credentials(account=account, site_url="http://testserver")
    credentials = registry.get(platform).parse_credentials(values)
    return Account(
        platform=platform,
        connector_kwargs={"credentials": credentials, "http_client_factory": http_client},
    )


@pytest.fixture(autouse=True)
def _any_host(settings) -> None:
    settings.ALLOWED_HOSTS = ["*"]


def shape(ticket: Record) -> tuple[int, int]:
    assert isinstance(ticket, Ticket)
    attachments = sum(len(comment.file_attachments) for comment in ticket.comments)
    return len(ticket.comments), attachments


def page_cost(source: Source, size: int) -> tuple[int, list[tuple[int, int]]]:
    """Requests to read the first ``size`` tickets and download their attachments."""
    before = source.http_statistics().total_calls
    page = source.read_page(Entity.TICKETS, page_size=size)
    for ticket in page.records:
        assert isinstance(ticket, Ticket)
        for comment in ticket.comments:
            for attachment in comment.file_attachments:
                with source.download_attachment(attachment) as chunks:
                    b"".join(chunks)
    assert len(page.records) == size
    return source.http_statistics().total_calls - before, [shape(t) for t in page.records]


def declared_cost(requests: TicketRequests, shapes: list[tuple[int, int]]) -> float:
    return sum(requests.count(comments=c, attachments=a) for c, a in shapes)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_reading_a_ticket_costs_what_the_source_declares(platform):
    capabilities = registry.get(platform).capabilities
    if Entity.TICKETS not in capabilities.reads:
        pytest.skip("reads no tickets")
    plan = SeedPlan(
        agents=2,
        contacts=3,
        groups=1,
        tickets=LARGE,
        comments_per_ticket=(2, 5),
        files_per_ticket=(0, 2),
        attachment_ratio=0.5,
        inline_image_ratio=0.0,
        seed=SEED,
    )
    print(f"seed {SEED}")
    account = emulated(platform, slug="reads", plan=plan)
    with account.connector() as reader:
        # A first page fills the connector's caches (token, statuses, tags): a batch pays
        # them once, not per ticket.
        page_cost(reader, 1)
        small_calls, small_shapes = page_cost(reader, SMALL)
        large_calls, large_shapes = page_cost(reader, LARGE)
    extra = large_shapes[SMALL:]
    measured = (large_calls - small_calls) / len(extra)
    print(f"{platform} reads: {small_calls} for {small_shapes}, {large_calls} for {large_shapes}")
    assert capabilities.ticket_reads is not None, f"{platform} declares no ticket_reads"
    assert capabilities.ticket_read_floor is not None, f"{platform} declares no read floor"
    declared = declared_cost(capabilities.ticket_reads, extra) / len(extra)
    print(f"{platform} reads: measured {measured:.2f}, declared {declared:.2f} per ticket")
    assert declared == pytest.approx(measured, rel=0.1, abs=PAGE_SHARE_ALLOWANCE), (
        f"{platform} reads {measured:.2f} requests a ticket, declares {declared:.2f}"
    )
    assert capabilities.ticket_read_floor.count(comments=5, attachments=1) <= (
        capabilities.ticket_reads.count(comments=5, attachments=1)
    )


def written_ticket(template: Record, *, comments: int, attachments: int, suffix: str) -> Ticket:
    """The conformance sample ticket grown to ``comments`` comments and ``attachments``
    files (one on each of the first comments)."""
    assert isinstance(template, Ticket)
    opening, reply = template.comments
    grown: list[Comment] = []
    for index in range(comments):
        base = opening if index == 0 else reply
        files = (
            [
                Attachment(
                    source_id=f"a{index}-{suffix}",
                    file_name=f"file-{index}.txt",
                    content_type="text/plain",
                    size=opening.attachments[0].size,
                    url=f"measure://file-{index}.txt",
                )
            ]
            if index < attachments
            else []
        )
        grown.append(
            base.model_copy(update={"source_id": f"c{index}-{suffix}", "attachments": files})
        )
    return template.model_copy(
        update={"source_id": f"tkt-{suffix}", "comments": grown, "subject": f"Measured {suffix}"}
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_writing_a_ticket_costs_what_the_target_declares(platform):
    capabilities = registry.get(platform).capabilities
    if Entity.TICKETS not in capabilities.writes:
        pytest.skip("writes no tickets")
    account = emulated(platform, slug="writes", plan=SeedPlan(agents=2, groups=1, seed=SEED))
    if capabilities.scope_kind is not None:
        with account.connector() as lister:
            account.connector_kwargs["scope"] = lister.list_scopes()[0]
    with account.connector() as target:
        assert isinstance(target, Target)
        if isinstance(target, BulkTarget) and target.bulk_sink(Entity.TICKETS) is not None:
            # Runs write its tickets in bulk: test_bulk_requests measures that path.
            pytest.skip(
                "tickets are written in bulk; see tests/migrator/engine/test_bulk_requests.py"
            )
        fields = target.describe_fields()
        ids: dict[Entity, str] = {}
        for entity in Entity.in_dependency_order(capabilities.writes):
            if entity in (Entity.TICKETS,) or entity not in (
                Entity.ORGANIZATIONS,
                Entity.GROUPS,
                Entity.AGENTS,
                Entity.CONTACTS,
            ):
                continue
            record = sample_record(entity, ids=ids, fields=fields, suffix="dep")
            marker = source_marker(migration_id=7, entity=entity, source_id=record.source_id)
            if entity is Entity.AGENTS and not capabilities.can_create_agents:
                me = target.check_credentials().user_email or listed_agent_email(target)
                found = target.find_by_marker(
                    entity, marker, record=record.model_copy(update={"email": me})
                )
                assert found
                ids[entity] = found
                continue
            ids[entity] = target.create(entity, record, marker=marker)
        template = sample_record(Entity.TICKETS, ids=ids, fields=fields, suffix="tpl")
        for comments, attachments in WRITE_SHAPES:
            # The first ticket of a shape fills the connector's caches (statuses, tags,
            # inbox): a run's batch pays them once, so the second one is measured.
            for attempt in ("warm", "measured"):
                suffix = f"{comments}-{attachments}-{attempt}"
                ticket = written_ticket(
                    template, comments=comments, attachments=attachments, suffix=suffix
                )
                marker = source_marker(migration_id=7, entity=Entity.TICKETS, source_id=suffix)
                before = target.http_statistics().total_calls
                target.create(
                    Entity.TICKETS, ticket, marker=marker, attachments=open_sample_attachment
                )
                measured = target.http_statistics().total_calls - before
            print(f"{platform} writes C={comments} A={attachments}: {measured}")
            assert capabilities.ticket_writes is not None, f"{platform}: no ticket_writes"
            assert capabilities.ticket_write_floor is not None, f"{platform}: no write floor"
            declared = capabilities.ticket_writes.count(comments=comments, attachments=attachments)
            assert declared == pytest.approx(measured, abs=PAGE_SHARE_ALLOWANCE), (
                f"{platform} writes a ticket of {comments} comments and {attachments} "
                f"attachments in {measured} requests, declares {declared}"
            )
