"""Real processes for run tests: the emulated help desks served over loopback HTTP,
Celery workers that can be killed, and beat running the reconciler.

Every process gets DATABASE_URL pointing at the test database and its own queue, so a
test's runs go to its own workers only.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings

from connectors.models import EmulatedAccount, EmulatedRecord
from connectors.registry import registry
from connectors.sandbox import SeedPlan, sandbox_platform, sandbox_platforms
from migrator import configuration, services
from migrator.models import Migration, Run, User
from migrator.processes import (
    BEAT_READY,
    WEB_READY,
    WORKER_READY,
    ChildProcess,
    RedisServer,
    broker_of_this_process,
    celery_beat,
    celery_worker,
    free_port,
    web_server,
)
from tests.support import embedded_environment

REDIS_URL = os.environ.get("REDIS_URL")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SOURCE, TARGET = "zendesk", "freshdesk"


def platforms_available() -> bool:
    keys = set(registry.keys())
    sandboxes = set(sandbox_platforms())
    return {SOURCE, TARGET} <= keys and {SOURCE, TARGET} <= sandboxes


def skip_reason() -> str | None:
    if not REDIS_URL:
        return "REDIS_URL is not set: runs need Redis"
    if not DATABASE_URL.startswith("postgres"):
        return "DATABASE_URL does not name PostgreSQL: runs need it"
    if not platforms_available():
        return f"the {SOURCE} and {TARGET} connectors and sandboxes are not both available"
    return None


def database_url_of_tests() -> str:
    """DATABASE_URL with the name of the database pytest-django created for the tests."""
    parts = urlsplit(DATABASE_URL)
    name = settings.DATABASES["default"]["NAME"]
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def forget_rate_budgets() -> None:
    """Rate budgets and blocks of earlier tests' accounts live in Redis: start clean."""
    connection = redis.Redis.from_url(REDIS_URL)
    for pattern in ("migrator:rate:*", "*emulator-rate*"):
        keys = list(connection.scan_iter(pattern, count=1000))
        if keys:
            connection.delete(*keys)


@dataclass
class Stack:
    env: dict[str, str]
    queue: str
    site_url: str
    data_dir: Path
    workers: list[ChildProcess] = field(default_factory=list)
    #: The test's own Redis (broker, cache and rate budgets of the workers and beat).
    redis: RedisServer | None = None

    def worker(self, *, concurrency: int = 2, **overrides: str) -> ChildProcess:
        worker = celery_worker(
            env={**self.env, **overrides}, queue_name=self.queue, concurrency=concurrency
        )
        self.workers.append(worker)
        return worker.start(ready=WORKER_READY)

    def demo_worker(self) -> ChildProcess:
        """The small worker `make run` and docker-compose start: one process, demos only."""
        worker = celery_worker(env=self.env, queue_name=self.queue, concurrency=1, demo_only=True)
        self.workers.append(worker)
        return worker.start(ready=WORKER_READY)


@contextmanager
def running_stack(
    *, data_dir: Path, web_workers: int = 3, own_redis: bool = False, **overrides: str
) -> Iterator[Stack]:
    """The emulators behind gunicorn, and beat; workers are started by the test.

    ``own_redis``: workers and beat use a redis-server the test started (``stack.redis``),
    which it may stop; the emulators (the help desks' side) keep the shared one.
    """
    forget_rate_budgets()
    queue = f"engine-{uuid.uuid4().hex[:10]}"
    port = free_port()
    env = embedded_environment(
        data_dir=data_dir,
        DATABASE_URL=database_url_of_tests(),
        REDIS_URL=REDIS_URL or "",
        ALLOWED_HOSTS="*",
        CONNECTOR_ALLOW_PRIVATE_NETWORKS="true",
        MIGRATOR_QUEUE=queue,
        MIGRATOR_HEARTBEAT_SECONDS="1",
        MIGRATOR_STALE_SECONDS="4",
        MIGRATOR_RECONCILE_SECONDS="2",
    )
    env.update(overrides)
    web_env = dict(env)
    redis_server = RedisServer(data_dir=data_dir).start() if own_redis else None
    if redis_server is not None:
        env["REDIS_URL"] = redis_server.url
    stack = Stack(
        env=env,
        queue=queue,
        site_url=f"http://127.0.0.1:{port}",
        data_dir=data_dir,
        redis=redis_server,
    )
    web = web_server(env=web_env, port=port, workers=web_workers)
    beat = celery_beat(env=env, schedule_file=data_dir / "beat-schedule")
    broker = broker_of_this_process(redis_server.url) if redis_server is not None else nullcontext()
    try:
        web.start(ready=WEB_READY)
        beat.start(ready=BEAT_READY)
        with broker:
            yield stack
    finally:
        for process in [*stack.workers, beat, web]:
            process.stop()
        if redis_server is not None:
            redis_server.stop()
        with (data_dir / "processes.log").open("w") as log:
            for process in [web, beat, *stack.workers]:
                log.write(f"===== {process.name}\n" + "".join(process.lines))


# --------------------------------------------------------------------------- accounts


@dataclass
class Accounts:
    source: EmulatedAccount
    target: EmulatedAccount
    migration: Migration


def accounts_seed(
    *,
    owner: User,
    stack: Stack,
    source_plan: SeedPlan,
    target_plan: SeedPlan,
    entities: list | None = None,
    rate_limit_per_minute: int | None = 0,
) -> Accounts:
    """A seeded Zendesk source, a Freshdesk target with some matching agents, and a
    migration between them whose connections were checked over HTTP."""
    source_platform = sandbox_platform(SOURCE)
    target_platform = sandbox_platform(TARGET)
    slug = uuid.uuid4().hex[:8]
    source = source_platform.account_create(
        slug=f"src-{slug}", name="Acme on Zendesk", rate_limit_per_minute=0
    )
    source_platform.seed(account=source, plan=source_plan)
    target = target_platform.account_create(
        slug=f"dst-{slug}", name="Acme on Freshdesk", rate_limit_per_minute=0
    )
    target_platform.seed(account=target, plan=target_plan)
    migration = services.migration_create(owner=owner, name="Zendesk to Freshdesk")
    source_connection = services.connection_create(
        owner=owner,
        platform=SOURCE,
        credentials=source_platform.credentials(account=source, site_url=stack.site_url),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    target_connection = services.connection_create(
        owner=owner,
        platform=TARGET,
        credentials=target_platform.credentials(account=target, site_url=stack.site_url),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    services.migration_configure(
        migration=migration,
        source=source_connection,
        target=target_connection,
        entities=entities,
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
    )
    migration.refresh_from_db()
    return Accounts(source=source, target=target, migration=migration)


def target_records(account: EmulatedAccount, collection: str):
    return EmulatedRecord.objects.filter(account=account, collection=collection)


def wait_for_run(run: Run, *, timeout: float, until=None, workers: list[ChildProcess] = ()) -> Run:
    """Poll the run until it ends or pauses (or ``until(run)`` holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        for worker in workers:
            worker.sample_memory()
        if until is not None and until(run):
            return run
        if run.is_finished or run.status == Run.Status.PAUSED:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run.pk} still {run.status} after {timeout}s")
