"""The Celery application. Workers refuse to start with settings that could lose work."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "migrator.settings")

app = Celery("migrator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class UnsafeCeleryConfiguration(RuntimeError):
    """The Celery settings would let a crash lose or repeat work unnoticed."""


def assert_reliable_configuration(conf) -> None:
    """Refuse settings under which a killed worker could lose a task or a batch could run twice.

    Tasks are acknowledged after they finish and re-queued when their worker dies; a worker
    holds one task at a time; only JSON crosses the broker; every task has time limits, and
    the broker waits longer than the hard limit before handing an unacknowledged task to
    another worker.
    """
    problems = []
    if not conf.task_acks_late:
        problems.append("task_acks_late must be True")
    if not conf.task_reject_on_worker_lost:
        problems.append("task_reject_on_worker_lost must be True")
    if conf.worker_prefetch_multiplier != 1:
        problems.append("worker_prefetch_multiplier must be 1")
    if conf.task_serializer != "json" or set(conf.accept_content or []) != {"json"}:
        problems.append("task_serializer and accept_content must be JSON only")
    hard_limit = conf.task_time_limit
    soft_limit = conf.task_soft_time_limit
    if not hard_limit or not soft_limit or soft_limit >= hard_limit:
        problems.append("task_soft_time_limit must be set and below task_time_limit")
    if str(conf.broker_url).startswith(("redis://", "rediss://", "unix://")):
        visibility = (conf.broker_transport_options or {}).get("visibility_timeout", 3600)
        if hard_limit and visibility <= hard_limit * 2:
            problems.append(
                f"broker visibility_timeout ({visibility}s) must be well above the task hard "
                f"time limit ({hard_limit}s)"
            )
    if problems:
        raise UnsafeCeleryConfiguration("Unsafe Celery settings: " + "; ".join(problems))


@worker_init.connect
def _refuse_to_start_when_unsafe(sender=None, **_kwargs) -> None:
    try:
        assert_reliable_configuration((sender.app if sender is not None else app).conf)
    except UnsafeCeleryConfiguration as problem:
        # Signal receivers' exceptions are only logged; SystemExit does stop the worker.
        raise SystemExit(f"Refusing to start the worker. {problem}") from problem


@worker_process_init.connect
def _pool_process_started(**_kwargs) -> None:
    """A pool process asked to stop while it works a batch (a service manager's stop,
    SIGTERM to the process group) gives the batch back after the record at hand instead
    of dying in the middle of one; the main process then shuts down as it does."""
    from migrator.engine import stopping

    stopping.in_pool_process = True
