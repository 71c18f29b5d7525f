"""Freshdesk (API v2) JSON <-> canonical records. Pure functions, no HTTP.

Reads: tickets (with ``include=requester,stats``), conversations (replies and
notes), contacts, agents, companies, groups, ticket fields, solution categories,
folders and articles. Writes: create bodies for tickets, notes and replies,
contacts, agents, companies, groups and solutions.

Keys: ticket status and priority keys are Freshdesk's integers as strings
(``"2"`` = Open, ``"1"`` = Low), ticket types are their names, custom field keys
are the fields' ``name`` (``cf_…``), article status keys ``"1"`` (draft) and
``"2"`` (published).

Freshdesk cannot backdate: a created ticket or conversation gets the date of the
call. :func:`original_dates_note_to_freshdesk` writes the original dates in a
private note, and :func:`comment_to_freshdesk` starts each comment with its
original date and author.

Attachments go as ``multipart/form-data`` (``attachments[]``) beside the fields of
these bodies; :func:`multipart_fields` flattens a body for that.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.utils import parseaddr
from typing import Any, Literal, NamedTuple

from pydantic import AliasChoices, Field

from connectors.errors import InvalidRecordError
from connectors.messages import Message, gettext_noop
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    ArticleStatusCategory,
    ArticleStatusOption,
    ArticleTranslation,
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    CustomField,
    CustomFieldOption,
    CustomFieldType,
    FieldSchema,
    Group,
    Organization,
    PriorityOption,
    StatusCategory,
    StatusOption,
    Ticket,
    TypeOption,
    as_source_id,
    custom_values,
    inline_images_from_html,
    optional_source_id,
    source_ids,
    text_to_html,
)
from connectors.wire import MalformedPayloadError, WireModel, parse_wire, parse_wire_list

PLATFORM = "Freshdesk"

STATUS_NAMES: dict[int, str] = {2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"}
STATUS_CATEGORIES: dict[int, StatusCategory] = {
    2: StatusCategory.OPEN,
    3: StatusCategory.PENDING,
    4: StatusCategory.SOLVED,
    5: StatusCategory.CLOSED,
}
#: Where a target status of each category goes when the engine did not name one.
CATEGORY_STATUSES: dict[StatusCategory, int] = {
    StatusCategory.NEW: 2,
    StatusCategory.OPEN: 2,
    StatusCategory.PENDING: 3,
    StatusCategory.HOLD: 3,
    StatusCategory.SOLVED: 4,
    StatusCategory.CLOSED: 5,
}
PRIORITY_NAMES: dict[int, str] = {1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
SOURCE_NAMES: dict[int, str] = {
    1: "email",
    2: "portal",
    3: "phone",
    4: "forum",
    5: "twitter",
    6: "facebook",
    7: "chat",
    8: "mobihelp",
    9: "feedback_widget",
    10: "outbound_email",
    11: "ecommerce",
}
ARTICLE_STATUSES = (
    ArticleStatusOption(key="1", name="Draft", category=ArticleStatusCategory.DRAFT),
    ArticleStatusOption(key="2", name="Published", category=ArticleStatusCategory.PUBLISHED),
)
CUSTOM_FIELD_TYPES: dict[str, CustomFieldType] = {
    "custom_text": CustomFieldType.TEXT,
    "custom_paragraph": CustomFieldType.TEXTAREA,
    "custom_checkbox": CustomFieldType.CHECKBOX,
    "custom_number": CustomFieldType.INTEGER,
    "custom_decimal": CustomFieldType.DECIMAL,
    "custom_date": CustomFieldType.DATE,
    "custom_dropdown": CustomFieldType.DROPDOWN,
    # The first level of a dependent field; its sub-levels are separate fields.
    "nested_field": CustomFieldType.DROPDOWN,
}
#: Contact, company and solution "visibility" of a folder: all users.
FOLDER_VISIBLE_TO_ALL = 1
#: Solution article type: permanent (2 is workaround).
ARTICLE_TYPE_PERMANENT = 1


def status_name(status: int) -> str:
    """Name of a built-in status; custom statuses are named by the ticket fields."""
    return STATUS_NAMES.get(status, f"Status {status}")


def status_category(status: int) -> StatusCategory:
    # Custom statuses ("Waiting on customer"…) stop work until someone answers.
    return STATUS_CATEGORIES.get(status, StatusCategory.PENDING)


def priority_name(priority: int) -> str:
    return PRIORITY_NAMES.get(priority, f"Priority {priority}")


def source_name(source: int) -> str:
    return SOURCE_NAMES.get(source, f"source_{source}")


# --------------------------------------------------------------------------- wire models


class FreshdeskAttachment(WireModel):
    id: int
    name: str
    content_type: str = "application/octet-stream"
    # Tickets list "size"; some answers (and older accounts) "file_size".
    size: int | None = Field(default=None, validation_alias=AliasChoices("size", "file_size"))
    attachment_url: str


class _Stats(WireModel):
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


class _Requester(WireModel):
    id: int | None = None
    name: str | None = None
    email: str | None = None


class FreshdeskTicket(WireModel):
    id: int
    subject: str | None = None
    description: str | None = None
    description_text: str | None = None
    status: int
    priority: int
    type: str | None = None
    source: int | None = None
    requester_id: int | None = None
    responder_id: int | None = None
    group_id: int | None = None
    company_id: int | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    cc_emails: list[str] | None = None
    created_at: datetime
    updated_at: datetime
    due_by: datetime | None = None
    attachments: list[FreshdeskAttachment] = Field(default_factory=list)
    stats: _Stats | None = None
    requester: _Requester | None = None


class FreshdeskConversation(WireModel):
    id: int
    body: str = ""
    body_text: str = ""
    private: bool = False
    incoming: bool = False
    user_id: int | None = None
    source: int | None = None
    from_email: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    attachments: list[FreshdeskAttachment] = Field(default_factory=list)


class _EmbeddedAgent(WireModel):
    id: int | None = None
    occasional: bool = False
    group_ids: list[int] = Field(default_factory=list)
    deactivated: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


class FreshdeskContact(WireModel):
    id: int
    name: str
    email: str | None = None
    other_emails: list[str] = Field(default_factory=list)
    phone: str | None = None
    mobile: str | None = None
    company_id: int | None = None
    # False means "not verified yet" on Freshdesk, not "deleted".
    active: bool = True
    deleted: bool = False
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(
        default_factory=dict, validation_alias=AliasChoices("custom_fields", "custom_field")
    )
    created_at: datetime | None = None
    updated_at: datetime
    agent: _EmbeddedAgent | None = None


class _AgentContact(WireModel):
    name: str
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None


class FreshdeskAgent(WireModel):
    id: int
    contact: _AgentContact
    occasional: bool = False
    group_ids: list[int] = Field(default_factory=list)
    deactivated: bool = False
    created_at: datetime | None = None
    updated_at: datetime


class FreshdeskCompany(WireModel):
    id: int
    name: str
    description: str | None = None
    note: str | None = None
    domains: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime


class FreshdeskGroup(WireModel):
    id: int
    name: str
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime


class FreshdeskTicketField(WireModel):
    id: int
    name: str
    label: str
    type: str
    default: bool = False
    required_for_agents: bool = False
    choices: Any = None


class FreshdeskSolutionCategory(WireModel):
    id: int
    name: str
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime


class FreshdeskSolutionFolder(WireModel):
    id: int
    name: str
    description: str | None = None
    category_id: int | None = None
    parent_folder_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime


class FreshdeskSolutionArticle(WireModel):
    id: int
    title: str
    description: str = ""
    status: Literal[1, 2]
    agent_id: int | None = None
    category_id: int | None = None
    folder_id: int
    tags: list[str] = Field(default_factory=list)
    attachments: list[FreshdeskAttachment] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime


class _Translation(WireModel):
    title: str
    description: str = ""
    status: Literal[1, 2] | None = None
    language: str | None = None


# --------------------------------------------------------------------------- reading


def _attachment(wire: FreshdeskAttachment) -> Attachment:
    return Attachment(
        source_id=as_source_id(wire.id),
        file_name=wire.name,
        content_type=wire.content_type,
        size=wire.size,
        url=wire.attachment_url,
    )


def _with_inline_images(body: str, attachments: Sequence[Attachment]) -> list[Attachment]:
    # Freshdesk keeps inline images in the body only, as <img> pointing at its storage.
    listed = [attachment.url for attachment in attachments]
    return [*attachments, *inline_images_from_html(body, exclude_urls=listed)]


def attachment_from_freshdesk(payload: Any) -> Attachment:
    return _attachment(
        parse_wire(FreshdeskAttachment, payload, platform=PLATFORM, what="attachment")
    )


def conversation_from_freshdesk(payload: Any) -> Comment:
    """A reply or note (``GET /api/v2/tickets/{id}/conversations``).

    ``incoming`` conversations come from outside the help desk (the requester or a
    CC), the others from agents.
    """
    wire = parse_wire(FreshdeskConversation, payload, platform=PLATFORM, what="conversation")
    return _conversation(wire)


def _conversation(wire: FreshdeskConversation) -> Comment:
    author_name, author_email = parseaddr(wire.from_email or "")
    attachments = [_attachment(attachment) for attachment in wire.attachments]
    return Comment(
        source_id=as_source_id(wire.id),
        author_id=optional_source_id(wire.user_id),
        author_kind=AuthorKind.CONTACT if wire.incoming else AuthorKind.AGENT,
        author_name=author_name or None,
        author_email=author_email or None,
        public=not wire.private,
        html_body=wire.body,
        text_body=wire.body_text,
        created_at=wire.created_at,
        updated_at=wire.updated_at,
        attachments=_with_inline_images(wire.body, attachments),
    )


def conversations_from_freshdesk(payload: Any) -> list[Comment]:
    """A conversations page (a bare JSON array), oldest first."""
    wires = parse_wire_list(
        FreshdeskConversation, payload, key=None, platform=PLATFORM, what="conversation"
    )
    return sorted((_conversation(wire) for wire in wires), key=lambda c: c.created_at)


def opening_comment_id(ticket_id: str) -> str:
    """Source id of the comment made from a ticket's description."""
    return f"description-{ticket_id}"


