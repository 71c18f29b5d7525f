"""Where a run stands and how long it will take, before the start and during the run.

Counts come from the run records (one per source record, so retries never count twice).
Before the run, the time is the records times the API requests one record costs on each
side (a ticket's from the connectors' ``ticket_reads``/``ticket_writes`` for an assumed
number of comments and attachments), divided by the requests a minute each account
allows: the limit entered on the connection, else the one its platform's headers
announced, else the connector's usual plan. Reading and writing overlap: the slower side
sets the pace (its limit is "binding"). During the run the requests per record are
measured on the finished batches, and once enough records are done the time left comes
from the pace measured over the last minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import Count, Sum
from django.utils import timezone

from connectors.base import USUAL_TICKET_VERIFY_READS, Capabilities
from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity
from migrator.models import Connection, Migration, Run, RunBatch, RunEntity
from reports.models import ATTACHMENTS, RunRecord

#: Records per minute are measured over this much recent time.
THROUGHPUT_WINDOW = timedelta(minutes=5)
#: Records of an entity done within the window before their pace, not the limits, tells
#: how long the entity's records left take.
MEASURED_PACE_MINIMUM = 20
#: A ticket's shape when the source does not count comments and attachments: the shape
#: the estimates are stated for (five comments, the description included; one file).
ASSUMED_COMMENTS_PER_TICKET = 5.0
ASSUMED_ATTACHMENTS_PER_TICKET = 1.0


class LimitOrigin(StrEnum):
    """Where an account's requests-a-minute figure comes from."""

    ENTERED = "entered"  # by the user, on the connection
    LEARNED = "learned"  # announced by the platform's rate-limit headers
    DEFAULT = "default"  # the connector's usual plan
    NONE = "none"  # the user said the account has no limit


#: Limits the account is known to have: entered by the user, announced by the platform,
#: or none at all.
KNOWN_LIMITS = frozenset({LimitOrigin.ENTERED, LimitOrigin.LEARNED, LimitOrigin.NONE})


@dataclass(frozen=True)
class SideLimit:
    """The requests a minute one side's account allows, and where the figure comes from."""

    per_minute: float
    origin: LimitOrigin


@dataclass(frozen=True)
class TicketShape:
    comments: float = ASSUMED_COMMENTS_PER_TICKET
    attachments: float = ASSUMED_ATTACHMENTS_PER_TICKET
    #: False when counted on the source, True when the stated assumption.
    assumed: bool = True


@dataclass(frozen=True)
class Estimate:
    """How long moving some records takes, with what it was computed from."""

    duration: timedelta
    source: SideLimit
    target: SideLimit
    #: API requests one ticket costs on each side; None when no ticket moves.
    source_requests_per_ticket: float | None
    target_requests_per_ticket: float | None
    shape: TicketShape
    #: "source" or "target": the side whose limit sets the pace; "" when neither has one.
    binding: str


@dataclass(frozen=True)
class EntityProgress:
    entity: Entity
    status: str
    available: int
    migrated: int
    skipped: int
    failed: int
    filtered_out: int
    #: Found already on the target and not written (agents, groups): not migrated.
    matched: int = 0

    @property
    def label(self) -> str:
        return self.entity.label

    @property
    def done(self) -> int:
        return self.migrated + self.matched + self.skipped + self.failed

    @property
    def remaining(self) -> int:
        if self.status == RunEntity.Status.DONE:
            return 0
        return max(0, self.available - self.done - self.filtered_out)

    @property
    def percent(self) -> int:
        if self.status == RunEntity.Status.DONE:
            return 100
        if not self.available:
            return 0
        return min(99, round(100 * (self.done + self.filtered_out) / self.available))


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    kind: str
    status: str
    pause_reason: str
    started_at: datetime | None
    finished_at: datetime | None
    entities: list[EntityProgress] = field(default_factory=list)
    attachments_skipped: int = 0
    records_per_minute: float = 0.0
    #: Time left; None when it cannot be told yet (not planned).
    eta: timedelta | None = None
    #: "source" or "target": the side whose rate limit sets the pace; "" when unknown.
    binding: str = ""
    #: Whether the time left comes from the measured pace (else from the limits).
    eta_measured: bool = False
    #: The side whose rate limit a batch waits for now, and until when.
    waiting_on: str = ""
    waiting_until: datetime | None = None

    @property
    def available(self) -> int:
        return sum(entity.available for entity in self.entities)

    @property
    def done(self) -> int:
        return sum(entity.done for entity in self.entities)

    @property
    def percent(self) -> int:
        if self.status == Run.Status.COMPLETED:
            return 100
        weights = sum(entity.available for entity in self.entities)
        if not weights:
            return 0
        return min(99, round(sum(e.percent * e.available for e in self.entities) / weights))


