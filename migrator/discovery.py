"""What the wizard reads from the connected help desks, cached for a while.

The wizard's pages show the source's counts, both sides' agents and groups, field schemas
and the target's scopes. Asking the platforms on every page view would be slow and spend
their rate budget, so each answer is kept in the cache for :data:`CACHE_SECONDS` under
the connection and the time its credentials were last verified; ``refresh=True`` asks
again. Platform errors (``connectors.errors.ConnectorError``) reach the caller, whose
page shows their ``user_message``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.translation import gettext as _

from connectors.base import Scope, Source
from connectors.errors import ConnectorError
from connectors.registry import registry
from connectors.schema import Agent, Entity, FieldSchema, Group, Record, record_type
from migrator.engine import connectors as engine_connectors
from migrator.models import Connection, Migration

CACHE_SECONDS = 15 * 60
#: Agents and groups are listed whole on the matching page; beyond this many the page
#: would not be usable anyway, and the engine still matches the rest by e-mail or name.
TEAM_LIMIT = 2000

T = TypeVar("T")


def _cache_key(connection: Connection, part: str) -> str:
    verified = int(connection.verified_at.timestamp()) if connection.verified_at else 0
    return f"discovery:v1:{connection.pk}:{verified}:{part}"


def _cached(*, connection: Connection, part: str, compute: Callable[[], T], refresh: bool) -> T:
    key = _cache_key(connection, part)
    if not refresh:
        found = cache.get(key)
        if found is not None:
            return found
    value = compute()
    cache.set(key, value, CACHE_SECONDS)
    return value


class CredentialsErased(ConnectorError):
    """The connection's credentials were erased when its migration was archived: its
    pages show this instead of what the help desk would have said."""


def _require(connection: Connection | None) -> Connection:
    if connection is None:
        raise ValueError("the migration has no such connection yet")
    if not connection.encrypted_credentials:
        raise CredentialsErased(
            _(
                "The credentials were erased when this migration was archived, so the help "
                "desks are not read any more. The saved choices and the reports are kept."
            )
        )
    return connection


def source_counts(
    *, migration: Migration, entities: Sequence[Entity], refresh: bool = False
) -> dict[Entity, int]:
    """How many records of each entity the source holds (before filters)."""
    connection = _require(migration.source)
    wanted = sorted(entity.value for entity in entities)

    def compute() -> dict[str, int]:
        with engine_connectors.source_connector(connection) as source:
            readable = source.capabilities.reads
            return {
                value: source.count(Entity(value)) for value in wanted if Entity(value) in readable
            }

    counts = _cached(
        connection=connection, part="counts:" + ",".join(wanted), compute=compute, refresh=refresh
    )
    return {Entity(value): number for value, number in counts.items()}


def _read_all(source: Source, entity: Entity) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(records) < TEAM_LIMIT:
        page = source.read_page(entity, cursor=cursor)
        records.extend(record.model_dump(mode="json") for record in page.records)
        if not page.has_more:
            break
        cursor = page.next_cursor
    return records[:TEAM_LIMIT]


def _records(*, connection: Connection, role: str, entity: Entity, refresh: bool) -> list[Record]:
    def compute() -> list[dict[str, Any]]:
        if role == "source":
            with engine_connectors.source_connector(connection) as source:
                return _read_all(source, entity)
        with engine_connectors.target_connector(connection) as target:
            # A target that cannot be read is matched by e-mail and name during the run.
            if not isinstance(target, Source) or entity not in target.capabilities.reads:
                return []
            return _read_all(target, entity)

    dumped = _cached(
        connection=connection, part=f"{role}:{entity.value}", compute=compute, refresh=refresh
    )
    model = record_type(entity)
    return [model.model_validate(record) for record in dumped]


def source_agents(*, migration: Migration, refresh: bool = False) -> list[Agent]:
    connection = _require(migration.source)
    return _records(connection=connection, role="source", entity=Entity.AGENTS, refresh=refresh)


def source_groups(*, migration: Migration, refresh: bool = False) -> list[Group]:
    connection = _require(migration.source)
    return _records(connection=connection, role="source", entity=Entity.GROUPS, refresh=refresh)


def target_agents(*, migration: Migration, refresh: bool = False) -> list[Agent]:
    connection = _require(migration.target)
    return _records(connection=connection, role="target", entity=Entity.AGENTS, refresh=refresh)


def target_groups(*, migration: Migration, refresh: bool = False) -> list[Group]:
    connection = _require(migration.target)
    return _records(connection=connection, role="target", entity=Entity.GROUPS, refresh=refresh)


def source_fields(*, migration: Migration, refresh: bool = False) -> FieldSchema:
    connection = _require(migration.source)

    def compute() -> dict[str, Any]:
        with engine_connectors.source_connector(connection) as source:
            return source.describe_fields().model_dump(mode="json")

    dumped = _cached(connection=connection, part="fields", compute=compute, refresh=refresh)
    return FieldSchema.model_validate(dumped)


def target_fields(*, migration: Migration, refresh: bool = False) -> FieldSchema:
    connection = _require(migration.target)

    def compute() -> dict[str, Any]:
        with engine_connectors.target_connector(connection) as target:
            return target.describe_fields().model_dump(mode="json")

    dumped = _cached(connection=connection, part="fields", compute=compute, refresh=refresh)
    return FieldSchema.model_validate(dumped)


def target_scopes(*, migration: Migration, refresh: bool = False) -> list[Scope]:
    """The target's inboxes, channels or mailboxes (empty when it has none)."""
    connection = _require(migration.target)

    def compute() -> list[dict[str, Any]]:
        with engine_connectors.target_connector(connection) as target:
            return [scope.model_dump(mode="json") for scope in target.list_scopes()]

    dumped = _cached(connection=connection, part="scopes", compute=compute, refresh=refresh)
    return [Scope.model_validate(scope) for scope in dumped]


# --------------------------------------------------------------------------- agents a target lacks


@dataclass(frozen=True, slots=True)
class MissingAgent:
    """A source agent a target that cannot create agents has no active match for.

    ``state`` is the connector's: "missing", "invited" (not accepted yet) or "inactive".
    """

    email: str
    state: str


def target_missing_agents(
    *, migration: Migration, agents: Sequence[Agent], refresh: bool = False
) -> list[MissingAgent] | None:
    """The source's active agents the target cannot match, where the target says so.

    Targets whose agents must already exist with the same e-mail address (Teamwork Desk)
    have a ``missing_agents()`` method and ``missing_agent_instructions``; ``None`` for
    the others.
    """
    connection = _require(migration.target)
    target_class = registry.get_target(connection.platform)
    if not callable(getattr(target_class, "missing_agents", None)):
        return None
    emails = sorted(agent.email or "" for agent in agents if agent.active and not agent.deleted)
    digest = hashlib.sha256("\n".join(emails).encode()).hexdigest()[:16]

    def compute() -> list[dict[str, str]]:
        with engine_connectors.target_connector(connection) as target:
            return [
                {"email": match.email, "state": str(match.state)}
                for match in target.missing_agents(agents=agents)
            ]

    found = _cached(
        connection=connection, part=f"missing-agents:{digest}", compute=compute, refresh=refresh
    )
    return [MissingAgent(email=item["email"], state=item["state"]) for item in found]
