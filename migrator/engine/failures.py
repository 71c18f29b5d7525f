"""How a batch that cannot go on ends: given back for later, the run paused with a reason
the user can act on, or the run failed for good. Shared by the batches that write records
and those that remove a demo's records."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from celery.exceptions import SoftTimeLimitExceeded

from connectors.errors import ConnectorError, RateLimitedError
from connectors.messages import Message, gettext_noop, message_of
from connectors.registry import UnknownConnectorError
from migrator.crypto import CredentialsUnreadable
from migrator.engine import infrastructure, plan, scheduling
from migrator.engine.connectors import ConnectionMissing
from migrator.engine.infrastructure import InfrastructureFault
from migrator.models import Run, RunBatch

if TYPE_CHECKING:
    from connectors.base import Source, Target

logger = logging.getLogger(__name__)

#: Claims of one batch before a run whose platform keeps failing is paused.
BATCH_ATTEMPTS = 8


class Interrupted(Exception):
    """The run was paused or cancelled, or another worker took the batch over."""


class SystemicFailure(Exception):
    """The whole run must pause: ``reason`` tells the user what to fix."""

    def __init__(self, reason: Message | str, *, detail: str = "") -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.detail = detail


class WaitForBudget(Exception):
    """A platform's rate limit holds the batch back for ``delay`` seconds: the batch is
    given back with that countdown, waiting on ``side`` ("source" or "target"), and the
    process takes other work meanwhile. Not an attempt: waiting never pauses a run, and no
    record is reported for it (each resumes at its first unconfirmed step)."""

    def __init__(self, reason: Message | str, *, side: str, delay: float) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.side = side
        self.delay = delay


class RetryLater(Exception):
    """A platform keeps failing for now; the batch is tried again after ``delay``."""

    def __init__(self, reason: Message | str, *, delay: float) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.delay = delay


CREDENTIALS_UNREADABLE = Message(
    gettext_noop(
        "The run cannot go on: the stored credentials of a connection can no longer be "
        "decrypted (the installation's encryption keys changed). Connect the account again, "
        "choose it in the migration, then start a new run."
    )
)
STILL_FAILING = gettext_noop("Still failing after %(attempts)s attempts: %(reason)s")
RUN_PAUSED = gettext_noop("The run paused: %(reason)s")
CANNOT_GO_ON = gettext_noop("The run cannot go on: %(reason)s")


def pause_for(*, batch: RunBatch, worker: str, reason: Message | str) -> None:
    scheduling.run_pause(run=batch.run, paused_by=Run.PausedBy.SYSTEM, reason=reason)
    scheduling.batch_release(batch=batch, worker=worker, error=str(reason))


def fail_for(*, batch: RunBatch, worker: str, reason: Message | str) -> None:
    scheduling.run_fail(run=batch.run, reason=reason)
    scheduling.batch_release(batch=batch, worker=worker, error=str(reason))


def after_infrastructure_fault(*, batch: RunBatch, worker: str, reason: str) -> None:
    """The database, Redis or the broker failed under the batch: nothing of it is reported
    failed. Wait (bounded) for them to answer, then give the batch back; after too many
    tries the run pauses with the reason."""
    logger.warning("%s stopped by the installation's services: %s", batch, reason)
    recovered = infrastructure.wait_for_services()
    try:
        retry_later(batch=batch, worker=worker, reason=reason, delay=1.0 if recovered else 15.0)
    except Exception:
        # Still down: the claim's heartbeat stops with this task, and the reconciler sends
        # the batch again once it is stale.
        logger.warning("%s could not be given back; the reconciler will send it again", batch)


def retry_later(*, batch: RunBatch, worker: str, reason: Message | str, delay: float) -> None:
    if batch.attempts >= BATCH_ATTEMPTS:
        pause_for(
            batch=batch,
            worker=worker,
            reason=Message(STILL_FAILING, {"attempts": batch.attempts, "reason": reason}),
        )
        return
    logger.info("%s tried again in %.0fs: %s", batch, delay, reason)
    scheduling.batch_release(batch=batch, worker=worker, delay_seconds=delay, error=str(reason))


def waiting_side(error: RateLimitedError, *, source: Source, target: Target) -> str:
    """Which side of the run the rate limit that raised ``error`` belongs to: the side
    whose budget it names; the target's when it names neither (a connector's own wait,
    raised while writing)."""
    key = error.budget_key
    if key and key in source.rate_budget_keys() and key not in target.rate_budget_keys():
        return "source"
    return "target"


@contextmanager
def budget_waits_given_back(*, source: Source, target: Target) -> Iterator[None]:
    """A wait for a platform's rate limit, wherever it stops the batch, gives the batch
    back with the platform's countdown instead of holding the process."""
    try:
        yield
    except RateLimitedError as error:
        delay = min(600.0, max(1.0, error.retry_after or retry_delay(None, attempt=1)))
        side = waiting_side(error, source=source, target=target)
        raise WaitForBudget(message_of(error), side=side, delay=delay) from error