def ticket_from_freshdesk(payload: Any, *, conversations: Sequence[Comment] = ()) -> Ticket:
    """A ticket; its description becomes the opening comment, then ``conversations``."""
    wire = parse_wire(FreshdeskTicket, payload, platform=PLATFORM, what="ticket")
    return _ticket(wire, conversations=conversations)


def _ticket(wire: FreshdeskTicket, *, conversations: Sequence[Comment]) -> Ticket:
    ticket_id = as_source_id(wire.id)
    body = wire.description or ""
    attachments = [_attachment(attachment) for attachment in wire.attachments]
    requester = wire.requester
    outbound = wire.source == 10
    # An outbound e-mail is written by an agent to the requester.
    opening = Comment(
        source_id=opening_comment_id(ticket_id),
        author_id=optional_source_id(wire.responder_id if outbound else wire.requester_id),
        author_kind=AuthorKind.AGENT if outbound else AuthorKind.CONTACT,
        author_name=None if outbound or requester is None else requester.name,
        author_email=None if outbound or requester is None else requester.email,
        public=True,
        html_body=body,
        text_body=wire.description_text or "",
        created_at=wire.created_at,
        attachments=_with_inline_images(body, attachments),
    )
    solved_at = None
    if wire.stats is not None:
        solved_at = wire.stats.resolved_at or wire.stats.closed_at
    return Ticket(
        source_id=ticket_id,
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        subject=wire.subject or "",
        description=opening.text_body,
        status=str(wire.status),
        status_category=status_category(wire.status),
        priority=str(wire.priority),
        type=wire.type or None,
        requester_id=optional_source_id(wire.requester_id),
        requester_email=requester.email if requester is not None else None,
        assignee_id=optional_source_id(wire.responder_id),
        group_id=optional_source_id(wire.group_id),
        organization_id=optional_source_id(wire.company_id),
        tags=wire.tags,
        custom_fields=custom_values(wire.custom_fields),
        cc_emails=wire.cc_emails or [],
        channel=None if wire.source is None else source_name(wire.source),
        solved_at=solved_at,
        due_at=wire.due_by,
        comments=[opening, *sorted(conversations, key=lambda comment: comment.created_at)],
    )


