"""Halo REST API JSON <-> canonical records. Pure functions, no HTTP.

Resources (``/api/<Resource>``) and how their lists answer, with ``pageinate=true``,
``page_size`` and ``page_no``: ``{"page_no", "page_size", "record_count", "<key>": [...]}``.

========================  ================  ==============================================
canonical                 resource          list key
========================  ================  ==============================================
organizations             ``Client``        ``clients``
groups                    ``Team``          ``teams``
agents                    ``Agent``         ``agents``
contacts                  ``Users``         ``users``
tickets                   ``Tickets``       ``tickets``
comments                  ``Actions``       ``actions`` (``?ticket_id=``)
attachments               ``Attachment``    ``attachments`` (``?ticket_id=``)
article categories        ``FAQLists``      ``faqlists`` (top level, ``parent_id`` 0)
article sections          ``FAQLists``      ``faqlists`` (under another list)
articles                  ``KBArticle``     ``articles``
========================  ================  ==============================================

``Status``, ``Priority``, ``TicketType`` and ``FieldInfo`` answer plain arrays. Writes are
``POST /api/<Resource>`` with a JSON array of objects; an object with an ``id`` updates
that record.

Where the public reference is silent, these conventions are followed:

* Status categories: Halo statuses carry no category. Id 1 is "New" and 9 "Closed" on every
  instance; the others are read from their names ("waiting", "hold", "resolved"…), an
  unknown one counting as open.
* Priorities are ranked by id, 1 being the most urgent (Halo's "Critical").
* Custom field types (``FieldInfo.type``): 0 text (``inputtype`` 1 integer, 2 decimal),
  1 memo, 2 single choice, 3 multiple choice, 4 date, 6 checkbox; choices in ``values``
  (``{"id", "name"}``), a ticket's values in ``customfields`` (``{"id", "value"}``, choices
  by their name).
* Knowledge base article statuses: ``inactive`` marks an archived article, ``approved``
  false a draft; otherwise it is published.
* Markers: tickets keep the marker in ``third_party_id``, the slot Halo's integrations use
  for the id a ticket has elsewhere. Clients, teams and FAQ lists are found by name, agents
  and users by e-mail address.
* Agents, teams, users, clients and FAQ lists carry no date: the time they are read stands
  for their last change (a delta run reads them all again).
* Action authors: ``who`` is the name shown, ``who_type`` 1 for an agent (``who_agentid``)
  and 2 for an end user (``user_id``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

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
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    CustomField,
    CustomFieldOption,
    CustomFieldType,
    CustomFieldValue,
    FieldSchema,
    Group,
    Organization,
    PriorityOption,
    StatusCategory,
    StatusOption,
    Ticket,
    TypeOption,
    as_source_id,
    optional_source_id,
    text_to_html,
)
from connectors.wire import MalformedPayloadError, WireModel, WireT, envelope_items, parse_wire

PLATFORM = "Halo"

STATUS_NEW = 1
STATUS_CLOSED = 9
#: Words of a status name and the category they mean, first match wins.
STATUS_WORDS: tuple[tuple[str, StatusCategory], ...] = (
    ("hold", StatusCategory.HOLD),
    ("wait", StatusCategory.PENDING),
    ("pending", StatusCategory.PENDING),
    ("with user", StatusCategory.PENDING),
    ("customer", StatusCategory.PENDING),
    ("resolved", StatusCategory.SOLVED),
    ("solved", StatusCategory.SOLVED),
    ("closed", StatusCategory.CLOSED),
    ("new", StatusCategory.NEW),
)

ARTICLE_DRAFT = "draft"
ARTICLE_PUBLISHED = "published"
ARTICLE_ARCHIVED = "archived"
ARTICLE_STATUSES = (
    ArticleStatusOption(key=ARTICLE_DRAFT, name="Draft", category=ArticleStatusCategory.DRAFT),
    ArticleStatusOption(
        key=ARTICLE_PUBLISHED, name="Published", category=ArticleStatusCategory.PUBLISHED
    ),
    ArticleStatusOption(
        key=ARTICLE_ARCHIVED, name="Archived", category=ArticleStatusCategory.ARCHIVED
    ),
)

WHO_AGENT = 1
WHO_USER = 2
#: The outcome of the actions a migration writes.
OUTCOME_NOTE = "Note"

# FieldInfo.type and inputtype -> canonical type.
FIELD_TEXT = 0
FIELD_MEMO = 1
FIELD_SINGLE = 2
FIELD_MULTI = 3
FIELD_DATE = 4
FIELD_CHECKBOX = 6
INPUT_INTEGER = 1
INPUT_DECIMAL = 2


def status_category(status_id: int, name: str) -> StatusCategory:
    if status_id == STATUS_NEW:
        return StatusCategory.NEW
    if status_id == STATUS_CLOSED:
        return StatusCategory.CLOSED
    lowered = name.casefold()
    for word, category in STATUS_WORDS:
        if word in lowered:
            return category
    return StatusCategory.OPEN


def format_moment(moment: datetime) -> str:
    """A date as Halo writes it: ISO 8601 in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_moment(value: Any) -> datetime | None:
    """Halo's dates: ISO 8601, UTC when no zone is written."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- wire models


class HaloNamed(WireModel):
    id: int
    name: str = ""


class HaloStatus(HaloNamed):
    sequence: int | None = None


class HaloTeamRef(WireModel):
    team_id: int | None = None
    id: int | None = None


class HaloAgent(WireModel):
    id: int
    name: str = ""
    email: str | None = None
    isdisabled: bool = False
    is_deleted: bool = False
    teams: list[HaloTeamRef] = Field(default_factory=list)
    phonenumber: str | None = None


class HaloTeam(WireModel):
    id: int
    name: str
    inactive: bool = False
    description: str | None = None


class HaloClient(WireModel):
    id: int
    name: str
    inactive: bool = False
    notes: str | None = None
    website: str | None = None


class HaloUser(WireModel):
    id: int
    name: str = ""
    emailaddress: str | None = None
    phonenumber: str | None = None
    mobilenumber: str | None = None
    client_id: int | None = None
    inactive: bool = False


class HaloCustomValue(WireModel):
    id: int
    value: Any = None


class HaloTicket(WireModel):
    id: int
    summary: str = ""
    details: str | None = None
    status_id: int | None = None
    priority_id: int | None = None
    tickettype_id: int | None = None
    agent_id: int | None = None
    team_id: int | None = None
    client_id: int | None = None
    user_id: int | None = None
    user_email: str | None = None
    dateoccurred: datetime
    last_update: datetime | None = None
    deadlinedate: datetime | None = None
    third_party_id: str | None = None
    customfields: list[HaloCustomValue] = Field(default_factory=list)


class HaloAction(WireModel):
    id: int
    ticket_id: int
    outcome: str | None = None
    note: str | None = None
    note_html: str | None = None
    hiddenfromuser: bool = False
    who: str | None = None
    who_type: int | None = None
    who_agentid: int | None = None
    user_id: int | None = None
    emailfrom: str | None = None
    datetime: datetime


class HaloAttachment(WireModel):
    id: int
    filename: str
    filesize: int | None = None
    ticket_id: int | None = None
    action_id: int | None = None
    contenttype: str | None = None


class HaloFaqList(WireModel):
    id: int
    name: str
    parent_id: int | None = None
    sequence: int | None = None


class HaloFaqRef(WireModel):
    id: int


class HaloArticle(WireModel):
    id: int
    name: str
    description: str | None = None
    faqlists: list[HaloFaqRef] = Field(default_factory=list)
    inactive: bool = False
    approved: bool = True
    author_id: int | None = None
    datecreated: datetime | None = None
    last_update: datetime | None = None


class HaloFieldValue(WireModel):
    id: int
    name: str


class HaloFieldInfo(WireModel):
    id: int
    name: str
    label: str | None = None
    type: int = FIELD_TEXT
    inputtype: int = 0
    mandatory: bool = False
    inactive: bool = False
    values: list[HaloFieldValue] = Field(default_factory=list)


# --------------------------------------------------------------------------- envelopes


def list_items(payload: Any, *, key: str, what: str) -> list[Any]:
    """The records of a list answer: ``payload[key]``, or the payload when it is an array."""
    if isinstance(payload, list):
        return payload
    return envelope_items(payload, key=key, platform=PLATFORM, what=what)


def record_count(payload: Any, *, what: str) -> int:
    count = payload.get("record_count") if isinstance(payload, Mapping) else None
    if not isinstance(count, int) or isinstance(count, bool):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s returned a %(what)s list without 'record_count'."),
                {"platform": PLATFORM, "what": what},
            ),
            field="record_count",
        )
    return count


def created_record(payload: Any, *, what: str) -> dict[str, Any]:
    """The record a ``POST`` of one object answers (an object, or an array of one)."""
    record = payload[0] if isinstance(payload, list) and len(payload) == 1 else payload
    if not isinstance(record, dict) or not isinstance(record.get("id"), int):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s saved a %(what)s without saying its id."),
                {"platform": PLATFORM, "what": what},
            ),
            field="id",
        )
    return record


def _parse_list(model: type[WireT], items: Sequence[Any], *, key: str, what: str) -> list[WireT]:
    return [
        parse_wire(model, item, platform=PLATFORM, what=what, path=f"{key}[{index}]")
        for index, item in enumerate(items)
    ]


# --------------------------------------------------------------------------- reading people


def agent_from_halo(payload: Any, *, read_at: datetime) -> Agent:
    wire = parse_wire(HaloAgent, payload, platform=PLATFORM, what="agent")
    return _agent(wire, read_at=read_at)


def agents_from_halo(items: Sequence[Any], *, read_at: datetime) -> list[Agent]:
    wires = _parse_list(HaloAgent, items, key="agents", what="agent")
    return [_agent(wire, read_at=read_at) for wire in wires]


def _agent(wire: HaloAgent, *, read_at: datetime) -> Agent:
    teams = [ref.team_id or ref.id for ref in wire.teams]
    return Agent(
        source_id=as_source_id(wire.id),
        updated_at=read_at,
        name=wire.name or wire.email or str(wire.id),
        email=wire.email or None,
        active=not wire.isdisabled,
        deleted=wire.is_deleted,
        group_ids=[str(team) for team in teams if team],
        phone=wire.phonenumber or None,
    )


def group_from_halo(payload: Any, *, read_at: datetime) -> Group:
    wire = parse_wire(HaloTeam, payload, platform=PLATFORM, what="team")
    return _group(wire, read_at=read_at)


def groups_from_halo(items: Sequence[Any], *, read_at: datetime) -> list[Group]:
    wires = _parse_list(HaloTeam, items, key="teams", what="team")
    return [_group(wire, read_at=read_at) for wire in wires]


def _group(wire: HaloTeam, *, read_at: datetime) -> Group:
    return Group(
        source_id=as_source_id(wire.id),
        updated_at=read_at,
        name=wire.name,
        description=wire.description or "",
        deleted=wire.inactive,
    )


def organization_from_halo(payload: Any, *, read_at: datetime) -> Organization:
    wire = parse_wire(HaloClient, payload, platform=PLATFORM, what="client")
    return _organization(wire, read_at=read_at)


def organizations_from_halo(items: Sequence[Any], *, read_at: datetime) -> list[Organization]:
    wires = _parse_list(HaloClient, items, key="clients", what="client")
    return [_organization(wire, read_at=read_at) for wire in wires]


def _organization(wire: HaloClient, *, read_at: datetime) -> Organization:
    domain = (wire.website or "").split("://")[-1].strip("/")
    return Organization(
        source_id=as_source_id(wire.id),
        updated_at=read_at,
        name=wire.name,
        notes=wire.notes or "",
        domains=[domain] if domain else [],
    )


def contact_from_halo(payload: Any, *, read_at: datetime) -> Contact:
    wire = parse_wire(HaloUser, payload, platform=PLATFORM, what="user")
    return _contact(wire, read_at=read_at)


def contacts_from_halo(items: Sequence[Any], *, read_at: datetime) -> list[Contact]:
    wires = _parse_list(HaloUser, items, key="users", what="user")
    return [_contact(wire, read_at=read_at) for wire in wires]


def _contact(wire: HaloUser, *, read_at: datetime) -> Contact:
    return Contact(
        source_id=as_source_id(wire.id),
        updated_at=read_at,
        name=wire.name or wire.emailaddress or str(wire.id),
        email=wire.emailaddress or None,
        phone=wire.phonenumber or None,
        mobile=wire.mobilenumber or None,
        organization_id=optional_source_id(wire.client_id or None),
        active=not wire.inactive,
    )


# --------------------------------------------------------------------------- reading tickets


def _attachment(wire: HaloAttachment, *, download_url: str) -> Attachment:
    return Attachment(
        source_id=as_source_id(wire.id),
        file_name=wire.filename,
        content_type=wire.contenttype or "application/octet-stream",
        size=wire.filesize,
        url=download_url,
    )


def attachments_from_halo(
    items: Sequence[Any], *, url_of: Callable[[int], str]
) -> list[tuple[int | None, Attachment]]:
    """``(action id, attachment)`` of a ticket's attachments; ``url_of(id)`` gives the download
    address (``/api/Attachment/{id}``)."""
    wires = _parse_list(HaloAttachment, items, key="attachments", what="attachment")
    return [
        (wire.action_id or None, _attachment(wire, download_url=url_of(wire.id))) for wire in wires
    ]


def _comment(wire: HaloAction, attachments: list[Attachment]) -> Comment:
    kind = AuthorKind.UNKNOWN
    author: int | None = None
    if wire.who_type == WHO_AGENT:
        kind, author = AuthorKind.AGENT, wire.who_agentid
    elif wire.who_type == WHO_USER:
        kind, author = AuthorKind.CONTACT, wire.user_id
    html_body = wire.note_html or ""
    return Comment(
        source_id=as_source_id(wire.id),
        author_id=optional_source_id(author or None),
        author_kind=kind,
        author_name=wire.who or None,
        author_email=wire.emailfrom or None,
        public=not wire.hiddenfromuser,
        html_body=html_body,
        text_body="" if html_body else (wire.note or ""),
        created_at=wire.datetime,
        attachments=attachments,
    )


def ticket_from_halo(
    payload: Any,
    *,
    actions: Sequence[Any],
    attachments: Sequence[tuple[int | None, Attachment]],
    categories: Mapping[int, StatusCategory],
    read_at: datetime,
) -> Ticket:
    """A ticket with its actions as comments: the first comment is the ticket's ``details``
    with the attachments of no action; ``categories`` gives each status id its category."""
    wire = parse_wire(HaloTicket, payload, platform=PLATFORM, what="ticket")
    by_action: dict[int | None, list[Attachment]] = {}
    for action_id, attachment in attachments:
        by_action.setdefault(action_id, []).append(attachment)
    action_wires = _parse_list(HaloAction, actions, key="actions", what="action")
    action_wires.sort(key=lambda action: (action.datetime, action.id))
    comments = [_comment(action, by_action.get(action.id, [])) for action in action_wires]
    opening = Comment(
        source_id=f"ticket-{wire.id}",
        author_id=optional_source_id(wire.user_id or None),
        author_kind=AuthorKind.CONTACT if wire.user_id else AuthorKind.UNKNOWN,
        author_email=wire.user_email or None,
        public=True,
        html_body=wire.details or "",
        text_body="" if wire.details else " ",
        created_at=wire.dateoccurred,
        attachments=by_action.get(None, []),
    )
    status = wire.status_id
    custom: dict[str, CustomFieldValue] = {}
    for item in wire.customfields:
        value = item.value
        if isinstance(value, list):
            custom[str(item.id)] = [str(entry) for entry in value]
        elif value is None or isinstance(value, str | bool | int | float):
            custom[str(item.id)] = value
    return Ticket(
        source_id=as_source_id(wire.id),
        updated_at=wire.last_update or read_at,
        created_at=wire.dateoccurred,
        subject=wire.summary,
        description=opening.text_body.strip(),
        status=optional_source_id(status),
        status_category=categories.get(status, StatusCategory.OPEN) if status else None,
        priority=optional_source_id(wire.priority_id or None),
        type=optional_source_id(wire.tickettype_id or None),
        requester_id=optional_source_id(wire.user_id or None),
        requester_email=wire.user_email or None,
        assignee_id=optional_source_id(wire.agent_id or None),
        group_id=optional_source_id(wire.team_id or None),
        organization_id=optional_source_id(wire.client_id or None),
        custom_fields=custom,
        due_at=wire.deadlinedate,
        comments=[opening, *comments],
    )


def ticket_row_from_halo(payload: Any, *, path: str) -> HaloTicket:
    return parse_wire(HaloTicket, payload, platform=PLATFORM, what="ticket", path=path)


# --------------------------------------------------------------------------- field schema


def _custom_field(wire: HaloFieldInfo) -> CustomField:
    match wire.type:
        case 1:
            kind = CustomFieldType.TEXTAREA
        case 2:
            kind = CustomFieldType.DROPDOWN
        case 3:
            kind = CustomFieldType.MULTISELECT
        case 4:
            kind = CustomFieldType.DATE
        case 6:
            kind = CustomFieldType.CHECKBOX
        case _ if wire.inputtype == INPUT_INTEGER:
            kind = CustomFieldType.INTEGER
        case _ if wire.inputtype == INPUT_DECIMAL:
            kind = CustomFieldType.DECIMAL
        case _:
            kind = CustomFieldType.TEXT
    choices = kind in (CustomFieldType.DROPDOWN, CustomFieldType.MULTISELECT)
    return CustomField(
        key=str(wire.id),
        title=wire.label or wire.name,
        type=kind,
        options=[CustomFieldOption(key=value.name, name=value.name) for value in wire.values]
        if choices
        else [],
        required=wire.mandatory,
        active=not wire.inactive,
    )


def field_schema_from_halo(
    *, statuses: Any, priorities: Any, types: Any, fields: Any
) -> FieldSchema:
    """Statuses, priorities, ticket types and custom fields read from the instance
    (``/api/Status``, ``/api/Priority``, ``/api/TicketType``, ``/api/FieldInfo``)."""
    status_wires = _parse_list(
        HaloStatus, list_items(statuses, key="statuses", what="status"), key="statuses",
        what="status",
    )  # fmt: skip
    priority_wires = _parse_list(
        HaloNamed, list_items(priorities, key="priorities", what="priority"), key="priorities",
        what="priority",
    )  # fmt: skip
    type_wires = _parse_list(
        HaloNamed, list_items(types, key="tickettypes", what="ticket type"), key="tickettypes",
        what="ticket type",
    )  # fmt: skip
    field_wires = _parse_list(
        HaloFieldInfo, list_items(fields, key="fields", what="field"), key="fields", what="field"
    )
    seen: set[StatusCategory] = set()
    status_options = []
    for wire in sorted(status_wires, key=lambda s: (s.sequence or 0, s.id)):
        category = status_category(wire.id, wire.name)
        status_options.append(
            StatusOption(
                key=str(wire.id), name=wire.name, category=category, default=category not in seen
            )
        )
        seen.add(category)
    # Halo's priority 1 is the most urgent: the highest rank goes to the lowest id.
    ordered = sorted(priority_wires, key=lambda wire: wire.id, reverse=True)
    return FieldSchema(
        statuses=status_options,
        priorities=[
            PriorityOption(key=str(wire.id), name=wire.name, rank=rank)
            for rank, wire in enumerate(ordered, start=1)
        ],
        types=[TypeOption(key=str(wire.id), name=wire.name) for wire in type_wires],
        custom_fields=[_custom_field(wire) for wire in field_wires],
        article_statuses=list(ARTICLE_STATUSES),
    )


def status_categories(schema: FieldSchema) -> dict[int, StatusCategory]:
    return {int(option.key): option.category for option in schema.statuses}


# --------------------------------------------------------------------------- reading the KB


def faq_lists_from_halo(items: Sequence[Any]) -> list[HaloFaqList]:
    return _parse_list(HaloFaqList, items, key="faqlists", what="FAQ list")


def faq_list_from_halo(payload: Any) -> HaloFaqList:
    return parse_wire(HaloFaqList, payload, platform=PLATFORM, what="FAQ list")


def category_from_halo(wire: HaloFaqList, *, read_at: datetime) -> ArticleCategory:
    return ArticleCategory(
        source_id=as_source_id(wire.id), updated_at=read_at, name=wire.name, position=wire.sequence
    )


def section_from_halo(
    wire: HaloFaqList, *, parents: Mapping[int, int], read_at: datetime
) -> ArticleSection:
    """A FAQ list under another: its category is the top of its chain, its parent section
    the list above it when that one is not the top."""
    root = wire.id
    chain = 0
    while parents.get(root) and chain < 50:
        root = parents[root]
        chain += 1
    parent = wire.parent_id or None
    return ArticleSection(
        source_id=as_source_id(wire.id),
        updated_at=read_at,
        name=wire.name,
        category_id=as_source_id(root),
        parent_section_id=optional_source_id(parent) if parent and parent != root else None,
        position=wire.sequence,
    )


def article_status(wire: HaloArticle) -> str:
    if wire.inactive:
        return ARTICLE_ARCHIVED
    return ARTICLE_PUBLISHED if wire.approved else ARTICLE_DRAFT


def article_from_halo(
    payload: Any, *, parents: Mapping[int, int], read_at: datetime, path: str = "article"
) -> Article:
    wire = parse_wire(HaloArticle, payload, platform=PLATFORM, what="article", path=path)
    if not wire.faqlists:
        raise MalformedPayloadError(
            Message(
                gettext_noop(
                    "%(platform)s returned an article without a FAQ list: field "
                    "'%(path)s.faqlists'."
                ),
                {"platform": PLATFORM, "path": path},
            ),
            field=f"{path}.faqlists",
        )
    section = wire.faqlists[0].id
    root = section
    while parents.get(root):
        root = parents[root]
    return Article(
        source_id=as_source_id(wire.id),
        updated_at=wire.last_update or read_at,
        created_at=wire.datecreated,
        title=wire.name,
        html_body=wire.description or "",
        status=article_status(wire),
        author_id=optional_source_id(wire.author_id or None),
        category_id=as_source_id(root),
        section_id=as_source_id(section),
    )


# --------------------------------------------------------------------------- writing


def halo_id(value: str | None, *, field: str, record: str) -> int | None:
    """A reference as Halo's integer id; a clear refusal for anything else."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: %(field)s '%(value)s' is not a Halo id."),
                {"record": record, "field": field, "value": str(value)},
            ),
            detail=field,
        ) from None


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def client_to_halo(organization: Organization) -> dict[str, Any]:
    domain = next(iter(organization.domains), None)
    return _without_none(
        {
            "name": organization.name,
            "notes": organization.notes or organization.description or None,
            "website": f"https://{domain}" if domain else None,
        }
    )


