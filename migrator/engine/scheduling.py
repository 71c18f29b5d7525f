"""Handing batches to workers, and taking them back after crashes.

PostgreSQL is the source of truth; the broker only carries batch ids, and carrying one
twice is harmless because a worker must first claim the batch with a conditional UPDATE.
A claimed batch stays alive through its heartbeat; the reconciler (Celery beat) sends
stale and forgotten batches again, starts scheduled runs and follows interval windows.
Entities run one after the other in dependency order: the batch that finishes an entity,
under a lock on its run, starts the next one or completes the run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Greatest
from django.utils import timezone

from connectors.messages import Message, gettext_noop
from connectors.schema import Entity
from migrator import notifications
from migrator.configuration import Window
from migrator.engine import fairness
from migrator.models import AuditEvent, Migration, Run, RunBatch, RunEntity
from migrator.queues import queue_for_run

logger = logging.getLogger(__name__)

#: Entities whose records may refer to records of the same entity (a section inside a
#: section): their pages are written one after the other, never side by side.
SEQUENTIAL_ENTITIES = frozenset({Entity.ARTICLE_SECTIONS.value})


class ClaimLost(Exception):
    """Another worker took the batch over (this one was thought dead)."""


# --------------------------------------------------------------------------- enqueueing


def batches_enqueue(batch_ids: Sequence[int], *, countdown: float | None = None) -> None:
    """Send batch ids to the workers now (call it after the batches are committed)."""
    if not batch_ids:
        return
    from migrator.tasks import batch_execute

    batches = RunBatch.objects.filter(pk__in=batch_ids)
    batches.update(enqueued_at=timezone.now())
    for batch_id, run_kind in batches.values_list("pk", "run__kind"):
        batch_execute.apply_async(
            args=[batch_id], queue=queue_for_run(kind=run_kind), countdown=countdown
        )


def batches_enqueue_on_commit(batch_ids: Sequence[int], *, countdown: float | None = None) -> None:
    ids = list(batch_ids)
    transaction.on_commit(lambda: batches_enqueue(ids, countdown=countdown))


# --------------------------------------------------------------------------- claiming


def batch_claim(*, batch_id: int, worker: str) -> RunBatch | None:
    """Take a batch for ``worker``, or None when it is not to be worked on now.

    The UPDATE's own WHERE decides between two workers racing for the same batch.
    """
    now = timezone.now()
    batch = (
        RunBatch.objects.select_related("run__migration__source", "run__migration__target")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None or batch.run.status != Run.Status.RUNNING:
        return None
    if batch.not_before and batch.not_before > now + timedelta(seconds=1):
        return None
    if batch.entity in SEQUENTIAL_ENTITIES and _earlier_batch_unfinished(batch):
        return None
    stale_before = now - timedelta(seconds=settings.MIGRATOR_STALE_SECONDS)
    if batch.kind == RunBatch.Kind.RECORDS and _run_at_capacity(
        batch, now=now, stale_before=stale_before
    ):
        # Not lost: sent again shortly (and by the reconciler, were that message lost).
        batches_enqueue([batch.pk], countdown=settings.MIGRATOR_RUN_AT_CAPACITY_COUNTDOWN)
        return None
    claimed = (
        RunBatch.objects.filter(pk=batch_id)
        .filter(
            Q(status=RunBatch.Status.PENDING)
            | Q(status=RunBatch.Status.CLAIMED, heartbeat_at__lt=stale_before)
        )
        .update(
            status=RunBatch.Status.CLAIMED,
            claimed_by=worker,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            waiting_on="",
        )
    )
    if not claimed:
        return None
    batch.refresh_from_db()
    return batch


_UNFINISHED = (RunBatch.Status.PENDING, RunBatch.Status.CLAIMED)


def _run_at_capacity(batch: RunBatch, *, now: datetime, stale_before: datetime) -> bool:
    """Whether the batch's run already holds every process its budgets can feed, or its
    share of the busy processes while other runs wait for one.

    One query: the run's live claimed batches and its finished ones' busy time and calls;
    the live claimed batches of every run, and how many running runs have work claimed or
    due. Two workers claiming the same instant may both pass; the next claim sees both.
    """
    live = Q(status=RunBatch.Status.CLAIMED, heartbeat_at__gte=stale_before)
    due = Q(status=RunBatch.Status.PENDING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    here = Q(run_id=batch.run_id)
    done_here = here & Q(status=RunBatch.Status.DONE)
    totals = RunBatch.objects.filter(
        here | (Q(run__status=Run.Status.RUNNING) & Q(status__in=_UNFINISHED))
    ).aggregate(
        claimed=Count("pk", filter=here & live & ~Q(pk=batch.pk)),
        claimed_everywhere=Count("pk", filter=live & ~Q(pk=batch.pk)),
        runs_wanting=Count(
            "run_id", distinct=True, filter=Q(run__status=Run.Status.RUNNING) & (live | due)
        ),
        busy_seconds=Sum("busy_seconds", filter=done_here, default=0.0),
        source_calls=Sum("source_calls", filter=done_here, default=0),
        target_calls=Sum(F("target_calls") + F("verification_calls"), filter=done_here, default=0),
    )
    if not totals["claimed"]:
        return False
    migration = batch.run.migration
    fed = fairness.processes_fed(
        source=migration.source,
        target=migration.target,
        measure=fairness.RunMeasure(
            busy_seconds=totals["busy_seconds"],
            source_calls=totals["source_calls"],
            target_calls=totals["target_calls"],
        ),
    )
    share = fairness.fair_share(
        busy_processes=totals["claimed_everywhere"] + 1, runs_wanting=totals["runs_wanting"]
    )
    return totals["claimed"] >= min(fed, share)


def _earlier_batch_unfinished(batch: RunBatch) -> bool:
    return (
        RunBatch.objects.filter(
            run_id=batch.run_id, entity=batch.entity, sequence__lt=batch.sequence
        )
        .exclude(status=RunBatch.Status.DONE)
        .exists()
    )


def _owned(batch: RunBatch, worker: str):
    return RunBatch.objects.filter(pk=batch.pk, claimed_by=worker, status=RunBatch.Status.CLAIMED)


class Heartbeat:
    """Keeps a claimed batch's heartbeat fresh from a thread while the worker is alive.

    It beats during long calls too (a 429 wait, a big attachment), so only a dead
    process lets the batch go stale. ``lost`` is set when another worker took it over.
    """

    def __init__(self, *, batch: RunBatch, worker: str) -> None:
        self.batch = batch
        self.worker = worker
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="batch-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.MIGRATOR_HEARTBEAT_SECONDS):
                try:
                    alive = _owned(self.batch, self.worker).update(heartbeat_at=timezone.now())
                except Exception:
                    # A database hiccup: the next beat tries again.
                    logger.warning("heartbeat of %s failed", self.batch, exc_info=True)
                    close_old_connections()
                    continue
                if not alive:
                    self.lost.set()
                    return
        finally:
            connection.close()


def batch_release(
    *,
    batch: RunBatch,
    worker: str,
    delay_seconds: float | None = None,
    error: str = "",
    waiting_on: str = "",
) -> None:
    """Give a claimed batch back: another try later (after ``delay_seconds``), or when
    its run is resumed. ``waiting_on`` ("source"/"target"): it waits for that side's rate
    limit, which is not an attempt (its claim is not counted)."""
    not_before = timezone.now() + timedelta(seconds=delay_seconds) if delay_seconds else None
    counted = {"attempts": Greatest(F("attempts") - 1, 0)} if waiting_on else {}
    released = _owned(batch, worker).update(
        status=RunBatch.Status.PENDING,
        claimed_by="",
        heartbeat_at=None,
        not_before=not_before,
        last_error=error[:4000],
        waiting_on=waiting_on,
        **counted,
    )
    run_status = Run.objects.filter(pk=batch.run_id).values_list("status", flat=True).first()
    if released and run_status == Run.Status.RUNNING:
        batches_enqueue([batch.pk], countdown=delay_seconds)


# --------------------------------------------------------------------------- progress


def batch_page_commit(
    *,
    batch: RunBatch,
    worker: str,
    source_ids: list[str],
    cursor_out: str,
    has_more: bool,
    filtered_out: int,
) -> None:
    """Commit a page that was read: its ids, the cursor after it and the next batch,
    together, before any record of the page is written."""
    with transaction.atomic():
        locked = RunBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.claimed_by != worker or locked.status != RunBatch.Status.CLAIMED:
            raise ClaimLost(str(batch))
        locked.source_ids = source_ids
        locked.cursor_out = cursor_out
        locked.is_last = not has_more
        locked.save(update_fields=["source_ids", "cursor_out", "is_last"])
        RunEntity.objects.filter(run_id=batch.run_id, entity=batch.entity).update(
            cursor=cursor_out,
            filtered_out=F("filtered_out") + filtered_out,
            read_complete=not has_more,
        )
        if has_more:
            following, _created = RunBatch.objects.get_or_create(
                run_id=batch.run_id,
                entity=batch.entity,
                sequence=batch.sequence + 1,
                defaults={"cursor_in": cursor_out},
            )
            if batch.entity not in SEQUENTIAL_ENTITIES:
                batches_enqueue_on_commit([following.pk])
    batch.source_ids = source_ids
    batch.cursor_out = cursor_out
    batch.is_last = not has_more


def batch_finish(
    *,
    batch: RunBatch,
    worker: str,
    migrated: int = 0,
    skipped: int = 0,
    failed: int = 0,
    source_calls: int = 0,
    target_calls: int = 0,
    verification_calls: int = 0,
    rate_limited: int = 0,
    busy_seconds: float = 0.0,
) -> bool:
    """Mark the batch done and, when it was its entity's last, move the run on.

    Returns False when the batch was no longer this worker's.
    """
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=batch.run_id)
        finished = _owned(batch, worker).update(
            status=RunBatch.Status.DONE,
            finished_at=timezone.now(),
            migrated=migrated,
            skipped=skipped,
            failed=failed,
            source_calls=source_calls,
            target_calls=target_calls,
            verification_calls=verification_calls,
            rate_limited=rate_limited,
            busy_seconds=busy_seconds,
            last_error="",
            waiting_on="",
        )
        if not finished:
            return False
        if run.status == Run.Status.CANCELLED:
            return True
        if batch.kind == RunBatch.Kind.PLAN:
            _entities_advance(run)
            return True
        if batch.entity in SEQUENTIAL_ENTITIES:
            following = RunBatch.objects.filter(
                run_id=run.pk,
                entity=batch.entity,
                sequence=batch.sequence + 1,
                status=RunBatch.Status.PENDING,
            ).values_list("pk", flat=True)
            batches_enqueue_on_commit(list(following))
        run_entity = RunEntity.objects.get(run_id=run.pk, entity=batch.entity)
        unfinished = (
            RunBatch.objects.filter(run_id=run.pk, entity=batch.entity)
            .exclude(status=RunBatch.Status.DONE)
            .exists()
        )
        if run_entity.read_complete and not unfinished:
            run_entity.status = RunEntity.Status.DONE
            run_entity.finished_at = timezone.now()
            run_entity.save(update_fields=["status", "finished_at"])
            _entities_advance(run)
    return True


def _entities_advance(run: Run) -> None:
    """Start the next waiting entity (under the run's lock), or complete the run."""
    while True:
        run_entity = (
            RunEntity.objects.filter(run_id=run.pk, status=RunEntity.Status.WAITING)
            .order_by("position")
            .first()
        )
        if run_entity is None:
            _run_complete(run)
            return
        run_entity.status = RunEntity.Status.RUNNING
        run_entity.started_at = timezone.now()
        batches = _first_batches(run, run_entity)
        if batches:
            run_entity.save(update_fields=["status", "started_at", "read_complete"])
            batches_enqueue_on_commit([b.pk for b in batches])
            return
        run_entity.status = RunEntity.Status.DONE
        run_entity.read_complete = True
        run_entity.finished_at = timezone.now()
        run_entity.save(update_fields=["status", "started_at", "finished_at", "read_complete"])


def _first_batches(run: Run, run_entity: RunEntity) -> list[RunBatch]:
    if run_entity.selected_ids is None:
        return [RunBatch.objects.create(run=run, entity=run_entity.entity, sequence=0)]
    ids = list(run_entity.selected_ids)
    size = settings.MIGRATOR_PAGE_SIZE
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]
    run_entity.read_complete = True
    return [
        RunBatch.objects.create(
            run=run,
            entity=run_entity.entity,
            sequence=sequence,
            source_ids=chunk,
            is_last=sequence == len(chunks) - 1,
        )
        for sequence, chunk in enumerate(chunks)
    ]


