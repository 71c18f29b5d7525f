"""Canonical records: the only shapes the engine ever sees.

Sources turn platform JSON into these records, targets turn them back into
platform JSON. Reference fields (``requester_id``, ``group_ids``, ``section_id``…)
hold ids in the namespace of the platform the record is being read from or
written to: the engine's transform step rewrites source ids into target ids
before a record reaches a target.

Every top-level record carries ``source_id`` (the id on the platform it was read
from, as a string) and ``updated_at`` (the cursor for delta runs).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from html.parser import HTMLParser
from typing import Annotated, Any, ClassVar
from urllib.parse import unquote, urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

# --------------------------------------------------------------------------- entities


class Entity(StrEnum):
    """What a migration moves, declared in dependency order.

    A record may only refer to records of entities declared before its own, so
    the engine migrates them in this order.
    """

    ORGANIZATIONS = "organizations"
    GROUPS = "groups"
    AGENTS = "agents"
    CONTACTS = "contacts"
    TICKETS = "tickets"
    ARTICLE_CATEGORIES = "article_categories"
    ARTICLE_SECTIONS = "article_sections"
    ARTICLES = "articles"

    @property
    def label(self) -> str:
        """English plural label, for messages and the wizard."""
        return _ENTITY_LABELS[self]

    @property
    def dependencies(self) -> frozenset[Entity]:
        """Entities whose records this entity's records refer to."""
        return _ENTITY_DEPENDENCIES[self]

    @classmethod
    def in_dependency_order(cls, entities: Iterable[Entity]) -> list[Entity]:
        wanted = set(entities)
        return [entity for entity in cls if entity in wanted]


_ENTITY_LABELS: dict[Entity, str] = {
    Entity.ORGANIZATIONS: "Organizations",
    Entity.GROUPS: "Groups",
    Entity.AGENTS: "Agents",
    Entity.CONTACTS: "Contacts",
    Entity.TICKETS: "Tickets",
    Entity.ARTICLE_CATEGORIES: "Knowledge base categories",
    Entity.ARTICLE_SECTIONS: "Knowledge base sections and folders",
    Entity.ARTICLES: "Knowledge base articles",
}

_ENTITY_DEPENDENCIES: dict[Entity, frozenset[Entity]] = {
    Entity.ORGANIZATIONS: frozenset(),
    Entity.GROUPS: frozenset(),
    Entity.AGENTS: frozenset({Entity.GROUPS}),
    Entity.CONTACTS: frozenset({Entity.ORGANIZATIONS}),
    Entity.TICKETS: frozenset(
        {Entity.ORGANIZATIONS, Entity.GROUPS, Entity.AGENTS, Entity.CONTACTS}
    ),
    Entity.ARTICLE_CATEGORIES: frozenset(),
    Entity.ARTICLE_SECTIONS: frozenset({Entity.ARTICLE_CATEGORIES}),
    Entity.ARTICLES: frozenset({Entity.ARTICLE_SECTIONS, Entity.AGENTS}),
}


# --------------------------------------------------------------------------- field types


def _to_utc(value: datetime) -> datetime:
    # One time zone everywhere keeps delta cursors comparable across platforms.
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, normalised to UTC."""

SourceId = Annotated[str, Field(min_length=1, max_length=255)]
"""An id on a platform, always as a string (platforms mix ints, strings and UUIDs)."""

CustomFieldValue = str | bool | int | float | list[str] | None
"""A custom field value as JSON can carry it; dates travel as ``YYYY-MM-DD`` strings."""


class CanonicalModel(BaseModel):
    """Base of canonical models: strict about unknown fields to catch converter bugs."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        str_strip_whitespace=False,
        populate_by_name=True,
    )


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


class Record(CanonicalModel):
    """A top-level record the engine reads, writes and maps one by one."""

    entity: ClassVar[Entity]

    source_id: SourceId
    updated_at: UtcDatetime


# --------------------------------------------------------------------------- people & teams


class Organization(Record):
    entity: ClassVar[Entity] = Entity.ORGANIZATIONS

    name: str = Field(min_length=1)
    domains: list[str] = Field(default_factory=list)
    description: str = ""
    notes: str = ""
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, CustomFieldValue] = Field(default_factory=dict)
    created_at: UtcDatetime | None = None