def team_to_halo(group: Group) -> dict[str, Any]:
    return {"name": group.name, "description": group.description, "inactive": False}


def agent_to_halo(agent: Agent, *, team_ids: Sequence[int]) -> dict[str, Any]:
    """An agent created by the migration: no licence and no password, so it cannot sign in
    until an administrator decides."""
    if not agent.email:
        raise InvalidRecordError(
            Message(
                gettext_noop(
                    "agent %(source_id)s: Halo needs an e-mail address to create an agent."
                ),
                {"source_id": agent.source_id},
            ),
            detail="email",
        )
    return _without_none(
        {
            "name": agent.name or agent.email,
            "email": agent.email,
            "isdisabled": not agent.active,
            "phonenumber": agent.phone,
            "teams": [{"team_id": team} for team in team_ids],
        }
    )


def user_to_halo(contact: Contact, *, client_id: int | None) -> dict[str, Any]:
    if not contact.email and not contact.name.strip():
        raise InvalidRecordError(
            Message(
                gettext_noop("contact %(source_id)s: Halo needs a name or an e-mail address."),
                {"source_id": contact.source_id},
            ),
            detail="name",
        )
    return _without_none(
        {
            "name": contact.name.strip() or contact.email,
            "emailaddress": contact.email or "",
            "phonenumber": contact.phone,
            "mobilenumber": contact.mobile,
            "client_id": client_id,
            "inactive": not contact.active,
        }
    )


