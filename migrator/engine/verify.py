"""Verification: a record written to the target is read back and compared with the record
as the target should hold it.

What the target should hold is the prepared record the engine wrote (after matching,
mapping and options, less the attachments left out with a reason), as the target
connector declares it keeps it (:meth:`connectors.base.Target.expected_on_target`): a
Freshdesk ticket gains an "original dates" note and a header on each comment, a target
without tags keeps none. The comparison is by meaning, never by layout: bodies as
normalised text, comments matched by their text wherever they sit, attachments by name,
size and the sha256 of their bytes (hashed while they streamed from the source, and
downloaded again from the target), tags without the migration's markers.

The differences are plain sentences a user can read ("2 of 5 comments missing on the
target: …"). A record that differs is repaired once (the target's ``update()`` writes
the parts it lacks) and verified again; the API calls spent on all this are counted
apart from the migration's own.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from connectors.base import Source, Target, is_marker
from connectors.errors import ConnectorError
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    Attachment,
    Comment,
    Contact,
    CustomFieldValue,
    Entity,
    Organization,
    Record,
    Ticket,
    html_to_text,
    text_to_html,
)
from migrator.engine import plan

logger = logging.getLogger(__name__)

#: Entities whose records verification reads back (agents and groups are matched).
VERIFIED_ENTITIES = frozenset(
    {
        Entity.ORGANIZATIONS,
        Entity.CONTACTS,
        Entity.TICKETS,
        Entity.ARTICLE_CATEGORIES,
        Entity.ARTICLE_SECTIONS,
        Entity.ARTICLES,
    }
)
#: Characters of a body quoted in a difference.
QUOTE_CHARS = 60
#: Bodies quoted in one difference before "and N more".
QUOTED_AT_MOST = 3
#: How a report row that still differs after its repair starts.
STILL_DIFFERS = "Written, but the target still differs after a repair"
#: Dates a target keeps may be rounded to the second.
DATE_TOLERANCE = timedelta(seconds=1)


class Verification:
    """What a record's verification found (``RunRecord.verification``)."""

    VERIFIED = "verified"
    DIFFERS = "differs"
    NOT_CHECKED = ""


@dataclass(frozen=True)
class FileDigest:
    """An attachment's bytes as they left the source."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Verdict:
    """The outcome of one record's verification; ``differences`` empty when verified."""

    status: str
    differences: tuple[str, ...] = ()
    #: The record differed at first and the target's update wrote what was missing.
    repaired: bool = False

    @property
    def differs(self) -> bool:
        return self.status == Verification.DIFFERS

    @property
    def text(self) -> str:
        return "; ".join(self.differences)


NOT_CHECKED = Verdict(status=Verification.NOT_CHECKED)


# --------------------------------------------------------------------------- text


def body_text(html_body: str, text_body: str = "") -> str:
    """A body as readable text, whitespace collapsed: how bodies are compared."""
    markup = html_body or text_to_html(text_body or "")
    return re.sub(r"\s+", " ", html_to_text(markup)).strip()


def body_key(html_body: str, text_body: str = "") -> str:
    """A body without any whitespace: two bodies that read the same have the same key,
    however each platform wraps and spaces its HTML."""
    return re.sub(r"\s+", "", body_text(html_body, text_body))


def _quote(text: str) -> str:
    text = text or "(empty)"
    return f"“{text[:QUOTE_CHARS]}…”" if len(text) > QUOTE_CHARS else f"“{text}”"


