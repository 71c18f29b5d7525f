"""A worker process asked to stop (SIGTERM) while it works a batch gives the batch back after
the record at hand, instead of dying in the middle of one."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Set when the worker process is asked to stop (SIGTERM): the batch at hand is given back
#: after the record being written, instead of being cut in the middle of one.
stop_requested = threading.Event()
#: Whether this process is a Celery pool process (set when the pool starts it).
in_pool_process = False


def request_stop(_signum: int, _frame: object) -> None:
    stop_requested.set()


@contextmanager
def stop_gives_batch_back() -> Iterator[None]:
    """While a pool process works a batch, SIGTERM asks it to give the batch back instead
    of ending it at once (the pool's own handler is put back after)."""
    stop_requested.clear()
    if not in_pool_process or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