class Group(Record):
    entity: ClassVar[Entity] = Entity.GROUPS

    name: str = Field(min_length=1)
    description: str = ""
    deleted: bool = False
    created_at: UtcDatetime | None = None


class Agent(Record):
    entity: ClassVar[Entity] = Entity.AGENTS

    name: str
    email: str | None = None
    active: bool = True
    deleted: bool = False
    #: The platform's role name ("admin", "agent", "occasional"…), informative only.
    role: str | None = None
    group_ids: list[str] = Field(default_factory=list)
    phone: str | None = None
    created_at: UtcDatetime | None = None

    @field_validator("email")
    @classmethod
    def _normalise_email(cls, value: str | None) -> str | None:
        return normalise_email(value)


class Contact(Record):
    entity: ClassVar[Entity] = Entity.CONTACTS

    name: str
    email: str | None = None
    #: Further addresses of the same person, primary one excluded.
    other_emails: list[str] = Field(default_factory=list)
    phone: str | None = None
    mobile: str | None = None
    organization_id: str | None = None
    active: bool = True
    deleted: bool = False
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, CustomFieldValue] = Field(default_factory=dict)
    created_at: UtcDatetime | None = None

    @field_validator("email")
    @classmethod
    def _normalise_email(cls, value: str | None) -> str | None:
        return normalise_email(value)

    @field_validator("other_emails")
    @classmethod
    def _normalise_other_emails(cls, values: list[str], info: ValidationInfo) -> list[str]:
        primary = info.data.get("email")
        emails = (normalise_email(value) for value in values)
        return _dedupe(email for email in emails if email and email != primary)

    @property
    def all_emails(self) -> list[str]:
        return _dedupe([self.email or "", *self.other_emails])


def normalise_email(value: str | None) -> str | None:
    """Lower-cased, trimmed address; ``None`` for blanks. Matching is by e-mail.

    Accented and other non-ASCII characters are kept as they are (an internationalised
    address, RFC 6531, in its local part or its domain), in their composed form (NFC),
    so that "zoë" typed two ways is one address.
    """
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.strip()).lower()
    return value or None


#: What may not appear in an address's local part or domain (space, separators, quotes).
_NOT_IN_ADDRESS = r"\s@<>()\[\],;:\"\\"
EMAIL_ADDRESS = re.compile(
    rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}.]+(?:\.[^{_NOT_IN_ADDRESS}.]+)+"
)


def is_email_address(value: object) -> bool:
    """Whether ``value`` is an e-mail address, ASCII or internationalised ("zoë@exämple.fr",
    "josé@example.com", an IDN domain in Unicode or in its xn-- form)."""
    return isinstance(value, str) and EMAIL_ADDRESS.fullmatch(value.strip()) is not None


# --------------------------------------------------------------------------- tickets