def _quoted(texts: Sequence[str]) -> str:
    shown = ", ".join(_quote(text) for text in texts[:QUOTED_AT_MOST])
    more = len(texts) - QUOTED_AT_MOST
    return shown + (f" and {more} more" if more > 0 else "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# --------------------------------------------------------------------------- comparing


def digest_of(chunks: Iterable[bytes]) -> FileDigest:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return FileDigest(sha256=digest.hexdigest(), size=size)


class Comparison:
    """The differences between the record a target should hold and the one it holds."""

    def __init__(
        self,
        *,
        target: Target,
        source_file: Callable[[Attachment], FileDigest | None],
    ) -> None:
        self.target = target
        self.source_file = source_file
        self.differences: list[str] = []

    def differ(self, text: str) -> None:
        self.differences.append(text)

    def run(self, entity: Entity, expected: Record, actual: Record) -> list[str]:
        match expected, actual:
            case Ticket(), Ticket():
                self._ticket(expected, actual)
            case Article(), Article():
                self._article(expected, actual)
            case Contact(), Contact() | Agent():
                self._name(expected.name, actual.name)
                self._emails(expected, actual)
            case (Organization(), Organization()) | (ArticleCategory(), ArticleCategory()):
                self._name(expected.name, actual.name)
            case ArticleSection(), ArticleSection():
                self._name(expected.name, actual.name)
        return self.differences

    # ---- people and names

    def _name(self, expected: str, actual: str) -> None:
        if expected.strip().casefold() != actual.strip().casefold():
            self.differ(f"name is {_quote(actual)} on the target, {_quote(expected)} expected")

    def _emails(self, expected: Contact, actual: Contact | Agent) -> None:
        emails = actual.all_emails if isinstance(actual, Contact) else [actual.email or ""]
        held = {email.casefold() for email in emails}
        missing = [email for email in expected.all_emails if email.casefold() not in held]
        if missing:
            self.differ(f"e-mail address missing on the target: {', '.join(missing)}")

    # ---- tickets

    def _ticket(self, expected: Ticket, actual: Ticket) -> None:
        if expected.subject.strip() and body_key("", expected.subject) != body_key(
            "", actual.subject
        ):
            self.differ(
                f"subject is {_quote(actual.subject)} on the target, "
                f"{_quote(expected.subject)} expected"
            )
        if expected.requester_id:
            self._value("requester", expected.requester_id, actual.requester_id)
        elif expected.requester_email and actual.requester_email:
            self._value("requester", expected.requester_email, actual.requester_email)
        self._value("assignee", expected.assignee_id, actual.assignee_id)
        self._value("group", expected.group_id, actual.group_id)
        self._value("status", expected.status, actual.status)
        self._value("priority", expected.priority, actual.priority)
        self._value("type", expected.type, actual.type)
        self._tags(expected.tags, actual.tags)
        self._custom_fields(expected.custom_fields, actual.custom_fields)
        dates_kept = self.target.capabilities.keeps_original_dates
        if dates_kept and abs(expected.created_at - actual.created_at) > DATE_TOLERANCE:
            self.differ(
                f"created on {actual.created_at:%Y-%m-%d %H:%M:%S} on the target, "
                f"{expected.created_at:%Y-%m-%d %H:%M:%S} on the source"
            )
        extra_comments = [
            c for c in actual.comments if self.target.added_by_target(Entity.TICKETS, c)
        ]
        kept = [c for c in actual.comments if not any(c is e for e in extra_comments)]
        self._comments(expected.comments, kept)
        self._attachments(
            [a for c in expected.comments for a in c.attachments],
            [a for c in actual.comments for a in c.attachments],
        )

    def _value(self, what: str, expected: str | None, actual: str | None) -> None:
        # A value the record does not set is the target's to choose (a default group).
        if expected is not None and str(expected) != str(actual):
            shown = "none" if actual is None else actual
            self.differ(f"{what} is {shown} on the target, {expected} expected")

    def _tags(self, expected: Sequence[str], actual: Sequence[str]) -> None:
        wanted = {tag.casefold() for tag in expected if not is_marker(tag)}
        held = {tag.casefold() for tag in actual if not is_marker(tag)}
        if wanted - held:
            self.differ(f"tags missing on the target: {', '.join(sorted(wanted - held))}")
        if held - wanted:
            self.differ(f"tags on the target the source lacks: {', '.join(sorted(held - wanted))}")

    def _custom_fields(
        self, expected: dict[str, CustomFieldValue], actual: dict[str, CustomFieldValue]
    ) -> None:
        for key, value in expected.items():
            if value is None or value == "" or value == []:
                continue
            if _field_value(value) != _field_value(actual.get(key)):
                self.differ(
                    f"custom field {key} is {actual.get(key)!r} on the target, {value!r} expected"
                )

    def _comments(self, expected: Sequence[Comment], actual: Sequence[Comment]) -> None:
        waiting: dict[str, list[Comment]] = {}
        for comment in actual:
            waiting.setdefault(body_key(comment.html_body, comment.text_body), []).append(comment)
        missing: list[str] = []
        for comment in expected:
            key = body_key(comment.html_body, comment.text_body)
            if not waiting.get(key):
                missing.append(body_text(comment.html_body, comment.text_body))
                continue
            found = waiting[key].pop(0)
            if found.public != comment.public:
                seen = "public" if found.public else "private"
                wanted = "public" if comment.public else "private"
                self.differ(
                    f"comment {_quote(body_text(comment.html_body, comment.text_body))} is "
                    f"{seen} on the target, {wanted} expected"
                )
        if missing:
            self.differ(
                f"{len(missing)} of {_plural(len(expected), 'comment')} missing on the "
                f"target: {_quoted(missing)}"
            )
        extra = [body_text(c.html_body, c.text_body) for rest in waiting.values() for c in rest]
        if extra:
            self.differ(
                f"{_plural(len(extra), 'comment')} on the target that the source does not "
                f"have (written twice?): {_quoted(extra)}"
            )

    # ---- attachments

    def _attachments(self, expected: Sequence[Attachment], actual: Sequence[Attachment]) -> None:
        """Files, wherever the target put them (Freshdesk moves some into extra notes);
        inline images live in bodies and are compared with them."""
        waiting: dict[str, list[Attachment]] = {}
        for attachment in actual:
            if not attachment.inline:
                waiting.setdefault(attachment.file_name, []).append(attachment)
        for attachment in expected:
            if attachment.inline:
                continue
            name = attachment.file_name
            source = self.source_file(attachment)
            size = source.size if source is not None else attachment.size
            candidates = waiting.get(name) or []
            if not candidates:
                self.differ(f"attachment {name} missing on the target")
                continue
            found = next((c for c in candidates if size is None or c.size == size), candidates[0])
            candidates.remove(found)
            if size is not None and found.size is not None and found.size != size:
                self.differ(f"attachment {name}: {found.size} bytes on the target, {size} sent")
                continue
            if source is not None and self._target_file(found) != source.sha256:
                self.differ(f"attachment {name}: its content differs on the target (sha256)")
        extra = [a.file_name for rest in waiting.values() for a in rest]
        if extra:
            self.differ(f"attachments on the target the source lacks: {', '.join(extra)}")

    def _target_file(self, attachment: Attachment) -> str:
        with self.target.download_attachment(attachment) as chunks:
            return digest_of(chunks).sha256

    # ---- articles

    def _article(self, expected: Article, actual: Article) -> None:
        if expected.title.strip() != actual.title.strip():
            self.differ(
                f"title is {_quote(actual.title)} on the target, {_quote(expected.title)} expected"
            )
        if body_key(expected.html_body) != body_key(actual.html_body):
            self.differ(
                f"body reads {_quote(body_text(actual.html_body))} on the target, "
                f"{_quote(body_text(expected.html_body))} expected"
            )
        held = {t.locale.casefold(): t for t in actual.translations}
        for translation in expected.translations:
            locale = translation.locale.casefold()
            if locale == (expected.locale or "").casefold():
                continue
            found = held.get(locale)
            if found is None:
                self.differ(f"translation {translation.locale} missing on the target")
                continue
            if found.title.strip() != translation.title.strip():
                self.differ(
                    f"translation {translation.locale}: title is {_quote(found.title)} on the "
                    f"target, {_quote(translation.title)} expected"
                )
            if body_key(found.html_body) != body_key(translation.html_body):
                self.differ(f"translation {translation.locale}: its body differs on the target")
        self._attachments(expected.attachments, actual.attachments)


def _field_value(value: CustomFieldValue) -> object:
    if isinstance(value, list):
        return frozenset(str(item).casefold() for item in value)
    if isinstance(value, bool):
        return str(value).casefold()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None if value is None else str(value).strip().casefold()


# --------------------------------------------------------------------------- reading back


def read_back(target: Target, entity: Entity, target_id: str) -> Record | None:
    """The record as the target holds it now, through its read side; None when gone."""
    found = plan.records_by_ids(target, entity, [target_id])
    record = next((record for record in found if record.source_id == target_id), None)
    if record is None and entity is Entity.CONTACTS and Entity.AGENTS in target.capabilities.reads:
        # A contact whose address an agent of the target already has is that agent.
        return read_back(target, Entity.AGENTS, target_id)
    return record


def differences(
    *,
    target: Target,
    entity: Entity,
    target_id: str,
    written: Record,
    source_file: Callable[[Attachment], FileDigest | None],
) -> list[str] | None:
    """What differs between ``written`` as the target should hold it and what it holds;
    None when the target declares the record cannot be checked."""
    expected = target.expected_on_target(entity, written)
    if expected is None:
        return None
    actual = read_back(target, entity, target_id)
    if actual is None:
        return [f"not found on the target (id {target_id})"]
    return Comparison(target=target, source_file=source_file).run(entity, expected, actual)


@dataclass
class Verifier:
    """Verifies records just written, repairs once what differs, and counts the API
    calls it spent (both sides: source files hashed again are read from the source)."""

    source: Source
    target: Target
    #: The digest of an attachment's bytes on the source, hashing it when unknown.
    source_file: Callable[[Attachment], FileDigest | None]
    enabled: bool = True
    #: API calls verification spent on each side.
    source_calls: int = 0
    target_calls: int = 0

    @property
    def calls(self) -> int:
        return self.source_calls + self.target_calls

    def check(
        self,
        entity: Entity,
        target_id: str,
        written: Callable[[], Record],
        *,
        repair: Callable[[], None] | None = None,
    ) -> Verdict:
        """Verify; if it differs, ``repair`` and verify again. ``written`` gives the record
        as last sent (a repair may leave out an attachment that could not be copied)."""
        if not self.enabled or entity not in VERIFIED_ENTITIES:
            return NOT_CHECKED
        source_before = self.source.http_statistics().total_calls
        target_before = self.target.http_statistics().total_calls
        try:
            found = self._differences(entity, target_id, written())
            if found is None:
                return NOT_CHECKED
            if not found:
                return Verdict(status=Verification.VERIFIED)
            if repair is None:
                return Verdict(status=Verification.DIFFERS, differences=tuple(found))
            logger.info("%s %s differs on the target; repairing: %s", entity, target_id, found)
            try:
                repair()
            except ConnectorError as error:
                if error.retryable or error.systemic:
                    raise
                return Verdict(
                    status=Verification.DIFFERS,
                    differences=(*found, f"the repair was refused: {error.user_message}"),
                )
            again = self._differences(entity, target_id, written())
            if not again:
                return Verdict(status=Verification.VERIFIED, repaired=True)
            return Verdict(status=Verification.DIFFERS, differences=tuple(again), repaired=True)
        finally:
            self.source_calls += self.source.http_statistics().total_calls - source_before
            self.target_calls += self.target.http_statistics().total_calls - target_before

    def _differences(self, entity: Entity, target_id: str, written: Record) -> list[str] | None:
        try:
            return differences(
                target=self.target,
                entity=entity,
                target_id=target_id,
                written=written,
                source_file=self.source_file,
            )
        except ConnectorError as error:
            if error.retryable or error.systemic:
                raise
            return [f"it could not be read back from the target: {error.user_message}"]
