"""What the benchmark commands share (``bench_migration``, ``bench_hosts``, ``bench_faults``):
the pair of seeded emulated accounts and the migration between them, the child processes'
environment, the emulators' web server and beat, and the table upkeep a server without
autovacuum needs during a long run."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

from billing.selectors import billing_enabled_forget
from connectors.models import EmulatedAccount, EmulatedRecord, EmulatedSequence
from connectors.registry import UnknownConnectorError, registry
from connectors.sandbox import SeedPlan, sandbox_platform, sandbox_platforms
from connectors.schema import Entity
from migrator import configuration, discovery, processes, services
from migrator.models import Migration, RecordMap, RunBatch, User
from reports.models import RunRecord

BENCH_EMAIL = "bench@example.com"
#: What a benchmark migrates, as far as the pair reads and writes it.
BENCH_ENTITIES = (
    Entity.ORGANIZATIONS,
    Entity.GROUPS,
    Entity.AGENTS,
    Entity.CONTACTS,
    Entity.TICKETS,
)


@dataclass(frozen=True)
class Pair:
    """The source and target platforms of a benchmark."""

    source: str
    target: str

    @classmethod
    def parse(cls, text: str) -> Pair:
        """``SOURCE:TARGET``; ``ValueError`` with the reason when a side has no sandbox."""
        source, separator, target = text.strip().lower().partition(":")
        if not separator or not source or not target:
            raise ValueError(
                f"Write the pair as SOURCE:TARGET, e.g. zendesk:freshdesk (not {text!r})"
            )
        sandboxes = sandbox_platforms()
        for key, role in ((source, "source"), (target, "target")):
            if key not in sandboxes:
                raise ValueError(
                    f"No sandbox for {key!r} (sandboxes: {', '.join(sorted(sandboxes))})."
                )
            try:
                registry.get(key, role=role)
            except UnknownConnectorError as error:
                raise ValueError(str(error)) from None
        return cls(source=source, target=target)

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


@dataclass(frozen=True)
class TicketShape:
    """What each seeded source ticket carries."""

    tickets: int
    comments: int
    attachments: int


def bench_source_seed(
    *, platform: str, shape: TicketShape, limit: int, slug: str
) -> EmulatedAccount:
    """A source account holding ``shape.tickets`` tickets and what they refer to,
    enforcing ``limit`` requests a minute (0: none)."""
    sandbox = sandbox_platform(platform)
    account = sandbox.account_create(
        slug=f"bench-src-{slug}", name="Bench source", rate_limit_per_minute=limit
    )
    sandbox.seed(
        account=account,
        plan=SeedPlan(
            agents=10,
            # Fixed, so that runs of different sizes differ by their tickets only.
            contacts=200,
            organizations=20,
            groups=5,
            tickets=shape.tickets,
            comments_per_ticket=(shape.comments, shape.comments),
            attachment_ratio=float(shape.attachments),
            inline_image_ratio=0.0,
            seed=shape.tickets,
        ),
    )
    return account


def bench_target_create(*, platform: str, limit: int, slug: str) -> EmulatedAccount:
    """An empty target account with agents and groups to match, enforcing ``limit``."""
    sandbox = sandbox_platform(platform)
    account = sandbox.account_create(
        slug=f"bench-dst-{slug}", name="Bench target", rate_limit_per_minute=limit
    )
    sandbox.seed(account=account, plan=SeedPlan(agents=10, groups=2))
    return account


def bench_migration_create(
    *,
    source: EmulatedAccount,
    target: EmulatedAccount,
    site_url: str,
    source_limit: int | None,
    target_limit: int | None,
    verify: bool = True,
) -> Migration:
    """The migration between two seeded accounts; a connection's limit ``None`` is one it
    does not know (the run learns it from the platform's headers). Without ``verify`` the
    written records are not read back (reading back spends the target's budget too)."""
    owner, _created = User.objects.get_or_create(email=BENCH_EMAIL)
    connections = [
        services.connection_create(
            owner=owner,
            platform=account.platform,
            credentials=sandbox_platform(account.platform).credentials(
                account=account, site_url=site_url
            ),
            rate_limit_per_minute=limit,
        )
        for account, limit in ((source, source_limit), (target, target_limit))
    ]
    reads = registry.get(source.platform).capabilities.reads
    writes = registry.get(target.platform).capabilities.writes
    migration = services.migration_create(owner=owner, name=f"Benchmark {source.slug}")
    migration = services.migration_configure(
        migration=migration,
        source=connections[0],
        target=connections[1],
        entities=[entity for entity in BENCH_ENTITIES if entity in reads and entity in writes],
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
        options=configuration.Options(verify_migrated=verify),
    )
    if registry.get(target.platform).capabilities.scope_kind is not None:
        # A target divided into inboxes or channels: the first, as a user picks one.
        scopes = discovery.target_scopes(migration=migration)
        if not scopes:
            raise ValueError(f"The {target.platform} target account has no inbox or channel.")
        migration = services.migration_configure(migration=migration, target_scope=scopes[0])
    return migration


def database_url_in_use() -> str:
    """DATABASE_URL naming the database this process uses (under pytest, the test one)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return url
    parts = urlsplit(url)
    name = settings.DATABASES["default"]["NAME"]
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def bench_queue(prefix: str) -> str:
    """A queue of the command's own, also used by this process to send tasks; the
    command's migration between sandbox accounts is not a sale."""
    settings.BILLING_ENABLED = False
    billing_enabled_forget()
    queue = f"{prefix}-{uuid.uuid4().hex[:8]}"
    settings.MIGRATOR_QUEUE = queue
    return queue


def bench_environment(*, queue: str, page_size: int) -> dict[str, str]:
    """The environment of the web server, beat and workers a benchmark starts."""
    return {
        **os.environ,
        "DATABASE_URL": database_url_in_use(),
        "MIGRATOR_QUEUE": queue,
        "MIGRATOR_PAGE_SIZE": str(page_size),
        "SANDBOX_ENABLED": "true",
        "CONNECTOR_ALLOW_PRIVATE_NETWORKS": "true",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        # Production settings: DEBUG keeps every query of a process and slows each one.
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "CREDENTIALS_ENCRYPTION_KEYS": ",".join(settings.CREDENTIALS_ENCRYPTION_KEYS),
        # The emulators answer plain HTTP on loopback.
        "SECURE_SSL_REDIRECT": "false",
    }


@dataclass
class BenchProcesses:
    """The emulators' web server and beat, and the workers started since."""

    env: dict[str, str]
    queue: str
    web: processes.ChildProcess
    beat: processes.ChildProcess
    workers: list[processes.ChildProcess] = field(default_factory=list)
    #: The benchmark's own Redis, when the workers use one.
    redis: processes.RedisServer | None = None

    def worker(self, *, concurrency: int = 4, **overrides: str) -> processes.ChildProcess:
        worker = processes.celery_worker(
            env={**self.env, **overrides}, queue_name=self.queue, concurrency=concurrency
        )
        self.workers.append(worker)
        return worker.start(ready=processes.WORKER_READY)

    def workers_stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()


@contextmanager
def bench_processes(
    *,
    env: dict[str, str],
    queue: str,
    port: int,
    web_workers: int,
    web_threads: int,
    worker_env: dict[str, str] | None = None,
    redis: processes.RedisServer | None = None,
) -> Iterator[BenchProcesses]:
    """The emulators behind gunicorn on ``port`` and beat; ``worker_env`` is what beat
    and the workers get on top of ``env`` (their own Redis, say)."""
    workers_env = {**env, **(worker_env or {})}
    web = processes.web_server(env=env, port=port, workers=web_workers, threads=web_threads)
    beat = processes.celery_beat(
        env=workers_env, schedule_file=settings.DATA_DIR / f"bench-beat-{queue}"
    )
    started = BenchProcesses(env=workers_env, queue=queue, web=web, beat=beat, redis=redis)
    try:
        web.start(ready=processes.WEB_READY)
        beat.start(ready=processes.BEAT_READY)
        yield started
    finally:
        for child in [*started.workers, beat, web]:
            child.stop()


class TableMaintenance:
    """What PostgreSQL's autovacuum does, when this server has it off: planner statistics
    for the freshly seeded rows, dead row versions of the hot tables cleared once a minute
    (else every query slows down as the run goes on)."""

    def __init__(self, *, say: Callable[[str], None]) -> None:
        self.say = say
        self.maintained_at = 0.0

    def __call__(self, *, force: bool = False) -> None:
        if connection.vendor != "postgresql":
            return
        now = time.monotonic()
        if not force and now - self.maintained_at < 60:
            return
        self.maintained_at = now
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            if cursor.fetchone()[0] == "on":
                return
            if force:
                self.say("Autovacuum is off on this server: the tables are vacuumed here.")
            tables = [
                model._meta.db_table
                for model in (EmulatedRecord, EmulatedSequence, RecordMap, RunRecord, RunBatch)
            ]
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