def _run_complete(run: Run) -> None:
    run.status = Run.Status.COMPLETED
    run.finished_at = timezone.now()
    run.paused_by = ""
    run.pause_reason = ""
    run.pause_reason_message = {}
    run.save(
        update_fields=["status", "finished_at", "paused_by", "pause_reason", "pause_reason_message"]
    )
    if not run.is_preliminary:
        Migration.objects.filter(pk=run.migration_id).update(status=Migration.Status.COMPLETED)
    logger.info("run %s completed", run.pk)
    if run.kind != Run.Kind.ROLLBACK:
        transaction.on_commit(lambda: notifications.run_finished(run=run))
    _follow_up_start(run)


def _follow_up_start(run: Run) -> None:
    """The run that waited on this one (the full run after the demo's records were
    removed) is created in the same transaction as this one's completion: it exists once
    and only once the removal is done."""
    follow_up = run.follow_up or {}
    kind = follow_up.get("kind")
    if kind not in Run.Kind.values:
        return
    following = Run.objects.create(
        migration_id=run.migration_id,
        kind=kind,
        windows=follow_up.get("windows") or [],
        created_by_id=run.created_by_id,
    )
    _audit_by_system(following, action=AuditEvent.Action.RUN_STARTED)
    if window_open(following.configured_windows(), timezone.now()):
        run_begin(following)