def custom_fields_to_halo(
    values: Mapping[str, CustomFieldValue], *, record: str
) -> list[dict[str, Any]]:
    return [
        {"id": halo_id(key, field="custom field", record=record), "value": value}
        for key, value in values.items()
        if value is not None
    ]


def ticket_to_halo(
    ticket: Ticket, *, status_id: int | None, marker: str | None, details_html: str
) -> dict[str, Any]:
    """``POST /api/Tickets``: the opening comment is the ticket's details; the ticket keeps
    its date. ``marker`` goes into ``third_party_id`` (None leaves it as it is)."""
    record = f"ticket {ticket.source_id}"
    body: dict[str, Any] = {
        "summary": ticket.subject or "(no subject)",
        "details_html": details_html,
        "dateoccurred": format_moment(ticket.created_at),
        "status_id": status_id,
        "priority_id": halo_id(ticket.priority, field="priority", record=record),
        "tickettype_id": halo_id(ticket.type, field="type", record=record),
        "agent_id": halo_id(ticket.assignee_id, field="assignee_id", record=record),
        "team_id": halo_id(ticket.group_id, field="group_id", record=record),
        "client_id": halo_id(ticket.organization_id, field="organization_id", record=record),
        "user_id": halo_id(ticket.requester_id, field="requester_id", record=record),
        "user_email": ticket.requester_email,
        "deadlinedate": format_moment(ticket.due_at) if ticket.due_at else None,
        "customfields": custom_fields_to_halo(ticket.custom_fields, record=record),
        # The import must not write to customers.
        "dont_do_rules": True,
        "sendack": False,
    }
    if marker is not None:
        body["third_party_id"] = marker
    return _without_none(body)


