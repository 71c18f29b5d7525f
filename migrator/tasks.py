"""Celery tasks of the core domain. Tasks stay thin: load ids, call services or the engine."""

from __future__ import annotations

import socket

from celery import shared_task
from django.db import reset_queries

from migrator import services
from migrator.engine import execute, recheck, reverify, scheduling


@shared_task(name="migrator.ping")
def ping(token: str) -> dict[str, str]:
    """Answer with the token and the worker's host: proves a worker consumes the broker."""
    return {"token": token, "hostname": socket.gethostname()}


@shared_task(name="migrator.batch_execute", ignore_result=True)
def batch_execute(batch_id: int) -> None:
    """Work one batch of a run (a page of records, or the run's planning)."""
    try:
        execute.batch_execute(batch_id=batch_id)
    finally:
        # With DEBUG, Django keeps every query of a process: a long-lived worker would grow.
        reset_queries()


@shared_task(name="migrator.run_reverify", ignore_result=True)
def run_reverify(run_id: int) -> None:
    """ "Verify again" on a finished run: read back, repair, update the report rows."""
    try:
        reverify.run_reverify(run_id=run_id)
    finally:
        reset_queries()


@shared_task(name="migrator.run_recheck", ignore_result=True)
def run_recheck(run_id: int) -> None:
    """Verification of a run's skipped and failed records, on both sides."""
    try:
        recheck.run_recheck(run_id=run_id)
    finally:
        reset_queries()


@shared_task(name="migrator.runs_reconcile", ignore_result=True)
def runs_reconcile() -> None:
    """Beat's periodic pass: due runs, interval windows, stale batches."""
    scheduling.runs_reconcile()


@shared_task(name="migrator.migrations_archive", ignore_result=True)
def migrations_archive() -> None:
    """Beat's periodic pass: archive migrations whose full run completed days ago."""
    services.migrations_archive()
