"""What a Freshdesk target holds once a record is written: what verification compares.

A ticket's comments after the first become notes that start with their original date and
author; a private note keeps the ticket's original dates; attachments beyond Freshdesk's
20 MB per conversation go into further private notes (``Attachments of … (part N).``).
"""

from __future__ import annotations

import re

from connectors.freshdesk.payloads import comment_to_freshdesk, original_dates_note_to_freshdesk
from connectors.schema import AuthorKind, Comment, Record, Ticket

_ATTACHMENT_NOTE = re.compile(r"Attachments of .+ \(part \d+\)\.")


def expected_ticket(ticket: Ticket) -> Ticket:
    opening, *rest = ticket.comments or [None]
    note = original_dates_note_to_freshdesk(ticket)
    dates_note = Comment(
        source_id=f"original-dates-{ticket.source_id}",
        author_kind=AuthorKind.SYSTEM,
        public=not note["private"],
        html_body=note["body"],
        created_at=ticket.created_at,
    )
    comments = [
        comment.model_copy(
            update={"html_body": comment_to_freshdesk(comment).body["body"], "text_body": ""}
        )
        for comment in rest
        if comment is not None
    ]
    kept = [opening] if opening is not None else []
    return ticket.model_copy(update={"comments": [*kept, dates_note, *comments]})


def expected_record(record: Record) -> Record:
    return expected_ticket(record) if isinstance(record, Ticket) else record


def is_attachment_note(comment: Comment) -> bool:
    text = re.sub(r"\s+", " ", comment.text_body).strip()
    return not comment.public and _ATTACHMENT_NOTE.fullmatch(text) is not None
