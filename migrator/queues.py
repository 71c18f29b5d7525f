"""The Celery queues the engine sends work to, and which ones a worker consumes.

Full, delta and re-migration runs go to MIGRATOR_QUEUE; demos and the removal of demo
records go to the demo queue. Every worker consumes both; a small worker consuming the
demo queue alone keeps a demo moving while full runs hold every other process.
"""

from __future__ import annotations

from django.conf import settings

DEMO_SUFFIX = "-demo"


def demo_queue_of(main_queue: str, *, configured: str = "") -> str:
    """The demo queue that goes with ``main_queue`` (``configured`` when one is set)."""
    return configured or f"{main_queue}{DEMO_SUFFIX}"


def main_queue() -> str:
    return settings.MIGRATOR_QUEUE


def demo_queue() -> str:
    return demo_queue_of(settings.MIGRATOR_QUEUE, configured=settings.MIGRATOR_DEMO_QUEUE)


def queue_for_run(*, kind: str) -> str:
    """Where a run's batches go: demos (and their records' removal) to the demo queue."""
    from migrator.models import Run

    return demo_queue() if kind in Run.PRELIMINARY_KINDS else main_queue()


def worker_queues() -> list[str]:
    """What a worker consumes by default: both queues, the main one first."""
    return [main_queue(), demo_queue()]
