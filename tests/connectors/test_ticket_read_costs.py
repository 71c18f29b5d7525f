"""Requests per ticket read (five comments, one file) on every source, over real HTTP
against its emulator, page by page as a run reads them (a connector per batch), next to
what the connector declares (``ticket_reads``) or, for those that declare nothing yet,
what they cost when this was written."""

from __future__ import annotations

import pytest

from connectors.base import TicketRequests
from connectors.registry import registry
from connectors.sandbox import SeedPlan
from tests.connectors.ticket_reads import (
    FIVE_COMMENTS_ONE_FILE,
    read_tickets_batch_by_batch,
    seeded_account,
)

pytestmark = pytest.mark.django_db(transaction=True)

TICKETS = 100
#: The engine's page (MIGRATOR_PAGE_SIZE): lists and bulk reads are shared by its tickets.
PAGE_SIZE = 50
#: Freshdesk: the list's share, then the ticket with its first ten conversations. Halo:
#: the list's share, then the ticket's actions and its attachments (two lists that need a
#: ticket id). Teamwork Desk: the list carries the messages. eDesk: the list's share, then
#: each message on its own (a ticket gives only their ids).
UNDECLARED = {
    "freshdesk": TicketRequests(ticket=1.04, attachment=1.0),
    "halo": TicketRequests(ticket=2.11, attachment=1.0),
    "teamwork_desk": TicketRequests(ticket=0.02, attachment=1.0),
    "edesk": TicketRequests(ticket=0.18, comment=1.0, attachment=1.0),
}


@pytest.mark.parametrize("key", ["zendesk", "freshdesk", "halo", "teamwork_desk", "edesk"])
def test_requests_per_ticket(key, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    seed = 16
    print(f"seed={seed}")
    plan = SeedPlan(
        agents=3, contacts=10, groups=2, tickets=TICKETS, seed=seed, **FIVE_COMMENTS_ONE_FILE
    )
    platform, account = seeded_account(key=key, slug="costs", plan=plan)
    reading = read_tickets_batch_by_batch(
        platform=platform, account=account, site_url=live_server.url, page_size=PAGE_SIZE
    )
    comments = reading.comments / len(reading.tickets)
    attachments = reading.attachments / len(reading.tickets)
    declared = registry.get(key).capabilities.ticket_reads or UNDECLARED[key]
    expected = declared.count(comments=comments, attachments=attachments)
    print(
        f"{key}: {len(reading.tickets)} tickets, {reading.comments} comments, "
        f"{reading.attachments} files: {reading.read_calls} read + {reading.download_calls} "
        f"download calls = {reading.per_ticket:.3f} a ticket (expected {expected:.3f})"
    )
    assert len(reading.tickets) == TICKETS
    assert comments == 5
    assert reading.download_calls == reading.attachments
    assert reading.per_ticket <= expected + 0.005
