"""Faults of the installation itself (the database, Redis, the broker), told apart from
the platforms' answers: they never make a record fail, they make its batch wait.

A record refused by the target is that record's problem; a database connection cut or a
Redis server stopped says nothing about the record being written, and the write is tried
again once the service is back (or the run pauses, naming what is down).
"""

from __future__ import annotations

import logging
import time

import redis
from django.db import InterfaceError, OperationalError, connection
from kombu.exceptions import OperationalError as BrokerError

from migrator import health

logger = logging.getLogger(__name__)

#: How long a batch waits, at most, for the services to answer again before it is given
#: back (the reconciler sends it again later in any case).
RECOVERY_WAIT_SECONDS = 30.0

_DATABASE_ERRORS = (OperationalError, InterfaceError)
_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class InfrastructureFault(Exception):
    """A service of the installation failed while a batch was working."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fault_reason(error: BaseException) -> str | None:
    """What is down, in words a user can read, when ``error`` (or what caused it) is a
    fault of the installation's services; ``None`` otherwise."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, InfrastructureFault):
            return current.reason
        if isinstance(current, _DATABASE_ERRORS):
            return "The database could not be reached."
        if isinstance(current, _REDIS_ERRORS):
            return "Redis could not be reached."
        if isinstance(current, BrokerError):
            return "The message broker could not be reached."
        current = current.__cause__ or current.__context__
    return None


def services_answer() -> bool:
    """Whether the database, Redis and the broker answer now (what /healthz/ checks)."""
    if not connection.in_atomic_block:
        # A connection cut by the server stays broken until it is closed.
        connection.close()
    return all(state == health.OK for state in health.health_checks().values())


def wait_for_services(*, timeout: float | None = None) -> bool:
    """Wait, bounded, until the database and Redis answer again; ``True`` when they do."""
    deadline = time.monotonic() + (RECOVERY_WAIT_SECONDS if timeout is None else timeout)
    delay = 0.5
    while True:
        if services_answer():
            return True
        if time.monotonic() + delay > deadline:
            return False
        time.sleep(delay)
        delay = min(5.0, delay * 2)
