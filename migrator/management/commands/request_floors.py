"""The API requests a ticket costs, for every ordered pair of installed platforms: the
fewest each platform's API allows (its floor) and what the connectors do now, both
declared in the connectors' capabilities (``ticket_read_floor``/``ticket_reads`` on the
source, ``ticket_write_floor``/``ticket_writes`` on the target)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

from django.core.management.base import BaseCommand, CommandError

from connectors.base import Capabilities, TicketRequests
from connectors.registry import registry
from connectors.schema import Entity


@dataclass(frozen=True)
class PairRequests:
    source: str
    target: str
    read_floor: float
    read_ours: float
    write_floor: float
    write_ours: float
    source_limit: int
    target_limit: int

    def tickets_a_minute(self, *, read: float, write: float) -> float:
        """At the platforms' usual limits, reading and writing overlapping: the slower
        side sets the pace."""
        return min(
            self.source_limit / read if read else float("inf"),
            self.target_limit / write if write else float("inf"),
        )


def _count(requests: TicketRequests | None, *, comments: int, attachments: int) -> float:
    if requests is None:
        raise CommandError("A connector declares no ticket requests: see connectors/base.py.")
    return requests.count(comments=comments, attachments=attachments)


def pair_requests(*, comments: int, attachments: int) -> list[PairRequests]:
    """Every ordered pair of platforms that read and write tickets."""
    platforms: dict[str, Capabilities] = {
        key: registry.get(key).capabilities for key in sorted(registry.keys())
    }
    rows = []
    for source_key, target_key in permutations(platforms, 2):
        source, target = platforms[source_key], platforms[target_key]
        if Entity.TICKETS not in source.reads or Entity.TICKETS not in target.writes:
            continue
        shape = {"comments": comments, "attachments": attachments}
        rows.append(
            PairRequests(
                source=registry.get(source_key).display_name,
                target=registry.get(target_key).display_name,
                read_floor=_count(source.ticket_read_floor, **shape),
                read_ours=_count(source.ticket_reads, **shape),
                write_floor=_count(target.ticket_write_floor, **shape),
                write_ours=_count(target.ticket_writes, **shape),
                source_limit=source.rate_limit_per_minute,
                target_limit=target.rate_limit_per_minute,
            )
        )
    return rows


class Command(BaseCommand):
    help = (
        "Print, for every ordered pair of platforms, the API requests a ticket costs on each "
        "side: the fewest the platforms' APIs allow and what the connectors do now."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--comments", type=int, default=5, help="Comments a ticket, its description included."
        )
        parser.add_argument("--attachments", type=int, default=1, help="Attachments a ticket.")

    def handle(self, *args, comments: int, attachments: int, **options) -> None:
        if comments < 1 or attachments < 0:
            raise CommandError("A ticket has at least one comment (its description).")
        rows = pair_requests(comments=comments, attachments=attachments)
        files = f"{attachments} attachment" + ("" if attachments == 1 else "s")
        self.stdout.write(
            f"Requests a ticket of {comments} comments and {files} "
            "(floor: the fewest the APIs allow; ours: what the connectors do now)."
        )
        self.stdout.write(
            "Tickets a minute at the platforms' usual limits: the slower side sets the pace."
        )
        header = (
            f"{'Source → target':<28}{'read floor':>11}{'ours':>7}{'write floor':>13}"
            f"{'ours':>7}{'tickets/min floor':>19}{'ours':>7}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for row in rows:
            floor_pace = row.tickets_a_minute(read=row.read_floor, write=row.write_floor)
            our_pace = row.tickets_a_minute(read=row.read_ours, write=row.write_ours)
            self.stdout.write(
                f"{row.source + ' → ' + row.target:<28}{row.read_floor:>11.2f}"
                f"{row.read_ours:>7.2f}{row.write_floor:>13.2f}{row.write_ours:>7.2f}"
                f"{floor_pace:>19.0f}{our_pace:>7.0f}"
            )
