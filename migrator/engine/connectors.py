"""Connector instances for a migration's connections, built in the process that uses them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from typing import Any

from django.utils import timezone

from connectors.base import Scope, Source, Target
from connectors.http import HttpClient, http_client_from_settings
from connectors.registry import registry
from migrator.crypto import decrypt_credentials
from migrator.engine.fairness import metered_sleep
from migrator.models import Connection, Migration

logger = logging.getLogger(__name__)

#: A learned limit found unchanged is written again (its time refreshed) at most this often.
LEARNED_LIMIT_REFRESH = timedelta(minutes=1)


def http_client_factory(connection: Connection):
    """The project's HTTP client, with the account's own rate limit when the user gave one
    (requests a minute; 0: none, not even the platform's declared default)."""

    def build(**options: Any) -> HttpClient:
        # Waits are counted, so that a batch's busy time leaves them out.
        options.setdefault("sleep", metered_sleep)
        if connection.rate_limit_per_minute is not None:
            options["rate_limit"] = connection.rate_limit_per_minute
            options["rate_period"] = 60.0
        return http_client_from_settings(**options)

    return build


def source_connector(connection: Connection) -> Source:
    source_class = registry.get_source(connection.platform)
    credentials = source_class.parse_credentials(
        decrypt_credentials(token=connection.encrypted_credentials)
    )
    return source_class(
        credentials=credentials, http_client_factory=http_client_factory(connection)
    )


def target_connector(connection: Connection, *, scope: Scope | None = None) -> Target:
    target_class = registry.get_target(connection.platform)
    credentials = target_class.parse_credentials(
        decrypt_credentials(token=connection.encrypted_credentials)
    )
    return target_class(
        credentials=credentials,
        http_client_factory=http_client_factory(connection),
        scope=scope,
    )


def target_scope(migration: Migration) -> Scope | None:
    if not migration.target_scope_id:
        return None
    return Scope(id=migration.target_scope_id, name=migration.target_scope_name)


class ConnectionMissing(ValueError):
    """The migration's source or target connection was removed."""


@contextmanager
def migration_connectors(migration: Migration) -> Iterator[tuple[Source, Target]]:
    """The source and target of a migration, closed (with their HTTP clients) afterwards."""
    missing = []
    for role in ("source", "target"):
        try:
            if getattr(migration, role) is None:
                missing.append(role)
        except Connection.DoesNotExist:
            missing.append(role)
    if missing:
        raise ConnectionMissing(
            f"The run cannot go on: the migration's {' and '.join(missing)} connection was "
            "removed. Connect the account again, choose it in the migration, then start a "
            "new run."
        )
    with ExitStack() as stack:
        source = stack.enter_context(source_connector(migration.source))
        target = stack.enter_context(
            target_connector(migration.target, scope=target_scope(migration))
        )
        yield source, target


def learned_limits_keep(*, migration: Migration, source: Source, target: Target) -> None:
    """Keep on each connection the rate limit its platform announced (requests a minute),
    for the estimates and for the user to see. Never stops a batch: it is bookkeeping."""
    now = timezone.now()
    for role, connector in (("source", source), ("target", target)):
        try:
            learned = connector.learned_rate_limit()
            connection = getattr(migration, role)
            if learned is None or connection is None:
                continue
            unchanged = connection.rate_limit_learned == learned
            fresh = (
                connection.rate_limit_learned_at is not None
                and now - connection.rate_limit_learned_at < LEARNED_LIMIT_REFRESH
            )
            if unchanged and fresh:
                continue
            Connection.objects.filter(pk=connection.pk).update(
                rate_limit_learned=learned, rate_limit_learned_at=now
            )
            connection.rate_limit_learned, connection.rate_limit_learned_at = learned, now
        except Exception:
            logger.warning("the learned rate limit of the %s was not kept", role, exc_info=True)