def _capabilities(platform: str) -> Capabilities | None:
    try:
        return registry.get(platform).capabilities
    except UnknownConnectorError:
        return None


def side_limit(connection: Connection | None, capabilities: Capabilities | None) -> SideLimit:
    """Requests a minute the account allows: entered by the user (0: no limit), else
    announced by the platform, else the connector's usual plan."""
    if connection is not None and connection.rate_limit_per_minute is not None:
        if not connection.rate_limit_per_minute:
            return SideLimit(per_minute=float("inf"), origin=LimitOrigin.NONE)
        return SideLimit(
            per_minute=float(connection.rate_limit_per_minute), origin=LimitOrigin.ENTERED
        )
    if connection is not None and connection.rate_limit_learned:
        return SideLimit(
            per_minute=float(connection.rate_limit_learned), origin=LimitOrigin.LEARNED
        )
    default = capabilities.rate_limit_per_minute if capabilities else 100
    return SideLimit(per_minute=float(default), origin=LimitOrigin.DEFAULT)


def declared_calls(
    capabilities: Capabilities | None, *, side: str, shape: TicketShape, verify: bool = False
) -> dict[Entity, float]:
    """API requests a record costs one side, as the connector declares them; on the target
    with ``verify``, reading each written record back too (it spends the same budget)."""
    if capabilities is None:
        return {}
    reading = side == "source"
    calls = dict(
        capabilities.read_calls_per_record if reading else capabilities.write_calls_per_record
    )
    tickets = capabilities.ticket_reads if reading else capabilities.ticket_writes
    if tickets is not None:
        calls[Entity.TICKETS] = tickets.count(
            comments=shape.comments, attachments=shape.attachments
        )
    if verify and not reading:
        from migrator.engine.verify import VERIFIED_ENTITIES  # verify imports this module

        read_back = capabilities.ticket_verify_reads or USUAL_TICKET_VERIFY_READS
        for entity in VERIFIED_ENTITIES:
            reads = (
                read_back.count(comments=shape.comments, attachments=shape.attachments)
                if entity is Entity.TICKETS
                else 1.0
            )
            calls[entity] = calls.get(entity, 1.0) + reads
    return calls


def estimate_time(
    *,
    remaining: Mapping[Entity, int],
    read_calls: Mapping[Entity, float],
    write_calls: Mapping[Entity, float],
    source_rate: float,
    target_rate: float,
) -> timedelta:
    """Reading and writing overlap, so the slower side sets the pace."""
    reading, writing = _side_minutes(
        remaining=remaining,
        read_calls=read_calls,
        write_calls=write_calls,
        source_rate=source_rate,
        target_rate=target_rate,
    )
    return timedelta(minutes=max(reading, writing))


def _side_minutes(
    *,
    remaining: Mapping[Entity, int],
    read_calls: Mapping[Entity, float],
    write_calls: Mapping[Entity, float],
    source_rate: float,
    target_rate: float,
) -> tuple[float, float]:
    reading = sum(count * read_calls.get(e, 1.0) for e, count in remaining.items()) / source_rate
    writing = sum(count * write_calls.get(e, 1.0) for e, count in remaining.items()) / target_rate
    return reading, writing


def _binding(reading_minutes: float, writing_minutes: float) -> str:
    if not (reading_minutes or writing_minutes):
        return ""
    return "source" if reading_minutes > writing_minutes else "target"


