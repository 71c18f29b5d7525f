"""The emulated Incremental Ticket Event Export, as Zendesk's reference describes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors import emulation
from connectors.models import EmulatedRecord
from connectors.zendesk import emulator_events
from tests.connectors.zendesk.test_emulator import API_TOKEN, EMAIL, OAUTH_TOKEN, Zendesk, imported

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return emulation.account_get_or_create(
        platform="zendesk",
        slug="acme",
        name="Acme",
        secrets={"email": EMAIL, "api_token": API_TOKEN, "oauth_token": OAUTH_TOKEN},
        rate_limit_per_minute=0,
        options={"incremental_lag_seconds": 0, "incremental_exports_per_minute": 0},
    )


@pytest.fixture
def zd(client, account) -> Zendesk:
    return Zendesk(client)


@pytest.fixture(autouse=True)
def blobs_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


EVENTS = "/api/v2/incremental/ticket_events.json"


def _events(zd: Zendesk, **params) -> dict:
    response = zd.get(EVENTS, **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_ticket_s_updates_come_in_order_with_their_comments(zd):
    author = zd.user(name="Zoë Müller", email="zoe@example.com")
    ticket = imported(
        zd,
        subject="Imprimante en feu",
        requester_id=author["id"],
        created_at="2024-03-01T10:00:00Z",
        comments=[
            {
                "author_id": author["id"],
                "value": "Ça brûle — vite !",
                "created_at": "2024-03-01T10:00:00Z",
            },
            {
                "author_id": author["id"],
                "value": "Note interne",
                "public": False,
                "created_at": "2024-03-02T09:30:00Z",
            },
        ],
    )
    page = _events(zd, start_time=0, include="comment_events")
    assert page["end_of_stream"] is True
    assert page["count"] == 2
    assert "start_time=" in page["next_page"]
    first, second = page["ticket_events"]
    assert {first["ticket_id"], second["ticket_id"]} == {ticket["id"]}
    assert first["event_type"] == "Audit"
    assert first["timestamp"] == int(datetime(2024, 3, 1, 10, tzinfo=UTC).timestamp())
    assert page["end_time"] == second["timestamp"]
    comment, *created = first["child_events"]
    assert comment["event_type"] == "Comment"
    assert comment["body"] == "Ça brûle — vite !"
    assert comment["public"] is True
    assert comment["author_id"] == author["id"]
    assert comment["audit_id"] == first["id"]
    assert {event["field_name"]: event["value"] for event in created}["subject"] == (
        "Imprimante en feu"
    )
    assert {event["event_type"] for event in created} == {"Create"}
    [note] = second["child_events"]
    assert (note["body"], note["public"]) == ("Note interne", False)


def test_without_the_sideload_a_comment_is_only_flagged(zd):
    zd.ticket(comment={"body": "Secret", "public": False})
    page = _events(zd, start_time=0)
    [event] = page["ticket_events"]
    comment = event["child_events"][0]
    assert comment["comment_present"] is True
    assert comment["comment_public"] is False
    assert "body" not in comment


def test_pages_follow_end_time_and_a_page_s_last_second_comes_whole(zd, monkeypatch):
    monkeypatch.setattr(emulator_events.zde, "INCREMENTAL_PAGE_SIZE_MAX", 3)
    ticket = zd.ticket()
    moment = datetime(2024, 5, 1, 8, tzinfo=UTC)
    row = EmulatedRecord.objects.get(collection="ticket_comments", parent_number=ticket["id"])
    row.created_at = moment
    row.save()
    for index in range(5):
        zd.put(
            f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"comment": {"body": str(index)}}}
        )
    rows = list(EmulatedRecord.objects.filter(collection="ticket_comments").order_by("number"))
    # Comments 1 to 3 share a second: the first page (3 at most) takes all of them.
    for offset, row in enumerate(rows[1:]):
        row.created_at = moment + timedelta(seconds=10 if offset < 3 else 20 + offset)
        row.save()
    first = _events(zd, start_time=0, include="comment_events")
    assert first["end_of_stream"] is False
    assert first["count"] == 4
    assert first["end_time"] == int((moment + timedelta(seconds=10)).timestamp())
    # The next page starts on that second again: its comments come once more, and a full
    # page still moves end_time on.
    second = _events(zd, start_time=first["end_time"], include="comment_events")
    assert [e["child_events"][0]["body"] for e in second["ticket_events"]] == ["0", "1", "2"]
    assert (second["end_of_stream"], second["end_time"]) == (False, first["end_time"] + 1)
    third = _events(zd, start_time=second["end_time"], include="comment_events")
    assert [e["child_events"][0]["body"] for e in third["ticket_events"]] == ["3", "4"]
    assert third["end_of_stream"] is True


def test_start_time_is_required_and_not_too_recent(zd, account):
    assert zd.get(EVENTS).status_code == 400
    account.options = {**account.options, "incremental_lag_seconds": 60}
    account.save()
    recent = int(datetime.now(UTC).timestamp())
    assert zd.get(EVENTS, start_time=recent).status_code == 422


def test_the_export_has_its_own_limit_a_minute(zd, account):
    account.options = {**account.options, "incremental_exports_per_minute": 2}
    account.save()
    assert zd.get(EVENTS, start_time=0).status_code == 200
    assert zd.get(EVENTS, start_time=0).status_code == 200
    refused = zd.get(EVENTS, start_time=0)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