def tickets_from_freshdesk(
    payload: Any, *, conversations_by_ticket: Mapping[str, Sequence[Comment]] | None = None
) -> list[Ticket]:
    """A tickets page (a bare JSON array)."""
    wires = parse_wire_list(FreshdeskTicket, payload, key=None, platform=PLATFORM, what="ticket")
    by_ticket = conversations_by_ticket or {}
    return [_ticket(wire, conversations=by_ticket.get(str(wire.id), ())) for wire in wires]


def contact_from_freshdesk(payload: Any) -> Contact:
    return _contact(parse_wire(FreshdeskContact, payload, platform=PLATFORM, what="contact"))


def _contact(wire: FreshdeskContact) -> Contact:
    return Contact(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        email=wire.email,
        other_emails=wire.other_emails,
        phone=wire.phone,
        mobile=wire.mobile,
        organization_id=optional_source_id(wire.company_id),
        active=True,
        deleted=wire.deleted,
        tags=wire.tags,
        custom_fields=custom_values(wire.custom_fields),
    )


def contacts_from_freshdesk(payload: Any) -> list[Contact]:
    wires = parse_wire_list(FreshdeskContact, payload, key=None, platform=PLATFORM, what="contact")
    return [_contact(wire) for wire in wires]


def agent_from_freshdesk(payload: Any) -> Agent:
    """An agent, from ``GET /api/v2/agents`` (agent with a ``contact``) or from a
    contact made agent (contact with an ``agent``)."""
    if isinstance(payload, Mapping) and "contact" not in payload and "agent" in payload:
        contact = parse_wire(FreshdeskContact, payload, platform=PLATFORM, what="agent")
        embedded = contact.agent or _EmbeddedAgent()
        return Agent(
            source_id=as_source_id(embedded.id if embedded.id is not None else contact.id),
            updated_at=embedded.updated_at or contact.updated_at,
            created_at=embedded.created_at or contact.created_at,
            name=contact.name,
            email=contact.email,
            phone=contact.phone or contact.mobile,
            active=not embedded.deactivated,
            deleted=contact.deleted,
            role="occasional" if embedded.occasional else "agent",
            group_ids=source_ids(embedded.group_ids),
        )
    return _agent(parse_wire(FreshdeskAgent, payload, platform=PLATFORM, what="agent"))


