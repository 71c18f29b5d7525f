"""Removing the demo's records from the target (a run of kind ``rollback``).

What the demos created — never what they matched to the target's own records (an agent
or a contact found by its e-mail address) — is deleted in the reverse of the flow's
order: articles before their sections and categories, tickets before contacts, contacts
before organizations. Each entity's record-map rows are the run's selection, in batches
the workers claim like any other run's.

Crash safety and idempotency: a record-map row is removed, together with its report row,
only once the target confirmed the delete; a worker killed in between leaves the row,
the batch is claimed again, and the target's 404 for the record already gone counts as
removed. Running the removal twice deletes nothing twice: the second finds no row.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.db.models import QuerySet

from connectors.base import Target
from connectors.errors import ConnectorError, NotFoundError
from connectors.messages import message_of
from connectors.schema import Entity
from migrator.engine import failures, scheduling
from migrator.engine.failures import (
    Interrupted,
    RetryLater,
    SystemicFailure,
)
from migrator.engine.faults import crash_point
from migrator.engine.stopping import stop_requested
from migrator.models import Migration, RecordMap, Run, RunBatch, RunEntity
from reports.models import RunRecord
from reports.services import run_records_save

logger = logging.getLogger(__name__)

#: Tries of one delete within a batch before the batch is given back for later.
DELETE_ATTEMPTS = 3


def demo_rows(migration: Migration | int) -> QuerySet[RecordMap]:
    """Record-map rows of what the demos created on the target.

    Once a full run started, the demo's records are the migration's: only the copies
    demos made when they kept a record map of their own (rows left in the ``demo``
    namespace, see migration 0006) are still the demo's.
    """
    migration_id = migration if isinstance(migration, int) else migration.pk
    rows = RecordMap.objects.filter(
        migration_id=migration_id,
        created_on_target=True,
        created_by_kind=Run.Kind.DEMO,
    ).exclude(target_id="")
    if full_run_started(migration_id):
        rows = rows.filter(namespace=RecordMap.Namespace.DEMO)
    return rows


def full_run_started(migration_id: int) -> bool:
    return Run.objects.filter(
        migration_id=migration_id,
        kind__in=[Run.Kind.FULL, Run.Kind.DELTA, Run.Kind.REMIGRATION],
        started_at__isnull=False,
    ).exists()


def removal_order(entities: list[Entity]) -> list[Entity]:
    """Dependents first: the reverse of the order records are written in."""
    return list(reversed(Entity.in_dependency_order(entities)))


def plan_rollback(*, run: Run) -> None:
    """The run's selection: every row of a demo's record, per entity, dependents first.

    Safe to repeat: a planning batch that crashed plans again from what is left.
    """
    rows = demo_rows(run.migration_id).values_list("entity", "pk").order_by("pk")
    selected: dict[Entity, list[str]] = {}
    for entity, pk in rows:
        try:
            selected.setdefault(Entity(entity), []).append(str(pk))
        except ValueError:
            continue
    entities = removal_order(list(selected))
    with transaction.atomic():
        run.plan = {
            "entities": [entity.value for entity in entities],
            "removes": {entity.value: len(selected[entity]) for entity in entities},
        }
        run.save(update_fields=["plan"])
        RunEntity.objects.filter(run=run).delete()
        RunEntity.objects.bulk_create(
            RunEntity(
                run=run,
                entity=entity.value,
                position=position,
                available=len(selected[entity]),
                selected_ids=selected[entity],
            )
            for position, entity in enumerate(entities)
        )


def rollback_batch(
    *, batch: RunBatch, worker: str, target: Target, heartbeat: scheduling.Heartbeat
) -> None:
    """Plan the removal, or remove one batch of records from the target."""
    if batch.kind == RunBatch.Kind.PLAN:
        plan_rollback(run=batch.run)
        scheduling.batch_finish(batch=batch, worker=worker)
        return
    Removal(batch=batch, worker=worker, target=target, heartbeat=heartbeat).run()


class Removal:
    """The records of one claimed batch of a removal, each deleted on the target."""

    def __init__(
        self, *, batch: RunBatch, worker: str, target: Target, heartbeat: scheduling.Heartbeat
    ) -> None:
        self.batch = batch
        self.worker = worker
        self.target = target
        self.heartbeat = heartbeat
        self.run_obj = batch.run
        self.entity = Entity(batch.entity)
        self.removed = 0
        self.failed = 0

    def run(self) -> None:
        ids = [int(pk) for pk in self.batch.source_ids or []]
        rows = {row.pk: row for row in RecordMap.objects.filter(pk__in=ids)}
        for pk in ids:
            self._check_running()
            row = rows.get(pk)
            if row is None:
                continue  # removed by an earlier try of this batch: reported then
            self._remove(row)
        statistics = self.target.http_statistics()
        scheduling.batch_finish(
            batch=self.batch,
            worker=self.worker,
            migrated=self.removed,
            failed=self.failed,
            target_calls=statistics.total_calls,
            rate_limited=statistics.rate_limited,
        )

    def _check_running(self) -> None:
        if self.heartbeat.lost.is_set():
            raise Interrupted("another worker took the batch over")
        if stop_requested.is_set():
            raise Interrupted("the worker is stopping")
        status = Run.objects.filter(pk=self.run_obj.pk).values_list("status", flat=True).first()
        if status != Run.Status.RUNNING:
            raise Interrupted(f"the run is {status}")

    def _remove(self, row: RecordMap) -> None:
        for attempt in range(DELETE_ATTEMPTS):
            try:
                self.target.delete(self.entity, row.target_id)
            except NotFoundError:
                self._removed(row, reason="It was no longer on the target.")
                return
            except ConnectorError as error:
                if error.systemic and not error.retryable:
                    reason = failures.systemic_reason(error)
                    raise SystemicFailure(reason, detail=error.detail) from error
                if error.retryable:
                    if attempt + 1 >= DELETE_ATTEMPTS:
                        raise RetryLater(
                            message_of(error),
                            delay=failures.retry_delay(error, attempt=self.batch.attempts),
                        ) from error
                    time.sleep(min(10.0, failures.retry_delay(error, attempt=attempt) / 5))
                    continue
                self._failed(row, reason=f"The target refused: {error.user_message}")
                return
            except ValueError as error:
                self._failed(row, reason=f"The target cannot remove it: {error}")
                return
            crash_point("after_delete", key=row.source_id)
            self._removed(row, reason="")
            return

    def _removed(self, row: RecordMap, *, reason: str) -> None:
        """The target confirmed: the report row and the record map's row go together."""
        with transaction.atomic():
            self._report(row, RunRecord.Outcome.REMOVED, reason=reason)
            RecordMap.objects.filter(pk=row.pk).delete()
        self.removed += 1

    def _failed(self, row: RecordMap, *, reason: str) -> None:
        # The row stays: a later removal tries again, a full run updates the record.
        self._report(row, RunRecord.Outcome.FAILED, reason=reason)
        self.failed += 1

    def _report(self, row: RecordMap, outcome: str, *, reason: str) -> None:
        run_records_save(
            records=[
                RunRecord(
                    run_id=self.run_obj.pk,
                    entity=self.entity.value,
                    source_id=row.source_id,
                    target_id=row.target_id,
                    outcome=outcome,
                    reason=reason,
                )
            ]
        )


def rollback_possible(migration: Migration) -> bool:
    """Whether "Remove the demo's records" may be offered: a demo created records on the
    target that are still the demo's (no full run started since, which makes them the
    migration's)."""
    return demo_rows(migration).exists()
