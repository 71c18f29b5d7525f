"""Zendesk JSON <-> canonical records. Pure functions, no HTTP.

Reads follow the Support API (tickets, ticket comments, incremental ticket events,
users with identities, organizations, groups, ticket fields, custom statuses) and
the Help Center API (categories, sections, articles, translations, article
attachments). Writes build request bodies: the ticket import API
(``POST /api/v2/imports/tickets``, which keeps ``created_at``, ``updated_at``,
``solved_at`` and comment authors) and the create bodies of users,
organizations, groups and Help Center objects.

Status keys: with custom ticket statuses, a ticket's status key is its
``custom_status_id`` and :func:`field_schema_from_zendesk` lists custom statuses
(plus the system ``closed`` status); without them, keys are the system statuses
(``new``, ``open``, ``pending``, ``hold``, ``solved``, ``closed``). Source and
field schema must be read the same way (``use_custom_statuses``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field

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
    CommentKind,
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
    optional_source_id,
    source_ids,
    text_to_html,
)
from connectors.wire import (
    MalformedPayloadError,
    WireModel,
    envelope_items,
    parse_wire,
    parse_wire_list,
)

PLATFORM = "Zendesk"

SYSTEM_STATUSES: tuple[tuple[str, str], ...] = (
    ("new", "New"),
    ("open", "Open"),
    ("pending", "Pending"),
    ("hold", "On-hold"),
    ("solved", "Solved"),
    ("closed", "Closed"),
)
PRIORITIES: tuple[tuple[str, str], ...] = (
    ("low", "Low"),
    ("normal", "Normal"),
    ("high", "High"),
    ("urgent", "Urgent"),
)
TICKET_TYPES: tuple[tuple[str, str], ...] = (
    ("question", "Question"),
    ("incident", "Incident"),
    ("problem", "Problem"),
    ("task", "Task"),
)
ARTICLE_STATUSES = (
    ArticleStatusOption(key="draft", name="Draft", category=ArticleStatusCategory.DRAFT),
    ArticleStatusOption(
        key="published", name="Published", category=ArticleStatusCategory.PUBLISHED
    ),
)
CUSTOM_FIELD_TYPES: dict[str, CustomFieldType] = {
    "text": CustomFieldType.TEXT,
    "textarea": CustomFieldType.TEXTAREA,
    "checkbox": CustomFieldType.CHECKBOX,
    "date": CustomFieldType.DATE,
    "integer": CustomFieldType.INTEGER,
    "decimal": CustomFieldType.DECIMAL,
    "regexp": CustomFieldType.REGEXP,
    # Stored masked; only its text can move.
    "partialcreditcard": CustomFieldType.TEXT,
    "tagger": CustomFieldType.DROPDOWN,
    "multiselect": CustomFieldType.MULTISELECT,
}

SystemStatus = Literal["new", "open", "pending", "hold", "solved", "closed"]


# --------------------------------------------------------------------------- wire models


class _Via(WireModel):
    channel: str | int | None = None


class ZendeskAttachment(WireModel):
    id: int
    file_name: str
    content_url: str
    content_type: str = "application/octet-stream"
    size: int | None = None
    inline: bool = False
    deleted: bool = False


class ZendeskVoiceData(WireModel):
    recording_url: str | None = None
    call_duration: int | None = None


class ZendeskComment(WireModel):
    id: int
    type: str = "Comment"
    author_id: int | None = None
    body: str = ""
    html_body: str | None = None
    plain_body: str | None = None
    public: bool = True
    created_at: datetime
    attachments: list[ZendeskAttachment] = Field(default_factory=list)
    data: ZendeskVoiceData | None = None


class _CommentEvent(WireModel):
    id: int
    event_type: str
    author_id: int | None = None
    body: str = ""
    html_body: str | None = None
    public: bool = True
    created_at: datetime | None = None
    attachments: list[ZendeskAttachment] = Field(default_factory=list)


class _TicketEvent(WireModel):
    id: int
    ticket_id: int
    timestamp: int | None = None
    created_at: datetime | None = None
    child_events: list[dict[str, Any]] = Field(default_factory=list)


class _CustomFieldValue(WireModel):
    id: int
    value: Any = None


class ZendeskTicket(WireModel):
    id: int
    subject: str | None = None
    description: str | None = None
    status: SystemStatus
    custom_status_id: int | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    type: Literal["problem", "incident", "question", "task"] | None = None
    requester_id: int | None = None
    submitter_id: int | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    organization_id: int | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: list[_CustomFieldValue] = Field(default_factory=list)
    collaborator_ids: list[int] = Field(default_factory=list)
    email_cc_ids: list[int] = Field(default_factory=list)
    follower_ids: list[int] = Field(default_factory=list)
    via: _Via | None = None
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = None


class ZendeskUser(WireModel):
    id: int
    name: str
    email: str | None = None
    role: Literal["end-user", "agent", "admin"]
    active: bool = True
    suspended: bool = False
    phone: str | None = None
    organization_id: int | None = None
    default_group_id: int | None = None
    tags: list[str] = Field(default_factory=list)
    user_fields: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime


class ZendeskIdentity(WireModel):
    user_id: int
    type: str
    value: str
    primary: bool = False


class ZendeskOrganization(WireModel):
    id: int
    name: str
    domain_names: list[str] = Field(default_factory=list)
    details: str | None = None
    notes: str | None = None
    tags: list[str] = Field(default_factory=list)
    organization_fields: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime


class ZendeskGroup(WireModel):
    id: int
    name: str
    description: str | None = None
    deleted: bool = False
    created_at: datetime | None = None
    updated_at: datetime


class _FieldOption(WireModel):
    name: str
    value: str | int | None = None


class ZendeskTicketField(WireModel):
    id: int
    type: str
    title: str
    active: bool = True
    required: bool = False
    removable: bool = True
    regexp_for_validation: str | None = None
    custom_field_options: list[_FieldOption] | None = None
    system_field_options: list[_FieldOption] | None = None


class ZendeskCustomStatus(WireModel):
    id: int
    agent_label: str
    status_category: Literal["new", "open", "pending", "hold", "solved"]
    active: bool = True
    default: bool = False


class ZendeskCategory(WireModel):
    id: int
    name: str
    description: str | None = None
    locale: str | None = None
    position: int | None = None
    created_at: datetime | None = None
    updated_at: datetime


class ZendeskSection(WireModel):
    id: int
    name: str
    description: str | None = None
    category_id: int
    parent_section_id: int | None = None
    locale: str | None = None
    position: int | None = None
    created_at: datetime | None = None
    updated_at: datetime


class ZendeskArticle(WireModel):
    id: int
    title: str
    body: str | None = None
    draft: bool = False
    author_id: int | None = None
    section_id: int
    locale: str | None = None
    source_locale: str | None = None
    label_names: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime


class ZendeskTranslation(WireModel):
    locale: str
    title: str
    body: str | None = None
    draft: bool = False


# --------------------------------------------------------------------------- reading


def next_cursor(payload: Any) -> tuple[str | None, bool]:
    """``(cursor, has_more)`` of a Zendesk list answer.

    Handles incremental cursor exports (``after_cursor`` + ``end_of_stream``; the
    last cursor is kept so a delta run resumes from it), cursor pagination
    (``meta.has_more`` + ``meta.after_cursor``) and offset pagination or Help Center
    incremental exports (``next_page`` URL).
    """
    if not isinstance(payload, Mapping):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s returned a page that is not an object."),
                {"platform": PLATFORM},
            )
        )
    if "end_of_stream" in payload:
        cursor = payload.get("after_cursor")
        return (str(cursor) if cursor else None, not payload["end_of_stream"])
    meta = payload.get("meta")
    if isinstance(meta, Mapping) and "has_more" in meta:
        cursor = meta.get("after_cursor")
        has_more = bool(meta["has_more"])
        if has_more and not cursor:
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "%(platform)s announced more records without a cursor (meta.after_cursor)."
                    ),
                    {"platform": PLATFORM},
                ),
                field="meta.after_cursor",
            )
        return (str(cursor) if cursor else None, has_more)
    next_page = payload.get("next_page")
    return (str(next_page) if next_page else None, bool(next_page))


def attachment_from_zendesk(payload: Any) -> Attachment:
    wire = parse_wire(ZendeskAttachment, payload, platform=PLATFORM, what="attachment")
    return _attachment(wire)


def _attachment(wire: ZendeskAttachment) -> Attachment:
    return Attachment(
        source_id=as_source_id(wire.id),
        file_name=wire.file_name,
        content_type=wire.content_type,
        size=wire.size,
        url=wire.content_url,
        inline=wire.inline,
    )


def comment_from_zendesk(payload: Any, *, agent_ids: Iterable[str] | None = None) -> Comment:
    """A ticket comment (``GET /api/v2/tickets/{id}/comments``).

    ``agent_ids`` (ids of agents and admins, e.g. from sideloaded users) tells
    whether the author is an agent or a contact; without it the kind is unknown.
    """
    wire = parse_wire(ZendeskComment, payload, platform=PLATFORM, what="comment")
    return _comment(wire, agent_ids=None if agent_ids is None else set(agent_ids))


def _comment(
    wire: ZendeskComment,
    *,
    agent_ids: set[str] | None,
    authors: Mapping[str, ZendeskUser] | None = None,
) -> Comment:
    attachments = [_attachment(a) for a in wire.attachments if not a.deleted]
    kind = CommentKind.MESSAGE
    if wire.type == "VoiceComment":
        kind = CommentKind.CALL_RECORDING
        if wire.data is not None and wire.data.recording_url:
            attachments.append(
                Attachment(
                    source_id=f"recording-{wire.id}",
                    file_name=f"call-recording-{wire.id}.mp3",
                    content_type="audio/mpeg",
                    url=wire.data.recording_url,
                )
            )
    author_id = optional_source_id(wire.author_id)
    author = authors.get(author_id) if authors is not None and author_id is not None else None
    author_kind = _author_kind(author_id, agent_ids)
    if authors is not None and agent_ids is None and author_id is not None:
        author_kind = AuthorKind.UNKNOWN
        if author is not None:
            author_kind = AuthorKind.AGENT if author.role != "end-user" else AuthorKind.CONTACT
    return Comment(
        source_id=as_source_id(wire.id),
        author_id=author_id,
        author_kind=author_kind,
        author_name=author.name if author is not None else None,
        author_email=author.email if author is not None else None,
        public=wire.public,
        html_body=wire.html_body or "",
        text_body=wire.plain_body or wire.body,
        kind=kind,
        created_at=wire.created_at,
        attachments=attachments,
    )


def _author_kind(author_id: str | None, agent_ids: set[str] | None) -> AuthorKind:
    if author_id is None:
        return AuthorKind.SYSTEM
    if agent_ids is None:
        return AuthorKind.UNKNOWN
    return AuthorKind.AGENT if author_id in agent_ids else AuthorKind.CONTACT


def comments_from_zendesk(payload: Any, *, agent_ids: Iterable[str] | None = None) -> list[Comment]:
    """The ``comments`` page of a ticket, oldest first.

    When the page sideloads its authors (``include=users``) they give each comment its
    author's kind, name and e-mail (``agent_ids``, when given, still decides the kind).
    """
    wires = parse_wire_list(
        ZendeskComment, payload, key="comments", platform=PLATFORM, what="comment"
    )
    agents = None if agent_ids is None else set(agent_ids)
    authors = sideloaded_users(payload) if "users" in payload else None
    comments = [_comment(wire, agent_ids=agents, authors=authors) for wire in wires]
    return sorted(comments, key=lambda comment: comment.created_at)


def sideloaded_users(payload: Any) -> dict[str, ZendeskUser]:
    """The users a page sideloads (``include=users``), by id."""
    wires = parse_wire_list(ZendeskUser, payload, key="users", platform=PLATFORM, what="user")
    return {as_source_id(wire.id): wire for wire in wires}


def comments_from_zendesk_ticket_events(
    payload: Any, *, agent_ids: Iterable[str] | None = None
) -> dict[str, list[Comment]]:
    """Comments of an incremental ticket events export, by ticket id.

    Child events of type ``Comment``/``VoiceComment`` become comments; their date is
    the event's when the child has none.
    """
    events = parse_wire_list(
        _TicketEvent, payload, key="ticket_events", platform=PLATFORM, what="ticket event"
    )
    agents = None if agent_ids is None else set(agent_ids)
    by_ticket: dict[str, list[Comment]] = {}
    for event_index, event in enumerate(events):
        event_time = event.created_at
        if event_time is None and event.timestamp is not None:
            event_time = datetime.fromtimestamp(event.timestamp, tz=UTC)
        for child_index, child in enumerate(event.child_events):
            if child.get("event_type") not in ("Comment", "VoiceComment"):
                continue
            path = f"ticket_events[{event_index}].child_events[{child_index}]"
            wire = parse_wire(_CommentEvent, child, platform=PLATFORM, what="comment", path=path)
            created_at = wire.created_at or event_time
            if created_at is None:
                raise MalformedPayloadError(
                    Message(
                        gettext_noop("%(platform)s returned a comment event without a date."),
                        {"platform": PLATFORM},
                    ),
                    field=f"{path}.created_at",
                )
            author_id = optional_source_id(wire.author_id)
            comment = Comment(
                source_id=as_source_id(wire.id),
                author_id=author_id,
                author_kind=_author_kind(author_id, agents),
                public=wire.public,
                html_body=wire.html_body or "",
                text_body=wire.body,
                kind=CommentKind.CALL_RECORDING
                if wire.event_type == "VoiceComment"
                else CommentKind.MESSAGE,
                created_at=created_at,
                attachments=[_attachment(a) for a in wire.attachments if not a.deleted],
            )
            by_ticket.setdefault(as_source_id(event.ticket_id), []).append(comment)
    for comments in by_ticket.values():
        comments.sort(key=lambda comment: comment.created_at)
    return by_ticket


PERMANENTLY_DELETED_USER_NAME = "Permanently Deleted User"


def is_permanently_deleted_user(payload: Any) -> bool:
    """Deleted users Zendesk has scrubbed (no e-mail, a placeholder name): nothing to move."""
    return (
        isinstance(payload, Mapping)
        and payload.get("name") == PERMANENTLY_DELETED_USER_NAME
        and not payload.get("email")
    )


def is_deleted_ticket(payload: Any) -> bool:
    """Incremental exports list deleted tickets (status ``deleted``); sources skip them."""
    return isinstance(payload, Mapping) and payload.get("status") == "deleted"


def ticket_from_zendesk(
    payload: Any,
    *,
    comments: Sequence[Comment] = (),
    use_custom_statuses: bool = False,
    solved_at: datetime | None = None,
) -> Ticket:
    """A ticket with the comments read for it (the first one is the description).

    Tickets carry no solved date: pass the ticket metric's ``solved_at`` when read.
    """
    wire = parse_wire(ZendeskTicket, payload, platform=PLATFORM, what="ticket")
    return _ticket(
        wire, comments=comments, use_custom_statuses=use_custom_statuses, solved_at=solved_at
    )


def _ticket(
    wire: ZendeskTicket,
    *,
    comments: Sequence[Comment],
    use_custom_statuses: bool,
    solved_at: datetime | None,
) -> Ticket:
    status = wire.status
    if use_custom_statuses and wire.custom_status_id is not None and wire.status != "closed":
        status = str(wire.custom_status_id)
    channel = wire.via.channel if wire.via is not None else None
    return Ticket(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        subject=wire.subject or "",
        description=wire.description or "",
        status=status,
        status_category=StatusCategory(wire.status),
        priority=wire.priority,
        type=wire.type,
        requester_id=optional_source_id(wire.requester_id),
        submitter_id=optional_source_id(wire.submitter_id),
        assignee_id=optional_source_id(wire.assignee_id),
        group_id=optional_source_id(wire.group_id),
        organization_id=optional_source_id(wire.organization_id),
        tags=wire.tags,
        custom_fields=custom_values({str(f.id): f.value for f in wire.custom_fields}),
        cc_ids=source_ids([*wire.collaborator_ids, *wire.email_cc_ids]),
        follower_ids=source_ids(wire.follower_ids),
        channel=None if channel is None else str(channel),
        solved_at=solved_at,
        due_at=wire.due_at,
        comments=sorted(comments, key=lambda comment: comment.created_at),
    )


class _TicketMetric(WireModel):
    ticket_id: int
    solved_at: datetime | None = None
    latest_comment_added_at: datetime | None = None


def solved_dates_from_zendesk(payload: Any) -> dict[str, datetime]:
    """Solved dates by ticket id, from the ticket metrics a page sideloads
    (``include=metric_sets``); tickets carry no solved date of their own."""
    if not isinstance(payload, Mapping) or payload.get("metric_sets") is None:
        return {}
    metrics = parse_wire_list(
        _TicketMetric, payload, key="metric_sets", platform=PLATFORM, what="ticket metric"
    )
    return {
        as_source_id(metric.ticket_id): metric.solved_at
        for metric in metrics
        if metric.solved_at is not None
    }


def latest_comment_dates_from_zendesk(payload: Any) -> dict[str, datetime]:
    """When each ticket's latest comment was added, by ticket id, from the sideloaded
    ticket metrics (``include=metric_sets``)."""
    if not isinstance(payload, Mapping) or payload.get("metric_sets") is None:
        return {}
    metrics = parse_wire_list(
        _TicketMetric, payload, key="metric_sets", platform=PLATFORM, what="ticket metric"
    )
    return {
        as_source_id(metric.ticket_id): metric.latest_comment_added_at
        for metric in metrics
        if metric.latest_comment_added_at is not None
    }


def tickets_from_zendesk(
    payload: Any,
    *,
    comments_by_ticket: Mapping[str, Sequence[Comment]] | None = None,
    use_custom_statuses: bool = False,
) -> list[Ticket]:
    """The tickets of a list or incremental export page, deleted ones left out."""
    items = envelope_items(payload, key="tickets", platform=PLATFORM, what="ticket")
    comments_by_ticket = comments_by_ticket or {}
    tickets = []
    for index, item in enumerate(items):
        if is_deleted_ticket(item):
            continue
        wire = parse_wire(
            ZendeskTicket, item, platform=PLATFORM, what="ticket", path=f"tickets[{index}]"
        )
        tickets.append(
            _ticket(
                wire,
                comments=comments_by_ticket.get(str(wire.id), ()),
                use_custom_statuses=use_custom_statuses,
                solved_at=None,
            )
        )
    return tickets


def user_from_zendesk(payload: Any, *, identities: Iterable[Any] = ()) -> Agent | Contact:
    """An agent (roles agent, admin) or a contact (role end-user).

    Zendesk marks deleted users ``active: false``; the e-mail identities other than
    the primary address become ``other_emails``.
    """
    wire = parse_wire(ZendeskUser, payload, platform=PLATFORM, what="user")
    return _user(wire, identities=_identities(identities))


def _identities(raw: Iterable[Any]) -> list[ZendeskIdentity]:
    return [
        parse_wire(
            ZendeskIdentity, item, platform=PLATFORM, what="identity", path=f"identities[{index}]"
        )
        for index, item in enumerate(raw)
    ]


def _user(wire: ZendeskUser, *, identities: Sequence[ZendeskIdentity]) -> Agent | Contact:
    common: dict[str, Any] = {
        "source_id": as_source_id(wire.id),
        "updated_at": wire.updated_at,
        "created_at": wire.created_at,
        "name": wire.name,
        "email": wire.email,
        "phone": wire.phone,
        "active": wire.active and not wire.suspended,
        "deleted": not wire.active,
    }
    if wire.role in ("agent", "admin"):
        return Agent(
            **common,
            role=wire.role,
            group_ids=source_ids([wire.default_group_id] if wire.default_group_id else []),
        )
    return Contact(
        **common,
        other_emails=[
            identity.value
            for identity in identities
            if identity.user_id == wire.id and identity.type == "email"
        ],
        organization_id=optional_source_id(wire.organization_id),
        tags=wire.tags,
        custom_fields=custom_values(wire.user_fields),
    )


def users_from_zendesk(payload: Any) -> tuple[list[Agent], list[Contact]]:
    """Agents and contacts of a users page, with the page's sideloaded identities."""
    wires = parse_wire_list(ZendeskUser, payload, key="users", platform=PLATFORM, what="user")
    identities = _identities(payload.get("identities") or [])
    agents: list[Agent] = []
    contacts: list[Contact] = []
    for wire in wires:
        user = _user(wire, identities=identities)
        if isinstance(user, Agent):
            agents.append(user)
        else:
            contacts.append(user)
    return agents, contacts