def _agent(wire: FreshdeskAgent) -> Agent:
    return Agent(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.contact.name,
        email=wire.contact.email,
        phone=wire.contact.phone or wire.contact.mobile,
        active=not wire.deactivated,
        role="occasional" if wire.occasional else "agent",
        group_ids=source_ids(wire.group_ids),
    )


def agents_from_freshdesk(payload: Any) -> list[Agent]:
    wires = parse_wire_list(FreshdeskAgent, payload, key=None, platform=PLATFORM, what="agent")
    return [_agent(wire) for wire in wires]


def company_from_freshdesk(payload: Any) -> Organization:
    return _company(parse_wire(FreshdeskCompany, payload, platform=PLATFORM, what="company"))


def _company(wire: FreshdeskCompany) -> Organization:
    return Organization(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        domains=wire.domains,
        description=wire.description or "",
        notes=wire.note or "",
        custom_fields=custom_values(wire.custom_fields),
    )


def companies_from_freshdesk(payload: Any) -> list[Organization]:
    wires = parse_wire_list(FreshdeskCompany, payload, key=None, platform=PLATFORM, what="company")
    return [_company(wire) for wire in wires]


def group_from_freshdesk(payload: Any) -> Group:
    return _group(parse_wire(FreshdeskGroup, payload, platform=PLATFORM, what="group"))


def _group(wire: FreshdeskGroup) -> Group:
    return Group(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        description=wire.description or "",
    )


def groups_from_freshdesk(payload: Any) -> list[Group]:
    wires = parse_wire_list(FreshdeskGroup, payload, key=None, platform=PLATFORM, what="group")
    return [_group(wire) for wire in wires]