# --------------------------------------------------------------------------- run states


def run_begin(run: Run) -> bool:
    """Move a queued run to running and plan it; False when it was not queued any more."""
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.QUEUED:
            return False
        locked.status = Run.Status.RUNNING
        locked.started_at = locked.started_at or timezone.now()
        locked.paused_by = ""
        locked.pause_reason = ""
        locked.pause_reason_message = {}
        locked.save(
            update_fields=[
                "status",
                "started_at",
                "paused_by",
                "pause_reason",
                "pause_reason_message",
            ]
        )
        planning, _created = RunBatch.objects.get_or_create(
            run=locked, kind=RunBatch.Kind.PLAN, entity="", sequence=0
        )
        batches_enqueue_on_commit([planning.pk])
        if locked.kind != Run.Kind.ROLLBACK:
            Migration.objects.filter(pk=locked.migration_id).update(
                status=Migration.Status.DEMO
                if locked.kind == Run.Kind.DEMO
                else Migration.Status.RUNNING
            )
    run.refresh_from_db()
    return True


def _reason_fields(reason: Message | str) -> dict[str, Any]:
    """A run's reason: its English text, and the message shown in the reader's language."""
    return {
        "pause_reason": str(reason)[:4000],
        "pause_reason_message": reason.to_json() if isinstance(reason, Message) else {},
    }


