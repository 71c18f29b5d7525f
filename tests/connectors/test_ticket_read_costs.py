"""Requests per ticket read (five comments, one file) on every source, over real HTTP."""

from __future__ import annotations

import pytest

from connectors.sandbox import SeedPlan
from tests.connectors.ticket_reads import (
    FIVE_COMMENTS_ONE_FILE,
    read_tickets,
    seeded_account,
    source_of,
)

pytestmark = pytest.mark.django_db(transaction=True)

TICKETS = 100
PAGE_SIZE = 50


@pytest.mark.parametrize("key", ["zendesk", "freshdesk", "halo", "teamwork_desk", "edesk"])
def test_requests_per_ticket(key, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    seed = 16
    print(f"seed={seed}")
    plan = SeedPlan(
        agents=3, contacts=10, groups=2, tickets=TICKETS, seed=seed, **FIVE_COMMENTS_ONE_FILE
    )
    platform, account = seeded_account(key=key, slug="costs", plan=plan)
    with source_of(platform=platform, account=account, site_url=live_server.url) as source:
        reading = read_tickets(source, page_size=PAGE_SIZE)
    print(
        f"{key}: {len(reading.tickets)} tickets, {reading.comments} comments, "
        f"{reading.attachments} files: {reading.read_calls} read + {reading.download_calls} "
        f"download calls = {reading.per_ticket:.3f} per ticket"
    )
    assert len(reading.tickets) == TICKETS
