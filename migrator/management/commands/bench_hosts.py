"""One run, its workers on several "hosts" (network namespaces on this machine, each with
its own worker process group, reaching PostgreSQL, Redis and the emulators over a veth
link), one rate budget per platform account shared through Redis."""

from __future__ import annotations

import signal
import uuid
from collections import Counter

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
from migrator.bench_figures import EmulatorMeter, figure_lines, measured_run
from migrator.drills.oracle import check_run, target_baseline
from migrator.drills.readers import READERS
from migrator.hosts import Forward, WorkerHost, netns_unavailable_reason, url_target, worker_hosts
from migrator.models import Run, RunBatch


class Command(BaseCommand):
    help = (
        "Run one full migration with its Celery workers on several hosts (network "
        "namespaces with a veth link each; needs root), sharing one rate budget per "
        "account through Redis; print 429s after the first minute, budget use and the "
        "duplicates found on the target's own data."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--hosts", type=int, default=3, help="Worker hosts (namespaces).")
        parser.add_argument("--pair", default="zendesk:freshdesk", help="SOURCE:TARGET.")
        parser.add_argument("--tickets", type=int, default=2000)
        parser.add_argument("--comments", type=int, default=5, help="Comments per ticket.")
        parser.add_argument(
            "--attachments", type=int, default=1, choices=[0, 1], help="One per ticket, or none."
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=700,
            help="Requests a minute each emulated account allows (0: no limit).",
        )
        parser.add_argument(
            "--unknown-limit",
            action="store_true",
            help="The connections are not told the limit: the run learns it from the headers.",
        )
        parser.add_argument("--concurrency", type=int, default=4, help="Pool size per host.")
        parser.add_argument("--web-workers", type=int, default=6, help="Emulator web processes.")
        parser.add_argument("--page-size", type=int, default=settings.MIGRATOR_PAGE_SIZE)
        parser.add_argument(
            "--port", type=int, default=0, help="The emulators' port (0: any free one)."
        )
        parser.add_argument("--keep", action="store_true", help="Keep the emulated accounts.")

    def handle(self, *args, **options) -> None:
        try:
            pair = Pair.parse(options["pair"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["hosts"] < 1 or options["tickets"] < 1 or options["limit"] < 0:
            raise CommandError("--hosts and --tickets must be at least 1, --limit at least 0.")
        if not settings.REDIS_URL:
            raise CommandError("Set REDIS_URL: the hosts share the run and rate budgets there.")
        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            raise CommandError("Set DATABASE_URL to PostgreSQL: the hosts reach it over TCP.")
        if reason := netns_unavailable_reason():
            raise CommandError(f"No worker hosts here: {reason}")
        # A stop by SIGTERM unwinds like Ctrl-C: the namespaces and processes are removed.
        signal.signal(signal.SIGTERM, _interrupt)
        shape = TicketShape(
            tickets=options["tickets"],
            comments=options["comments"],
            attachments=options["attachments"],
        )
        limit = options["limit"]
        queue = bench_queue("hosts")
        options["port"] = options["port"] or processes.free_port()
        env = bench_environment(queue=queue, page_size=options["page_size"])
        forwards = self._forwards(env, web_port=options["port"])
        slug = uuid.uuid4().hex[:6]
        source = bench_source_seed(platform=pair.source, shape=shape, limit=limit, slug=slug)
        target = bench_target_create(platform=pair.target, limit=limit, slug=slug)
        self.stdout.write(f"Seeded {shape.tickets} {pair.source} tickets.")
        maintain_tables = TableMaintenance(say=self.stdout.write)
        maintain_tables(force=True)
        try:
            with worker_hosts(count=options["hosts"], env=env, forwards=forwards) as hosts:
                # Everyone, this command included, reaches the emulators through a link.
                site_url = f"http://{hosts[0].root_address}:{forwards[-1].listen_port}"
                settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
                web_env = {
                    **env,
                    "ALLOWED_HOSTS": ",".join(["127.0.0.1", *(h.root_address for h in hosts)]),
                }
                with bench_processes(
                    env=web_env,
                    queue=queue,
                    port=options["port"],
                    web_workers=options["web_workers"],
                    web_threads=1,
                ):
                    for host in hosts:
                        host.worker(queue=queue, concurrency=options["concurrency"])
                        self.stdout.write(
                            f"{host.name}: namespace {host.namespace}, {host.address} over "
                            f"{host.veth_root}; DATABASE_URL and REDIS_URL through "
                            f"{host.root_address}"
                        )
                    migration = bench_migration_create(
                        source=source,
                        target=target,
                        site_url=site_url,
                        source_limit=None if options["unknown_limit"] else limit,
                        target_limit=None if options["unknown_limit"] else limit,
                    )
                    baseline = target_baseline(target)

                    def tick() -> None:
                        maintain_tables()
                        for host in hosts:
                            host.sample()

                    run, figures = measured_run(
                        migration=migration,
                        meters={"source": EmulatorMeter(source), "target": EmulatorMeter(target)},
                        shape=shape,
                        limits_known=not options["unknown_limit"],
                        tick=tick,
                        say=self.stdout.write,
                    )
            self.stdout.write("")
            for line in figure_lines(figures, title=f"{len(hosts)} hosts, one run"):
                self.stdout.write(line)
            self.stdout.write(f"  batches done per host: {_batches_per_host(run, hosts)}")
            self.stdout.write(
                f"  on the target's own data: {_duplicates(run, source, target, baseline)}"
            )
        except KeyboardInterrupt:
            raise CommandError(
                "Interrupted: the namespaces, links and processes it made are removed."
            ) from None
        finally:
            if not options["keep"]:
                EmulatedAccount.objects.filter(pk__in=[source.pk, target.pk]).delete()

    def _forwards(self, env: dict[str, str], *, web_port: int) -> list[Forward]:
        """The services the hosts reach, each on its own port at the links' root-side
        addresses (the services themselves listen on loopback only)."""
        database = url_target(env["DATABASE_URL"], default_port=5432)
        redis = url_target(env["REDIS_URL"], default_port=6379)
        return [
            Forward("database", *database, listen_port=database[1]),
            Forward("redis", *redis, listen_port=redis[1]),
            # Last: the emulators' address is built from it.
            Forward("emulators", "127.0.0.1", web_port, listen_port=web_port),
        ]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _batches_per_host(run: Run, hosts: list[WorkerHost]) -> str:
    """A batch's claimant names its process ("hostname:pid:…"); the pid says the host."""
    host_of = {pid: host.name for host in hosts for pid in host.pids_seen}
    counts: Counter[str] = Counter()
    for claimed_by in RunBatch.objects.filter(run=run, status=RunBatch.Status.DONE).values_list(
        "claimed_by", flat=True
    ):
        parts = claimed_by.split(":")
        pid = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        counts[host_of.get(pid, "unknown")] += 1
    return (
        ", ".join(
            f"{name} {counts[name]}"
            for name in [h.name for h in hosts] + ["unknown"]
            if counts[name]
        )
        or "none"
    )


def _duplicates(run: Run, source: EmulatedAccount, target: EmulatedAccount, baseline) -> str:
    if source.platform not in READERS or target.platform not in READERS:
        return f"not checked (the drills read only {', '.join(sorted(READERS))})"
    findings = check_run(
        run=run, source=source, target=target, baseline=baseline, entities=("tickets",)
    )
    counts = findings.counts()
    return (
        f"{findings.tickets} source tickets, lost {counts['lost']}, duplicated "
        f"{counts['duplicated']}, short {counts['short']}, copies matching nothing "
        f"{counts['unmatched_copies']}"
    )