def migration_estimate(
    *, migration: Migration, counts: Mapping[Entity, int], shape: TicketShape | None = None
) -> Estimate | None:
    """The time a full run would take for these record counts, before it starts, and
    what it was computed from."""
    if migration.source is None or migration.target is None:
        return None
    source = _capabilities(migration.source.platform)
    target = _capabilities(migration.target.platform)
    if source is None or target is None:
        return None
    shape = shape or TicketShape()
    source_limit = side_limit(migration.source, source)
    target_limit = side_limit(migration.target, target)
    read_calls = declared_calls(source, side="source", shape=shape)
    write_calls = declared_calls(
        target,
        side="target",
        shape=shape,
        verify=migration.configured_options().verify_migrated,
    )
    reading, writing = _side_minutes(
        remaining=counts,
        read_calls=read_calls,
        write_calls=write_calls,
        source_rate=source_limit.per_minute,
        target_rate=target_limit.per_minute,
    )
    moves_tickets = bool(counts.get(Entity.TICKETS))
    return Estimate(
        duration=timedelta(minutes=max(reading, writing)),
        source=source_limit,
        target=target_limit,
        source_requests_per_ticket=read_calls.get(Entity.TICKETS) if moves_tickets else None,
        target_requests_per_ticket=write_calls.get(Entity.TICKETS) if moves_tickets else None,
        shape=shape,
        binding=_binding(reading, writing),
    )


def _measured_calls(run: Run) -> tuple[dict[Entity, float], dict[Entity, float]]:
    """API calls per record on each side, measured on the finished batches."""
    rows = (
        RunBatch.objects.filter(run=run, kind=RunBatch.Kind.RECORDS, status=RunBatch.Status.DONE)
        .values("entity")
        .annotate(
            reads=Sum("source_calls"),
            writes=Sum("target_calls"),
            # Reading records back spends mostly the target's budget: it counts there.
            verification=Sum("verification_calls"),
            migrated=Sum("migrated"),
            skipped=Sum("skipped"),
            failed=Sum("failed"),
        )
    )
    read_calls: dict[Entity, float] = {}
    write_calls: dict[Entity, float] = {}
    for row in rows:
        records = (row["migrated"] or 0) + (row["skipped"] or 0) + (row["failed"] or 0)
        if records >= 10:
            read_calls[Entity(row["entity"])] = (row["reads"] or 0) / records
            writes = (row["writes"] or 0) + (row["verification"] or 0)
            write_calls[Entity(row["entity"])] = writes / records
    return read_calls, write_calls