def field_schema_from_freshdesk(ticket_fields: Any) -> FieldSchema:
    """Statuses (custom ones included), priorities, types and custom fields.

    ``ticket_fields`` is a ``GET /api/v2/ticket_fields`` answer. Status choices map
    ``"2"`` to ``[agent label, customer label]``; priority choices map names to
    integers; type and dropdown choices are lists of names.
    """
    fields = parse_wire_list(
        FreshdeskTicketField, ticket_fields, key=None, platform=PLATFORM, what="ticket field"
    )
    by_type = {field.type: field for field in fields if field.default}

    statuses = [
        StatusOption(key=str(value), name=name, category=STATUS_CATEGORIES[value], default=True)
        for value, name in STATUS_NAMES.items()
    ]
    status_field = by_type.get("default_status")
    if status_field is not None and isinstance(status_field.choices, Mapping):
        statuses = []
        for key, labels in status_field.choices.items():
            value = _choice_int(key, field="default_status")
            label = labels[0] if isinstance(labels, list) and labels else str(labels)
            statuses.append(
                StatusOption(
                    key=str(value),
                    name=label,
                    category=status_category(value),
                    default=value in STATUS_CATEGORIES,
                )
            )

    priorities = [
        PriorityOption(key=str(value), name=name, rank=value)
        for value, name in PRIORITY_NAMES.items()
    ]
    priority_field = by_type.get("default_priority")
    if priority_field is not None and isinstance(priority_field.choices, Mapping):
        priorities = sorted(
            (
                PriorityOption(
                    key=str(value := _choice_int(number, field="default_priority")),
                    name=str(name),
                    rank=value,
                )
                for name, number in priority_field.choices.items()
            ),
            key=lambda option: option.rank,
        )

    type_field = by_type.get("default_ticket_type")
    type_names = type_field.choices if type_field is not None else None
    types = [
        TypeOption(key=str(name), name=str(name))
        for name in (type_names if isinstance(type_names, list) else [])
    ]

    custom_fields = []
    for field in fields:
        field_type = CUSTOM_FIELD_TYPES.get(field.type)
        if field.default or not field.type.startswith(("custom_", "nested_")):
            continue
        # Later field types (URL, phone, date-time…) still hold text.
        field_type = field_type or CustomFieldType.TEXT
        options = []
        if field_type is CustomFieldType.DROPDOWN:
            choices = field.choices
            names = list(choices) if isinstance(choices, list | Mapping) else []
            options = [CustomFieldOption(key=str(name), name=str(name)) for name in names]
        custom_fields.append(
            CustomField(
                key=field.name,
                title=field.label,
                type=field_type,
                options=options,
                required=field.required_for_agents,
            )
        )
    return FieldSchema(
        statuses=statuses,
        priorities=priorities,
        types=types,
        custom_fields=custom_fields,
        article_statuses=list(ARTICLE_STATUSES),
    )