def organization_from_zendesk(payload: Any) -> Organization:
    wire = parse_wire(ZendeskOrganization, payload, platform=PLATFORM, what="organization")
    return _organization(wire)


def _organization(wire: ZendeskOrganization) -> Organization:
    return Organization(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        domains=wire.domain_names,
        description=wire.details or "",
        notes=wire.notes or "",
        tags=wire.tags,
        custom_fields=custom_values(wire.organization_fields),
    )


def organizations_from_zendesk(payload: Any) -> list[Organization]:
    wires = parse_wire_list(
        ZendeskOrganization, payload, key="organizations", platform=PLATFORM, what="organization"
    )
    return [_organization(wire) for wire in wires]


def group_from_zendesk(payload: Any) -> Group:
    return _group(parse_wire(ZendeskGroup, payload, platform=PLATFORM, what="group"))


def _group(wire: ZendeskGroup) -> Group:
    return Group(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        description=wire.description or "",
        deleted=wire.deleted,
    )


def groups_from_zendesk(payload: Any) -> list[Group]:
    wires = parse_wire_list(ZendeskGroup, payload, key="groups", platform=PLATFORM, what="group")
    return [_group(wire) for wire in wires]


def field_schema_from_zendesk(
    *, ticket_fields: Any, custom_statuses: Any | None = None
) -> FieldSchema:
    """Statuses, priorities, types and custom fields of an account.

    ``ticket_fields`` is a ``GET /api/v2/ticket_fields`` answer. ``custom_statuses``
    is a ``GET /api/v2/custom_statuses`` answer, or ``None`` for accounts without
    custom statuses. System fields (``removable: false``) are not custom fields;
    lookup (relationship) fields are left out, their values cannot move.
    """
    fields = parse_wire_list(
        ZendeskTicketField, ticket_fields, key="ticket_fields", platform=PLATFORM, what="field"
    )
    by_type = {field.type: field for field in fields if not field.removable}

    if custom_statuses is not None:
        wires = parse_wire_list(
            ZendeskCustomStatus,
            custom_statuses,
            key="custom_statuses",
            platform=PLATFORM,
            what="custom status",
        )
        statuses = [
            StatusOption(
                key=str(wire.id),
                name=wire.agent_label,
                category=StatusCategory(wire.status_category),
                default=wire.default,
                active=wire.active,
            )
            for wire in wires
        ]
        # Closed is a system status outside the custom ones (category "solved" in Zendesk).
        statuses.append(
            StatusOption(key="closed", name="Closed", category=StatusCategory.CLOSED, default=True)
        )
    else:
        names = _option_names(by_type.get("status"))
        statuses = [
            StatusOption(
                key=key,
                name=names.get(key, name),
                category=StatusCategory(key),
                default=True,
            )
            for key, name in SYSTEM_STATUSES
        ]

    priority_names = _option_names(by_type.get("priority"))
    priorities = [
        PriorityOption(key=key, name=priority_names.get(key, name), rank=rank)
        for rank, (key, name) in enumerate(PRIORITIES, start=1)
    ]
    type_names = _option_names(by_type.get("tickettype"))
    types = [TypeOption(key=key, name=type_names.get(key, name)) for key, name in TICKET_TYPES]

    custom_fields = []
    for field in fields:
        field_type = CUSTOM_FIELD_TYPES.get(field.type)
        if not field.removable or field_type is None:
            continue
        has_options = field_type in (CustomFieldType.DROPDOWN, CustomFieldType.MULTISELECT)
        options = [
            CustomFieldOption(key=str(option.value), name=option.name)
            for option in field.custom_field_options or []
            if option.value not in (None, "")
        ]
        custom_fields.append(
            CustomField(
                key=str(field.id),
                title=field.title,
                type=field_type,
                options=options if has_options else [],
                required=field.required,
                active=field.active,
                pattern=field.regexp_for_validation
                if field_type is CustomFieldType.REGEXP
                else None,
            )
        )
    return FieldSchema(
        statuses=statuses,
        priorities=priorities,
        types=types,
        custom_fields=custom_fields,
        article_statuses=list(ARTICLE_STATUSES),
    )


