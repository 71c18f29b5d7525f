"""Comments read in bulk from the ticket events are the ones read ticket by ticket, for
fewer requests: over real HTTP against the emulator, full records compared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.sandbox import SeedPlan
from connectors.schema import Ticket
from connectors.zendesk import comment_events
from tests.connectors.ticket_reads import (
    FIVE_COMMENTS_ONE_FILE,
    read_tickets,
    seeded_account,
    source_of,
)

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 1616
PAGE_SIZE = 50


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comment_events, "BULK_MIN_TICKETS", 10**9)


def _dumped(tickets: list[Ticket]) -> list[dict]:
    return [ticket.model_dump(mode="json") for ticket in tickets]


@pytest.fixture
def varied(live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    print(f"seed={SEED}")
    plan = SeedPlan(
        agents=4,
        deleted_agents=1,
        contacts=12,
        groups=2,
        tickets=120,
        comments_per_ticket=(1, 9),
        attachment_ratio=0.5,
        inline_image_ratio=0.3,
        non_ascii_emails=True,
        seed=SEED,
    )
    platform, account = seeded_account(key="zendesk", slug="events", plan=plan)
    account.options = {**account.options, "incremental_lag_seconds": 0}
    account.save()
    return platform, account, live_server.url


def test_bulk_comments_are_those_read_ticket_by_ticket(varied, monkeypatch):
    platform, account, url = varied
    with source_of(platform=platform, account=account, site_url=url) as source:
        bulk = read_tickets(source, page_size=PAGE_SIZE, download=False)
    with monkeypatch.context() as patch:
        _one_by_one(patch)
        with source_of(platform=platform, account=account, site_url=url) as source:
            single = read_tickets(source, page_size=PAGE_SIZE, download=False)
    comments = [c for t in single.tickets for c in t.comments]
    assert {c.public for c in comments} == {True, False}
    assert any(a.inline for c in comments for a in c.attachments)
    assert any(c.file_attachments for c in comments)
    assert any(
        not (c.author_email or "").isascii() or not (c.author_name or "").isascii()
        for c in comments
    ) or any(not (t.requester_email or "").isascii() for t in single.tickets)
    assert _dumped(bulk.tickets) == _dumped(single.tickets)
    print(
        f"zendesk: {single.read_calls} calls one by one, {bulk.read_calls} in bulk "
        f"for {len(bulk.tickets)} tickets"
    )
    assert single.read_calls >= len(single.tickets)
    # A page: the export, the events, the authors, and the deleted ones among them.
    assert bulk.read_calls <= len(bulk.tickets) / 8


def test_the_issue_ticket_costs_a_few_hundredths_of_a_request(live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    plan = SeedPlan(
        agents=3, contacts=10, groups=2, tickets=200, seed=SEED, **FIVE_COMMENTS_ONE_FILE
    )
    platform, account = seeded_account(key="zendesk", slug="issue", plan=plan)
    with source_of(platform=platform, account=account, site_url=live_server.url) as source:
        reading = read_tickets(source, page_size=PAGE_SIZE)
    assert (len(reading.tickets), reading.comments, reading.attachments) == (200, 1000, 200)
    per_ticket_reads = reading.read_calls / len(reading.tickets)
    print(
        f"zendesk: {per_ticket_reads:.3f} read calls a ticket, {reading.per_ticket:.3f} "
        "with its file"
    )
    # A page of 50: the export's share, one events page, one users call (a run's batch
    # adds the custom statuses its connector reads once).
    assert per_ticket_reads <= 3 / PAGE_SIZE + 5 * 0.001 + 0.0001
    assert reading.download_calls == reading.attachments


def test_a_delta_finds_new_and_changed_comments(varied, monkeypatch):
    platform, account, url = varied
    values = platform.credentials(account=account, site_url=url)
    auth = (f"{values['email']}/token", values["api_token"])
    base = platform.base_url(account=account, site_url=url)
    since = datetime.now(UTC) - timedelta(seconds=1)
    with source_of(platform=platform, account=account, site_url=url) as source:
        before = {
            t.source_id: t
            for t in read_tickets(source, page_size=PAGE_SIZE, download=False).tickets
        }
    changed = sorted(i for i, t in before.items() if t.status_category != "closed")[:6]
    assert len(changed) == 6
    for index, ticket_id in enumerate(changed):
        answer = httpx.put(
            f"{base}/api/v2/tickets/{ticket_id}.json",
            auth=auth,
            json={
                "ticket": {
                    "comment": {"body": f"Réponse n°{index} — déjà vu ✓", "public": index % 2 == 0}
                }
            },
        )
        assert answer.status_code == 200, answer.text
    with source_of(platform=platform, account=account, site_url=url) as source:
        delta = read_tickets(source, page_size=PAGE_SIZE, download=False, updated_since=since)
    with monkeypatch.context() as patch:
        _one_by_one(patch)
        with source_of(platform=platform, account=account, site_url=url) as source:
            single = read_tickets(source, page_size=PAGE_SIZE, download=False, updated_since=since)
    assert sorted(t.source_id for t in delta.tickets) == changed
    for ticket in delta.tickets:
        old = before[ticket.source_id]
        assert [c.source_id for c in ticket.comments[:-1]] == [c.source_id for c in old.comments]
        assert ticket.comments[-1].text_body.startswith("Réponse n°")
    assert {c.public for t in delta.tickets for c in t.comments[-1:]} == {True, False}
    assert _dumped(delta.tickets) == _dumped(single.tickets)
    assert delta.read_calls < single.read_calls
