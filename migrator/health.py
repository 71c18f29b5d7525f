"""What /healthz/ asks: the database, Redis (when configured) and the broker, at once and
each for at most :data:`CHECK_SECONDS`, so that the health check itself never hangs."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

#: The longest the checks may take together (they run side by side).
CHECK_SECONDS = 2.0
OK, DOWN = "ok", "down"
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _database() -> None:
    # A thread of its own has a connection of its own: closed here, not left behind.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def _redis_ping(url: str) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS
    )
    try:
        if not client.ping():
            raise ConnectionError("Redis did not answer PING")
    finally:
        client.close()


def _redis() -> None:
    _redis_ping(settings.REDIS_URL)


def _broker() -> None:
    url = settings.CELERY_BROKER_URL
    if url.startswith(_REDIS_SCHEMES):
        _redis_ping(url)
        return
    if url.startswith("filesystem://"):
        # The embedded broker is a set of folders the worker and the site share.
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            folder = options.get(key)
            if folder and not (Path(folder).is_dir() and os.access(folder, os.W_OK | os.X_OK)):
                raise FileNotFoundError(f"the broker's {key} is missing or not writable")
        return
    import kombu

    with kombu.Connection(url, connect_timeout=CHECK_SECONDS) as broker:
        broker.connect()


def components() -> dict[str, Callable[[], None]]:
    """The checks that apply to this site, by the name /healthz/ gives them."""
    checks: dict[str, Callable[[], None]] = {"database": _database}
    if settings.REDIS_URL:
        checks["redis"] = _redis
    checks["broker"] = _broker
    return checks


def health_checks() -> dict[str, str]:
    """``{component: "ok" | "down"}``; a check still running after :data:`CHECK_SECONDS`
    is down (its thread is left to finish on its own)."""
    checks = components()
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="healthz")
    try:
        futures = {name: pool.submit(check) for name, check in checks.items()}
        wait(futures.values(), timeout=CHECK_SECONDS)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    states: dict[str, str] = {}
    for name, future in futures.items():
        if not future.done():
            logger.warning("health check: %s did not answer within %ss", name, CHECK_SECONDS)
            states[name] = DOWN
        elif (error := future.exception()) is not None:
            logger.warning("health check: %s is down (%s)", name, type(error).__name__)
            states[name] = DOWN
        else:
            states[name] = OK
    return states