def action_to_halo(
    comment: Comment, *, ticket_id: int, agent_id: int | None, user_id: int | None
) -> dict[str, Any]:
    """``POST /api/Actions``: a note, hidden from the end user when the comment is private,
    with its original date and author's name."""
    who_type = None
    if agent_id is not None:
        who_type = WHO_AGENT
    elif user_id is not None:
        who_type = WHO_USER
    return _without_none(
        {
            "ticket_id": ticket_id,
            "outcome": OUTCOME_NOTE,
            "note_html": comment.html_body or text_to_html(comment.text_body) or "<p></p>",
            "hiddenfromuser": not comment.public,
            "datetime": format_moment(comment.created_at),
            "who": comment.author_name or comment.author_email,
            "who_type": who_type,
            "who_agentid": agent_id,
            "user_id": user_id,
            "emailfrom": comment.author_email,
            "sendemail": False,
        }
    )


def attachment_to_halo(
    *, file_name: str, content: bytes, ticket_id: int, action_id: int | None
) -> dict[str, Any]:
    """``POST /api/Attachment``: the file's bytes in base64 with the ticket (and action)."""
    return _without_none(
        {
            "filename": file_name,
            "ticket_id": ticket_id,
            "action_id": action_id,
            "data_base64": base64.b64encode(content).decode("ascii"),
        }
    )


def faq_list_to_halo(*, name: str, parent_id: int, sequence: int | None) -> dict[str, Any]:
    return _without_none({"name": name, "parent_id": parent_id, "sequence": sequence})


def article_to_halo(article: Article, *, faqlist_id: int) -> dict[str, Any]:
    """``POST /api/KBArticle`` (and its update): the status as ``inactive``/``approved``."""
    status = article.status
    if status not in (ARTICLE_DRAFT, ARTICLE_PUBLISHED, ARTICLE_ARCHIVED):
        raise InvalidRecordError(
            Message(
                gettext_noop(
                    "article %(source_id)s: status '%(status)s' is not a Halo article status."
                ),
                {"source_id": article.source_id, "status": str(status)},
            ),
            detail="status",
        )
    record = f"article {article.source_id}"
    return _without_none(
        {
            "name": article.title,
            "description": article.html_body or "<p></p>",
            "faqlists": [{"id": faqlist_id}],
            "inactive": status == ARTICLE_ARCHIVED,
            "approved": status != ARTICLE_DRAFT,
            "author_id": halo_id(article.author_id, field="author_id", record=record),
            "datecreated": format_moment(article.created_at) if article.created_at else None,
        }
    )