def _choice_int(value: Any, *, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MalformedPayloadError(
            Message(
                gettext_noop(
                    "%(platform)s returned a ticket field '%(field)s' with a choice '%(value)s' "
                    "that is not a number."
                ),
                {"platform": PLATFORM, "field": field, "value": str(value)},
            ),
            field=f"{field}.choices",
        ) from None


def solution_category_from_freshdesk(payload: Any) -> ArticleCategory:
    wire = parse_wire(
        FreshdeskSolutionCategory, payload, platform=PLATFORM, what="solution category"
    )
    return _solution_category(wire)


def _solution_category(wire: FreshdeskSolutionCategory) -> ArticleCategory:
    return ArticleCategory(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        description=wire.description or "",
    )


def solution_categories_from_freshdesk(payload: Any) -> list[ArticleCategory]:
    wires = parse_wire_list(
        FreshdeskSolutionCategory, payload, key=None, platform=PLATFORM, what="solution category"
    )
    return [_solution_category(wire) for wire in wires]


def solution_folder_from_freshdesk(
    payload: Any, *, category_id: str | None = None
) -> ArticleSection:
    """A folder; ``category_id`` is the category it was listed under, for folders
    that do not say."""
    wire = parse_wire(FreshdeskSolutionFolder, payload, platform=PLATFORM, what="solution folder")
    return _solution_folder(wire, category_id=category_id, path="solution folder")


def _solution_folder(
    wire: FreshdeskSolutionFolder, *, category_id: str | None, path: str
) -> ArticleSection:
    category = optional_source_id(wire.category_id) or category_id
    if category is None:
        field = f"{path}.category_id"
        raise MalformedPayloadError(
            Message(
                gettext_noop(
                    "%(platform)s returned a solution folder without its category: field "
                    "'%(field)s'."
                ),
                {"platform": PLATFORM, "field": field},
            ),
            field=field,
        )
    return ArticleSection(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        description=wire.description or "",
        category_id=category,
        parent_section_id=optional_source_id(wire.parent_folder_id),
    )


def solution_folders_from_freshdesk(
    payload: Any, *, category_id: str | None = None
) -> list[ArticleSection]:
    """Folders of ``GET /api/v2/solutions/categories/{category_id}/folders``."""
    wires = parse_wire_list(
        FreshdeskSolutionFolder, payload, key=None, platform=PLATFORM, what="solution folder"
    )
    return [
        _solution_folder(wire, category_id=category_id, path=f"solution folder[{index}]")
        for index, wire in enumerate(wires)
    ]


def solution_article_from_freshdesk(
    payload: Any, *, translations: Mapping[str, Any] | None = None, locale: str | None = None
) -> Article:
    """An article; ``translations`` maps a language code to the article read in it
    (``GET /api/v2/solutions/articles/{id}/{language}``)."""
    wire = parse_wire(FreshdeskSolutionArticle, payload, platform=PLATFORM, what="solution article")
    article_translations = solution_translations_from_freshdesk(translations or {})
    return _solution_article(wire, translations=article_translations, locale=locale)


def solution_translations_from_freshdesk(
    translations: Mapping[str, Any],
) -> list[ArticleTranslation]:
    """Translations of an article from its reads in each language (a language code to
    ``GET /api/v2/solutions/articles/{id}/{language}``, or the article's entry in
    ``GET /api/v2/solutions/folders/{id}/articles/{language}``)."""
    article_translations = []
    for language, raw in translations.items():
        translation = parse_wire(
            _Translation,
            raw,
            platform=PLATFORM,
            what="translation",
            path=f"translations.{language}",
        )
        article_translations.append(
            ArticleTranslation(
                locale=language,
                title=translation.title,
                html_body=translation.description,
                status=None if translation.status is None else str(translation.status),
            )
        )
    return article_translations


def _solution_article(
    wire: FreshdeskSolutionArticle,
    *,
    translations: list[ArticleTranslation],
    locale: str | None,
) -> Article:
    attachments = [_attachment(attachment) for attachment in wire.attachments]
    return Article(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        title=wire.title,
        html_body=wire.description,
        status=str(wire.status),
        author_id=optional_source_id(wire.agent_id),
        category_id=optional_source_id(wire.category_id),
        section_id=as_source_id(wire.folder_id),
        locale=locale,
        tags=wire.tags,
        translations=translations,
        attachments=_with_inline_images(wire.description, attachments),
    )


def solution_articles_from_freshdesk(payload: Any) -> list[Article]:
    wires = parse_wire_list(
        FreshdeskSolutionArticle, payload, key=None, platform=PLATFORM, what="solution article"
    )
    return [_solution_article(wire, translations=[], locale=None) for wire in wires]


def link_next_page(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of Freshdesk's ``Link`` header (pages end without one)."""
    if not link_header:
        return None
    for part in link_header.split(","):
        url, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", ""):
            return url.strip().strip("<>")
    return None


# --------------------------------------------------------------------------- writing


def _freshdesk_id(value: str | None, *, field: str, record: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: %(field)s '%(value)s' is not a Freshdesk id."),
                {"record": record, "field": field, "value": str(value)},
            ),
            detail=field,
        ) from None


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _with_marker(tags: Sequence[str], marker: str) -> list[str]:
    return [*tags, marker] if marker and marker not in tags else list(tags)


def _status_value(ticket: Ticket) -> int | None:
    if ticket.status is not None and ticket.status.isdigit():
        return int(ticket.status)
    if ticket.status_category is not None:
        return CATEGORY_STATUSES[ticket.status_category]
    return None


def _format_date(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def ticket_to_freshdesk(ticket: Ticket, *, marker: str) -> dict[str, Any]:
    """Body of ``POST /api/v2/tickets``.

    The description is the opening comment; the other comments go through
    :func:`comment_to_freshdesk`. The marker is added to the tags (tickets have no
    external id). ``due_by`` is left out: Freshdesk refuses a due date before the
    creation date, which is now.
    """
    record = f"ticket {ticket.source_id}"
    opening = ticket.opening_comment
    description = ""
    if opening is not None:
        description = opening.html_body or text_to_html(opening.text_body)
    description = description or text_to_html(ticket.description) or "<p></p>"
    requester_id = _freshdesk_id(ticket.requester_id, field="requester_id", record=record)
    if requester_id is None and not ticket.requester_email:
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: Freshdesk needs a requester (id or e-mail address)."),
                {"record": record},
            ),
            detail="requester_id",
        )
    priority = None
    if ticket.priority is not None:
        if not ticket.priority.isdigit():
            raise InvalidRecordError(
                Message(
                    gettext_noop(
                        "%(record)s: priority '%(priority)s' is not a Freshdesk priority."
                    ),
                    {"record": record, "priority": str(ticket.priority)},
                ),
                detail="priority",
            )
        priority = int(ticket.priority)
    source = None
    if ticket.channel is not None:
        source = next((key for key, name in SOURCE_NAMES.items() if name == ticket.channel), None)
    body = {
        "subject": ticket.subject or "(no subject)",
        "description": description,
        "requester_id": requester_id,
        "email": ticket.requester_email if requester_id is None else None,
        "responder_id": _freshdesk_id(ticket.assignee_id, field="assignee_id", record=record),
        "group_id": _freshdesk_id(ticket.group_id, field="group_id", record=record),
        "company_id": _freshdesk_id(ticket.organization_id, field="organization_id", record=record),
        "status": _status_value(ticket),
        "priority": priority,
        "type": ticket.type,
        "source": source,
        "tags": _with_marker(ticket.tags, marker),
        "cc_emails": list(ticket.cc_emails) or None,
        # An empty value is the same as no value, and "null" trips some field types.
        "custom_fields": _without_none(ticket.custom_fields) or None,
    }
    return _without_none(body)


