"""The figures a benchmark run prints: requests per ticket next to the pair's floor, the
budget each side used against the limit its emulated account enforces, the 429 answers,
the estimate given before the run against the time it took.

Requests are counted twice, each where it is exact: per ticket from the run's batches
(what the engine spent on them), per minute from the emulators' own counters (what the
platform saw in each of its rate windows, refused calls included). The first minute is
the run's to learn the limit; the figures "after the first minute" leave out every
emulator window that began before it ended.
"""

from __future__ import annotations

import importlib
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Q, Sum

from connectors.base import TicketRequests
from connectors.emulation import EmulatorProfile
from connectors.models import EmulatedAccount
from connectors.registry import registry
from migrator import discovery, selectors, services
from migrator.bench import TicketShape
from migrator.management.commands.run_migration import format_duration, progress_line
from migrator.models import Migration, Run, RunBatch
from reports.models import RunRecord
from reports.selectors import run_summary

#: The run's first minute: the time it has to learn the platforms' limits.
FIRST_MINUTE = timedelta(minutes=1)


class EmulatorMeter:
    """Reads an emulated account's per-window request counter while a run goes on (the
    counter outlives its window by a minute or so only, hence sampling)."""

    def __init__(self, account: EmulatedAccount) -> None:
        self.account = account
        profile: EmulatorProfile = importlib.import_module(
            f"connectors.{account.platform}.emulator"
        ).PROFILE
        limit = account.rate_limit_per_minute
        #: Counted per window only for a windowed limit the account sets itself.
        self.window_seconds: float | None = None
        if profile.token_bucket is None and limit:
            self.window_seconds = float(account.options.get("rate_window_seconds", 60))
        self.limit = limit or 0
        #: window number -> calls counted in it (refused ones included).
        self.used: dict[int, int] = {}

    def _key(self, window: int) -> str:
        return f"emulator-rate:{self.account.platform}:{self.account.pk}:{window}"

    def sample(self) -> None:
        if self.window_seconds is None:
            return
        current = int(time.time() // self.window_seconds)
        for window in (current - 1, current):
            used = cache.get(self._key(window))
            if used is not None:
                self.used[window] = max(self.used.get(window, 0), int(used))

    def windows_between(self, start: datetime, end: datetime, *, whole: bool) -> list[int]:
        """Windows that begin at or after ``start`` and (``whole``) end by ``end`` or
        (not ``whole``) begin before it."""
        assert self.window_seconds is not None
        first = math.ceil(start.timestamp() / self.window_seconds)
        last = math.floor(end.timestamp() / self.window_seconds) - (1 if whole else 0)
        return list(range(first, last + 1))

    def refused(self, windows: list[int]) -> int:
        return sum(max(0, self.used.get(window, 0) - self.limit) for window in windows)

    def accepted(self, windows: list[int]) -> int:
        return sum(min(self.used.get(window, 0), self.limit) for window in windows)


@dataclass(frozen=True)
class SideFigures:
    side: str
    platform: str
    #: Requests a minute the emulated account enforces (0: none).
    limit: int
    #: Whether the run's connection was told the limit.
    limit_known: bool
    requests: int
    per_ticket: float
    #: The pair's documented fewest requests a ticket; None when not declared.
    floor: float | None
    per_minute: float
    #: Over the whole emulator windows after the first minute; None when none fit.
    per_minute_late: float | None
    #: 429 answers the emulator gave, in all and after the first minute (None: not counted).
    refused: int | None
    refused_late: int | None

    @property
    def use(self) -> float | None:
        return self.per_minute / self.limit if self.limit else None

    @property
    def use_late(self) -> float | None:
        if not self.limit or self.per_minute_late is None:
            return None
        return self.per_minute_late / self.limit


@dataclass(frozen=True)
class RunFigures:
    pair: str
    status: str
    tickets: int
    migrated: int
    seconds: float
    ticket_seconds: float
    estimate_seconds: float | None
    #: 429 answers the engine met, in all and in batches finished after the first minute.
    rate_limited: int
    rate_limited_late: int
    #: Requests spent reading the tickets back on the target, per ticket.
    verification_per_ticket: float
    source: SideFigures
    target: SideFigures

    @property
    def tickets_per_minute(self) -> float:
        return self.migrated / max(self.ticket_seconds / 60, 1 / 60)


def _floor(floor: TicketRequests | None, shape: TicketShape) -> float | None:
    if floor is None:
        return None
    return floor.count(comments=shape.comments, attachments=shape.attachments)


def run_figures(
    *,
    run: Run,
    shape: TicketShape,
    meters: dict[str, EmulatorMeter],
    limits_known: bool,
    estimate: timedelta | None,
) -> RunFigures:
    """What ``run`` (finished) did; ``meters`` by side, sampled during the run."""
    for meter in meters.values():
        meter.sample()
    started = run.started_at
    assert started is not None
    ended = run.finished_at or started
    seconds = max((ended - started).total_seconds(), 1.0)
    late_start = started + FIRST_MINUTE
    batches = RunBatch.objects.filter(run=run)
    ticket_batches = batches.filter(kind=RunBatch.Kind.RECORDS, entity="tickets")
    tickets_done = RunRecord.objects.filter(run=run, entity="tickets").count()
    migrated = RunRecord.objects.filter(
        run=run, entity="tickets", outcome=RunRecord.Outcome.MIGRATED
    ).count()
    ticket_rows = ticket_batches.aggregate(
        source=Sum("source_calls"), target=Sum("target_calls"), verify=Sum("verification_calls")
    )
    all_rows = batches.aggregate(
        source=Sum("source_calls"),
        target=Sum("target_calls"),
        verify=Sum("verification_calls"),
        limited=Sum("rate_limited"),
        limited_late=Sum("rate_limited", filter=Q(finished_at__gt=late_start)),
    )
    late_rows = batches.filter(finished_at__gt=late_start).aggregate(
        source=Sum("source_calls"), target=Sum("target_calls"), verify=Sum("verification_calls")
    )
    first_ticket = ticket_batches.order_by("created_at").values_list("created_at", flat=True)
    ticket_started = first_ticket.first() or started
    per_ticket = max(tickets_done, 1)
    migration = run.migration
    platforms = {"source": migration.source.platform, "target": migration.target.platform}
    floors = {
        "source": _floor(registry.get(platforms["source"]).capabilities.ticket_read_floor, shape),
        "target": _floor(registry.get(platforms["target"]).capabilities.ticket_write_floor, shape),
    }
    sides: dict[str, SideFigures] = {}
    for side in ("source", "target"):
        meter = meters[side]
        # Reading the tickets back spends the target's budget.
        extra = "verify" if side == "target" else None
        requests = (all_rows[side] or 0) + (all_rows[extra] or 0 if extra else 0)
        late_requests = (late_rows[side] or 0) + (late_rows[extra] or 0 if extra else 0)
        per_minute_late: float | None = None
        refused = refused_late = None
        if meter.window_seconds is not None:
            whole_late = meter.windows_between(late_start, ended, whole=True)
            if whole_late:
                per_minute_late = (
                    meter.accepted(whole_late) / len(whole_late) * 60 / meter.window_seconds
                )
            first_window = math.floor(started.timestamp() / meter.window_seconds)
            all_windows = meter.windows_between(
                datetime.fromtimestamp(first_window * meter.window_seconds, tz=started.tzinfo),
                ended,
                whole=False,
            )
            refused = meter.refused(all_windows)
            refused_late = meter.refused(meter.windows_between(late_start, ended, whole=False))
        elif ended > late_start:
            per_minute_late = late_requests / ((ended - late_start).total_seconds() / 60)
        sides[side] = SideFigures(
            side=side,
            platform=platforms[side],
            limit=meter.limit,
            limit_known=limits_known,
            requests=requests,
            per_ticket=(ticket_rows[side] or 0) / per_ticket,
            floor=floors[side],
            per_minute=requests / (seconds / 60),
            per_minute_late=per_minute_late,
            refused=refused,
            refused_late=refused_late,
        )
    return RunFigures(
        pair=f"{platforms['source']} -> {platforms['target']}",
        status=run.status,
        tickets=tickets_done,
        migrated=migrated,
        seconds=seconds,
        ticket_seconds=max((ended - ticket_started).total_seconds(), 1.0),
        estimate_seconds=estimate.total_seconds() if estimate is not None else None,
        rate_limited=all_rows["limited"] or 0,
        rate_limited_late=all_rows["limited_late"] or 0,
        verification_per_ticket=(ticket_rows["verify"] or 0) / per_ticket,
        source=sides["source"],
        target=sides["target"],
    )


def _median(values: list):
    present = [value for value in values if value is not None]
    if len(present) < len(values):
        return None
    return statistics.median(present)


def figures_median(runs: list[RunFigures]) -> RunFigures:
    """Each figure's median over ``runs`` (a figure missing from one run is missing)."""

    def merge(items: list) -> object:
        first = items[0]
        changes = {}
        for item_field in fields(first):
            values = [getattr(item, item_field.name) for item in items]
            if isinstance(values[0], SideFigures):
                changes[item_field.name] = merge(values)
            elif isinstance(values[0], (bool, str)):
                changes[item_field.name] = values[0]
            else:
                median = _median(values)
                # A count stays a count (the lower middle of an even number of runs).
                if isinstance(values[0], int) and median is not None:
                    median = statistics.median_low(values)
                changes[item_field.name] = median
        return replace(first, **changes)

    return merge(runs)  # type: ignore[return-value]


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _side_lines(side: SideFigures) -> list[str]:
    floor = "floor not declared" if side.floor is None else f"floor {side.floor:.2f}"
    if side.floor:
        floor += f", {side.per_ticket / side.floor:.0%} of it"
    limit = f"{side.limit}/min enforced" if side.limit else "no limit enforced"
    told = "told to the connection" if side.limit_known else "unknown to the connection"
    late = (
        "n/a (no whole minute after the first)"
        if side.per_minute_late is None
        else f"{side.per_minute_late:.0f}/min ({_percent(side.use_late)})"
    )
    refused = (
        "not counted (no windowed limit)"
        if side.refused is None
        else f"{side.refused} in all, {side.refused_late} after the first minute"
    )
    return [
        f"  {side.side} ({side.platform}), {limit}, {told}:",
        f"    requests per ticket {side.per_ticket:.2f} ({floor})",
        f"    budget use: {side.requests} requests = {side.per_minute:.0f}/min over the run "
        f"({_percent(side.use)}); after the first minute {late}",
        f"    429 answers from the emulator: {refused}",
    ]


def figure_lines(figures: RunFigures, *, title: str) -> list[str]:
    estimate = (
        "none"
        if figures.estimate_seconds is None
        else format_duration(timedelta(seconds=figures.estimate_seconds))
    )
    ratio = (
        f" (estimate {figures.estimate_seconds / figures.seconds:.0%} of the actual time)"
        if figures.estimate_seconds is not None
        else ""
    )
    if figures.estimate_seconds == 0 and not (figures.source.limit or figures.target.limit):
        ratio = " (the estimate counts the limits only, and there are none)"
    return [
        f"{title}: {figures.pair}, {figures.migrated}/{figures.tickets} tickets migrated "
        f"({figures.status})",
        f"  time: estimate before the run {estimate}, actual "
        f"{format_duration(timedelta(seconds=figures.seconds))}{ratio}",
        f"  tickets per minute: {figures.tickets_per_minute:.0f} "
        f"(tickets phase {format_duration(timedelta(seconds=figures.ticket_seconds))})",
        *_side_lines(figures.source),
        *_side_lines(figures.target),
        f"  target reads to verify: {figures.verification_per_ticket:.2f} per ticket "
        "(counted in the target's budget, not in its requests per ticket)",
        f"  429 answers met by the engine: {figures.rate_limited} in all, "
        f"{figures.rate_limited_late} in batches finished after the first minute",
    ]


def measured_run(
    *,
    migration: Migration,
    meters: dict[str, EmulatorMeter],
    shape: TicketShape,
    limits_known: bool,
    tick: Callable[[], None],
    say: Callable[[str], None],
) -> tuple[Run, RunFigures]:
    """Estimate a full run of ``migration`` as the wizard does (from the source's counts),
    run it to its end, calling ``tick`` each second, and measure it."""
    counts = discovery.source_counts(migration=migration, entities=migration.selected_entities())
    estimate = selectors.migration_estimate(migration=migration, counts=counts)
    run = services.run_start(migration=migration, kind=Run.Kind.FULL)
    last = 0.0
    while True:
        tick()
        run.refresh_from_db()
        for meter in meters.values():
            meter.sample()
        finished = run.is_finished or run.status == Run.Status.PAUSED
        if time.monotonic() - last >= 10 or finished:
            say(progress_line(selectors.run_progress(run=run)))
            last = time.monotonic()
        if finished:
            break
        time.sleep(1)
    say(f"Run {run.pk}: {run.get_status_display()} {run.pause_reason}")
    for row in run_summary(run=run):
        say(
            f"  {row.label:34} available {row.available:>6}  migrated {row.migrated:>6}  "
            f"matched {row.matched:>5}  skipped {row.skipped:>5}  failed {row.failed:>5}"
        )
    figures = run_figures(
        run=run, shape=shape, meters=meters, limits_known=limits_known, estimate=estimate
    )
    return run, figures