def _option_names(field: ZendeskTicketField | None) -> dict[str, str]:
    if field is None:
        return {}
    return {
        str(option.value): option.name
        for option in field.system_field_options or []
        if option.value is not None
    }


def category_from_zendesk(payload: Any) -> ArticleCategory:
    wire = parse_wire(ZendeskCategory, payload, platform=PLATFORM, what="category")
    return _category(wire)


def _category(wire: ZendeskCategory) -> ArticleCategory:
    return ArticleCategory(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        description=wire.description or "",
        locale=wire.locale,
        position=wire.position,
    )


def categories_from_zendesk(payload: Any) -> list[ArticleCategory]:
    wires = parse_wire_list(
        ZendeskCategory, payload, key="categories", platform=PLATFORM, what="category"
    )
    return [_category(wire) for wire in wires]


def section_from_zendesk(payload: Any) -> ArticleSection:
    return _section(parse_wire(ZendeskSection, payload, platform=PLATFORM, what="section"))


def _section(wire: ZendeskSection) -> ArticleSection:
    return ArticleSection(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        name=wire.name,
        description=wire.description or "",
        category_id=as_source_id(wire.category_id),
        parent_section_id=optional_source_id(wire.parent_section_id),
        locale=wire.locale,
        position=wire.position,
    )


