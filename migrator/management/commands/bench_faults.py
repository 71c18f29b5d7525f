"""Fault drills at scale: full runs between seeded sandbox accounts with real workers while
the worker group is killed or stopped, the target answers 5xx and 429 bursts, answers are
cut short, Redis is stopped or the workers' database sessions are terminated; then what
landed on the target, counted on the target's own data."""

from __future__ import annotations

import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connectors.models import EmulatedAccount
from connectors.sandbox import sandbox_platforms
from migrator import processes
from migrator.bench import TableMaintenance, bench_environment, bench_processes, bench_queue
from migrator.drills import runner
from migrator.management.commands.run_migration import format_duration
from migrator.models import User

BENCH_EMAIL = "bench@example.com"
SOURCE_OF = {"freshdesk": "zendesk", "zendesk": "freshdesk"}


class Command(BaseCommand):
    help = (
        "Run the fault drills (SIGKILL and SIGTERM of the worker group, 5xx and 429 bursts, "
        "truncated answers, Redis stopped, the workers' database sessions terminated) on "
        "seeded sandbox accounts with real workers, and print per drill the tickets lost, "
        "duplicated and short on the target, the records failed for a passing fault, and "
        "the run's outcome and duration."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, default=2000)
        parser.add_argument(
            "--drills",
            default=",".join(runner.DRILLS),
            help=f"Comma-separated, among: {', '.join(runner.DRILLS)}.",
        )
        parser.add_argument("--target", choices=sorted(SOURCE_OF), default="freshdesk")
        parser.add_argument(
            "--seed", type=int, default=None, help="Seed of the data and the fault moments."
        )
        parser.add_argument("--concurrency", type=int, default=3, help="Pool size per worker.")
        parser.add_argument("--web-workers", type=int, default=4, help="Emulator web processes.")
        parser.add_argument("--page-size", type=int, default=25)
        parser.add_argument(
            "--timeout", type=int, default=3600, help="Seconds a drill's run may take."
        )
        parser.add_argument("--keep", action="store_true", help="Keep the emulated accounts.")

    def handle(self, *args, **options) -> None:
        drills = [name.strip() for name in options["drills"].split(",") if name.strip()]
        unknown = sorted(set(drills) - set(runner.DRILLS))
        if unknown:
            raise CommandError(
                f"Unknown drill(s): {', '.join(unknown)}. Drills: {', '.join(runner.DRILLS)}."
            )
        if options["tickets"] < 1:
            raise CommandError("--tickets must be at least 1.")
        target_key = options["target"]
        source_key = SOURCE_OF[target_key]
        if not {source_key, target_key} <= set(sandbox_platforms()):
            raise CommandError(f"The {source_key} and {target_key} sandboxes are needed.")
        if not settings.REDIS_URL:
            raise CommandError("Set REDIS_URL: the emulators keep their rate windows there.")
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            raise CommandError("Set DATABASE_URL to a PostgreSQL database: the drills need it.")
        if not processes.redis_server_available():
            raise CommandError("redis-server is needed: the workers get a Redis of their own.")
        seed = options["seed"] if options["seed"] is not None else random.randrange(1, 1_000_000)  # noqa: S311
        self.stdout.write(
            f"Drills {', '.join(drills)}: {options['tickets']} tickets, {source_key} to "
            f"{target_key}, seed {seed} (--seed {seed} replays it)."
        )
        queue = bench_queue("drill")
        port = processes.free_port()
        site_url = f"http://127.0.0.1:{port}"
        env = bench_environment(queue=queue, page_size=options["page_size"])
        owner, _created = User.objects.get_or_create(email=BENCH_EMAIL)
        maintain = TableMaintenance(say=self.stdout.write)
        results = []
        with tempfile.TemporaryDirectory(prefix="drill-redis-") as folder:
            redis = processes.RedisServer(data_dir=Path(folder)).start()
            try:
                with (
                    processes.broker_of_this_process(redis.url),
                    bench_processes(
                        env=env,
                        queue=queue,
                        port=port,
                        web_workers=options["web_workers"],
                        web_threads=1,
                        worker_env={"REDIS_URL": redis.url},
                        redis=redis,
                    ) as started,
                ):
                    for index, drill in enumerate(drills):
                        results.append(
                            self._drill(
                                drill,
                                started=started,
                                owner=owner,
                                site_url=site_url,
                                source_key=source_key,
                                target_key=target_key,
                                seed=seed + index,
                                options=options,
                                maintain=maintain,
                            )
                        )
            finally:
                redis.stop()
        self._table(results)

    def _drill(
        self,
        drill: str,
        *,
        started,
        owner: User,
        site_url: str,
        source_key: str,
        target_key: str,
        seed: int,
        options,
        maintain: TableMaintenance,
    ) -> runner.DrillResult:
        seeding = time.monotonic()
        accounts = runner.drill_accounts(
            owner=owner,
            site_url=site_url,
            source_key=source_key,
            target_key=target_key,
            tickets=options["tickets"],
            seed=seed,
        )
        maintain(force=True)
        self.stdout.write(
            f"\n== {drill}: seeded {options['tickets']} tickets in "
            f"{time.monotonic() - seeding:.0f}s (seed {seed})"
        )
        try:
            result = runner.run_drill(
                drill,
                stack=started,
                accounts=accounts,
                database_url=os.environ["DATABASE_URL"],
                rng=random.Random(seed),  # noqa: S311 - replayable fault moments
                concurrency=options["concurrency"],
                page_size=options["page_size"],
                timeout=options["timeout"],
                log=lambda line: self.stdout.write(f"   {line}"),
            )
            if not (result.run.is_finished or result.run.status == "paused"):
                self._tails(started)
        finally:
            started.workers_stop()
            if not options["keep"]:
                EmulatedAccount.objects.filter(
                    pk__in=[accounts.source.pk, accounts.target.pk]
                ).delete()
        self.stdout.write(f"   run {result.run.pk}: {result.outcome}")
        self.stdout.write(f"   {result.findings.explain(limit=8)}")
        return result

    def _tails(self, started) -> None:
        """The last words of beat and the workers, when a run did not end."""
        for child in [started.beat, *started.workers]:
            state = "running" if child.alive else f"exited ({child.process.returncode})"
            self.stdout.write(f"   --- {child.name}, {state}, last lines:")
            for line in child.lines[-12:]:
                self.stdout.write(f"   | {line.rstrip()[:200]}")

    def _table(self, results: list[runner.DrillResult]) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"{'drill':10} {'lost':>5} {'dupl.':>5} {'short':>5} {'f-retry':>7} "
            f"{'failed':>6} {'report':>6} {'verified':>12} {'differ':>6} {'v-calls':>7}  "
            f"{'duration':>8}  outcome"
        )
        for result in results:
            counts = result.findings.counts()
            checked = result.verification()
            verified = f"{checked.verified}/{checked.migrated}"
            self.stdout.write(
                f"{result.drill:10} {counts['lost']:>5} {counts['duplicated']:>5} "
                f"{counts['short']:>5} {counts['failed_retryable']:>7} {counts['failed']:>6} "
                f"{counts['report_mismatches']:>6} {verified:>12} {checked.differs:>6} "
                f"{checked.calls:>7}  "
                f"{format_duration(timedelta(seconds=result.seconds)):>8}  {result.outcome}"
            )
