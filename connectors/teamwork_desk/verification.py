"""What a Teamwork Desk target holds once a record is written: what verification compares.

Every message of a ticket starts with its original date and author (Teamwork Desk sets
neither); attachments that do not fit in their message go into further private notes
(``Attachments of … (part N).``).
"""

from __future__ import annotations

import re

from connectors.schema import Comment, Record, Ticket
from connectors.teamwork_desk.payloads import message_html

_ATTACHMENT_NOTE = re.compile(r"Attachments of .+ \(part \d+\)\.")


def expected_record(record: Record) -> Record:
    if not isinstance(record, Ticket):
        return record
    comments = [
        comment.model_copy(update={"html_body": message_html(comment), "text_body": ""})
        for comment in record.comments
    ]
    return record.model_copy(update={"comments": comments})


def is_attachment_note(comment: Comment) -> bool:
    text = re.sub(r"\s+", " ", comment.text_body).strip()
    return not comment.public and _ATTACHMENT_NOTE.fullmatch(text) is not None
