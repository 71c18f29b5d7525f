"""Celery tasks of the core domain. Tasks stay thin: load ids, call services or the engine."""

from __future__ import annotations

import socket

from celery import shared_task


@shared_task(name="migrator.ping")
def ping(token: str) -> dict[str, str]:
    """Answer with the token and the worker's host: proves a worker consumes the broker."""
    return {"token": token, "hostname": socket.gethostname()}
