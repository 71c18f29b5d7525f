"""The fault drills: a full run between two seeded sandbox accounts, with real worker
processes, while something goes wrong — the worker group killed or stopped, the target
answering 5xx and 429 bursts, answers cut short, Redis stopped, the workers' database
connections terminated — then the oracle's verdict on what landed on the target.

The drills are used by the test suite (``tests/migrator/engine/test_fault_drills.py``) and
by ``manage.py bench_faults``; each brings its own processes through a :class:`DrillStack`.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import connection
from django.db.models import Count, Sum

from connectors.models import EmulatedAccount, EmulatedRecord
from connectors.sandbox import SeedPlan, sandbox_platform
from migrator import configuration, services
from migrator.drills.oracle import Findings, check_run, target_baseline
from migrator.models import Migration, Run, RunBatch, User
from migrator.processes import ChildProcess, RedisServer
from reports.models import RunRecord

#: Every drill, in the order they run.
DRILLS = ("sigkill", "sigterm", "5xx", "truncated", "redis", "postgres")
#: The ones cheap enough to run in both directions in the test suite.
CHEAP_DRILLS = ("5xx", "truncated", "postgres")
#: What the workers' database sessions call themselves, so that a drill finds them.
WORKER_APPLICATION_NAME = "migrator-drill-worker"
#: Freshdesk takes at most 20 MB of files per ticket or note.
OVER_FRESHDESK_LIMIT = 21 * 1024 * 1024
REDIS_OUTAGE_SECONDS = 20.0
TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, groups=2, custom_fields=False, seed=11)


class DrillStack(Protocol):
    """The processes a drill acts on."""

    redis: RedisServer | None

    def worker(self, *, concurrency: int = 2, **overrides: str) -> ChildProcess: ...


def with_application_name(database_url: str, name: str = WORKER_APPLICATION_NAME) -> str:
    parts = urlsplit(database_url)
    query = dict(parse_qsl(parts.query))
    query["application_name"] = name
    return urlunsplit(parts._replace(query=urlencode(query)))


# --------------------------------------------------------------------------- accounts


@dataclass
class DrillAccounts:
    source: EmulatedAccount
    target: EmulatedAccount
    migration: Migration
    #: The target's records before the run.
    baseline: dict[str, set[int]]


def drill_source_plan(*, tickets: int, seed: int, target_key: str) -> SeedPlan:
    """A help desk's shape: 3 to 6 comments (public and private) and 1 or 2 files per ticket,
    some files over the target's size limit, inline images, names and addresses with
    accents, articles with translations, deleted and inactive agents."""
    return SeedPlan(
        agents=8,
        inactive_agents=1,
        deleted_agents=1,
        contacts=max(20, tickets // 5),
        organizations=4,
        groups=3,
        tickets=tickets,
        comments_per_ticket=(3, 6),
        files_per_ticket=(1, 2),
        inline_image_ratio=0.15,
        # Freshdesk holds no file over its 20 MB: into Zendesk (50 MB) the migration's own
        # lower limit (an option) is what the large files are over.
        large_attachment_bytes=OVER_FRESHDESK_LIMIT if target_key == "freshdesk" else 1_500_000,
        large_attachment_tickets=max(1, tickets // 25),
        non_ascii_emails=True,
        article_categories=2,
        article_sections=3,
        articles=max(6, tickets // 10),
        seed=seed,
    )


def drill_options(*, target_key: str) -> configuration.Options:
    if target_key == "freshdesk":
        return configuration.Options()
    return configuration.Options(max_attachment_bytes=1024 * 1024)


def drill_accounts(
    *,
    owner: User,
    site_url: str,
    source_key: str,
    target_key: str,
    tickets: int,
    seed: int,
) -> DrillAccounts:
    """Seeded source and target sandbox accounts and a configured migration between them."""
    slug = uuid.uuid4().hex[:8]
    accounts = []
    for role, key, plan in (
        ("src", source_key, drill_source_plan(tickets=tickets, seed=seed, target_key=target_key)),
        ("dst", target_key, TARGET_PLAN),
    ):
        platform = sandbox_platform(key)
        account = platform.account_create(
            slug=f"drill-{role}-{slug}", name=f"Drill {role} {key}", rate_limit_per_minute=0
        )
        platform.seed(account=account, plan=plan)
        accounts.append(account)
    source, target = accounts
    connections = [
        services.connection_create(
            owner=owner,
            platform=account.platform,
            credentials=sandbox_platform(account.platform).credentials(
                account=account, site_url=site_url
            ),
            rate_limit_per_minute=0,
        )
        for account in accounts
    ]
    migration = services.migration_create(owner=owner, name=f"Drill {source_key} to {target_key}")
    services.migration_configure(
        migration=migration,
        source=connections[0],
        target=connections[1],
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
        options=drill_options(target_key=target_key),
    )
    migration.refresh_from_db()
    return DrillAccounts(
        source=source, target=target, migration=migration, baseline=target_baseline(target)
    )


# --------------------------------------------------------------------------- faults


@dataclass
class DrillResult:
    drill: str
    run: Run
    findings: Findings
    seconds: float
    #: What was done to the run, in order ("SIGKILL at 12 tickets", …).
    actions: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        reason = f" ({self.run.pause_reason})" if self.run.pause_reason else ""
        return f"{self.run.get_status_display().lower()}{reason}"

    def verification(self) -> Verification:
        return run_verification(self.run)


@dataclass(frozen=True)
class Verification:
    """What the engine's own verification said of the run's migrated tickets and
    articles, and the API calls it spent."""

    migrated: int
    verified: int
    differs: int
    calls: int

    @property
    def unverified(self) -> int:
        return self.migrated - self.verified


def run_verification(run: Run) -> Verification:
    migrated = RunRecord.objects.filter(
        run=run, entity__in=["tickets", "articles"], outcome=RunRecord.Outcome.MIGRATED
    )
    calls = RunBatch.objects.filter(run=run).aggregate(calls=Sum("verification_calls"))["calls"]
    return Verification(
        migrated=migrated.count(),
        verified=migrated.filter(verification=RunRecord.Verification.VERIFIED).count(),
        differs=RunRecord.objects.filter(
            run=run, verification=RunRecord.Verification.DIFFERS
        ).count(),
        calls=calls or 0,
    )


def tickets_reported(run: Run) -> int:
    return RunRecord.objects.filter(run=run, entity="tickets").count()


def wait_until(
    run: Run,
    *,
    timeout: float,
    until: Callable[[Run], bool] | None = None,
    supervise: Callable[[], None] = lambda: None,
) -> Run:
    """Poll the run until ``until(run)`` holds, or it ends or pauses; ``supervise`` is
    called on each poll (to restart a worker that exited, as a service manager would)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervise()
        run.refresh_from_db()
        if until is not None and until(run):
            return run
        if run.is_finished or run.status == Run.Status.PAUSED:
            return run
        time.sleep(0.3)
    raise TimeoutError(f"run {run.pk} still {run.status} after {timeout:.0f}s")