def sections_from_zendesk(payload: Any) -> list[ArticleSection]:
    wires = parse_wire_list(
        ZendeskSection, payload, key="sections", platform=PLATFORM, what="section"
    )
    return [_section(wire) for wire in wires]


def article_from_zendesk(
    payload: Any,
    *,
    category_id: str | None = None,
    translations: Any | None = None,
    attachments: Any | None = None,
) -> Article:
    """An article with its translations and attachments when they were read.

    ``translations`` is a ``GET .../articles/{id}/translations`` answer (the source
    locale's own entry is skipped); ``attachments`` a
    ``GET .../articles/{id}/attachments`` answer. ``category_id`` comes from the
    article's section, articles do not carry it.
    """
    wire = parse_wire(ZendeskArticle, payload, platform=PLATFORM, what="article")
    return _article(
        wire, category_id=category_id, translations=translations, attachments=attachments
    )


def _article(
    wire: ZendeskArticle,
    *,
    category_id: str | None,
    translations: Any | None,
    attachments: Any | None,
) -> Article:
    source_locale = wire.source_locale or wire.locale
    article_translations = []
    if translations is not None:
        for translation in parse_wire_list(
            ZendeskTranslation,
            translations,
            key="translations",
            platform=PLATFORM,
            what="translation",
        ):
            if translation.locale == source_locale:
                continue
            article_translations.append(
                ArticleTranslation(
                    locale=translation.locale,
                    title=translation.title,
                    html_body=translation.body or "",
                    status="draft" if translation.draft else "published",
                )
            )
    article_attachments = []
    if attachments is not None:
        article_attachments = [
            _attachment(a)
            for a in parse_wire_list(
                ZendeskAttachment,
                attachments,
                key="article_attachments",
                platform=PLATFORM,
                what="article attachment",
            )
        ]
    return Article(
        source_id=as_source_id(wire.id),
        updated_at=wire.updated_at,
        created_at=wire.created_at,
        title=wire.title,
        html_body=wire.body or "",
        status="draft" if wire.draft else "published",
        author_id=optional_source_id(wire.author_id),
        category_id=category_id,
        section_id=as_source_id(wire.section_id),
        locale=source_locale,
        tags=wire.label_names,
        translations=article_translations,
        attachments=article_attachments,
    )