def ticket_update_to_freshdesk(ticket: Ticket) -> dict[str, Any]:
    """Body of ``PUT /api/v2/tickets/{id}`` for a delta run (fields, no conversation)."""
    body = ticket_to_freshdesk(ticket, marker="")
    kept = {
        "subject",
        "responder_id",
        "group_id",
        "company_id",
        "status",
        "priority",
        "type",
        "tags",
        "custom_fields",
    }
    return {key: value for key, value in body.items() if key in kept}


#: The words the original-dates note starts with (the connector finds it by them).
ORIGINAL_DATES_NOTE_OPENING = "Original dates of this ticket:"


def original_dates_note_to_freshdesk(ticket: Ticket) -> dict[str, Any]:
    """Body of a private note (``POST /api/v2/tickets/{id}/notes``) keeping the dates
    Freshdesk cannot set."""
    lines = [f"Created on {_format_date(ticket.created_at)}."]
    if ticket.solved_at is not None:
        lines.append(f"Resolved on {_format_date(ticket.solved_at)}.")
    lines.append(f"Last updated on {_format_date(ticket.updated_at)}.")
    text = f"{ORIGINAL_DATES_NOTE_OPENING} {' '.join(lines)}"
    return {"body": f"<p>{html.escape(text)}</p>", "private": True}


class FreshdeskConversationBody(NamedTuple):
    """Where a comment goes (``reply`` or ``notes`` under the ticket) and its body."""

    endpoint: Literal["reply", "notes"]
    body: dict[str, Any]


def comment_header(comment: Comment) -> str:
    """First line of a migrated comment: its original date and author."""
    author = comment.author_name or comment.author_email
    if comment.author_name and comment.author_email:
        author = f"{comment.author_name} <{comment.author_email}>"
    text = f"On {_format_date(comment.created_at)}" + (f", {author} wrote:" if author else ":")
    return f'<p class="migrated-original-date">{html.escape(text)}</p>'


def comment_to_freshdesk(
    comment: Comment, *, original_date_header: bool = True
) -> FreshdeskConversationBody:
    """A comment after the opening one, as a note.

    Never a reply: Freshdesk e-mails every reply to the requester, whatever the
    notification settings, so a migration would re-send old answers to customers.
    Public comments become public notes (incoming when a contact wrote them), private
    ones private notes. ``original_date_header`` starts the body with the original
    date and author, which Freshdesk cannot set.
    """
    record = f"comment {comment.source_id}"
    body_html = comment.html_body or text_to_html(comment.text_body) or "<p></p>"
    if original_date_header:
        body_html = comment_header(comment) + body_html
    user_id = _freshdesk_id(comment.author_id, field="author_id", record=record)
    note = {
        "body": body_html,
        "private": not comment.public,
        "incoming": comment.author_kind is AuthorKind.CONTACT,
        "user_id": user_id,
    }
    return FreshdeskConversationBody("notes", _without_none(note))