def run_pause(*, run: Run, paused_by: str, reason: Message | str) -> bool:
    paused = Run.objects.filter(
        pk=run.pk, status__in=[Run.Status.RUNNING, Run.Status.QUEUED]
    ).update(status=Run.Status.PAUSED, paused_by=paused_by, **_reason_fields(reason))
    if paused and not run.is_preliminary:
        Migration.objects.filter(pk=run.migration_id).update(status=Migration.Status.PAUSED)
    if paused:
        logger.info("run %s paused by %s: %s", run.pk, paused_by, reason)
    run.refresh_from_db()
    if paused and paused_by != Run.PausedBy.USER:
        # A user's pause is recorded with its author by migrator.services.run_pause.
        _audit_by_system(run, action=AuditEvent.Action.RUN_PAUSED, reason=reason)
    if paused and paused_by == Run.PausedBy.SYSTEM:
        transaction.on_commit(lambda: notifications.run_paused(run=run))
    return bool(paused)


def _audit_by_system(run: Run, *, action: str, reason: Message | str = "") -> None:
    """The migration's activity log: what the engine or the schedule did to a run."""
    # Imported here: migrator.services imports this module.
    from migrator.services import audit_record

    detail = f"{run.get_kind_display()} #{run.pk}"
    audit_record(
        migration=run.migration,
        actor=None,
        action=action,
        detail=f"{detail}: {reason}" if str(reason) else detail,
    )


