"""Migrations between seeded sandbox help desks, for the tests of the matching, mapping
and options steps: connections checked over HTTP against the emulators (a live server
or a run_site process), the earlier steps saved through the services."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from connectors.base import Scope
from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import discovery, services
from migrator.models import Migration, User

#: Acme's first eight agents on the source, two of them inactive or deleted, three groups.
SOURCE_PLAN = SeedPlan(
    agents=8,
    inactive_agents=1,
    deleted_agents=1,
    groups=3,
    contacts=4,
    tickets=3,
    comments_per_ticket=(1, 2),
    article_categories=1,
    article_sections=1,
    articles=2,
)
#: Only agents and groups, for the matching page.
TEAM_PLAN = SeedPlan(agents=8, inactive_agents=1, deleted_agents=1, groups=3, custom_fields=False)
#: Acme's agents from the third on: the first two of the source are missing there.
TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, groups=2)


def live_site_url(live_server, settings) -> str:
    """The emulators served over loopback HTTP by a live server of the test database
    (the test's ``settings`` and ``live_server`` fixtures)."""
    settings.ALLOWED_HOSTS = ["*"]
    return live_server.url


def sandbox_migration(
    *,
    owner: User,
    site_url: str,
    target: str = "freshdesk",
    entities: Sequence[Entity] = (Entity.AGENTS, Entity.GROUPS, Entity.TICKETS),
    source_plan: SeedPlan = SOURCE_PLAN,
    target_plan: SeedPlan = TARGET_PLAN,
    name: str = "Zendesk to Freshdesk",
) -> Migration:
    """A Zendesk source and a ``target`` account, seeded, connected and selected."""
    slug = uuid.uuid4().hex[:8]
    connections = {}
    for role, key, plan in (("source", "zendesk", source_plan), ("target", target, target_plan)):
        platform = sandbox_platform(key)
        account = platform.account_create(
            slug=f"{role[:3]}-{slug}", name=f"Acme on {key}", rate_limit_per_minute=0
        )
        platform.seed(account=account, plan=plan)
        connections[role] = services.connection_create(
            owner=owner,
            platform=key,
            credentials=platform.credentials(account=account, site_url=site_url),
            rate_limit_per_minute=0,
        )
    migration = services.migration_create(owner=owner, name=name)
    services.migration_configure(
        migration=migration,
        source=connections["source"],
        target=connections["target"],
        entities=list(entities),
    )
    migration.refresh_from_db()
    scopes = discovery.target_scopes(migration=migration)
    if scopes:
        scope = scopes[0]
        services.migration_configure(
            migration=migration, target_scope=Scope(id=scope.id, name=scope.name)
        )
        migration.refresh_from_db()
    return migration
