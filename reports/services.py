"""Writes of the reports: one row per source record and run, whatever the retries."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from connectors.messages import Message
from reports.models import RunRecord
from reports.titles import MAX_TITLE_CHARS

_MAX_REASON_CHARS = 4000
_MAX_DETAIL_CHARS = 8000


def reason_columns(reason: Message | str) -> dict[str, Any]:
    """A reason's columns: its English text, and (for a message) its id and parameters,
    shown in the reader's language."""
    if isinstance(reason, Message):
        return {
            "reason": str(reason)[:_MAX_REASON_CHARS],
            "reason_key": reason.key,
            "reason_params": reason.to_json()["params"],
        }
    return {"reason": reason[:_MAX_REASON_CHARS], "reason_key": "", "reason_params": {}}


def run_record_save(
    *,
    run_id: int,
    entity: str,
    source_id: str,
    outcome: str,
    title: str = "",
    target_id: str = "",
    reason: Message | str = "",
    detail: str = "",
    parent_source_id: str = "",
) -> None:
    """Insert or replace the record's row of this run (an upsert, safe under concurrency)."""
    RunRecord.objects.bulk_create(
        [
            RunRecord(
                run_id=run_id,
                entity=entity,
                source_id=source_id,
                title=title[:MAX_TITLE_CHARS],
                target_id=target_id or "",
                outcome=outcome,
                **reason_columns(reason),
                detail=detail[:_MAX_DETAIL_CHARS],
                parent_source_id=parent_source_id,
                recorded_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["run", "entity", "source_id"],
        update_fields=[
            "title",
            "target_id",
            "outcome",
            "reason",
            "reason_key",
            "reason_params",
            "detail",
            "parent_source_id",
            "recorded_at",
            "verification",
            "differences",
            "checked_at",
        ],
    )


def run_records_save(*, records: list[RunRecord]) -> None:
    """Insert or replace many rows at once (one statement), as :func:`run_record_save`."""
    if not records:
        return
    now = timezone.now()
    for record in records:
        record.target_id = record.target_id or ""
        record.title = (record.title or "")[:MAX_TITLE_CHARS]
        record.reason = record.reason[:_MAX_REASON_CHARS]
        record.detail = record.detail[:_MAX_DETAIL_CHARS]
        record.differences = record.differences[:_MAX_REASON_CHARS]
        record.recorded_at = now
        if record.verification:
            record.checked_at = now
    RunRecord.objects.bulk_create(
        records,
        update_conflicts=True,
        unique_fields=["run", "entity", "source_id"],
        update_fields=[
            "title",
            "target_id",
            "outcome",
            "reason",
            "reason_key",
            "reason_params",
            "detail",
            "parent_source_id",
            "recorded_at",
            "verification",
            "differences",
            "checked_at",
        ],
    )