def run_fail(*, run: Run, reason: Message | str) -> bool:
    """End a run that no resume could finish (the configuration is impossible for the
    pair, a connection is gone or unreadable); ``reason`` says what to change before a
    new run. Systemic errors that can be fixed outside (revoked credentials, a platform
    down) pause instead."""
    with transaction.atomic():
        failed = Run.objects.filter(pk=run.pk, status__in=Run.ACTIVE_STATUSES).update(
            status=Run.Status.FAILED,
            finished_at=timezone.now(),
            paused_by="",
            **_reason_fields(reason),
        )
        if failed and not run.is_preliminary:
            Migration.objects.filter(pk=run.migration_id).update(status=Migration.Status.FAILED)
    if failed:
        logger.info("run %s failed: %s", run.pk, reason)
    run.refresh_from_db()
    return bool(failed)


def run_cancel(*, run: Run) -> bool:
    """Stop a queued, running or paused run for good; the migration goes back to where
    it stood before the run."""
    with transaction.atomic():
        cancelled = Run.objects.filter(pk=run.pk, status__in=Run.ACTIVE_STATUSES).update(
            status=Run.Status.CANCELLED, finished_at=timezone.now()
        )
        if cancelled and not run.is_preliminary:
            Migration.objects.filter(pk=run.migration_id).update(
                status=_status_without(run.migration_id, run)
            )
    run.refresh_from_db()
    return bool(cancelled)


def _status_without(migration_id: int, run: Run) -> str:
    """The migration's status from its other runs: its last finished full, delta or
    re-migration, else whether it had a demo."""
    runs = Run.objects.filter(migration_id=migration_id).exclude(pk=run.pk)
    last = (
        runs.exclude(kind__in=Run.PRELIMINARY_KINDS)
        .filter(status__in=[Run.Status.COMPLETED, Run.Status.FAILED])
        .order_by("-finished_at")
        .values_list("status", flat=True)
        .first()
    )
    if last is not None:
        return (
            Migration.Status.COMPLETED if last == Run.Status.COMPLETED else Migration.Status.FAILED
        )
    if runs.filter(kind=Run.Kind.DEMO).exists():
        return Migration.Status.DEMO
    return Migration.Status.DRAFT


def run_resume(*, run: Run) -> bool:
    """Continue a paused run: its pending and abandoned batches go to the workers again."""
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.PAUSED:
            return False
        locked.status = Run.Status.RUNNING if locked.started_at else Run.Status.QUEUED
        locked.paused_by = ""
        locked.pause_reason = ""
        locked.pause_reason_message = {}
        locked.failures_counted_since = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "paused_by",
                "pause_reason",
                "pause_reason_message",
                "failures_counted_since",
            ]
        )
        if locked.status == Run.Status.QUEUED:
            transaction.on_commit(lambda: run_begin(locked))
        else:
            # Batches still claimed belong to workers that did not see the pause, or to
            # dead ones the reconciler will notice.
            pending = RunBatch.objects.filter(
                run=locked, status=RunBatch.Status.PENDING
            ).values_list("pk", flat=True)
            RunBatch.objects.filter(run=locked).update(not_before=None)
            batches_enqueue_on_commit(list(pending))
            if not locked.is_preliminary:
                Migration.objects.filter(pk=locked.migration_id).update(
                    status=Migration.Status.RUNNING
                )
    run.refresh_from_db()
    return True