def articles_from_zendesk(payload: Any) -> list[Article]:
    """Articles of a list or incremental export page (translations read separately)."""
    items = envelope_items(payload, key="articles", platform=PLATFORM, what="article")
    return [
        _article(
            parse_wire(
                ZendeskArticle, item, platform=PLATFORM, what="article", path=f"articles[{index}]"
            ),
            category_id=None,
            translations=None,
            attachments=None,
        )
        for index, item in enumerate(items)
    ]


# --------------------------------------------------------------------------- writing


def zendesk_id(value: str | None, *, field: str, record: str) -> int | None:
    """A reference as the integer id Zendesk wants; :class:`InvalidRecordError` otherwise."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: %(field)s '%(value)s' is not a Zendesk id."),
                {"record": record, "field": field, "value": str(value)},
            ),
            detail=field,
        ) from None


def zendesk_ids(values: Iterable[str], *, field: str, record: str) -> list[int]:
    return [
        identifier
        for value in values
        if (identifier := zendesk_id(value, field=field, record=record)) is not None
    ]


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _with_marker(tags: Sequence[str], marker: str) -> list[str]:
    return [*tags, marker] if marker and marker not in tags else list(tags)


_SYSTEM_STATUS_KEYS = {key for key, _name in SYSTEM_STATUSES}


def comment_to_zendesk(
    comment: Comment, *, upload_tokens: Sequence[str] = (), record: str = "comment"
) -> dict[str, Any]:
    """A comment of a ticket import (author and date kept)."""
    return _without_none(
        {
            "author_id": zendesk_id(comment.author_id, field="author_id", record=record),
            "created_at": _timestamp(comment.created_at),
            "public": comment.public,
            "html_body": comment.html_body or text_to_html(comment.text_body) or "<p></p>",
            "uploads": list(upload_tokens) or None,
        }
    )


def ticket_to_zendesk_import(
    ticket: Ticket,
    *,
    marker: str,
    upload_tokens: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Body of ``POST /api/v2/imports/tickets``.

    Keeps the original dates and comment authors; the marker goes into
    ``external_id`` and the tags. ``upload_tokens`` maps a comment's source id to
    the tokens of its files uploaded beforehand (``POST /api/v2/uploads``).
    """
    record = f"ticket {ticket.source_id}"
    tokens = upload_tokens or {}
    status_fields: dict[str, Any] = {}
    if ticket.status in _SYSTEM_STATUS_KEYS:
        status_fields["status"] = ticket.status
    elif ticket.status is not None and ticket.status.isdigit():
        status_fields["custom_status_id"] = int(ticket.status)
    elif ticket.status_category is not None:
        status_fields["status"] = ticket.status_category.value
    custom_fields = []
    for key, value in ticket.custom_fields.items():
        if value is None:
            continue
        field_id = zendesk_id(key, field="custom field", record=record)
        custom_fields.append({"id": field_id, "value": value})
    solved = ticket.status_category in (StatusCategory.SOLVED, StatusCategory.CLOSED)
    body: dict[str, Any] = {
        "subject": ticket.subject,
        "requester_id": zendesk_id(ticket.requester_id, field="requester_id", record=record),
        "submitter_id": zendesk_id(ticket.submitter_id, field="submitter_id", record=record),
        "assignee_id": zendesk_id(ticket.assignee_id, field="assignee_id", record=record),
        "group_id": zendesk_id(ticket.group_id, field="group_id", record=record),
        "organization_id": zendesk_id(
            ticket.organization_id, field="organization_id", record=record
        ),
        **status_fields,
        "priority": ticket.priority,
        "type": ticket.type,
        "tags": _with_marker(ticket.tags, marker),
        "external_id": marker or None,
        "custom_fields": custom_fields or None,
        "collaborator_ids": zendesk_ids(ticket.cc_ids, field="cc_ids", record=record) or None,
        "collaborators": list(ticket.cc_emails) or None,
        "follower_ids": zendesk_ids(ticket.follower_ids, field="follower_ids", record=record)
        or None,
        "due_at": _timestamp(ticket.due_at),
        "created_at": _timestamp(ticket.created_at),
        "updated_at": _timestamp(ticket.updated_at),
        "solved_at": _timestamp(ticket.solved_at) if solved else None,
    }
    if ticket.requester_id is None and ticket.requester_email:
        # Zendesk finds the user by e-mail, or creates one named after the address.
        body["requester"] = {"name": ticket.requester_email, "email": ticket.requester_email}
    if ticket.comments:
        body["comments"] = [
            comment_to_zendesk(
                comment,
                upload_tokens=tokens.get(comment.source_id, ()),
                record=f"{record} comment {comment.source_id}",
            )
            for comment in ticket.comments
        ]
    else:
        body["description"] = ticket.description or ticket.subject
    return {"ticket": _without_none(body)}


