"""Reads of the reports: per-entity summaries and CSV exports of a run."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from connectors.messages import Message
from connectors.schema import Entity
from migrator.engine.progress import run_progress
from migrator.engine.verify import VERIFIED_ENTITIES
from migrator.models import Connection, Run, RunBatch
from reports.links import record_url
from reports.models import ATTACHMENTS, SOURCE_ORDER, RunRecord, flow_order

CSV_COLUMNS = (
    "entity",
    "source_id",
    "title",
    "source_url",
    "target_id",
    "target_url",
    "outcome",
    "reason",
    "verification",
)
CSV_CHUNK_ROWS = 2000


@dataclass(frozen=True)
class EntitySummary:
    entity: str
    label: str
    available: int
    migrated: int
    skipped: int
    failed: int
    #: Read from the source but left out by the migration's filters (dates, tags).
    filtered_out: int = 0
    #: Found already on the target and not written (agents, groups): not migrated.
    matched: int = 0
    #: Records read back from the target and found as they should be; None when this
    #: entity is not verified (agents and groups are matched, not written).
    verified: int | None = None
    #: Records read back that differ from what the target should hold.
    differs: int = 0


def run_summary(*, run: Run) -> list[EntitySummary]:
    """Per entity: records available, migrated, skipped, failed and verified; then
    left-out files."""
    progress = run_progress(run=run)
    checked = _verification_counts(run)
    rows = [
        EntitySummary(
            entity=entity.entity.value,
            label=entity.label,
            available=entity.available,
            migrated=entity.migrated,
            matched=entity.matched,
            skipped=entity.skipped,
            failed=entity.failed,
            filtered_out=entity.filtered_out,
            verified=checked.get((entity.entity.value, RunRecord.Verification.VERIFIED), 0)
            if entity.entity in VERIFIED_ENTITIES
            else None,
            differs=checked.get((entity.entity.value, RunRecord.Verification.DIFFERS), 0),
        )
        for entity in progress.entities
    ]
    if progress.attachments_skipped:
        rows.append(
            EntitySummary(
                entity=ATTACHMENTS,
                label="Attachments left out",
                available=progress.attachments_skipped,
                migrated=0,
                skipped=progress.attachments_skipped,
                failed=0,
            )
        )
    return rows


def _verification_counts(run: Run) -> dict[tuple[str, str], int]:
    rows = (
        RunRecord.objects.filter(run=run)
        .exclude(verification=RunRecord.Verification.NOT_CHECKED)
        .values_list("entity", "verification")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {(entity, verification): count for entity, verification, count in rows}


def verification_calls(*, run: Run) -> int:
    """API calls spent reading the run's records back: while writing, and by "Verify
    again"."""
    written = RunBatch.objects.filter(run=run).aggregate(calls=Sum("verification_calls"))
    return (written["calls"] or 0) + run.reverify_calls


def reverify_checked(*, run: Run) -> int:
    """Records "Verify again" read back so far (in its latest pass)."""
    if run.reverify_started_at is None:
        return 0
    return RunRecord.objects.filter(run=run, checked_at__gte=run.reverify_started_at).count()


def run_records(
    *,
    run: Run,
    outcome: str | None = None,
    entity: str | None = None,
    search: str | None = None,
) -> QuerySet[RunRecord]:
    """A run's records (one outcome's, one entity's, those whose title holds ``search`` or
    whose id on either side is ``search``), by entity in the order the run moved them, then
    by source id (numeric ids in numeric order), attachments left out last."""
    records = RunRecord.objects.filter(run=run)
    if outcome:
        records = records.filter(outcome=outcome)
    if entity:
        records = records.filter(entity=entity)
    if search := (search or "").strip():
        records = records.filter(
            Q(title__icontains=search) | Q(source_id=search) | Q(target_id=search)
        )
    if entity:
        return records.order_by(*SOURCE_ORDER)
    return records.order_by(flow_order(), *SOURCE_ORDER)


class _Line:
    """csv.writer writes into this and gets the line back, so rows stream one by one."""

    def write(self, value: str) -> str:
        return value


def run_records_csv(
    *, run: Run, outcome: str | None = None, entity: str | None = None, search: str | None = None
) -> Iterator[str]:
    """CSV lines of a run's records (one outcome, or all), for a StreamingHttpResponse.

    Rows are read from the database in chunks, so a run of millions of records streams
    in constant memory.
    """
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    migration = run.migration
    source: Connection | None = migration.source
    target: Connection | None = migration.target
    rows = (
        run_records(run=run, outcome=outcome, entity=entity, search=search)
        .values_list(
            "entity",
            "source_id",
            "title",
            "target_id",
            "outcome",
            "reason",
            "parent_source_id",
            "verification",
            "differences",
        )
        .iterator(chunk_size=CSV_CHUNK_ROWS)
    )
    for (
        kind,
        source_id,
        title,
        target_id,
        result,
        reason,
        parent,
        verification,
        differences,
    ) in rows:
        source_url, target_url = record_links(
            source=source,
            target=target,
            entity=kind,
            source_id=source_id,
            target_id=target_id,
            parent_source_id=parent,
        )
        checked = f"{verification}: {differences}" if differences else verification
        yield writer.writerow(
            (
                kind,
                source_id,
                title,
                source_url,
                target_id,
                target_url,
                result,
                reason,
                checked,
            )
        )


def record_links(
    *,
    source: Connection | None,
    target: Connection | None,
    entity: str,
    source_id: str,
    target_id: str,
    parent_source_id: str = "",
) -> tuple[str, str]:
    """The record's page on the source and on the target ("" when unknown); a left-out
    attachment links to the ticket or article it belongs to on the source."""
    url_entity, url_id = entity, source_id
    if entity == ATTACHMENTS and "/" in parent_source_id:
        url_entity, url_id = parent_source_id.split("/", 1)
    return (
        _url(source, url_entity, url_id),
        _url(target, entity, target_id) if entity != ATTACHMENTS else "",
    )


def _url(connection: Connection | None, entity: str, record_id: str) -> str:
    if connection is None or entity not in Entity._value2member_map_:
        return ""
    return record_url(
        platform=connection.platform,
        account_url=connection.account_url,
        entity=entity,
        record_id=record_id,
    )


def reason_display(record: RunRecord) -> str:
    """A record's reason in the active language, with its parameters (the platforms' own
    words as they said them); rows kept before reasons had a message id show their text."""
    if record.reason_key:
        message = Message.from_json({"key": record.reason_key, "params": record.reason_params})
        if message is not None:
            return message.render(translate=True)
    return record.reason
