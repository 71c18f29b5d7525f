"""Requests a source spends reading tickets: the helpers of the tests that measure them.

A seeded emulated account is read by its connector, over real loopback HTTP when a
``live_server`` URL is given, in process otherwise; every attachment is downloaded once,
as a run does. The figure is the connector's own count of HTTP calls (``http_statistics``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from django.core.handlers.wsgi import WSGIHandler

from connectors.base import ConnectorBase, Source
from connectors.http import HttpClient, LocalRateBudget
from connectors.models import EmulatedAccount
from connectors.registry import registry
from connectors.sandbox import SandboxPlatform, SeedPlan, sandbox_platform
from connectors.schema import Entity, Ticket

#: The ticket the issue measures: five comments (its description among them), one file.
FIVE_COMMENTS_ONE_FILE = dict(
    comments_per_ticket=(5, 5), files_per_ticket=(1, 1), inline_image_ratio=0.0
)


@dataclass
class Reading:
    tickets: list[Ticket]
    #: Calls of the reads (pages, comments, sideloads), then of the attachment downloads.
    read_calls: int
    download_calls: int

    @property
    def comments(self) -> int:
        return sum(len(ticket.comments) for ticket in self.tickets)

    @property
    def attachments(self) -> int:
        return sum(len(c.file_attachments) for t in self.tickets for c in t.comments)

    @property
    def per_ticket(self) -> float:
        return (self.read_calls + self.download_calls) / max(1, len(self.tickets))


def seeded_account(*, key: str, slug: str, plan: SeedPlan) -> tuple[SandboxPlatform, Any]:
    platform = sandbox_platform(key)
    account = platform.account_create(slug=slug, name=slug.title(), rate_limit_per_minute=0)
    platform.seed(account=account, plan=plan)
    return platform, account


@contextmanager
def source_of(
    *, platform: SandboxPlatform, account: EmulatedAccount, site_url: str | None
) -> Iterator[Source]:
    """The platform's connector reading ``account``: over HTTP to ``site_url``, or in
    process (httpx's WSGI transport) without one."""

    def http_client(**options: Any) -> HttpClient:
        options.setdefault("budget", LocalRateBudget(limit=None, period=60.0))
        if site_url is None:
            options["transport"] = httpx.WSGITransport(app=WSGIHandler())
        return HttpClient(allow_private_networks=True, **options)

    connector_class = registry.get(platform.key)
    values = platform.credentials(account=account, site_url=site_url or "http://testserver")
    connector: ConnectorBase = connector_class(
        credentials=connector_class.parse_credentials(values), http_client_factory=http_client
    )
    assert isinstance(connector, Source)
    with connector:
        yield connector


def read_tickets(source: Source, *, page_size: int, download: bool = True, **read: Any) -> Reading:
    """Every ticket of the account page by page, its attachments downloaded once."""
    before = source.http_statistics().total_calls
    tickets: list[Ticket] = []
    cursor = None
    while True:
        page = source.read_page(Entity.TICKETS, cursor=cursor, page_size=page_size, **read)
        tickets.extend(record for record in page.records if isinstance(record, Ticket))
        if not page.has_more:
            break
        cursor = page.next_cursor
    read_calls = source.http_statistics().total_calls - before
    download_calls = _download_all(source, tickets) if download else 0
    return Reading(tickets=tickets, read_calls=read_calls, download_calls=download_calls)


def read_tickets_batch_by_batch(
    *, platform: SandboxPlatform, account: EmulatedAccount, site_url: str | None, page_size: int
) -> Reading:
    """As a run reads them: each page (a batch) with a connector of its own, which
    downloads the page's attachments."""
    tickets: list[Ticket] = []
    read_calls = download_calls = 0
    cursor = None
    while True:
        with source_of(platform=platform, account=account, site_url=site_url) as source:
            page = source.read_page(Entity.TICKETS, cursor=cursor, page_size=page_size)
            read_calls += source.http_statistics().total_calls
            batch = [record for record in page.records if isinstance(record, Ticket)]
            download_calls += _download_all(source, batch)
        tickets.extend(batch)
        if not page.has_more:
            break
        cursor = page.next_cursor
    return Reading(tickets=tickets, read_calls=read_calls, download_calls=download_calls)


def _download_all(source: Source, tickets: list[Ticket]) -> int:
    before = source.http_statistics().total_calls
    for ticket in tickets:
        for comment in ticket.comments:
            for attachment in comment.file_attachments:
                with source.download_attachment(attachment) as chunks:
                    b"".join(chunks)
    return source.http_statistics().total_calls - before