def run_progress(*, run: Run, now: datetime | None = None) -> RunProgress:
    now = now or timezone.now()
    outcome_counts: dict[tuple[str, str], int] = {
        (row["entity"], row["outcome"]): row["n"]
        for row in RunRecord.objects.filter(run=run)
        .values("entity", "outcome")
        .annotate(n=Count("id"))
    }
    entities = [
        EntityProgress(
            entity=Entity(row.entity),
            status=row.status,
            available=row.available,
            # A removal counts what it removed where a migration counts what it wrote.
            migrated=outcome_counts.get((row.entity, RunRecord.Outcome.MIGRATED), 0)
            + outcome_counts.get((row.entity, RunRecord.Outcome.REMOVED), 0),
            matched=outcome_counts.get((row.entity, RunRecord.Outcome.MATCHED), 0),
            skipped=outcome_counts.get((row.entity, RunRecord.Outcome.SKIPPED), 0),
            failed=outcome_counts.get((row.entity, RunRecord.Outcome.FAILED), 0),
            filtered_out=row.filtered_out,
        )
        for row in RunEntity.objects.filter(run=run).order_by("position")
    ]
    attachments_skipped = sum(
        n for (entity, _), n in outcome_counts.items() if entity == ATTACHMENTS
    )
    records_per_minute = 0.0
    #: Records a minute of each entity with enough of them done recently to tell.
    paces: dict[Entity, float] = {}
    if run.started_at:
        since = max(run.started_at, now - THROUGHPUT_WINDOW)
        end = run.finished_at or now
        minutes = max((end - since).total_seconds() / 60, 1 / 60)
        recent = dict(
            RunRecord.objects.filter(run=run, recorded_at__gte=since)
            .exclude(entity=ATTACHMENTS)
            .values_list("entity")
            .annotate(n=Count("id"))
        )
        records_per_minute = sum(recent.values()) / minutes
        paces = {
            Entity(entity): count / minutes
            for entity, count in recent.items()
            if count >= MEASURED_PACE_MINIMUM
        }
    left = _time_left(run, entities, records_per_minute, paces=paces)
    eta: timedelta | None = None
    if run.is_finished:
        eta = timedelta(0)
    elif entities:
        eta = left.duration
    waiting = _waiting(run, now=now) if not run.is_finished else None
    return RunProgress(
        run_id=run.pk,
        kind=run.kind,
        status=run.status,
        pause_reason=run.pause_reason_shown,
        started_at=run.started_at,
        finished_at=run.finished_at,
        entities=entities,
        attachments_skipped=attachments_skipped,
        records_per_minute=records_per_minute,
        eta=eta,
        binding=left.binding if entities and not run.is_finished else "",
        eta_measured=left.measured,
        waiting_on=waiting.waiting_on if waiting else "",
        waiting_until=waiting.not_before if waiting else None,
    )


@dataclass(frozen=True)
class _TimeLeft:
    duration: timedelta
    binding: str
    measured: bool


def _waiting(run: Run, *, now: datetime) -> RunBatch | None:
    """The batch given back to wait longest for a platform's rate limit, if any."""
    return (
        RunBatch.objects.filter(run=run, not_before__gt=now)
        .exclude(waiting_on="")
        .only("waiting_on", "not_before")
        .order_by("-not_before")
        .first()
    )


def _time_left(
    run: Run,
    entities: list[EntityProgress],
    records_per_minute: float,
    *,
    paces: Mapping[Entity, float],
) -> _TimeLeft:
    """Entities move one after the other: the time left adds theirs. An entity with
    enough records done recently goes on at its measured pace, never faster than the
    known limits allow; the others at the pace the limits and the requests per record
    (measured where batches finished) allow."""
    migration = run.migration
    source = _capabilities(migration.source.platform) if migration.source else None
    target = _capabilities(migration.target.platform) if migration.target else None
    shape = TicketShape()
    read_calls = declared_calls(source, side="source", shape=shape)
    write_calls = declared_calls(target, side="target", shape=shape)
    measured_reads, measured_writes = _measured_calls(run)
    read_calls.update(measured_reads)
    write_calls.update(measured_writes)
    remaining = {entity.entity: entity.remaining for entity in entities}
    source_limit = side_limit(migration.source, source)
    target_limit = side_limit(migration.target, target)
    source_rate, target_rate = source_limit.per_minute, target_limit.per_minute
    reading, writing = _side_minutes(
        remaining=remaining,
        read_calls=read_calls,
        write_calls=write_calls,
        source_rate=source_rate,
        target_rate=target_rate,
    )
    # A limit the account is known to have (entered or announced) is a pace no burst
    # outlasts; a usual plan's may be wrong, and the measured pace then tells.
    known = {source_limit.origin, target_limit.origin} <= KNOWN_LIMITS
    unlimited = source_rate == float("inf") and target_rate == float("inf")
    total = 0.0
    measured = False
    for entity, left in remaining.items():
        if not left:
            continue
        by_limits = left * max(
            read_calls.get(entity, 1.0) / source_rate, write_calls.get(entity, 1.0) / target_rate
        )
        pace = paces.get(entity) or (records_per_minute if unlimited else 0.0)
        if pace and not (known and by_limits > left / pace):
            total += left / pace
            measured = True
        else:
            total += by_limits
    return _TimeLeft(
        duration=timedelta(minutes=total),
        binding="" if unlimited else _binding(reading, writing),
        measured=measured,
    )