class StatusCategory(StrEnum):
    """What a status means, whatever its name. Mappings fall back along categories."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


# The first entry is the category itself; then what to use when a target lacks it.
# "hold -> open" follows Zendesk ticket sharing, which sends On-hold as Open.
STATUS_FALLBACKS: dict[StatusCategory, tuple[StatusCategory, ...]] = {
    StatusCategory.NEW: (StatusCategory.NEW, StatusCategory.OPEN),
    StatusCategory.OPEN: (StatusCategory.OPEN, StatusCategory.NEW),
    StatusCategory.PENDING: (StatusCategory.PENDING, StatusCategory.HOLD, StatusCategory.OPEN),
    StatusCategory.HOLD: (StatusCategory.HOLD, StatusCategory.OPEN, StatusCategory.PENDING),
    StatusCategory.SOLVED: (StatusCategory.SOLVED, StatusCategory.CLOSED),
    StatusCategory.CLOSED: (StatusCategory.CLOSED, StatusCategory.SOLVED),
}


class AuthorKind(StrEnum):
    AGENT = "agent"
    CONTACT = "contact"
    SYSTEM = "system"
    UNKNOWN = "unknown"


class CommentKind(StrEnum):
    """What a comment is, where a platform has more than plain messages."""

    MESSAGE = "message"
    SIDE_CONVERSATION = "side_conversation"
    CALL_RECORDING = "call_recording"


class Attachment(CanonicalModel):
    source_id: SourceId
    file_name: str = Field(min_length=1)
    content_type: str = "application/octet-stream"
    #: Bytes, when the platform tells; ``None`` when it does not (inline images).
    size: int | None = Field(default=None, ge=0)
    url: str = Field(min_length=1)
    #: An image shown inside the comment or article body, not in its attachment list.
    inline: bool = False


class Comment(CanonicalModel):
    source_id: SourceId
    author_id: str | None = None
    author_kind: AuthorKind = AuthorKind.UNKNOWN
    #: Kept for targets that match authors by e-mail or cannot set the author at all.
    author_name: str | None = None
    author_email: str | None = None
    public: bool
    html_body: str = ""
    text_body: str = ""
    kind: CommentKind = CommentKind.MESSAGE
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    attachments: list[Attachment] = Field(default_factory=list)

    @field_validator("author_email")
    @classmethod
    def _normalise_email(cls, value: str | None) -> str | None:
        return normalise_email(value)

    @model_validator(mode="after")
    def _fill_bodies_and_dates(self) -> Comment:
        # Each platform gives one of the two bodies; targets may want either.
        if not self.html_body and self.text_body:
            self.__dict__["html_body"] = text_to_html(self.text_body)
        if not self.text_body and self.html_body:
            self.__dict__["text_body"] = html_to_text(self.html_body)
        if self.updated_at is None:
            self.__dict__["updated_at"] = self.created_at
        return self

    @property
    def inline_images(self) -> list[Attachment]:
        return [attachment for attachment in self.attachments if attachment.inline]

    @property
    def file_attachments(self) -> list[Attachment]:
        return [attachment for attachment in self.attachments if not attachment.inline]


class Ticket(Record):
    """A ticket and its whole conversation.

    ``comments`` is the full thread in chronological order and its first comment is
    the opening message (body, author and attachments of the ticket description).
    ``description`` is a plain-text summary of that opening message.
    """

    entity: ClassVar[Entity] = Entity.TICKETS

    subject: str = ""
    description: str = ""
    #: Key of a :class:`StatusOption` of the platform.
    status: str | None = None
    #: Category of ``status``, so a target lacking that status can fall back.
    status_category: StatusCategory | None = None
    #: Key of a :class:`PriorityOption` of the platform.
    priority: str | None = None
    #: Key of a :class:`TypeOption` of the platform.
    type: str | None = None
    requester_id: str | None = None
    requester_email: str | None = None
    submitter_id: str | None = None
    assignee_id: str | None = None
    group_id: str | None = None
    organization_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    #: Keyed by :attr:`CustomField.key`.
    custom_fields: dict[str, CustomFieldValue] = Field(default_factory=dict)
    cc_ids: list[str] = Field(default_factory=list)
    cc_emails: list[str] = Field(default_factory=list)
    follower_ids: list[str] = Field(default_factory=list)
    #: Channel the ticket came through ("email", "web", "phone"…), informative.
    channel: str | None = None
    created_at: UtcDatetime
    solved_at: UtcDatetime | None = None
    due_at: UtcDatetime | None = None
    comments: list[Comment] = Field(default_factory=list)

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, values: list[str]) -> list[str]:
        return _dedupe(values)

    @field_validator("cc_emails")
    @classmethod
    def _normalise_cc_emails(cls, values: list[str]) -> list[str]:
        return _dedupe(email for value in values if (email := normalise_email(value)))

    @field_validator("requester_email")
    @classmethod
    def _normalise_requester_email(cls, value: str | None) -> str | None:
        return normalise_email(value)

    @property
    def opening_comment(self) -> Comment | None:
        return self.comments[0] if self.comments else None

    @property
    def attachments(self) -> list[Attachment]:
        return [attachment for comment in self.comments for attachment in comment.attachments]


# --------------------------------------------------------------------------- knowledge base


class ArticleCategory(Record):
    entity: ClassVar[Entity] = Entity.ARTICLE_CATEGORIES

    name: str = Field(min_length=1)
    description: str = ""
    locale: str | None = None
    position: int | None = None
    created_at: UtcDatetime | None = None


class ArticleSection(Record):
    """A section (Zendesk) or folder (Freshdesk) inside a category."""

    entity: ClassVar[Entity] = Entity.ARTICLE_SECTIONS

    name: str = Field(min_length=1)
    description: str = ""
    category_id: str
    parent_section_id: str | None = None
    locale: str | None = None
    position: int | None = None
    created_at: UtcDatetime | None = None


class ArticleTranslation(CanonicalModel):
    locale: str = Field(min_length=2)
    title: str
    html_body: str = ""
    #: Key of an :class:`ArticleStatusOption`; ``None`` follows the article.
    status: str | None = None


class Article(Record):
    entity: ClassVar[Entity] = Entity.ARTICLES

    title: str = Field(min_length=1)
    html_body: str = ""
    #: Key of an :class:`ArticleStatusOption` of the platform.
    status: str
    author_id: str | None = None
    category_id: str | None = None
    section_id: str
    locale: str | None = None
    tags: list[str] = Field(default_factory=list)
    translations: list[ArticleTranslation] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    created_at: UtcDatetime | None = None

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, values: list[str]) -> list[str]:
        return _dedupe(values)


RECORD_TYPES: dict[Entity, type[Record]] = {
    Entity.ORGANIZATIONS: Organization,
    Entity.GROUPS: Group,
    Entity.AGENTS: Agent,
    Entity.CONTACTS: Contact,
    Entity.TICKETS: Ticket,
    Entity.ARTICLE_CATEGORIES: ArticleCategory,
    Entity.ARTICLE_SECTIONS: ArticleSection,
    Entity.ARTICLES: Article,
}


def record_type(entity: Entity) -> type[Record]:
    return RECORD_TYPES[entity]


# --------------------------------------------------------------------------- field schemas


class StatusOption(CanonicalModel):
    key: str = Field(min_length=1)
    name: str
    category: StatusCategory
    #: The status a platform uses for its category when none is named.
    default: bool = False
    active: bool = True


class TypeOption(CanonicalModel):
    key: str = Field(min_length=1)
    name: str


class PriorityOption(CanonicalModel):
    key: str = Field(min_length=1)
    name: str
    #: 1 = lowest. Lets the wizard pre-match priorities between platforms.
    rank: int = Field(ge=1)


class ArticleStatusCategory(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ArticleStatusOption(CanonicalModel):
    key: str = Field(min_length=1)
    name: str
    category: ArticleStatusCategory


class CustomFieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CHECKBOX = "checkbox"
    DATE = "date"
    DROPDOWN = "dropdown"
    MULTISELECT = "multiselect"
    REGEXP = "regexp"


class CustomFieldOption(CanonicalModel):
    #: The value stored on records (Zendesk tag, Freshdesk choice label).
    key: str = Field(min_length=1)
    name: str


class CustomField(CanonicalModel):
    #: How records refer to the field (Zendesk field id, Freshdesk ``cf_`` name).
    key: str = Field(min_length=1)
    title: str = Field(min_length=1)
    type: CustomFieldType
    options: list[CustomFieldOption] = Field(default_factory=list)
    required: bool = False
    active: bool = True
    #: Only meaningful for ``regexp`` fields.
    pattern: str | None = None

    @model_validator(mode="after")
    def _options_only_for_choices(self) -> CustomField:
        has_choices = self.type in (CustomFieldType.DROPDOWN, CustomFieldType.MULTISELECT)
        if self.options and not has_choices:
            raise ValueError(f"custom field {self.key!r} of type {self.type} cannot have options")
        return self


class FieldSchema(CanonicalModel):
    """What a platform's tickets and articles can hold: the material of field mapping."""

    statuses: list[StatusOption] = Field(default_factory=list)
    types: list[TypeOption] = Field(default_factory=list)
    priorities: list[PriorityOption] = Field(default_factory=list)
    custom_fields: list[CustomField] = Field(default_factory=list)
    article_statuses: list[ArticleStatusOption] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_keys(self) -> FieldSchema:
        for name in ("statuses", "types", "priorities", "custom_fields", "article_statuses"):
            keys = [option.key for option in getattr(self, name)]
            duplicates = sorted({key for key in keys if keys.count(key) > 1})
            if duplicates:
                raise ValueError(f"{name} has duplicate keys: {', '.join(duplicates)}")
        return self

    def status(self, key: str) -> StatusOption | None:
        return next((option for option in self.statuses if option.key == key), None)

    def custom_field(self, key: str) -> CustomField | None:
        return next((field for field in self.custom_fields if field.key == key), None)


