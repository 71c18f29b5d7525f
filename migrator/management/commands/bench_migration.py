"""Benchmark a full run: seeded emulators over loopback HTTP, real workers, real figures."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from connectors.models import EmulatedAccount
from connectors.sandbox import SeedPlan, sandbox_platform, sandbox_platforms
from connectors.schema import Entity
from migrator import configuration, processes, selectors, services
from migrator.bench import TableMaintenance, bench_environment, bench_processes, bench_queue
from migrator.management.commands.run_migration import format_duration, progress_line
from migrator.models import Migration, Run, RunBatch, RunEntity, User
from reports.models import RunRecord
from reports.selectors import run_summary

SOURCE, TARGET = "zendesk", "freshdesk"
BENCH_EMAIL = "bench@example.com"
ENTITIES = [
    Entity.ORGANIZATIONS,
    Entity.GROUPS,
    Entity.AGENTS,
    Entity.CONTACTS,
    Entity.TICKETS,
]


class Command(BaseCommand):
    help = (
        "Seed the Zendesk and Freshdesk emulators, run a full migration between them over "
        "loopback HTTP with real Celery workers, and print tickets/min, API requests/min "
        "against the limit and the workers' peak memory."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, default=1000)
        parser.add_argument("--comments", type=int, default=5, help="Comments per ticket.")
        parser.add_argument(
            "--attachments", type=int, default=1, choices=[0, 1], help="One per ticket, or none."
        )
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=0,
            help="Requests a minute each emulated account allows (0: no limit).",
        )
        parser.add_argument("--workers", type=int, default=1, help="Worker processes.")
        parser.add_argument("--concurrency", type=int, default=4, help="Pool size per worker.")
        parser.add_argument("--web-workers", type=int, default=6, help="Emulator web processes.")
        parser.add_argument(
            "--web-threads",
            type=int,
            default=1,
            # One request at a time per process: threads of one process share its interpreter.
            help="Threads per emulator web process.",
        )
        parser.add_argument("--page-size", type=int, default=settings.MIGRATOR_PAGE_SIZE)
        parser.add_argument(
            "--port", type=int, default=0, help="The emulators' port (0: any free one)."
        )
        parser.add_argument("--keep", action="store_true", help="Keep the emulated accounts.")

    def handle(self, *args, **options) -> None:
        if not {SOURCE, TARGET} <= set(sandbox_platforms()):
            raise CommandError(f"The {SOURCE} and {TARGET} sandboxes are needed.")
        if not settings.REDIS_URL:
            raise CommandError("Set REDIS_URL: workers share the run and rate budgets there.")
        queue = bench_queue("bench")
        options["port"] = options["port"] or processes.free_port()
        site_url = f"http://127.0.0.1:{options['port']}"
        env = bench_environment(queue=queue, page_size=options["page_size"])
        self._maintain_tables = TableMaintenance(say=self.stdout.write)
        source, target = self._seed(options)
        try:
            with bench_processes(
                env=env,
                queue=queue,
                port=options["port"],
                web_workers=options["web_workers"],
                web_threads=options["web_threads"],
            ) as started:
                self.web = started.web
                workers = [
                    started.worker(concurrency=options["concurrency"])
                    for _index in range(options["workers"])
                ]
                migration = self._migration(source, target, site_url, options["rate_limit"])
                run = self._run(migration, workers)
                self._report(run, options, workers)
        finally:
            if not options["keep"]:
                EmulatedAccount.objects.filter(pk__in=[source.pk, target.pk]).delete()

    def _seed(self, options) -> tuple[EmulatedAccount, EmulatedAccount]:
        tickets = options["tickets"]
        slug = uuid.uuid4().hex[:6]
        started = time.monotonic()
        source_platform = sandbox_platform(SOURCE)
        source = source_platform.account_create(
            slug=f"bench-src-{slug}",
            name="Bench source",
            rate_limit_per_minute=options["rate_limit"],
        )
        source_platform.seed(
            account=source,
            plan=SeedPlan(
                agents=10,
                # Fixed, so that runs of different sizes differ by their tickets only.
                contacts=200,
                organizations=20,
                groups=5,
                tickets=tickets,
                comments_per_ticket=(options["comments"], options["comments"]),
                attachment_ratio=float(options["attachments"]),
                inline_image_ratio=0.0,
                seed=tickets,
            ),
        )
        target_platform = sandbox_platform(TARGET)
        target = target_platform.account_create(
            slug=f"bench-dst-{slug}",
            name="Bench target",
            rate_limit_per_minute=options["rate_limit"],
        )
        target_platform.seed(account=target, plan=SeedPlan(agents=10, groups=2))
        self.stdout.write(f"Seeded {tickets} tickets in {time.monotonic() - started:.0f}s.")
        self._maintain_tables(force=True)
        return source, target

    def _migration(
        self, source: EmulatedAccount, target: EmulatedAccount, site_url: str, rate_limit: int
    ) -> Migration:
        owner, _created = User.objects.get_or_create(email=BENCH_EMAIL)
        connections = [
            services.connection_create(
                owner=owner,
                platform=account.platform,
                credentials=sandbox_platform(account.platform).credentials(
                    account=account, site_url=site_url
                ),
                rate_limit_per_minute=rate_limit,
            )
            for account in (source, target)
        ]
        migration = services.migration_create(owner=owner, name=f"Benchmark {source.slug}")
        return services.migration_configure(
            migration=migration,
            source=connections[0],
            target=connections[1],
            entities=ENTITIES,
            matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
        )

    def _run(self, migration: Migration, workers: list[processes.ChildProcess]) -> Run:
        self.machine_at_start = _machine_cpu_ticks()
        run = services.run_start(migration=migration, kind=Run.Kind.FULL)
        last = 0.0
        while True:
            self._maintain_tables()
            run.refresh_from_db()
            for child in [*workers, self.web]:
                child.sample_memory()
                child.cpu_seconds()
            if time.monotonic() - last >= 10 or run.is_finished or run.status == Run.Status.PAUSED:
                self.stdout.write(progress_line(selectors.run_progress(run=run)))
                last = time.monotonic()
            if run.is_finished or run.status == Run.Status.PAUSED:
                return run
            time.sleep(1)

    def _report(self, run: Run, options, workers: list[processes.ChildProcess]) -> None:
        tickets = RunEntity.objects.get(run=run, entity="tickets")
        migrated = RunRecord.objects.filter(run=run, entity="tickets", outcome="migrated").count()
        elapsed = (run.finished_at or run.started_at) - run.started_at
        ticket_time = (tickets.finished_at or run.finished_at) - (
            tickets.started_at or run.started_at
        )
        minutes = max(elapsed.total_seconds() / 60, 1 / 60)
        batches = RunBatch.objects.filter(run=run, kind=RunBatch.Kind.RECORDS)
        totals = batches.aggregate(
            source=Sum("source_calls"), target=Sum("target_calls"), limited=Sum("rate_limited")
        )
        first_minute_end = run.started_at + timedelta(minutes=1)
        late_429 = (
            batches.filter(finished_at__gt=first_minute_end).aggregate(n=Sum("rate_limited"))["n"]
            or 0
        )
        limit = options["rate_limit"]
        self.stdout.write("")
        self.stdout.write(f"Run {run.pk}: {run.get_status_display()} {run.pause_reason}")
        for row in run_summary(run=run):
            self.stdout.write(
                f"  {row.label:34} available {row.available:>6}  migrated {row.migrated:>6}  "
                f"matched {row.matched:>5}  skipped {row.skipped:>5}  failed {row.failed:>5}"
            )
        ticket_minutes = max(ticket_time.total_seconds() / 60, 1 / 60)
        self.stdout.write(
            f"Tickets: {migrated} migrated in {format_duration(ticket_time)} "
            f"({migrated / ticket_minutes:.0f} tickets/min); whole run {format_duration(elapsed)}."
        )
        for side, calls in (("source", totals["source"] or 0), ("target", totals["target"] or 0)):
            per_minute = calls / minutes
            against = f" of {limit} allowed ({per_minute / limit:.0%})" if limit else " (no limit)"
            self.stdout.write(f"API requests, {side}: {calls} = {per_minute:.0f}/min{against}.")
        self.stdout.write(
            f"429 answers: {totals['limited'] or 0} in all, {late_429} after the first minute."
        )
        worker_cpu = sum(worker.cpu_seconds() for worker in workers)
        web_cpu = self.web.cpu_seconds()
        tick = os.sysconf("SC_CLK_TCK")
        busy, total = (
            (end - start) / tick
            for start, end in zip(self.machine_at_start, _machine_cpu_ticks(), strict=True)
        )
        rest = max(busy - worker_cpu - web_cpu, 0)
        per_ticket = 1000 / max(migrated, 1)
        self.stdout.write(
            f"CPU: workers {worker_cpu:.0f}s ({worker_cpu * per_ticket:.0f} ms a ticket), "
            f"emulators {web_cpu:.0f}s ({web_cpu * per_ticket:.0f} ms a ticket), the rest "
            f"(database, Redis, this command) {rest:.0f}s ({rest * per_ticket:.0f} ms a ticket); "
            f"the machine was busy {busy:.0f} of {total:.0f} CPU-seconds "
            f"({busy / max(total, 1):.0%}); load average "
            f"{' '.join(f'{value:.2f}' for value in os.getloadavg())}."
        )
        peak = max((worker.sample_memory() for worker in workers), default=0)
        main = max((worker.peak_of_main_kb() for worker in workers), default=0)
        pool = max((worker.peak_of_children_kb() for worker in workers), default=0)
        self.stdout.write(
            f"Worker peak RSS: {peak / 1024:.0f} MB (main process {main / 1024:.0f} MB, "
            f"pool processes {pool / 1024:.0f} MB)."
        )


def _machine_cpu_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the whole machine so far, from /proc/stat (0s elsewhere)."""
    try:
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)
