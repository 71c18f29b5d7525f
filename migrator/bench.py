"""What the benchmark commands share (``bench_migration``, ``bench_faults``): the child
processes' environment, the emulators' web server and beat, and the table upkeep a server
without autovacuum needs during a long run."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from billing.selectors import billing_enabled_forget
from connectors.models import EmulatedRecord, EmulatedSequence
from migrator import processes
from migrator.models import RecordMap, RunBatch
from reports.models import RunRecord


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
