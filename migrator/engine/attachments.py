"""Attachments on their way from the source to the target: opened on the source chunk by
chunk, held to the target's size limit, hashed as they pass (verification compares the
hashes), and left out of a record with a reason when they cannot be copied."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from connectors.base import AttachmentStream, Source
from connectors.errors import NotFoundError
from connectors.messages import Message, gettext_noop
from connectors.schema import Article, Attachment, Record, Ticket
from migrator.engine import verify
from migrator.engine.transform import Transformer


class AttachmentProblem(Exception):
    """An attachment cannot be copied; the record is written without it."""

    def __init__(self, attachment: Attachment, reason: Message | str) -> None:
        super().__init__(str(reason))
        self.attachment = attachment
        self.reason = reason


class AttachmentGate:
    """Opens attachments on the source for the target, chunk by chunk.

    Bytes flow from the source's download into the target's upload without the file
    being held whole; a file of unknown size that turns out larger than the target's
    limit stops the upload, and a file gone from the source is left out.
    """

    def __init__(self, *, source: Source, transformer: Transformer) -> None:
        self.source = source
        self.transformer = transformer
        self.bytes_copied = 0
        #: Digests of the files streamed whole, by attachment source id (verification).
        self.digests: dict[str, verify.FileDigest] = {}

    def __call__(self, attachment: Attachment, /) -> AttachmentStream:
        return self._open(attachment)

    @contextmanager
    def _open(self, attachment: Attachment) -> Iterator[Iterator[bytes]]:
        with ExitStack() as stack:
            try:
                chunks = stack.enter_context(self.source.download_attachment(attachment))
            except NotFoundError as error:
                raise AttachmentProblem(
                    attachment,
                    Message(
                        gettext_noop("The attachment %(file)s no longer exists on the source."),
                        {"file": attachment.file_name},
                    ),
                ) from error
            yield self._limited(attachment, chunks)

    def _limited(self, attachment: Attachment, chunks: Iterator[bytes]) -> Iterator[bytes]:
        limit = self.transformer.attachment_limit
        size = 0
        digest = hashlib.sha256()
        for chunk in chunks:
            size += len(chunk)
            if limit is not None and size > limit:
                raise AttachmentProblem(attachment, self.transformer.too_large_reason(attachment))
            self.bytes_copied += len(chunk)
            digest.update(chunk)
            yield chunk
        self.digests[attachment.source_id] = verify.FileDigest(digest.hexdigest(), size)

    def digest(self, attachment: Attachment) -> verify.FileDigest | None:
        """The digest of an attachment's bytes on the source, read again when this batch
        did not copy it (a record found by its marker); None when it cannot be read."""
        if attachment.source_id not in self.digests:
            try:
                with self._open(attachment) as chunks:
                    for _chunk in chunks:
                        pass
            except AttachmentProblem:
                return None
        return self.digests.get(attachment.source_id)


def without_attachment(record: Record, attachment_id: str) -> Record:
    if isinstance(record, Ticket):
        comments = [
            comment.model_copy(
                update={
                    "attachments": [a for a in comment.attachments if a.source_id != attachment_id]
                }
            )
            for comment in record.comments
        ]
        return record.model_copy(update={"comments": comments})
    if isinstance(record, Article):
        kept = [a for a in record.attachments if a.source_id != attachment_id]
        return record.model_copy(update={"attachments": kept})
    return record


def has_attachments(record: Record) -> bool:
    if isinstance(record, Ticket):
        return any(comment.attachments for comment in record.comments)
    if isinstance(record, Article):
        return bool(record.attachments)
    return False