def ticket_update_to_zendesk(ticket: Ticket) -> dict[str, Any]:
    """Body of ``PUT /api/v2/tickets/{id}`` for a delta run: fields only.

    Dates and existing comments cannot change after an import; closed tickets
    cannot be updated at all.
    """
    body = ticket_to_zendesk_import(ticket, marker="")["ticket"]
    kept = {
        "subject",
        "status",
        "custom_status_id",
        "priority",
        "type",
        "assignee_id",
        "group_id",
        "organization_id",
        "custom_fields",
        "due_at",
    }
    fields = {key: value for key, value in body.items() if key in kept}
    fields["tags"] = list(ticket.tags)
    return {"ticket": fields}


def user_to_zendesk(user: Agent | Contact, *, marker: str) -> dict[str, Any]:
    """Body of ``POST /api/v2/users``; verified so Zendesk sends no verification e-mail."""
    record = f"user {user.source_id}"
    body: dict[str, Any] = {
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "external_id": marker,
        "verified": True,
    }
    if isinstance(user, Agent):
        body["role"] = "admin" if user.role == "admin" else "agent"
        if user.group_ids:
            body["default_group_id"] = zendesk_id(
                user.group_ids[0], field="group_ids", record=record
            )
        if not user.active:
            body["suspended"] = True
    else:
        body["role"] = "end-user"
        body["organization_id"] = zendesk_id(
            user.organization_id, field="organization_id", record=record
        )
        body["tags"] = list(user.tags) or None
        body["user_fields"] = dict(user.custom_fields) or None
        if user.other_emails:
            # The first identity becomes the primary address.
            body.pop("email")
            body["identities"] = [{"type": "email", "value": email} for email in user.all_emails]
    return {"user": _without_none(body)}


