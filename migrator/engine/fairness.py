"""How many worker processes one run may hold: as many as its accounts' rate budgets can
feed, never more than MIGRATOR_MAX_BATCHES_PER_RUN, and no more than its share of the busy
processes while other runs wait for one.

One process makes a request every ``busy seconds / calls`` (the run's measured time per
request of a side, waits for the budget left out); a side allowing R requests a second
keeps ``R * seconds a request takes`` processes busy. A run holding more than its slower
side can feed only has its processes wait on the budget while other runs queue.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from connectors.registry import UnknownConnectorError, registry
from migrator.models import Connection


class MeteredSleep:
    """The sleep the engine's HTTP clients use (waits for a rate budget, backoffs before a
    retry), counting the seconds slept in this process: a batch's busy time leaves them out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0

    def __call__(self, seconds: float) -> None:
        started = time.monotonic()
        try:
            time.sleep(seconds)
        finally:
            with self._lock:
                self.seconds += time.monotonic() - started


#: The process's one meter (a pool process works one batch at a time).
metered_sleep = MeteredSleep()


class BusyClock:
    """A batch's busy seconds: the time since it started, less what its process slept."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._slept_before = metered_sleep.seconds

    def seconds(self) -> float:
        slept = metered_sleep.seconds - self._slept_before
        return max(0.0, time.monotonic() - self._started - slept)


#: Processes a run may hold beyond what its slower side's budget feeds on average.
FED_HEADROOM = 1


@dataclass(frozen=True)
class RunMeasure:
    """A run's finished batches, summed: their busy seconds and calls on each side."""

    busy_seconds: float
    source_calls: int
    target_calls: int


def allowed_per_second(connection: Connection | None) -> float:
    """Requests a second the account allows: the limit the user entered (0: none), else the
    one its platform announced, else the platform's usual plan."""
    if connection is None:
        return math.inf
    entered = connection.rate_limit_per_minute
    if entered is not None:
        return entered / 60 if entered else math.inf
    if connection.rate_limit_learned:
        return connection.rate_limit_learned / 60
    try:
        return registry.get(connection.platform).capabilities.rate_limit_per_minute / 60
    except UnknownConnectorError:
        return math.inf


def processes_fed(
    *, source: Connection | None, target: Connection | None, measure: RunMeasure
) -> int:
    """The processes a run may hold: what its slower side's budget can feed, at least one,
    at most MIGRATOR_MAX_BATCHES_PER_RUN (also while nothing is measured yet)."""
    ceiling = settings.MIGRATOR_MAX_BATCHES_PER_RUN
    fed = math.inf
    for connection, calls in ((source, measure.source_calls), (target, measure.target_calls)):
        if calls and measure.busy_seconds > 0:
            seconds_per_request = measure.busy_seconds / calls
            fed = min(fed, allowed_per_second(connection) * seconds_per_request)
    if math.isinf(fed):
        return ceiling
    # One process more than the average needs: a batch's page read, flush and claim leave
    # its process off the budget for a moment, and the budget's slots are not kept.
    return max(1, min(ceiling, math.ceil(fed) + FED_HEADROOM))


def fair_share(*, busy_processes: int, runs_wanting: int) -> int:
    """A run's share of the processes at work (the one about to claim included) among the
    running runs that have work claimed or due: at least one."""
    return max(1, math.ceil(busy_processes / max(1, runs_wanting)))
