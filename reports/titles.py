"""What a person calls a record, for the reports: a ticket's subject, an article's title,
a person's, organization's or group's name."""

from __future__ import annotations

from typing import Any

from connectors.schema import Article, Record, Ticket

#: RunRecord.title holds this many characters at most.
MAX_TITLE_CHARS = 255


def record_title(record: Record | Any) -> str:
    """The record's title as the source gave it, else "" (never raises)."""
    try:
        if isinstance(record, Ticket):
            title = record.subject
        elif isinstance(record, Article):
            title = record.title
        else:
            title = (
                getattr(record, "name", "")
                or getattr(record, "file_name", "")
                or getattr(record, "email", "")
            )
    except Exception:  # a title is a courtesy: a report never fails for it
        return ""
    return " ".join(str(title or "").split())[:MAX_TITLE_CHARS]
