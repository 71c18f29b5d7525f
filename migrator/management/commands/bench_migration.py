"""Benchmark full runs between two seeded emulators over loopback HTTP with real workers,
and print their figures: requests per ticket against the pair's floor, budget use
against the enforced limits, 429 answers, the estimate against the actual time."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connectors.models import EmulatedAccount
from migrator import processes
from migrator.bench import (
    Pair,
    TableMaintenance,
    TicketShape,
    bench_environment,
    bench_migration_create,
    bench_processes,
    bench_queue,
    bench_source_seed,
    bench_target_create,
)
from migrator.bench_figures import (
    EmulatorMeter,
    RunFigures,
    figure_lines,
    figures_median,
    measured_run,
)
from migrator.models import Migration


class Command(BaseCommand):
    help = (
        "Seed a source emulator with tickets and a target with agents and groups, run full "
        "migrations between them over loopback HTTP with real Celery workers, and print "
        "requests per ticket against the pair's floor, budget use, 429 answers, the "
        "estimate against the actual time, tickets/min, and the workers' CPU and memory."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--pair",
            default="zendesk:freshdesk",
            help="SOURCE:TARGET among the sandboxes (zendesk, freshdesk, edesk, "
            "teamwork_desk, halo).",
        )
        parser.add_argument("--tickets", type=int, default=1000)
        parser.add_argument("--comments", type=int, default=5, help="Comments per ticket.")
        parser.add_argument(
            "--attachments", type=int, default=1, choices=[0, 1], help="One per ticket, or none."
        )
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=0,
            help="Requests a minute both emulated accounts allow (0: no limit), unless "
            "--limit-source/--limit-target say otherwise.",
        )
        parser.add_argument(
            "--limit-source", type=int, help="Requests a minute the source account allows."
        )
        parser.add_argument(
            "--limit-target", type=int, help="Requests a minute the target account allows."
        )
        parser.add_argument(
            "--unknown-limit",
            action="store_true",
            help="The connections are not told the limits: the runs learn them from the "
            "platforms' rate-limit headers.",
        )
        parser.add_argument(
            "--repeat", type=int, default=1, help="Runs (a new target each); medians printed."
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
        parser.add_argument(
            "--no-verify",
            action="store_true",
            help="Do not read the written records back (reading back spends the target's budget).",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the emulated accounts.")

    def handle(self, *args, **options) -> None:
        try:
            pair = Pair.parse(options["pair"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not settings.REDIS_URL:
            raise CommandError("Set REDIS_URL: workers share the run and rate budgets there.")
        for name in ("tickets", "repeat", "workers", "concurrency"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        limits = {
            side: options[f"limit_{side}"]
            if options[f"limit_{side}"] is not None
            else options["rate_limit"]
            for side in ("source", "target")
        }
        if min(limits.values()) < 0:
            raise CommandError("A limit is a number of requests a minute, 0 for none.")
        shape = TicketShape(
            tickets=options["tickets"],
            comments=options["comments"],
            attachments=options["attachments"],
        )
        queue = bench_queue("bench")
        options["port"] = options["port"] or processes.free_port()
        site_url = f"http://127.0.0.1:{options['port']}"
        env = bench_environment(queue=queue, page_size=options["page_size"])
        self._maintain_tables = TableMaintenance(say=self.stdout.write)
        slug = uuid.uuid4().hex[:6]
        started = time.monotonic()
        source = bench_source_seed(
            platform=pair.source, shape=shape, limit=limits["source"], slug=slug
        )
        self.stdout.write(
            f"Seeded {shape.tickets} {pair.source} tickets ({shape.comments} comments, "
            f"{shape.attachments} attachment each) in {time.monotonic() - started:.0f}s."
        )
        self._maintain_tables(force=True)
        created: list[EmulatedAccount] = [source]
        results: list[RunFigures] = []
        try:
            with bench_processes(
                env=env,
                queue=queue,
                port=options["port"],
                web_workers=options["web_workers"],
                web_threads=options["web_threads"],
            ) as started_processes:
                self.web = started_processes.web
                workers = [
                    started_processes.worker(concurrency=options["concurrency"])
                    for _index in range(options["workers"])
                ]
                self.machine_at_start = _machine_cpu_ticks()
                for index in range(options["repeat"]):
                    if index and limits["source"]:
                        # The source's counter of the last run's minute must not count.
                        wait_for_fresh_window()
                    target = bench_target_create(
                        platform=pair.target, limit=limits["target"], slug=f"{slug}-{index}"
                    )
                    created.append(target)
                    migration = bench_migration_create(
                        source=source,
                        target=target,
                        site_url=site_url,
                        source_limit=None if options["unknown_limit"] else limits["source"],
                        target_limit=None if options["unknown_limit"] else limits["target"],
                        verify=not options["no_verify"],
                    )
                    figures = self._run(
                        migration,
                        workers=workers,
                        meters={
                            "source": EmulatorMeter(source),
                            "target": EmulatorMeter(target),
                        },
                        shape=shape,
                        limits_known=not options["unknown_limit"],
                    )
                    results.append(figures)
                    self._say(figure_lines(figures, title=f"Run {index + 1}"))
                if len(results) > 1:
                    self._say(
                        figure_lines(figures_median(results), title=f"Medians of {len(results)}")
                    )
                self._machine_report(workers, migrated=sum(figures.migrated for figures in results))
        finally:
            if not options["keep"]:
                EmulatedAccount.objects.filter(pk__in=[account.pk for account in created]).delete()

    def _say(self, lines: list[str]) -> None:
        self.stdout.write("")
        for line in lines:
            self.stdout.write(line)

    def _run(
        self,
        migration: Migration,
        *,
        workers: list[processes.ChildProcess],
        meters: dict[str, EmulatorMeter],
        shape: TicketShape,
        limits_known: bool,
    ) -> RunFigures:
        def tick() -> None:
            self._maintain_tables()
            for child in [*workers, self.web]:
                child.sample_memory()
                child.cpu_seconds()

        _run, figures = measured_run(
            migration=migration,
            meters=meters,
            shape=shape,
            limits_known=limits_known,
            tick=tick,
            say=self.stdout.write,
        )
        return figures

    def _machine_report(self, workers: list[processes.ChildProcess], *, migrated: int) -> None:
        worker_cpu = sum(worker.cpu_seconds() for worker in workers)
        web_cpu = self.web.cpu_seconds()
        tick = os.sysconf("SC_CLK_TCK")
        busy, total = (
            (end - start) / tick
            for start, end in zip(self.machine_at_start, _machine_cpu_ticks(), strict=True)
        )
        rest = max(busy - worker_cpu - web_cpu, 0)
        per_ticket = 1000 / max(migrated, 1)
        self.stdout.write("")
        self.stdout.write(
            f"CPU over all runs: workers {worker_cpu:.0f}s ({worker_cpu * per_ticket:.0f} ms a "
            f"ticket), emulators {web_cpu:.0f}s ({web_cpu * per_ticket:.0f} ms a ticket), the "
            f"rest (database, Redis, this command) {rest:.0f}s ({rest * per_ticket:.0f} ms a "
            f"ticket); the machine was busy {busy:.0f} of {total:.0f} CPU-seconds "
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


def wait_for_fresh_window(window_seconds: float = 60) -> None:
    """Sleep until the emulators' next rate window begins."""
    time.sleep(window_seconds - time.time() % window_seconds + 0.5)


def _machine_cpu_ticks() -> tuple[int, int]:
    """(busy, all) CPU ticks of the whole machine so far, from /proc/stat (0s elsewhere)."""
    try:
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)