def organization_to_zendesk(organization: Organization, *, marker: str) -> dict[str, Any]:
    body = {
        "name": organization.name,
        "domain_names": list(organization.domains),
        "details": organization.description or None,
        "notes": organization.notes or None,
        "tags": list(organization.tags),
        "external_id": marker,
        "organization_fields": dict(organization.custom_fields) or None,
    }
    return {"organization": _without_none(body)}


def group_to_zendesk(group: Group) -> dict[str, Any]:
    """Groups have no external id: they are found again by name."""
    return {"group": _without_none({"name": group.name, "description": group.description or None})}


def category_to_zendesk(category: ArticleCategory, *, locale: str) -> dict[str, Any]:
    body = {
        "name": category.name,
        "description": category.description,
        "locale": category.locale or locale,
        "position": category.position,
    }
    return {"category": _without_none(body)}


def section_to_zendesk(section: ArticleSection, *, locale: str) -> dict[str, Any]:
    """Body of ``POST /api/v2/help_center/categories/{category_id}/sections``."""
    record = f"section {section.source_id}"
    body = {
        "name": section.name,
        "description": section.description,
        "locale": section.locale or locale,
        "position": section.position,
        "parent_section_id": zendesk_id(
            section.parent_section_id, field="parent_section_id", record=record
        ),
    }
    return {"section": _without_none(body)}