def retry_delay(error: ConnectorError | None, *, attempt: int) -> float:
    if isinstance(error, RateLimitedError) and error.retry_after:
        return min(600.0, error.retry_after)
    return min(300.0, 5.0 * 2 ** max(0, attempt - 1)) * (0.5 + random.random() / 2)  # noqa: S311


def systemic_reason(error: ConnectorError) -> Message:
    return Message(RUN_PAUSED, {"reason": message_of(error)})


@contextmanager
def batch_ends_handled(*, batch: RunBatch, worker: str) -> Iterator[None]:
    """Whatever stops the batch, it ends as it must: given back, tried again later, its
    run paused or failed with a reason the user can act on."""
    try:
        yield
    except (Interrupted, scheduling.ClaimLost) as interrupted:
        logger.info("%s given back: %s", batch, interrupted)
        scheduling.batch_release(batch=batch, worker=worker)
    except InfrastructureFault as fault:
        after_infrastructure_fault(batch=batch, worker=worker, reason=fault.reason)
    except WaitForBudget as wait:
        logger.info("%s waits %.1fs for the %s's rate limit", batch, wait.delay, wait.side)
        scheduling.batch_release(
            batch=batch,
            worker=worker,
            delay_seconds=wait.delay,
            error=str(wait.reason),
            waiting_on=wait.side,
        )
    except SystemicFailure as failure:
        pause_for(batch=batch, worker=worker, reason=failure.reason)
    except RetryLater as later:
        retry_later(batch=batch, worker=worker, reason=later.reason, delay=later.delay)
    except SoftTimeLimitExceeded:
        scheduling.batch_release(batch=batch, worker=worker, error="time limit")
    except ConnectorError as error:
        # Raised while planning or reading a page: no record to report it on.
        if error.retryable:
            retry_later(
                batch=batch,
                worker=worker,
                reason=message_of(error),
                delay=retry_delay(error, attempt=batch.attempts),
            )
        else:
            pause_for(batch=batch, worker=worker, reason=systemic_reason(error))
    except plan.PlanImpossible as impossible:
        fail_for(batch=batch, worker=worker, reason=impossible.reason)
    except CredentialsUnreadable:
        fail_for(batch=batch, worker=worker, reason=CREDENTIALS_UNREADABLE)
    except UnknownConnectorError as error:
        # The platform's connector was removed from this installation.
        fail_for(batch=batch, worker=worker, reason=Message(CANNOT_GO_ON, {"reason": str(error)}))
    except ConnectionMissing as missing:
        fail_for(batch=batch, worker=worker, reason=str(missing))
    except Exception as error:
        if (reason := infrastructure.fault_reason(error)) is not None:
            after_infrastructure_fault(batch=batch, worker=worker, reason=reason)
            return
        logger.exception("%s stopped on an unexpected error", batch)
        retry_later(
            batch=batch,
            worker=worker,
            reason=f"An unexpected error stopped the run: {type(error).__name__}: {error}",
            delay=retry_delay(None, attempt=batch.attempts),
        )
