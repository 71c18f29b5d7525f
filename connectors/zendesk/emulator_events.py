"""The emulated Incremental Ticket Event Export (``GET /api/v2/incremental/ticket_events``).

As Zendesk's reference describes it: a time-based export of ticket updates (audits), a
thousand a page at most, ordered by the time of the update; ``end_time`` is the next
page's ``start_time`` and the last second of a page comes whole (so a page may hold a few
more, and the next one starts on that second again); ``end_of_stream`` says whether the
export reached the present. Each emulated audit is one comment's: the ticket's first
comment comes with the ticket's creation (``Create`` child events after it). With
``include=comment_events`` a comment is a child event of type ``Comment`` carrying the
comment as the comments endpoint shows it; without it the child only says
``comment_present`` and ``comment_public``. Updates of the last minute wait, like every
incremental export, and the export's own per-minute limit applies.
"""

from __future__ import annotations

from typing import Any

from connectors.models import EmulatedRecord
from connectors.zendesk import emulator as zde

#: Ticket properties a ticket's creation audit lists as ``Create`` events.
CREATE_FIELDS = ("subject", "status", "priority", "type", "requester_id", "group_id")


def _first_comment_numbers(rows: list[EmulatedRecord], account: Any) -> set[int]:
    """The comments of ``rows`` that are their ticket's first (its creation's audit)."""
    tickets = {row.parent_number for row in rows if row.parent_number is not None}
    firsts: dict[int, tuple[Any, int]] = {}
    for parent, created, number in (
        zde._rows(account, zde.COMMENTS)
        .filter(parent_number__in=tickets)
        .values_list("parent_number", "created_at", "number")
    ):
        if parent not in firsts or (created, number) < firsts[parent]:
            firsts[parent] = (created, number)
    return {number for _created, number in firsts.values()}


def _create_events(audit_id: int, ticket: dict[str, Any] | None) -> list[dict[str, Any]]:
    if ticket is None:
        return []
    return [
        {
            "id": audit_id * 100 + index,
            "event_type": "Create",
            "field_name": name,
            "value": ticket.get(name),
            "via_reference_id": None,
        }
        for index, name in enumerate(CREATE_FIELDS, start=1)
    ]


def _audits(ctx: zde.Ctx, rows: list[EmulatedRecord]) -> list[dict[str, Any]]:
    with_comments = "comment_events" in zde._sideloads(ctx)
    firsts = _first_comment_numbers(rows, ctx.account)
    tickets = zde._records_by_number(
        ctx.account, zde.TICKETS, sorted({row.parent_number for row in rows if row.parent_number})
    )
    events = []
    for row in rows:
        comment = zde._render(ctx, zde.COMMENTS, row.data)
        if with_comments:
            child: dict[str, Any] = {**comment, "event_type": "Comment", "via_reference_id": None}
            child.pop("metadata", None)
        else:
            child = {
                "id": comment["id"],
                "event_type": "Comment",
                "comment_present": True,
                "comment_public": comment["public"],
                "via_reference_id": None,
            }
        created = []
        if row.number in firsts:
            ticket = tickets.get(row.parent_number) if row.parent_number else None
            created = _create_events(comment["audit_id"], ticket)
        events.append(
            {
                "id": comment["audit_id"],
                "ticket_id": row.parent_number,
                "timestamp": zde._epoch(row.created_at),
                "created_at": comment["created_at"],
                "updater_id": comment["author_id"],
                "via": comment["via"]["channel"],
                "system": comment["metadata"]["system"],
                "metadata": comment["metadata"],
                "event_type": "Audit",
                "via_reference_id": None,
                "merged_ticket_ids": [],
                "child_events": [child, *created],
            }
        )
    return events


@zde._endpoint
def ticket_events_incremental(ctx: zde.Ctx) -> Any:
    def export() -> Any:
        zde._spend_incremental_budget(ctx.account)
        start = zde._start_time(ctx)
        limit = zde.INCREMENTAL_PAGE_SIZE_MAX
        page_size = min(max(zde._int_param(ctx, "per_page", limit), 1), limit)
        queryset = zde._rows(ctx.account, zde.COMMENTS).filter(
            created_at__gte=start, created_at__lte=zde._export_horizon(ctx.account)
        )
        ordered = queryset.order_by("created_at", "number")
        rows = list(ordered[: page_size + 1])
        has_more = len(rows) > page_size
        rows = rows[:page_size]
        if has_more:
            last = rows[-1]
            next_second = zde._from_epoch(zde._epoch(last.created_at) + 1)
            rows += list(ordered.filter(created_at=last.created_at, number__gt=last.number)) + list(
                ordered.filter(created_at__gt=last.created_at, created_at__lt=next_second)
            )
        end_time = zde._epoch(rows[-1].created_at) if rows else zde._epoch(start)
        if has_more and end_time <= zde._epoch(start):
            end_time = zde._epoch(start) + 1
        return {
            "ticket_events": _audits(ctx, rows),
            "next_page": ctx.link({"start_time": str(end_time)}),
            "count": len(rows),
            "end_time": end_time,
            "end_of_stream": not has_more,
        }

    return zde._dispatch(ctx, GET=export)