# --------------------------------------------------------------------------- windows


def window_open(windows: Iterable[Window], moment: datetime) -> bool:
    """Whether ``moment`` falls in one of the windows (in the site's time zone)."""
    windows = list(windows)
    if not windows:
        return True
    local = timezone.localtime(moment)
    day = local.isoweekday()
    previous_day = 7 if day == 1 else day - 1
    now = local.time()
    for window in windows:
        if window.start <= window.end:
            if day in window.days and window.start <= now < window.end:
                return True
        else:  # runs past midnight
            if day in window.days and now >= window.start:
                return True
            if previous_day in window.days and now < window.end:
                return True
    return False


def window_next_opening(windows: Iterable[Window], moment: datetime) -> datetime | None:
    windows = list(windows)
    local = timezone.localtime(moment)
    candidates = []
    for offset in range(8):
        day = local + timedelta(days=offset)
        for window in windows:
            if day.isoweekday() in window.days:
                opening = day.replace(
                    hour=window.start.hour, minute=window.start.minute, second=0, microsecond=0
                )
                if opening > local:
                    candidates.append(opening)
    return min(candidates) if candidates else None


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _outside_windows_reason(run: Run, now: datetime) -> Message:
    opening = window_next_opening(run.configured_windows(), now)
    if opening is None:
        return Message(gettext_noop("Outside the hours chosen for this interval migration."))
    return Message(
        gettext_noop(
            "Outside the hours chosen for this interval migration. It continues at "
            "%(day)s %(time)s."
        ),
        {
            # The day's English name, a message Django's own catalogues translate.
            "day": Message(_WEEKDAYS[timezone.localtime(opening).weekday()]),
            "time": f"{timezone.localtime(opening):%H:%M}",
        },
    )


# --------------------------------------------------------------------------- reconciler


def runs_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Start due runs, follow interval windows, and send stale or forgotten batches again.

    Run by Celery beat every ``MIGRATOR_RECONCILE_SECONDS``; safe to run anywhere, any
    number of times.
    """
    now = now or timezone.now()
    started = paused = resumed = 0
    for run in Run.objects.filter(status=Run.Status.QUEUED).filter(
        Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now)
    ):
        if window_open(run.configured_windows(), now) and run_begin(run):
            started += 1
    for run in Run.objects.filter(status=Run.Status.RUNNING).exclude(windows=[]):
        if not window_open(run.configured_windows(), now):
            paused += run_pause(
                run=run, paused_by=Run.PausedBy.SCHEDULE, reason=_outside_windows_reason(run, now)
            )
    for run in Run.objects.filter(status=Run.Status.PAUSED, paused_by=Run.PausedBy.SCHEDULE):
        if window_open(run.configured_windows(), now) and run_resume(run=run):
            resumed += 1
            _audit_by_system(run, action=AuditEvent.Action.RUN_RESUMED)
    stale_before = now - timedelta(seconds=settings.MIGRATOR_STALE_SECONDS)
    forgotten = list(
        RunBatch.objects.filter(run__status=Run.Status.RUNNING)
        .filter(
            Q(status=RunBatch.Status.CLAIMED, heartbeat_at__lt=stale_before)
            | (
                Q(status=RunBatch.Status.PENDING)
                & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale_before))
                & (Q(not_before__isnull=True) | Q(not_before__lte=now))
            )
        )
        .values_list("pk", flat=True)
    )
    batches_enqueue(forgotten)
    if started or paused or resumed or forgotten:
        logger.info(
            "reconciler: %d runs started, %d paused and %d resumed by their windows, "
            "%d batches sent again",
            started, paused, resumed, len(forgotten),
        )  # fmt: skip
    return {"started": started, "paused": paused, "resumed": resumed, "batches": len(forgotten)}
