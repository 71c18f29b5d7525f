"""Migrations between sandbox accounts of the platforms' emulators, served in this process
(httpx's WSGI transport into Django), run batch by batch with :func:`drain`: the real
connectors, engine, record map and reports, without worker processes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from connectors.base import Scope, Target
from connectors.http import HttpClient, LocalRateBudget
from connectors.models import EmulatedAccount
from connectors.sandbox import SeedPlan, sandbox_platform
from migrator import configuration, services
from migrator.engine import connectors as engine_connectors
from migrator.models import Migration, User

SITE = "http://testserver"

SOURCE_PLAN = SeedPlan(
    agents=4,
    deleted_agents=1,
    contacts=6,
    organizations=2,
    groups=2,
    tickets=8,
    comments_per_ticket=(2, 5),
    attachment_ratio=0.6,
    inline_image_ratio=0.0,
    article_categories=1,
    article_sections=2,
    articles=4,
    seed=7,
)
#: The target's own agents: the source's are matched to them or created.
TARGET_PLAN = SeedPlan(agents=4, groups=1, seed=11)


@pytest.fixture
def in_process_emulators(settings, tmp_path, monkeypatch):
    """Connectors of the engine reach the emulators in this process and thread."""
    settings.DATA_DIR = tmp_path
    settings.ALLOWED_HOSTS = ["*"]
    settings.MIGRATOR_PAGE_SIZE = 5

    def client(**options: Any) -> HttpClient:
        options.pop("redis_url", None)
        options.setdefault("max_retries", 3)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("backoff_cap", 0.02)
        options["budget"] = LocalRateBudget(limit=None, learned_seconds=0)
        options["transport"] = httpx.WSGITransport(app=WSGIHandler())
        return HttpClient(allow_private_networks=True, **options)

    monkeypatch.setattr(engine_connectors, "http_client_from_settings", client)
    # The emulator answers inside the test's connection: requests must not close it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class EmulatedPair:
    migration: Migration
    source: EmulatedAccount
    target: EmulatedAccount
    target_platform: str

    def target_connector(self) -> Target:
        self.migration.refresh_from_db()
        return engine_connectors.target_connector(
            self.migration.target, scope=engine_connectors.target_scope(self.migration)
        )


def emulated_pair(
    *,
    owner: User,
    source_platform: str,
    target_platform: str,
    source_plan: SeedPlan = SOURCE_PLAN,
    target_plan: SeedPlan = TARGET_PLAN,
    options: configuration.Options | None = None,
    site: str = SITE,
) -> EmulatedPair:
    """Seeded sandbox accounts of both platforms and a configured migration between them;
    ``site``: where the connectors reach the emulators (this process, or a served site)."""
    slug = uuid.uuid4().hex[:8]
    source_sandbox = sandbox_platform(source_platform)
    target_sandbox = sandbox_platform(target_platform)
    source = source_sandbox.account_create(
        slug=f"src-{slug}", name="Acme source", rate_limit_per_minute=0
    )
    source_sandbox.seed(account=source, plan=source_plan)
    target = target_sandbox.account_create(
        slug=f"dst-{slug}", name="Acme target", rate_limit_per_minute=0
    )
    target_sandbox.seed(account=target, plan=target_plan)
    source_connection = services.connection_create(
        owner=owner,
        platform=source_platform,
        credentials=source_sandbox.credentials(account=source, site_url=site),
        rate_limit_per_minute=0,
    )
    target_connection = services.connection_create(
        owner=owner,
        platform=target_platform,
        credentials=target_sandbox.credentials(account=target, site_url=site),
        rate_limit_per_minute=0,
    )
    scope = None
    with engine_connectors.target_connector(target_connection) as connector:
        scopes = connector.list_scopes()
        if scopes:
            scope = Scope(id=scopes[0].id, name=scopes[0].name)
    migration = services.migration_create(
        owner=owner, name=f"{source_platform} to {target_platform}"
    )
    services.migration_configure(
        migration=migration,
        source=source_connection,
        target=target_connection,
        target_scope=scope,
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
        options=options or configuration.Options(),
    )
    migration.refresh_from_db()
    return EmulatedPair(
        migration=migration, source=source, target=target, target_platform=target_platform
    )