def batch_states(run: Run) -> str:
    """How many of the run's batches are in each state (what a stuck run waits on)."""
    states = (
        RunBatch.objects.filter(run=run)
        .values_list("status")
        .annotate(count=Count("id"))
        .order_by("status")
    )
    return ", ".join(f"{count} {status}" for status, count in states)


def workers_backends_terminate() -> int:
    """Terminate every PostgreSQL session of the workers; returns how many there were."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            [WORKER_APPLICATION_NAME],
        )
        return int(cursor.fetchone()[0])


def _account_faults(drill: str, accounts: DrillAccounts) -> None:
    if drill == "5xx":
        target = accounts.target
        target.fault_server_error_ratio = 0.10
        # Bursts: 40 requests per 2-second window, then 429 with Retry-After.
        target.rate_limit_per_minute = 40
        target.options = {**target.options, "rate_window_seconds": 2}
        target.save()
    elif drill == "truncated":
        for account in (accounts.source, accounts.target):
            account.fault_malformed_ratio = 0.03
            account.save(update_fields=["fault_malformed_ratio"])


def _faults_off(accounts: DrillAccounts) -> None:
    """The oracle reads the emulators' tables, but a run left going must not see faults."""
    for account in (accounts.source, accounts.target):
        account.refresh_from_db()
        account.fault_server_error_ratio = 0.0
        account.fault_malformed_ratio = 0.0
        account.save(update_fields=["fault_server_error_ratio", "fault_malformed_ratio"])


