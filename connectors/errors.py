"""Errors every connector raises, each with a message a user can read.

The engine decides what to do from the class (retry later, pause the run, report
the record), the wizard shows ``user_message`` as it is.
"""

from __future__ import annotations

from connectors.messages import Message


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    #: Whether trying the same call again later may succeed.
    retryable: bool = False
    #: Whether the error concerns the whole account rather than one record
    #: (a run that meets one should pause, not report the record).
    systemic: bool = False

    def __init__(
        self, user_message: str | Message, *, status: int | None = None, detail: str = ""
    ) -> None:
        text = str(user_message)
        super().__init__(text)
        #: The English text (logs, CSV, API).
        self.user_message = text
        #: The same as a message id and its parameters, shown in the reader's language
        #: (None for a plain text).
        self.message: Message | None = user_message if isinstance(user_message, Message) else None
        self.status = status
        self.detail = detail


class AuthenticationError(ConnectorError):
    """The platform refused the credentials (401) or their permissions (403)."""

    systemic = True


class UnreachableError(ConnectorError):
    """The platform could not be reached: DNS, refused connection, TLS."""

    retryable = True
    systemic = True


class BlockedAddressError(ConnectorError):
    """The URL points at an address the SSRF guard refuses."""

    systemic = True


class NotFoundError(ConnectorError):
    """The record (or the account, for a base URL) does not exist."""


class InvalidRecordError(ConnectorError):
    """The platform refused the record's content (400/422 validation)."""


class RateLimitedError(ConnectorError):
    """The platform kept answering 429 after every allowed retry.

    ``retry_after`` is how many seconds the platform (or the shared rate budget)
    asked to wait, when known, so the engine can schedule the next try instead of
    sleeping in a worker. ``budget_key`` names the account whose budget holds it back
    (``platform:account``), so the engine can tell which side of a run must wait.
    """

    retryable = True

    def __init__(
        self,
        user_message: str | Message,
        *,
        status: int | None = None,
        detail: str = "",
        retry_after: float | None = None,
        budget_key: str = "",
    ) -> None:
        super().__init__(user_message, status=status, detail=detail)
        self.retry_after = retry_after
        self.budget_key = budget_key


class TransientError(ConnectorError):
    """A 5xx, a timeout or a dropped connection that outlived the retries.

    ``ambiguous`` is true when the request may have been applied (a write whose
    answer was lost): the engine then looks the record up by its marker before
    writing again.
    """

    retryable = True

    def __init__(
        self,
        user_message: str | Message,
        *,
        status: int | None = None,
        detail: str = "",
        ambiguous: bool = False,
    ) -> None:
        super().__init__(user_message, status=status, detail=detail)
        self.ambiguous = ambiguous


class MalformedResponseError(ConnectorError):
    """The platform answered with a body that is not what its API documents."""

    retryable = True
