"""Fixtures of the wizard's pages: sandbox help desks over loopback HTTP (the live
test server) or in-process, a configured Zendesk -> Freshdesk migration, and runs worked
through batch by batch."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from connectors.http import HttpClient
from connectors.models import EmulatedAccount
from connectors.sandbox import SANDBOX_ACCOUNT_SLUG, SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import configuration, services
from migrator.engine import execute
from migrator.models import Migration, Run, RunBatch, RunEntity, User
from reports.models import RunRecord
from tests.wizard.browser import (  # noqa: F401  (the browser tests' fixtures)
    orm_beside_playwright,
    site_pages_only,
    site_with_worker,
)

# --- the sandbox help desks, served over loopback HTTP by the live test server -------------

#: Small sandbox accounts: enough to count, list and choose from, quick to seed.
SOURCE_PLAN = SeedPlan(
    agents=4,
    inactive_agents=1,
    contacts=6,
    organizations=3,
    groups=2,
    tickets=7,
    comments_per_ticket=(1, 2),
    attachment_ratio=0.0,
    inline_image_ratio=0.0,
    article_categories=1,
    article_sections=2,
    articles=3,
    seed=5,
)
TARGET_PLAN = SeedPlan(agents=3, agents_offset=1, groups=1, seed=6)


@dataclass
class SandboxAccount:
    key: str
    account: EmulatedAccount
    site_url: str

    def credentials(self, **overrides: Any) -> dict[str, Any]:
        platform = sandbox_platform(self.key)
        values = platform.credentials(account=self.account, site_url=self.site_url)
        values.update(overrides)
        return values

    def form_data(self, role: str, **overrides: Any) -> dict[str, Any]:
        """The connect form's fields as the browser sends them (prefixed by the side)."""
        data = {f"{role}-{name}": value for name, value in self.credentials(**overrides).items()}
        return {"platform": self.key, **data}