def fallback_status(
    *, category: StatusCategory, available: Sequence[StatusOption]
) -> StatusOption | None:
    """The target status to use for a source status of ``category``.

    Walks :data:`STATUS_FALLBACKS` (e.g. hold -> open when the target has no hold)
    and prefers the category's default status, then the first active one.
    """
    for candidate in STATUS_FALLBACKS[category]:
        options = [o for o in available if o.category is candidate and o.active]
        if options:
            return next((o for o in options if o.default), options[0])
    return None


# Which source field types each target field type can receive without losing meaning.
_COMPATIBLE_SOURCES: dict[CustomFieldType, frozenset[CustomFieldType]] = {
    CustomFieldType.TEXT: frozenset(
        {
            CustomFieldType.TEXT,
            CustomFieldType.REGEXP,
            CustomFieldType.INTEGER,
            CustomFieldType.DECIMAL,
            CustomFieldType.DATE,
            CustomFieldType.DROPDOWN,
        }
    ),
    CustomFieldType.TEXTAREA: frozenset(CustomFieldType),
    CustomFieldType.REGEXP: frozenset({CustomFieldType.REGEXP}),
    CustomFieldType.INTEGER: frozenset({CustomFieldType.INTEGER}),
    CustomFieldType.DECIMAL: frozenset({CustomFieldType.DECIMAL, CustomFieldType.INTEGER}),
    CustomFieldType.CHECKBOX: frozenset({CustomFieldType.CHECKBOX}),
    CustomFieldType.DATE: frozenset({CustomFieldType.DATE}),
    CustomFieldType.DROPDOWN: frozenset({CustomFieldType.DROPDOWN}),
    CustomFieldType.MULTISELECT: frozenset({CustomFieldType.MULTISELECT, CustomFieldType.DROPDOWN}),
}


