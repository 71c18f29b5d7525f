"""Locks that serialise the writers of the same source records across worker processes."""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager

from django.db import DatabaseError, connection

from connectors.schema import Entity

logger = logging.getLogger(__name__)


def _lock_key(*, migration_id: int, namespace: str, entity: Entity, source_id: str) -> int:
    digest = hashlib.sha256(f"{migration_id}:{namespace}:{entity}:{source_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def records_locked(*, migration_id: int, namespace: str, entity: Entity, source_ids: list[str]):
    """Serialise the writers of these source records across processes (PostgreSQL).

    Session advisory locks, one per record, taken in one statement and in key order (two
    workers locking overlapping pages cannot deadlock), held while the page is written
    and its record map committed; PostgreSQL releases them too when the worker dies.
    """
    if connection.vendor != "postgresql" or not source_ids:
        yield
        return
    keys = sorted(
        {
            _lock_key(
                migration_id=migration_id, namespace=namespace, entity=entity, source_id=source_id
            )
            for source_id in source_ids
        }
    )
    with connection.cursor() as cursor:
        # The ordered subquery makes the locks be taken in key order.
        cursor.execute(
            "SELECT count(pg_advisory_lock(key)) FROM "
            "(SELECT unnest(%s::bigint[]) AS key ORDER BY 1) AS ordered",
            [keys],
        )
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_advisory_unlock(key)) FROM unnest(%s::bigint[]) AS key",
                    [keys],
                )
        except DatabaseError:
            # Closing the session is what releases its locks then.
            logger.warning("advisory unlock failed; closing the connection", exc_info=True)
            connection.close()