def article_to_zendesk(
    article: Article,
    *,
    marker: str,
    permission_group_id: int,
    user_segment_id: int | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """Body of ``POST /api/v2/help_center/{locale}/sections/{section_id}/articles``.

    ``user_segment_id`` ``None`` makes the article visible to everyone; subscribers
    are not notified of migrated articles.
    """
    record = f"article {article.source_id}"
    if article.status not in ("draft", "published"):
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: status '%(status)s' is not a Zendesk article status."),
                {"record": record, "status": str(article.status)},
            ),
            detail="status",
        )
    labels = _with_marker(article.tags, marker)
    body = {
        "title": article.title,
        "body": article.html_body,
        "locale": article.locale or locale,
        "draft": article.status == "draft",
        "author_id": zendesk_id(article.author_id, field="author_id", record=record),
        "label_names": labels,
        "permission_group_id": permission_group_id,
        "user_segment_id": user_segment_id,
    }
    article_body = _without_none(body)
    # null is meaningful here: visible to everyone.
    article_body["user_segment_id"] = user_segment_id
    return {"article": article_body, "notify_subscribers": False}


def article_translation_to_zendesk(
    translation: ArticleTranslation, *, article_status: str
) -> dict[str, Any]:
    """Body of ``POST /api/v2/help_center/articles/{id}/translations``."""
    status = translation.status or article_status
    return {
        "translation": {
            "locale": translation.locale,
            "title": translation.title,
            "body": translation.html_body,
            "draft": status == "draft",
        }
    }