def compatible_field_types(*, source_type: CustomFieldType) -> frozenset[CustomFieldType]:
    """Target field types a source field of ``source_type`` may be mapped to."""
    return frozenset(
        target for target, sources in _COMPATIBLE_SOURCES.items() if source_type in sources
    )


def are_field_types_compatible(
    *, source_type: CustomFieldType, target_type: CustomFieldType
) -> bool:
    return source_type in _COMPATIBLE_SOURCES[target_type]


def match_custom_fields(
    *, source: Sequence[CustomField], target: Sequence[CustomField]
) -> dict[str, str]:
    """Pre-match custom fields by title (case-insensitive) between compatible types.

    Returns source field key -> target field key; a target field is used once.
    """
    by_title: dict[str, list[CustomField]] = {}
    for field in target:
        by_title.setdefault(field.title.strip().casefold(), []).append(field)
    matches: dict[str, str] = {}
    used: set[str] = set()
    for field in source:
        for candidate in by_title.get(field.title.strip().casefold(), []):
            compatible = are_field_types_compatible(
                source_type=field.type, target_type=candidate.type
            )
            if candidate.key not in used and compatible:
                matches[field.key] = candidate.key
                used.add(candidate.key)
                break
    return matches


def convert_custom_value(
    value: CustomFieldValue, *, field_type: CustomFieldType
) -> CustomFieldValue:
    """``value`` as a field of ``field_type`` holds it; ``ValueError`` when it cannot.

    Platforms are loose here (Zendesk returns integer field values as strings).
    """
    if value is None or value == "":
        return None
    if field_type is CustomFieldType.CHECKBOX:
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"{value!r} is not a checkbox value")
    if field_type is CustomFieldType.MULTISELECT:
        return [str(item) for item in value] if isinstance(value, list) else [str(value)]
    if isinstance(value, list):
        if field_type is CustomFieldType.TEXTAREA:
            return ", ".join(str(item) for item in value)
        raise ValueError(f"a list cannot go into a {field_type} field")
    if field_type is CustomFieldType.INTEGER:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not an integer")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as error:
            raise ValueError(f"{value!r} is not an integer") from error
        if number != number.to_integral_value():
            raise ValueError(f"{value!r} is not an integer")
        return int(number)
    if field_type is CustomFieldType.DECIMAL:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        try:
            return float(Decimal(str(value).strip()))
        except InvalidOperation as error:
            raise ValueError(f"{value!r} is not a number") from error
    if field_type is CustomFieldType.DATE:
        text = str(value).strip()
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError as error:
            raise ValueError(f"{value!r} is not a date") from error
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------- HTML helpers


