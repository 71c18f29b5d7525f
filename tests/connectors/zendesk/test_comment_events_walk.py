"""The walk through the ticket events that reads a page's comments in bulk: when it stops,
what it trusts and what it leaves to one request per ticket (answers given by hand)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.errors import NotFoundError
from connectors.zendesk import comment_events

DAY = 86_400
START = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def _ticket(number: int, *, created: int, updated: int) -> dict[str, Any]:
    return {"id": number, "created_at": _iso(created), "updated_at": _iso(updated)}


def _comment(number: int, ticket: int, at: int, **extra: Any) -> dict[str, Any]:
    child = {
        "id": number,
        "event_type": "Comment",
        "type": "Comment",
        "author_id": 7,
        "body": f"Comment {number} — é",
        "html_body": f"<p>Comment {number} — é</p>",
        "public": True,
        "attachments": [],
        "created_at": _iso(at),
        **extra,
    }
    return {"id": number * 10, "ticket_id": ticket, "timestamp": at, "child_events": [child]}


class Answers:
    """A Zendesk account answering the export from a list of updates, ``per_page`` a page,
    and users/show_many from its users."""

    def __init__(self, events: list[dict[str, Any]], *, per_page: int = 1000) -> None:
        self.events = sorted(events, key=lambda event: event["timestamp"])
        self.per_page = per_page
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get(self, path: str, *, entity: str, params: dict[str, Any] | None = None) -> Any:
        params = params or {}
        self.calls.append((path, dict(params)))
        if path.startswith(comment_events.DELETED_USERS_PATH):
            number = int(path.rsplit("/", 1)[1].split(".")[0])
            if number != 666:
                raise NotFoundError("gone for good")
            user = {"id": 666, "name": "Départi", "role": "agent", "active": False}
            return {"deleted_user": {**user, "updated_at": _iso(START)}}
        if path == comment_events.USERS_PATH:
            ids = [int(part) for part in params["ids"].split(",")]
            users = [
                {"id": i, "name": f"User {i}", "role": "agent", "updated_at": _iso(START)}
                for i in ids
                if i not in (666, 667)
            ]
            return {"users": users}
        after = [e for e in self.events if e["timestamp"] >= params["start_time"]]
        page, rest = after[: self.per_page], after[self.per_page :]
        if rest and page:
            # The page's last second comes whole.
            last = page[-1]["timestamp"]
            page += [e for e in rest if e["timestamp"] == last]
            rest = [e for e in rest if e["timestamp"] != last]
        end = page[-1]["timestamp"] if page else params["start_time"]
        return {"ticket_events": page, "end_time": end, "end_of_stream": not rest}


def _page_of_tickets(count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tickets, events = [], []
    for number in range(1, count + 1):
        created = START + number * 60
        tickets.append(_ticket(number, created=created, updated=created + 120))
        events += [
            _comment(number * 100 + 1, number, created),
            _comment(number * 100 + 2, number, created + 120, public=False),
        ]
    return tickets, events


def test_a_page_of_tickets_costs_an_events_page_and_a_users_call():
    tickets, events = _page_of_tickets(10)
    api = Answers(events)
    threads = comment_events.read_threads(api, tickets, latest={})
    assert sorted(threads, key=int) == [str(n) for n in range(1, 11)]
    comments, authors = threads["3"]
    assert [c.source_id for c in comments] == ["301", "302"]
    assert [c.public for c in comments] == [True, False]
    assert comments[0].text_body == "Comment 301 — é"
    assert authors["7"].name == "User 7"
    assert [path for path, _params in api.calls] == [
        comment_events.EVENTS_PATH,
        comment_events.USERS_PATH,
    ]


def test_a_comment_seen_again_on_the_repeated_second_counts_once():
    tickets, events = _page_of_tickets(6)
    api = Answers(events, per_page=3)
    threads = comment_events.read_threads(api, tickets, latest={})
    for ticket_id, (comments, _authors) in threads.items():
        assert len(comments) == len({c.source_id for c in comments}) == 2, ticket_id


def test_a_few_tickets_are_left_to_one_request_each():
    tickets, events = _page_of_tickets(2)
    api = Answers(events)
    assert comment_events.read_threads(api, tickets, latest={}) == {}
    assert api.calls == []


def test_a_page_spanning_years_of_busy_updates_gives_up_after_one_page():
    tickets, events = _page_of_tickets(5)
    tickets[0] = _ticket(1, created=START - 3 * 365 * DAY, updated=START + 120)
    # Thousands of other tickets' updates in between.
    events += [_comment(10**6 + n, 9999, START - 3 * 365 * DAY + n * 3600) for n in range(3000)]
    api = Answers(events, per_page=100)
    assert comment_events.read_threads(api, tickets, latest={}) == {}
    assert len(api.calls) == 1


def test_tickets_the_events_cannot_vouch_for_are_left_out():
    tickets, events = _page_of_tickets(6)
    # Ticket 2's metrics announce a comment newer than any the stretch holds.
    latest = {"2": datetime.fromtimestamp(START + 10 * DAY, tz=UTC)}
    # Ticket 3's first comment was made private later.
    events.append(
        {
            "id": 1,
            "ticket_id": 3,
            "timestamp": START + 3 * 60 + 200,
            "child_events": [
                {"id": 2, "event_type": "CommentPrivacyChange", "comment_id": 301, "public": False}
            ],
        }
    )
    # Ticket 4 has a comment by a user show_many does not know (deleted).
    events.append(_comment(499, 4, START + 4 * 60 + 60, author_id=666))
    api = Answers(events)
    threads = comment_events.read_threads(api, tickets, latest=latest)
    assert sorted(threads) == ["1", "5", "6"]


def test_authors_deleted_since_are_asked_for_when_fewer_than_their_tickets():
    tickets, events = _page_of_tickets(6)
    events += [
        _comment(198, 1, START + 60 + 30, author_id=666),
        _comment(298, 2, START + 120 + 30, author_id=666),
        _comment(398, 3, START + 180 + 30, author_id=667),
        _comment(498, 4, START + 240 + 30, author_id=667),
    ]
    api = Answers(events)
    threads = comment_events.read_threads(api, tickets, latest={})
    # 667 is gone for good: its tickets are read one by one, as the comments endpoint
    # would still name the user.
    assert sorted(threads) == ["1", "2", "5", "6"]
    comments, authors = threads["2"]
    assert authors["666"].name == "Départi"
    assert [c.author_name for c in comments if c.author_id == "666"] == ["Départi"]
    asked = [path for path, _params in api.calls if "deleted_users" in path]
    assert asked == ["api/v2/deleted_users/666.json", "api/v2/deleted_users/667.json"]
