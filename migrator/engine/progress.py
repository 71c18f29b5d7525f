"""Where a run stands and how long it will take, before the start and during the run.

Counts come from the run records (one per source record, so retries never count twice).
The time left is the records left times the API calls one record costs, divided by the
requests a minute the platforms allow; the calls per record are measured on the batches
done so far, and taken from the connectors' declarations before that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from connectors.base import Capabilities
from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity
from migrator.models import Connection, Migration, Run, RunBatch, RunEntity
from reports.models import ATTACHMENTS, RunRecord

#: Records per minute are measured over this much recent time.
THROUGHPUT_WINDOW = timedelta(minutes=5)


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


def rate_per_minute(connection: Connection | None, capabilities: Capabilities | None) -> float:
    """Requests a minute the account allows; infinite when the user said it has no limit."""
    if connection is not None and connection.rate_limit_per_minute is not None:
        return float(connection.rate_limit_per_minute or "inf")
    return float(capabilities.rate_limit_per_minute) if capabilities else 100.0


def estimate_time(
    *,
    remaining: Mapping[Entity, int],
    read_calls: Mapping[Entity, float],
    write_calls: Mapping[Entity, float],
    source_rate: float,
    target_rate: float,
) -> timedelta:
    """Reading and writing overlap, so the slower side sets the pace."""
    reading = sum(count * read_calls.get(e, 1.0) for e, count in remaining.items()) / source_rate
    writing = sum(count * write_calls.get(e, 1.0) for e, count in remaining.items()) / target_rate
    return timedelta(minutes=max(reading, writing))


def migration_estimate(*, migration: Migration, counts: Mapping[Entity, int]) -> timedelta | None:
    """The time a full run would take for these record counts, before it starts."""
    if migration.source is None or migration.target is None:
        return None
    source = _capabilities(migration.source.platform)
    target = _capabilities(migration.target.platform)
    if source is None or target is None:
        return None
    return estimate_time(
        remaining=counts,
        read_calls=source.read_calls_per_record,
        write_calls=target.write_calls_per_record,
        source_rate=rate_per_minute(migration.source, source),
        target_rate=rate_per_minute(migration.target, target),
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
    if run.started_at:
        since = max(run.started_at, now - THROUGHPUT_WINDOW)
        end = run.finished_at or now
        minutes = max((end - since).total_seconds() / 60, 1 / 60)
        recent = (
            RunRecord.objects.filter(run=run, recorded_at__gte=since)
            .exclude(entity=ATTACHMENTS)
            .count()
        )
        records_per_minute = recent / minutes
    eta: timedelta | None = None
    if run.is_finished:
        eta = timedelta(0)
    elif entities:
        eta = _time_left(run, entities, records_per_minute)
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
    )


def _time_left(run: Run, entities: list[EntityProgress], records_per_minute: float) -> timedelta:
    migration = run.migration
    source = _capabilities(migration.source.platform) if migration.source else None
    target = _capabilities(migration.target.platform) if migration.target else None
    read_calls = dict(source.read_calls_per_record) if source else {}
    write_calls = dict(target.write_calls_per_record) if target else {}
    measured_reads, measured_writes = _measured_calls(run)
    read_calls.update(measured_reads)
    write_calls.update(measured_writes)
    remaining = {entity.entity: entity.remaining for entity in entities}
    source_rate = rate_per_minute(migration.source, source)
    target_rate = rate_per_minute(migration.target, target)
    if source_rate == float("inf") and target_rate == float("inf"):
        # No rate limit to divide by: the pace measured so far is the best guess.
        left = sum(remaining.values())
        return timedelta(minutes=left / records_per_minute) if records_per_minute else timedelta(0)
    return estimate_time(
        remaining=remaining,
        read_calls=read_calls,
        write_calls=write_calls,
        source_rate=source_rate,
        target_rate=target_rate,
    )