class _TextExtractor(HTMLParser):
    # Line breaks each element implies; consecutive boundaries keep the largest.
    _BREAKS: ClassVar[dict[str, int]] = {
        "br": 1,
        "li": 1,
        "tr": 1,
        "div": 1,
        "p": 2,
        "ul": 2,
        "ol": 2,
        "table": 2,
        "blockquote": 2,
        "pre": 2,
        "h1": 2,
        "h2": 2,
        "h3": 2,
        "h4": 2,
        "h5": 2,
        "h6": 2,
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pending_breaks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.pending_breaks = min(self.pending_breaks + 1, 2)
        else:
            self.pending_breaks = max(self.pending_breaks, self._BREAKS.get(tag, 0))

    def handle_endtag(self, tag: str) -> None:
        if tag != "br":
            self.pending_breaks = max(self.pending_breaks, self._BREAKS.get(tag, 0))

    def handle_data(self, data: str) -> None:
        if not data.strip():
            if not self.pending_breaks and self.parts:
                self.parts.append(" ")
            return
        if self.parts and self.pending_breaks:
            self.parts.append("\n" * self.pending_breaks)
        self.pending_breaks = 0
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML body (block elements become line breaks)."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    lines = "".join(extractor.parts).split("\n")
    return "\n".join(re.sub(r"\s+", " ", line).strip() for line in lines).strip()


def text_to_html(text: str) -> str:
    """HTML for a plain-text body: paragraphs on blank lines, ``<br>`` on line breaks."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return "".join(
        "<p>" + html.escape(paragraph).replace("\n", "<br>") + "</p>"
        for paragraph in paragraphs
        if paragraph
    )


class _ImageFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            source = dict(attrs).get("src")
            if source:
                self.sources.append(source)


def inline_images_from_html(markup: str, *, exclude_urls: Iterable[str] = ()) -> list[Attachment]:
    """Attachments for the ``<img>`` of a body that point at downloadable URLs.

    ``data:`` images stay in the body; the source id is derived from the URL so
    the same image gets the same id on every read.
    """
    finder = _ImageFinder()
    finder.feed(markup)
    finder.close()
    excluded = set(exclude_urls)
    images: list[Attachment] = []
    for url in _dedupe(finder.sources):
        if url in excluded or urlsplit(url).scheme not in ("http", "https"):
            continue
        file_name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]) or "image"
        images.append(
            Attachment(
                source_id="inline-" + hashlib.sha256(url.encode()).hexdigest()[:16],
                file_name=file_name,
                content_type=_guess_image_type(file_name),
                url=url,
                inline=True,
            )
        )
    return images


_IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "bmp": "image/bmp",
}


def _guess_image_type(file_name: str) -> str:
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    return _IMAGE_TYPES.get(extension, "image/*")


def as_source_id(value: Any) -> str:
    """A platform id (int or str) as the canonical string id."""
    if value is None or isinstance(value, bool):
        raise ValueError(f"{value!r} is not an id")
    text = str(value).strip()
    if not text:
        raise ValueError("empty id")
    return text


def optional_source_id(value: Any) -> str | None:
    return None if value is None or value == "" else as_source_id(value)


def source_ids(values: Iterable[Any] | None) -> list[str]:
    return _dedupe(as_source_id(value) for value in values or ())


def custom_values(values: Mapping[str, Any]) -> dict[str, CustomFieldValue]:
    """Keep the JSON-representable custom values of a platform mapping."""
    result: dict[str, CustomFieldValue] = {}
    for key, value in values.items():
        if isinstance(value, list):
            result[str(key)] = [str(item) for item in value]
        elif value is None or isinstance(value, str | bool | int | float):
            result[str(key)] = value
        else:
            result[str(key)] = str(value)
    return result
