"""What a help desk's own API lists, read through its connector: counts, and content
fingerprints (ticket subjects with their comment counts, files by name and SHA-256,
articles with their translation counts). Tests compare these, never our record map."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from connectors.base import Source
from connectors.freshdesk.payloads import ORIGINAL_DATES_NOTE_OPENING
from connectors.schema import Article, Comment, Entity, Ticket
from migrator.engine import connectors as engine_connectors
from migrator.engine.transform import FIELDS_NOTE_OPENING
from migrator.engine.verify import body_text
from migrator.models import Migration


@dataclass
class Holdings:
    """What the target's API lists, as counts and content fingerprints."""

    counts: Counter = field(default_factory=Counter)
    tickets: Counter = field(default_factory=Counter)
    files: Counter = field(default_factory=Counter)
    articles: Counter = field(default_factory=Counter)


def read_all(target: Source, entity: Entity) -> list:
    records, cursor = [], None
    for _page in range(200):
        page = target.read_page(entity, cursor=cursor, page_size=50)
        records.extend(page.records)
        if not page.has_more:
            return records
        cursor = page.next_cursor
    raise AssertionError(f"{entity} never ended")


def sha256(target: Source, attachment) -> str:
    digest = hashlib.sha256()
    with target.download_attachment(attachment) as chunks:
        for chunk in chunks:
            digest.update(chunk)
    return digest.hexdigest()


def migration_note(comment: Comment) -> bool:
    """A private note the migration writes of its own (a ticket's original dates on
    Freshdesk, the fields without a place on the target), not one of the source's."""
    text = " ".join(body_text(comment.html_body, comment.text_body).split())
    # Targets that cannot backdate a comment open it with its original date.
    text = re.sub(r"^On \d{4}-\d\d-\d\d \d\d:\d\d UTC:\s*", "", text)
    return not comment.public and (
        text.startswith(ORIGINAL_DATES_NOTE_OPENING)
        or (text.startswith("Fields from ") and FIELDS_NOTE_OPENING in text[:120])
    )


def holdings(migration: Migration, *, files: bool = True) -> Holdings:
    migration.refresh_from_db()
    held = Holdings()
    with engine_connectors.target_connector(
        migration.target, scope=engine_connectors.target_scope(migration)
    ) as target:
        reads = target.capabilities.reads
        for entity in (Entity.ORGANIZATIONS, Entity.CONTACTS):
            if entity in reads and entity in target.capabilities.writes:
                held.counts[entity.value] = len(read_all(target, entity))
        if Entity.TICKETS in reads:
            tickets: list[Ticket] = read_all(target, Entity.TICKETS)
            held.counts["tickets"] = len(tickets)
            for ticket in tickets:
                comments = [
                    c for c in ticket.comments if not target.added_by_target(Entity.TICKETS, c)
                ]
                notes = [c for c in comments if migration_note(c)]
                comments = [c for c in comments if c not in notes]
                held.counts["comments"] += len(comments)
                held.counts["migration notes"] += len(notes)
                held.tickets[(ticket.subject, len(comments))] += 1
                for comment in comments:
                    for attachment in comment.attachments:
                        held.counts["files"] += 1
                        if files:
                            held.files[(attachment.file_name, sha256(target, attachment))] += 1
        if Entity.ARTICLES in reads and Entity.ARTICLES in target.capabilities.writes:
            articles: list[Article] = read_all(target, Entity.ARTICLES)
            held.counts["articles"] = len(articles)
            for article in articles:
                held.counts["translations"] += len(article.translations)
                held.articles[(article.title, len(article.translations))] += 1
    return held


def source_files(migration: Migration) -> Counter:
    """(file name, SHA-256) of every file of the source's tickets."""
    migration.refresh_from_db()
    files: Counter = Counter()
    with engine_connectors.source_connector(migration.source) as source:
        for ticket in read_all(source, Entity.TICKETS):
            for comment in ticket.comments:
                for attachment in comment.attachments:
                    files[(attachment.file_name, sha256(source, attachment))] += 1
    return files


def source_holdings(migration: Migration) -> Holdings:
    """The source's side, counted the same way (every comment and file of each ticket)."""
    migration.refresh_from_db()
    held = Holdings()
    with engine_connectors.source_connector(migration.source) as source:
        for ticket in read_all(source, Entity.TICKETS):
            held.counts["tickets"] += 1
            held.counts["comments"] += len(ticket.comments)
            held.tickets[(ticket.subject, len(ticket.comments))] += 1
            for comment in ticket.comments:
                held.counts["files"] += len(comment.attachments)
        for article in read_all(source, Entity.ARTICLES):
            held.counts["articles"] += 1
            held.counts["translations"] += len(article.translations)
            held.articles[(article.title, len(article.translations))] += 1
    return held
