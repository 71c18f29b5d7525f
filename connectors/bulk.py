"""Bulk writes a target declares: many records created by one request, through a job the
platform runs on its own time and answers per record.

A target that offers it subclasses :class:`BulkTarget` and returns a :class:`BulkSink`
for the entities it takes in bulk; the engine (``migrator.engine.bulk``) then prepares each
record (its files uploaded), submits them at most ``max_items`` a request, follows the job
and keeps each record's id, sending the records the job refused through the one-record
path. Records carry their marker as in :meth:`Target.create`, so a job whose answer was
lost is found again by the markers once the platform has no job of ours left running.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectors.base import AttachmentOpener
from connectors.schema import Entity, Record


@dataclass(frozen=True)
class BulkSink:
    """How a target takes records in bulk."""

    #: Records one request may carry.
    max_items: int
    #: Seconds before the first look at the job, and the longest wait between two looks
    #: (the wait doubles from the first: every look is a request).
    first_poll_seconds: float
    max_poll_seconds: float
    #: How long a job may stay queued or working before the engine stops waiting for it
    #: and finds its records by their markers instead.
    job_timeout_seconds: float


class JobState(StrEnum):
    QUEUED = "queued"
    WORKING = "working"
    COMPLETED = "completed"
    FAILED = "failed"
    KILLED = "killed"
    #: The platform no longer knows the job (it keeps job statuses for a limited time).
    UNKNOWN = "unknown"

    @property
    def running(self) -> bool:
        return self in (JobState.QUEUED, JobState.WORKING)


@dataclass(frozen=True)
class BulkResult:
    """What the job did with the record at ``index`` of the request."""

    index: int
    target_id: str | None
    #: The platform's reason, in its words, when it did not create the record.
    error: str = ""
    detail: str = ""


@dataclass(frozen=True)
class BulkJob:
    job_id: str
    state: JobState
    total: int | None = None
    progress: int | None = None
    results: tuple[BulkResult, ...] = ()
    message: str = ""


class BulkTarget(ABC):
    """A target that creates records in bulk (mixed into a :class:`connectors.base.Target`)."""

    @abstractmethod
    def bulk_sink(self, entity: Entity) -> BulkSink | None:
        """How ``entity`` is taken in bulk, or None when it is not."""

    @abstractmethod
    def bulk_prepare(
        self,
        entity: Entity,
        record: Record,
        *,
        marker: str,
        attachments: AttachmentOpener | None = None,
    ) -> Any:
        """One record's part of a bulk request, its files uploaded (the engine catches an
        attachment that cannot be copied, as around :meth:`Target.create`)."""

    @abstractmethod
    def bulk_submit(self, entity: Entity, items: Sequence[Any]) -> BulkJob:
        """Send prepared records (at most ``max_items``) in one request; the job it
        started. Never sent twice on its own: a lost answer is settled by
        :meth:`bulk_settle` and the markers."""

    @abstractmethod
    def bulk_job(self, entity: Entity, job_id: str) -> BulkJob:
        """One look at a job (one request)."""

    @abstractmethod
    def bulk_running(self, entity: Entity) -> bool:
        """Whether the account still runs a bulk job of ``entity`` (one request): records
        of a job whose answer was lost are looked for by marker only once it is over."""
