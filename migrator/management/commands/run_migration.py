"""Start a run from the command line, and follow it to the end with --wait."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from migrator import selectors, services
from migrator.engine import execute, scheduling
from migrator.engine.progress import RunProgress
from migrator.models import Migration, Run, RunBatch
from reports.selectors import run_summary, verification_calls

EXIT_PAUSED = 3


def format_duration(value: timedelta | None) -> str:
    if value is None:
        return "unknown"
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def progress_line(state: RunProgress, *, now: datetime | None = None) -> str:
    """One line of a run's progress: counts, pace, time left (measured or from the
    limits), the side whose limit sets the pace, and a wait for a platform's limit."""
    parts = [f"{e.entity.value} {e.done}/{e.available}" for e in state.entities]
    entities = ", ".join(parts) or "planning"
    line = (
        f"[{state.status}] {state.percent:3d}%  {entities}  "
        f"{state.records_per_minute:.0f} records/min  ETA {format_duration(state.eta)}"
    )
    if state.eta is not None and state.status == Run.Status.RUNNING:
        line += " (measured)" if state.eta_measured else " (from the limits)"
    if state.binding:
        line += f"  pace: {state.binding}'s limit"
    if state.waiting_on and state.waiting_until is not None:
        seconds = max(1, round((state.waiting_until - (now or timezone.now())).total_seconds()))
        line += f"  waiting for the {state.waiting_on}'s rate limit, about {seconds}s"
    return line


class Command(BaseCommand):
    help = (
        "Start a demo, full, delta or re-migration run of a migration. With --wait, print its "
        "progress until it ends, then the summary (workers must be running, or use --inline)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("migration_id", type=int)
        parser.add_argument("--kind", choices=Run.Kind.values, default=Run.Kind.DEMO)
        parser.add_argument(
            "--scheduled-for", help="Start at this ISO date and time instead of now."
        )
        parser.add_argument("--wait", action="store_true", help="Follow the run to its end.")
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Work the batches in this process instead of Celery workers (implies --wait).",
        )
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between progress lines."
        )

    def handle(self, *args, migration_id: int, kind: str, **options) -> None:
        migration = Migration.objects.filter(pk=migration_id).first()
        if migration is None:
            raise CommandError(f"There is no migration {migration_id}.")
        scheduled_for = self._when(options["scheduled_for"])
        try:
            run = services.run_start(migration=migration, kind=kind, scheduled_for=scheduled_for)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Run {run.pk} ({run.get_kind_display()}) of “{migration}”: {run.status}")
        if not (options["wait"] or options["inline"]):
            return
        run = self._follow(run, inline=options["inline"], interval=options["interval"])
        self._summary(run)
        if run.status == Run.Status.PAUSED:
            raise SystemExit(EXIT_PAUSED)
        if run.status != Run.Status.COMPLETED:
            raise SystemExit(1)

    def _when(self, text: str | None) -> datetime | None:
        if not text:
            return None
        moment = parse_datetime(text)
        if moment is None:
            raise CommandError(f"--scheduled-for: {text!r} is not an ISO date and time.")
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment

    def _follow(self, run: Run, *, inline: bool, interval: float) -> Run:
        last_line = ""
        next_line_at = 0.0
        while True:
            run.refresh_from_db()
            if inline:
                self._work_inline(run)
                run.refresh_from_db()
            now = time.monotonic()
            if now >= next_line_at or run.status != Run.Status.RUNNING:
                line = progress_line(selectors.run_progress(run=run))
                if line != last_line:
                    self.stdout.write(line)
                    last_line = line
                next_line_at = now + interval
            if run.is_finished or (
                run.status == Run.Status.PAUSED and run.paused_by != Run.PausedBy.SCHEDULE
            ):
                return run
            if not inline:
                time.sleep(min(interval, 1.0))

    def _work_inline(self, run: Run) -> None:
        if run.status == Run.Status.QUEUED:
            scheduling.runs_reconcile()
            time.sleep(1.0)
            return
        pending = (
            RunBatch.objects.filter(run=run, status=RunBatch.Status.PENDING)
            .order_by("id")
            .values_list("pk", "not_before")
        )
        if not pending:
            time.sleep(0.2)
        now = timezone.now()
        for batch_id, not_before in pending:
            if not_before is None or not_before <= now:
                execute.batch_execute(batch_id=batch_id)

    def _summary(self, run: Run) -> None:
        self.stdout.write("")
        self.stdout.write(f"Run {run.pk}: {run.get_status_display()}")
        if run.pause_reason:
            self.stdout.write(f"  Reason: {run.pause_reason}")
        header = (
            f"  {'':34} {'available':>9} {'migrated':>9} {'matched':>9} {'skipped':>9} "
            f"{'failed':>9} "
            f"{'verified':>9}"
        )
        self.stdout.write(header)
        for row in run_summary(run=run):
            verified = "-" if row.verified is None else row.verified
            self.stdout.write(
                f"  {row.label:34} {row.available:>9} {row.migrated:>9} {row.matched:>9} "
                f"{row.skipped:>9} {row.failed:>9} {verified:>9}"
            )
        self.stdout.write(f"  Verification: {verification_calls(run=run)} API calls.")
        if run.started_at and run.finished_at:
            self.stdout.write(f"  Took {format_duration(run.finished_at - run.started_at)}.")
