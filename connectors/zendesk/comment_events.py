"""The comments of a page of tickets, read in bulk from the incremental ticket events.

One request per ticket (``tickets/{id}/comments``) is what a few tickets cost; for a page
of many, the ticket event export (``incremental/ticket_events?include=comment_events``,
a thousand updates a page) holds the comments of every ticket updated in a stretch of
time, and the authors come a hundred at a time from ``users/show_many``. The stretch runs
from the oldest creation to the newest update (or latest comment) of the page's tickets.

Nothing is lost:

* the walk stops as soon as it is clear it would cost as many requests as the tickets
  themselves (a page of tickets spanning years, a delta of old tickets): the caller then
  reads every ticket's comments on its own;
* a ticket is taken from the events only when the newest comment found is as recent as
  the latest comment its metrics announce and every author is known (users deleted since
  are asked for one by one when they are fewer than their tickets); the others are left
  to the caller, one request each;
* a ticket whose comments changed after they were written (made private, redacted: a
  later update says so) is left to the caller too, who reads them as they are now;
* a comment seen twice (the export repeats a page's last second) counts once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.errors import NotFoundError
from connectors.schema import Comment
from connectors.wire import parse_wire, parse_wire_list
from connectors.zendesk import payloads as zd
from connectors.zendesk.client import ZendeskApi

EVENTS_PATH = "api/v2/incremental/ticket_events.json"
USERS_PATH = "api/v2/users/show_many.json"
DELETED_USERS_PATH = "api/v2/deleted_users"
USERS_PER_REQUEST = 100
#: Fewer tickets than this cost no more one by one (an events page and a users call).
BULK_MIN_TICKETS = 3
#: Updates that change a comment written before: its ticket is read on its own.
REVISIONS = frozenset({"CommentPrivacyChange", "CommentRedactionEvent", "AttachmentRedactionEvent"})
#: Zendesk refuses an export starting within the last minute.
EXPORT_MIN_AGE_SECONDS = 61

Item = Mapping[str, Any]
#: A ticket's comments, with the users who wrote them.
Thread = tuple[list[Comment], dict[str, zd.ZendeskUser]]


@dataclass(frozen=True)
class Window:
    start: int
    end: int

    @property
    def span(self) -> int:
        return max(1, self.end - self.start)


def _epoch(value: Any) -> int | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _window(items: list[Item], latest: Mapping[str, datetime]) -> Window | None:
    starts = [_epoch(item.get("created_at")) for item in items]
    ends = [_epoch(item.get("updated_at")) for item in items]
    ends += [int(moment.timestamp()) for moment in latest.values()]
    if any(value is None for value in starts) or not ends:
        return None
    start = min(value for value in starts if value is not None)
    start = max(0, min(start, int(time.time()) - EXPORT_MIN_AGE_SECONDS))
    return Window(start=start, end=max(value for value in ends if value is not None))


def read_threads(
    api: ZendeskApi, items: list[Item], *, latest: Mapping[str, datetime]
) -> dict[str, Thread]:
    """The threads of ``items`` (tickets, by id) read from the events: those it could
    read in full, for fewer requests than reading them one by one; the others are not in
    the answer. ``latest``: the latest comment date of each ticket (ticket metrics)."""
    wanted = {str(item.get("id")) for item in items}
    if len(wanted) < BULK_MIN_TICKETS:
        return {}
    window = _window(items, latest)
    if window is None:
        return {}
    walked = _comment_wires(api, wanted=wanted, window=window, budget=len(wanted))
    if walked is None:
        return {}
    found, revised = walked
    complete = {
        ticket_id: wires
        for ticket_id, wires in found.items()
        if wires and ticket_id not in revised and _reaches(wires.values(), latest.get(ticket_id))
    }
    author_ids = {
        str(wire.author_id)
        for wires in complete.values()
        for wire in wires.values()
        if wire.author_id is not None
    }
    users = _users(api, sorted(author_ids))
    missing = author_ids - users.keys()
    if missing:
        users.update(_deleted_users(api, missing, complete=complete))
    threads: dict[str, Thread] = {}
    for ticket_id, wires in complete.items():
        ids = {str(wire.author_id) for wire in wires.values() if wire.author_id is not None}
        if not ids <= users.keys():
            continue
        authors = {user_id: users[user_id] for user_id in ids}
        threads[ticket_id] = (_comments(wires.values(), authors=authors), authors)
    return threads


def _reaches(wires: Iterable[zd.ZendeskComment], latest: datetime | None) -> bool:
    return latest is None or max(wire.created_at for wire in wires) >= latest


def _comment_wires(
    api: ZendeskApi, *, wanted: set[str], window: Window, budget: int
) -> tuple[dict[str, dict[str, zd.ZendeskComment]], set[str]] | None:
    """The comments of the wanted tickets in the window, and the tickets whose comments
    were revised since; None when the walk would cost ``budget`` requests or more (a
    users request counted beside the pages)."""
    found: dict[str, dict[str, zd.ZendeskComment]] = {ticket_id: {} for ticket_id in wanted}
    revised: set[str] = set()
    start = window.start
    pages = 0
    while True:
        payload = api.get(
            EVENTS_PATH,
            entity="comments",
            params={"start_time": start, "include": "comment_events"},
        )
        pages += 1
        comments, revisions = _page_comments(payload)
        for ticket_id, wires in comments.items():
            if ticket_id in found:
                found[ticket_id].update(wires)
        revised |= revisions & wanted
        end_time = payload.get("end_time")
        if payload.get("end_of_stream", True) or not isinstance(end_time, int):
            return found, revised
        if end_time > window.end:
            return found, revised
        if end_time <= start:
            return None
        covered = (end_time - window.start) / window.span
        expected = math.ceil(pages / max(covered, 1e-9))
        if expected + 1 >= budget:
            return None
        start = end_time


def _page_comments(payload: Any) -> tuple[dict[str, dict[str, zd.ZendeskComment]], set[str]]:
    """The comments of one events page by ticket then comment id (a comment without a
    date of its own takes its update's), and the tickets whose comments it revises."""
    events = parse_wire_list(
        zd._TicketEvent, payload, key="ticket_events", platform=zd.PLATFORM, what="ticket event"
    )
    by_ticket: dict[str, dict[str, zd.ZendeskComment]] = {}
    revised: set[str] = set()
    for event_index, event in enumerate(events):
        event_time = event.created_at
        if event_time is None and event.timestamp is not None:
            event_time = datetime.fromtimestamp(event.timestamp, tz=UTC)
        for child_index, child in enumerate(event.child_events):
            kind = child.get("event_type")
            if kind in REVISIONS:
                revised.add(str(event.ticket_id))
            if kind not in ("Comment", "VoiceComment"):
                continue
            dated = {"type": kind, **child}
            if dated.get("created_at") is None and event_time is not None:
                dated["created_at"] = event_time.isoformat()
            wire = parse_wire(
                zd.ZendeskComment,
                dated,
                platform=zd.PLATFORM,
                what="comment",
                path=f"ticket_events[{event_index}].child_events[{child_index}]",
            )
            by_ticket.setdefault(str(event.ticket_id), {})[str(wire.id)] = wire
    return by_ticket, revised


def _users(api: ZendeskApi, user_ids: list[str]) -> dict[str, zd.ZendeskUser]:
    users: dict[str, zd.ZendeskUser] = {}
    for offset in range(0, len(user_ids), USERS_PER_REQUEST):
        chunk = user_ids[offset : offset + USERS_PER_REQUEST]
        payload = api.get(USERS_PATH, entity="comments", params={"ids": ",".join(chunk)})
        users.update(zd.sideloaded_users(payload))
    return users


def _deleted_users(
    api: ZendeskApi, missing: set[str], *, complete: Mapping[str, Mapping[str, Any]]
) -> dict[str, zd.ZendeskUser]:
    """Authors users/show_many left out, deleted since: one call each, when that costs
    fewer calls than reading their tickets one by one."""
    tickets = sum(
        1
        for wires in complete.values()
        if any(str(wire.author_id) in missing for wire in wires.values())
    )
    if len(missing) >= tickets:
        return {}
    users: dict[str, zd.ZendeskUser] = {}
    for user_id in sorted(missing):
        try:
            payload = api.get(f"{DELETED_USERS_PATH}/{user_id}.json", entity="comments")
        except NotFoundError:
            continue
        user = payload.get("deleted_user")
        if user is not None:
            users[user_id] = parse_wire(
                zd.ZendeskUser, user, platform=zd.PLATFORM, what="user", path="deleted_user"
            )
    return users


def _comments(
    wires: Iterable[zd.ZendeskComment], *, authors: Mapping[str, zd.ZendeskUser]
) -> list[Comment]:
    """Oldest first, as the comments endpoint gives them (authors sideloaded)."""
    ordered = sorted(wires, key=lambda wire: (wire.created_at, wire.id))
    comments = [zd._comment(wire, agent_ids=None, authors=authors) for wire in ordered]
    return sorted(comments, key=lambda comment: comment.created_at)