def contact_to_freshdesk(contact: Contact, *, marker: str) -> dict[str, Any]:
    """Body of ``POST /api/v2/contacts``; the marker goes into the tags."""
    if not (contact.email or contact.phone or contact.mobile):
        raise InvalidRecordError(
            Message(
                gettext_noop(
                    "contact %(source_id)s: Freshdesk needs an e-mail address or a phone number."
                ),
                {"source_id": contact.source_id},
            ),
            detail="email",
        )
    body = {
        "name": contact.name or contact.email or contact.phone or contact.mobile,
        "email": contact.email,
        # Freshdesk accepts up to ten further addresses.
        "other_emails": list(contact.other_emails[:10]) or None,
        "phone": contact.phone,
        "mobile": contact.mobile,
        "company_id": _freshdesk_id(
            contact.organization_id, field="organization_id", record=f"contact {contact.source_id}"
        ),
        "tags": _with_marker(contact.tags, marker),
        "custom_fields": _without_none(contact.custom_fields) or None,
    }
    return _without_none(body)


def agent_to_freshdesk(agent: Agent, *, role_ids: Sequence[int] = ()) -> dict[str, Any]:
    """Body of ``POST /api/v2/agents`` (global ticket scope). Agents are found by e-mail."""
    if not agent.email:
        raise InvalidRecordError(
            Message(
                gettext_noop("agent %(source_id)s: Freshdesk needs the agent's e-mail address."),
                {"source_id": agent.source_id},
            ),
            detail="email",
        )
    record = f"agent {agent.source_id}"
    body = {
        "email": agent.email,
        "name": agent.name,
        "ticket_scope": 1,
        "occasional": agent.role == "occasional",
        "group_ids": [
            group_id
            for value in agent.group_ids
            if (group_id := _freshdesk_id(value, field="group_ids", record=record)) is not None
        ]
        or None,
        "role_ids": list(role_ids) or None,
    }
    return _without_none(body)


def company_to_freshdesk(organization: Organization) -> dict[str, Any]:
    """Body of ``POST /api/v2/companies``. Company names are unique: found by name."""
    body = {
        "name": organization.name,
        "description": organization.description or None,
        "note": organization.notes or None,
        "domains": list(organization.domains) or None,
        "custom_fields": _without_none(organization.custom_fields) or None,
    }
    return _without_none(body)


def group_to_freshdesk(group: Group) -> dict[str, Any]:
    """Body of ``POST /api/v2/groups``. Group names are unique: found by name."""
    return _without_none({"name": group.name, "description": group.description or None})


def solution_category_to_freshdesk(category: ArticleCategory) -> dict[str, Any]:
    """Body of ``POST /api/v2/solutions/categories``."""
    return _without_none({"name": category.name, "description": category.description or None})


def solution_folder_to_freshdesk(
    section: ArticleSection, *, visibility: int = FOLDER_VISIBLE_TO_ALL
) -> dict[str, Any]:
    """Body of ``POST /api/v2/solutions/categories/{category_id}/folders``."""
    body = {
        "name": section.name,
        "description": section.description or None,
        "visibility": visibility,
    }
    return _without_none(body)


def _article_status(status: str, *, record: str) -> int:
    if status not in ("1", "2"):
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: status '%(status)s' is not a Freshdesk article status."),
                {"record": record, "status": str(status)},
            ),
            detail="status",
        )
    return int(status)


def solution_article_to_freshdesk(article: Article, *, marker: str) -> dict[str, Any]:
    """Body of ``POST /api/v2/solutions/folders/{folder_id}/articles``; marker in the tags."""
    return {
        "title": article.title,
        "description": article.html_body or "<p></p>",
        "status": _article_status(article.status, record=f"article {article.source_id}"),
        "type": ARTICLE_TYPE_PERMANENT,
        "tags": _with_marker(article.tags, marker),
    }


def solution_translation_to_freshdesk(
    translation: ArticleTranslation, *, article_status: str
) -> dict[str, Any]:
    """Body of ``POST /api/v2/solutions/articles/{id}/{language}``."""
    status = translation.status or article_status
    return {
        "title": translation.title,
        "description": translation.html_body or "<p></p>",
        "status": _article_status(status, record=f"translation {translation.locale}"),
    }


def multipart_fields(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A JSON body as multipart form fields (``tags[]``, ``custom_fields[cf_x]``),
    for requests that carry attachments."""
    fields: list[tuple[str, str]] = []
    for key, value in body.items():
        if isinstance(value, Mapping):
            fields.extend(
                (f"{key}[{sub_key}]", _form_value(sub_value))
                for sub_key, sub_value in value.items()
                if sub_value is not None
            )
        elif isinstance(value, list | tuple):
            fields.extend((f"{key}[]", _form_value(item)) for item in value)
        elif value is not None:
            fields.append((key, _form_value(value)))
    return fields


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