@pytest.fixture
def sandbox_site(live_server, settings) -> str:
    """The live test server, which serves the sandbox help desks under /sandbox/."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    settings.SANDBOX_ENABLED = True
    return live_server.url


@pytest.fixture
def seed_sandbox_account(sandbox_site):
    """Seed a sandbox account of a platform (the seeded "acme" one, as seed_sandbox does)."""

    def seed(key: str, plan: SeedPlan) -> SandboxAccount:
        platform = sandbox_platform(key)
        account = platform.account_create(
            slug=SANDBOX_ACCOUNT_SLUG, name=f"Acme on {key}", rate_limit_per_minute=0
        )
        platform.seed(account=account, plan=plan)
        return SandboxAccount(key=key, account=account, site_url=sandbox_site)

    return seed


# --- a configured migration on in-process emulators, for the run pages -----------------

SITE_URL = "http://testserver"

SMALL_SOURCE = SeedPlan(
    agents=6,
    deleted_agents=1,
    contacts=12,
    organizations=3,
    groups=2,
    tickets=24,
    comments_per_ticket=(1, 2),
    attachment_ratio=0.2,
    inline_image_ratio=0.0,
    article_categories=1,
    article_sections=2,
    articles=22,
    seed=7,
)
SMALL_TARGET = SeedPlan(agents=4, agents_offset=2, groups=1, custom_fields=False, seed=8)


class InProcessTransport(httpx.BaseTransport):
    """The emulators answer through the site's own WSGI handler, inside the test's
    transaction. As Django's test client does, a request must not close the database
    connection, so the signals that would are held off until the response is read."""

    def __init__(self) -> None:
        self.inner = httpx.WSGITransport(app=WSGIHandler())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.inner.handle_request(request)
            content = response.read()
            response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return httpx.Response(
            status_code=response.status_code, headers=response.headers, content=content
        )


@pytest.fixture
def in_process_emulators(monkeypatch, settings):
    """Connectors reach the sandbox emulators in-process instead of over the network."""
    settings.ALLOWED_HOSTS = ["*"]
    # The emulators' records live in this test's transaction, which only this thread's
    # database connection sees: the Zendesk source reads comments here, not in a pool.
    monkeypatch.setattr("connectors.zendesk.connector.COMMENT_READERS", 1)

    def http_client(*, base_url: str, platform: str, account: str, **options) -> HttpClient:
        return HttpClient(
            base_url=base_url,
            platform=platform,
            account=account,
            allow_private_networks=True,
            transport=InProcessTransport(),
            backoff_base=0.01,
            backoff_cap=0.05,
            **options,
        )

    monkeypatch.setattr("migrator.engine.connectors.http_client_from_settings", http_client)


@pytest.fixture
def enqueued(monkeypatch):
    """Batch ids the engine sends to the broker, kept here; tests work them with drain()."""
    from migrator import tasks

    sent: list[int] = []
    monkeypatch.setattr(
        tasks.batch_execute, "apply_async", lambda args, **options: sent.append(args[0])
    )
    # "Verify again" is run by the test itself (reverify.run_reverify), never by a worker.
    monkeypatch.setattr(tasks.run_reverify, "apply_async", lambda args, **options: None)
    return sent


@dataclass
class SandboxPair:
    migration: Migration
    source: EmulatedAccount
    target: EmulatedAccount


def sandbox_pair_create(
    *,
    owner: User,
    source_plan: SeedPlan = SMALL_SOURCE,
    target_plan: SeedPlan = SMALL_TARGET,
    entities: list[Entity] | None = None,
    options: configuration.Options | None = None,
) -> SandboxPair:
    """Seeded sandbox accounts and a migration between them with steps 1-6 saved."""
    slug = uuid.uuid4().hex[:8]
    source_platform = sandbox_platform("zendesk")
    target_platform = sandbox_platform("freshdesk")
    source = source_platform.account_create(
        slug=f"src-{slug}", name="Acme on Zendesk", rate_limit_per_minute=0
    )
    source_platform.seed(account=source, plan=source_plan)
    target = target_platform.account_create(
        slug=f"dst-{slug}", name="Acme on Freshdesk", rate_limit_per_minute=0
    )
    target_platform.seed(account=target, plan=target_plan)
    source_connection = services.connection_create(
        owner=owner,
        platform="zendesk",
        credentials=source_platform.credentials(account=source, site_url=SITE_URL),
        rate_limit_per_minute=0,
    )
    target_connection = services.connection_create(
        owner=owner,
        platform="freshdesk",
        credentials=target_platform.credentials(account=target, site_url=SITE_URL),
        rate_limit_per_minute=0,
    )
    migration = services.migration_create(owner=owner, name="Zendesk to Freshdesk")
    services.migration_configure(
        migration=migration,
        source=source_connection,
        target=target_connection,
        entities=entities if entities is not None else list(Entity),
        filters=configuration.Filters(),
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
        field_mappings=configuration.FieldMappings(),
        options=options or configuration.Options(),
    )
    migration.refresh_from_db()
    return SandboxPair(migration=migration, source=source, target=target)


@pytest.fixture
def sandbox(db, user, in_process_emulators, enqueued) -> SandboxPair:
    return sandbox_pair_create(owner=user)


def drain(run: Run, *, limit: int = 500) -> Run:
    """Work the run's batches in this process until nothing is left to do."""
    for _round in range(limit):
        run.refresh_from_db()
        if run.status != Run.Status.RUNNING:
            return run
        pending = list(
            RunBatch.objects.filter(run=run, status=RunBatch.Status.PENDING)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        if not pending:
            return run
        for batch_id in pending:
            RunBatch.objects.filter(pk=batch_id).update(not_before=None)
            execute.batch_execute(batch_id=batch_id, worker=f"test-{uuid.uuid4().hex[:6]}")
    raise AssertionError("the run did not settle")


def recorded_run(migration: Migration, *, tickets: int, status: str = Run.Status.COMPLETED) -> Run:
    """A full run whose report holds ``tickets`` ticket records: every 10th failed, every
    7th (else) skipped, the rest migrated (target id = source id + 1000)."""
    now = timezone.now()
    finished = status in (Run.Status.COMPLETED, Run.Status.FAILED, Run.Status.CANCELLED)
    run = Run.objects.create(
        migration=migration,
        kind=Run.Kind.FULL,
        status=status,
        started_at=now - timedelta(minutes=10),
        finished_at=now if finished else None,
    )
    RunEntity.objects.create(
        run=run,
        entity=Entity.TICKETS,
        position=0,
        available=tickets,
        status=RunEntity.Status.DONE if finished else RunEntity.Status.RUNNING,
        read_complete=finished,
    )
    records = []
    for number in range(1, tickets + 1):
        if number % 10 == 0:
            outcome, target, reason = RunRecord.Outcome.FAILED, "", f"Ticket {number} refused"
        elif number % 7 == 0:
            outcome, target, reason = RunRecord.Outcome.SKIPPED, "", "Closed before the filter"
        else:
            outcome, target, reason = RunRecord.Outcome.MIGRATED, str(1000 + number), ""
        records.append(
            RunRecord(
                run=run,
                entity=Entity.TICKETS,
                source_id=str(number),
                target_id=target,
                outcome=outcome,
                reason=reason,
                recorded_at=now - timedelta(seconds=tickets - number),
            )
        )
    RunRecord.objects.bulk_create(records, batch_size=2000)
    return run