@dataclass
class _Disruption:
    stack: DrillStack
    run: Run
    tickets: int
    rng: random.Random
    start_worker: Callable[[], ChildProcess]
    worker: ChildProcess
    actions: list[str]
    log: Callable[[str], None]

    def wait_for_tickets(self, goal: int, *, timeout: float) -> bool:
        run = wait_until(
            self.run,
            timeout=timeout,
            until=lambda current: tickets_reported(current) >= goal,
            supervise=self.supervise,
        )
        return not (run.is_finished or run.status == Run.Status.PAUSED)

    def supervise(self) -> None:
        """A worker group that exited by itself is started again, as the service manager
        (docker compose's ``restart: unless-stopped``) would; the drill says so."""
        if self.worker.alive:
            return
        code = self.worker.process.returncode if self.worker.process else None
        errors = [
            line.strip() for line in self.worker.lines if re.match(r"^\w+(Error|Exception)\b", line)
        ]
        last = f": {errors[-1][:160]}" if errors else ""
        self.note(f"the worker group exited by itself (code {code}{last}); started again")
        self.worker = self.start_worker()

    def note(self, action: str) -> None:
        line = f"{action} at {tickets_reported(self.run)} of {self.tickets} tickets reported"
        self.actions.append(line)
        self.log(line)

    def group_signals(self, *, times: int, kill: bool, timeout: float) -> None:
        for index in range(times):
            # Anywhere in the run: planning, the small entities, the middle of the tickets.
            goal = self.rng.randint(
                index * self.tickets // (times + 1), (index + 1) * self.tickets // (times + 1)
            )
            if not self.wait_for_tickets(goal, timeout=timeout):
                self.log(f"the run ended before signal {index + 1} of {times}")
                return
            time.sleep(self.rng.uniform(0, 1.5))
            if kill:
                self.worker.kill()
                self.note("SIGKILL of the worker group")
            else:
                self.worker.stop(timeout=60)
                self.note("SIGTERM of the worker group")
            self.worker = self.start_worker()

    def redis_outage(self, *, timeout: float) -> None:
        if self.stack.redis is None:
            raise RuntimeError("the Redis drill needs a Redis of its own (own_redis)")
        # While the tickets are being written (a page of them is reported at once).
        goal = 1
        if not self.wait_for_tickets(goal, timeout=timeout):
            self.log("the run ended before Redis was stopped")
            return
        self.stack.redis.stop()
        self.note("Redis stopped")
        time.sleep(REDIS_OUTAGE_SECONDS)
        self.stack.redis.start()
        self.note(f"Redis started again after {REDIS_OUTAGE_SECONDS:.0f}s")

    def postgres_terminations(self, *, timeout: float) -> None:
        for share in (0.3, 0.6):
            if not self.wait_for_tickets(max(1, int(self.tickets * share)), timeout=timeout):
                self.log("the run ended before the workers' sessions were terminated")
                return
            count = workers_backends_terminate()
            self.note(f"{count} PostgreSQL sessions of the workers terminated")


def run_drill(
    drill: str,
    *,
    stack: DrillStack,
    accounts: DrillAccounts,
    database_url: str,
    rng: random.Random,
    concurrency: int = 3,
    page_size: int = 10,
    timeout: float = 600,
    log: Callable[[str], None] = lambda line: None,
) -> DrillResult:
    """Run a full migration through ``drill`` and judge what landed on the target."""
    if drill not in DRILLS:
        raise ValueError(f"unknown drill {drill!r} (drills: {', '.join(DRILLS)})")
    tickets = EmulatedRecord.objects.filter(account=accounts.source, collection="tickets").count()

    def start_worker() -> ChildProcess:
        return stack.worker(
            concurrency=concurrency,
            MIGRATOR_PAGE_SIZE=str(page_size),
            DATABASE_URL=with_application_name(database_url),
            # The 5xx drill's target allows 40 requests in 2-second windows and announces
            # 40: counted in 1-second windows, the workers still meet its 429 bursts.
            CONNECTOR_RATE_WINDOW_SECONDS="1",
        )

    _account_faults(drill, accounts)
    started = time.monotonic()
    worker = start_worker()
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    actions: list[str] = []
    disruption = _Disruption(
        stack=stack,
        run=run,
        tickets=tickets,
        rng=rng,
        start_worker=start_worker,
        worker=worker,
        actions=actions,
        log=log,
    )
    if drill == "sigkill":
        disruption.group_signals(times=5, kill=True, timeout=timeout)
    elif drill == "sigterm":
        disruption.group_signals(times=3, kill=False, timeout=timeout)
    elif drill == "redis":
        disruption.redis_outage(timeout=timeout)
    elif drill == "postgres":
        disruption.postgres_terminations(timeout=timeout)
    try:
        run = wait_until(
            run,
            timeout=max(1.0, timeout - (time.monotonic() - started)),
            supervise=disruption.supervise,
        )
    except TimeoutError as stuck:
        actions.append(f"{stuck}; batches: {batch_states(run)}")
        log(actions[-1])
    seconds = time.monotonic() - started
    _faults_off(accounts)
    findings = check_run(
        run=run, source=accounts.source, target=accounts.target, baseline=accounts.baseline
    )
    return DrillResult(drill=drill, run=run, findings=findings, seconds=seconds, actions=actions)
