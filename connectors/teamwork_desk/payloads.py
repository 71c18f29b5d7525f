"""Teamwork Desk (API v2) JSON <-> canonical records. Pure functions, no HTTP.

Teamwork Desk answers in a JSON:API-like shape: the records under their collection's
name (``{"tickets": [...]}``, ``{"ticket": {...}}``), related records as references
(``{"id": 7, "type": "customers"}``) whose contents come in ``included`` when the
request names them in ``includes``, and ``meta.page`` on lists. The converters take the
record and the ``included`` object of its answer.

Reads: tickets with their messages and notes (threads), files, customers, companies,
users (agents) and their pending invitations, ticket statuses, priorities and types,
help doc sites, categories and articles. Writes: bodies for customers, tickets,
messages, tags, file references, help doc sites, categories and articles.

Keys: ticket status, priority and type keys are Teamwork Desk's ids as strings; article
status keys are ``"draft"`` and ``"published"``. Help doc sites are the canonical article
categories, help doc categories the sections (nested through ``parent_id``).

Teamwork Desk cannot set dates or message authors: :func:`message_to_teamwork` starts
each message with its original date and author.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
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
    FieldSchema,
    Organization,
    PriorityOption,
    StatusCategory,
    StatusOption,
    Ticket,
    TypeOption,
    as_source_id,
    html_to_text,
    inline_images_from_html,
    optional_source_id,
    text_to_html,
)
from connectors.wire import MalformedPayloadError, WireModel, parse_wire, parse_wire_list

PLATFORM = "Teamwork Desk"

#: What each built-in status code means, whatever the site calls the status.
STATUS_CODE_CATEGORIES: dict[str, StatusCategory] = {
    "new": StatusCategory.NEW,
    "active": StatusCategory.OPEN,
    "waiting": StatusCategory.PENDING,
    "onhold": StatusCategory.HOLD,
    "solved": StatusCategory.SOLVED,
    "closed": StatusCategory.CLOSED,
}
ARTICLE_STATUSES = (
    ArticleStatusOption(key="draft", name="Draft", category=ArticleStatusCategory.DRAFT),
    ArticleStatusOption(
        key="published", name="Published", category=ArticleStatusCategory.PUBLISHED
    ),
)
#: What the API reads in ``status`` when an article is written.
ARTICLE_STATUS_NAMES = {"draft": "Draft", "published": "Published"}
#: Thread types of ticket messages: what customers and agents wrote, and private notes.
THREAD_MESSAGE = "message"
THREAD_NOTE = "note"
USER_TYPE = "users"
CUSTOMER_TYPE = "customers"
#: Characters (whitespace left out) that tell a migrated message from the others.
MESSAGE_KEY_CHARS = 160


def status_category(code: str | None) -> StatusCategory:
    # A custom status keeps the ticket open until someone acts on it.
    return STATUS_CODE_CATEGORIES.get((code or "").lower(), StatusCategory.OPEN)


# --------------------------------------------------------------------------- wire models


class TeamworkRef(WireModel):
    """A relationship: ``{"id": 7, "type": "customers"}``."""

    id: int
    type: str | None = None


class TeamworkUser(WireModel):
    id: int
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    role: str | None = None
    state: str = "active"
    createdAt: datetime | None = None
    updatedAt: datetime


class TeamworkAgentInvite(WireModel):
    id: int
    state: str
    user: TeamworkRef


class TeamworkContactValue(WireModel):
    """One address of a customer (``included.contacts``)."""

    id: int
    value: str | None = None
    isMain: bool = False


class TeamworkCustomer(WireModel):
    id: int
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    externalId: str | None = None
    notes: str | None = None
    company: TeamworkRef | None = None
    contacts: list[TeamworkRef] = Field(default_factory=list)
    state: str = "active"
    createdAt: datetime | None = None
    updatedAt: datetime


class TeamworkDomain(WireModel):
    id: int
    name: str


class TeamworkCompany(WireModel):
    id: int
    name: str
    description: str | None = None
    details: str | None = None
    domains: list[TeamworkRef] = Field(default_factory=list)
    createdAt: datetime | None = None
    updatedAt: datetime


class TeamworkFile(WireModel):
    id: int
    filename: str
    mimeType: str = "application/octet-stream"
    size: int | None = None
    disposition: str = "attachment"
    url: str


class TeamworkMessage(WireModel):
    id: int
    message: str = ""
    threadType: str = THREAD_MESSAGE
    createdBy: TeamworkRef | None = None
    files: list[TeamworkRef] = Field(default_factory=list)
    createdAt: datetime
    updatedAt: datetime | None = None
    state: str = "active"


class TeamworkTicket(WireModel):
    id: int
    subject: str | None = None
    inbox: TeamworkRef | None = None
    customer: TeamworkRef | None = None
    company: TeamworkRef | None = None
    agent: TeamworkRef | None = None
    status: TeamworkRef | None = None
    priority: TeamworkRef | None = None
    type: TeamworkRef | None = None
    source: TeamworkRef | None = None
    tags: list[TeamworkRef] = Field(default_factory=list)
    messages: list[TeamworkRef] = Field(default_factory=list)
    createdAt: datetime
    updatedAt: datetime
    state: str = "active"


class TeamworkNamed(WireModel):
    """A status, priority, type, source, tag or inbox: an id and a name."""

    id: int
    name: str
    code: str | None = None
    displayOrder: int | None = None


class TeamworkHelpDocSite(WireModel):
    id: int
    name: str
    description: str | None = None
    languageCode: str | None = None
    createdAt: datetime | None = None
    updatedAt: datetime


class TeamworkHelpDocCategory(WireModel):
    id: int
    name: str
    parent_id: int | None = None
    helpDocsSites_id: int
    displayOrder: int | None = None
    createdAt: datetime | None = None
    updatedAt: datetime


class TeamworkHelpDocArticle(WireModel):
    id: int
    title: str
    description: str | None = None
    contents: str | None = None
    status: str
    categories: list[int] = Field(default_factory=list)
    helpdocsite: TeamworkRef
    createdAt: datetime | None = None
    updatedAt: datetime


# --------------------------------------------------------------------------- envelopes


class Included:
    """The ``included`` object of an answer, by collection and id."""

    def __init__(self, payload: Any) -> None:
        self._items: dict[str, dict[int, dict[str, Any]]] = {}
        if not isinstance(payload, Mapping):
            return
        for collection, items in payload.items():
            if not isinstance(items, list):
                continue
            self._items[collection] = {
                item["id"]: item
                for item in items
                if isinstance(item, Mapping) and isinstance(item.get("id"), int)
            }

    def get(self, collection: str, ref: TeamworkRef | None) -> dict[str, Any] | None:
        if ref is None:
            return None
        return self._items.get(collection, {}).get(ref.id)

    def all(self, collection: str) -> list[dict[str, Any]]:
        return list(self._items.get(collection, {}).values())


def envelope_record(payload: Any, *, key: str, what: str) -> dict[str, Any]:
    """The record of a single answer (``{"ticket": {...}}``)."""
    record = payload.get(key) if isinstance(payload, Mapping) else None
    if not isinstance(record, dict):
        raise MalformedPayloadError(
            Message(
                gettext_noop(
                    "%(platform)s returned a %(what)s answer without the object '%(key)s'."
                ),
                {"platform": PLATFORM, "what": what, "key": key},
            ),
            field=key,
        )
    return record


def page_meta(payload: Any) -> tuple[int | None, bool]:
    """``(count, hasMore)`` from a list's ``meta.page``."""
    meta = payload.get("meta") if isinstance(payload, Mapping) else None
    page = meta.get("page") if isinstance(meta, Mapping) else None
    if not isinstance(page, Mapping) or not isinstance(page.get("hasMore"), bool):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s returned a list without 'meta.page.hasMore'."),
                {"platform": PLATFORM},
            ),
            field="meta.page",
        )
    count = page.get("count")
    return (count if isinstance(count, int) else None), page["hasMore"]


def person_name(first: str | None, last: str | None, *, fallback: str = "") -> str:
    return " ".join(part for part in (first or "", last or "") if part).strip() or fallback


# --------------------------------------------------------------------------- reading people


def pending_invited_user_ids(payload: Any) -> set[str]:
    """Users whose agent invitation is not accepted yet (``GET /agentinvites.json``)."""
    invites = parse_wire_list(
        TeamworkAgentInvite, payload, key="agentinvites", platform=PLATFORM, what="agent invite"
    )
    return {as_source_id(invite.user.id) for invite in invites if invite.state == "pending"}


def agent_from_teamwork(payload: Any, *, pending: set[str] | frozenset[str] = frozenset()) -> Agent:
    """A user; one whose invitation is ``pending`` has not become an active agent yet."""
    return _agent(parse_wire(TeamworkUser, payload, platform=PLATFORM, what="user"), pending)


def agents_from_teamwork(
    payload: Any, *, pending: set[str] | frozenset[str] = frozenset()
) -> list[Agent]:
    wires = parse_wire_list(TeamworkUser, payload, key="users", platform=PLATFORM, what="user")
    return [_agent(wire, pending) for wire in wires]


def _agent(wire: TeamworkUser, pending: set[str] | frozenset[str]) -> Agent:
    user_id = as_source_id(wire.id)
    deleted = wire.state == "deleted"
    return Agent(
        source_id=user_id,
        updated_at=wire.updatedAt,
        created_at=wire.createdAt,
        name=person_name(wire.firstName, wire.lastName, fallback=wire.email or user_id),
        email=wire.email,
        active=wire.state == "active" and user_id not in pending,
        deleted=deleted,
        role=wire.role,
    )


def contact_from_teamwork(payload: Any, *, included: Any = None) -> Contact:
    """A customer; its further addresses come from ``included.contacts``."""
    wire = parse_wire(TeamworkCustomer, payload, platform=PLATFORM, what="customer")
    return _contact(wire, Included(included))


def contacts_from_teamwork(payload: Any) -> list[Contact]:
    """A customers page with its ``included`` addresses."""
    wires = parse_wire_list(
        TeamworkCustomer, payload, key="customers", platform=PLATFORM, what="customer"
    )
    included = Included(payload.get("included"))
    return [_contact(wire, included) for wire in wires]


def _contact(wire: TeamworkCustomer, included: Included) -> Contact:
    addresses = [included.get("contacts", ref) for ref in wire.contacts]
    values = [
        address.get("value")
        for address in sorted(
            (address for address in addresses if address), key=lambda a: not a.get("isMain")
        )
    ]
    emails = [value for value in values if isinstance(value, str) and "@" in value]
    primary = wire.email or (emails[0] if emails else None)
    return Contact(
        source_id=as_source_id(wire.id),
        updated_at=wire.updatedAt,
        created_at=wire.createdAt,
        name=person_name(wire.firstName, wire.lastName, fallback=primary or ""),
        email=primary,
        other_emails=emails,
        phone=wire.phone or None,
        mobile=wire.mobile or None,
        organization_id=optional_source_id(wire.company.id if wire.company else None),
        deleted=wire.state == "deleted",
    )


def company_from_teamwork(payload: Any, *, included: Any = None) -> Organization:
    wire = parse_wire(TeamworkCompany, payload, platform=PLATFORM, what="company")
    return _company(wire, Included(included))


def companies_from_teamwork(payload: Any) -> list[Organization]:
    wires = parse_wire_list(
        TeamworkCompany, payload, key="companies", platform=PLATFORM, what="company"
    )
    included = Included(payload.get("included"))
    return [_company(wire, included) for wire in wires]


def _company(wire: TeamworkCompany, included: Included) -> Organization:
    domains = [included.get("domains", ref) for ref in wire.domains]
    return Organization(
        source_id=as_source_id(wire.id),
        updated_at=wire.updatedAt,
        created_at=wire.createdAt,
        name=wire.name,
        domains=[str(domain["name"]) for domain in domains if domain and domain.get("name")],
        description=wire.description or "",
        notes=wire.details or "",
    )


# --------------------------------------------------------------------------- reading tickets


def _attachment(wire: TeamworkFile) -> Attachment:
    return Attachment(
        source_id=as_source_id(wire.id),
        file_name=wire.filename,
        content_type=wire.mimeType,
        size=wire.size,
        url=wire.url,
        inline=wire.disposition == "attachment-inline",
    )


def _message(wire: TeamworkMessage, included: Included, *, path: str) -> Comment:
    files = []
    for index, ref in enumerate(wire.files):
        raw = included.get("files", ref)
        if raw is None:
            continue
        file_path = f"{path}.files[{index}]"
        files.append(
            _attachment(
                parse_wire(TeamworkFile, raw, platform=PLATFORM, what="file", path=file_path)
            )
        )
    listed = [attachment.url for attachment in files]
    author = wire.createdBy
    kind = AuthorKind.UNKNOWN
    name = email = None
    if author is not None and author.type == USER_TYPE:
        kind = AuthorKind.AGENT
        user = included.get("users", author) or {}
        name = person_name(user.get("firstName"), user.get("lastName")) or None
        email = user.get("email")
    elif author is not None and author.type == CUSTOMER_TYPE:
        kind = AuthorKind.CONTACT
        customer = included.get("customers", author) or {}
        name = person_name(customer.get("firstName"), customer.get("lastName")) or None
        email = customer.get("email")
    return Comment(
        source_id=as_source_id(wire.id),
        author_id=optional_source_id(author.id if author else None),
        author_kind=kind,
        author_name=name,
        author_email=email or None,
        public=wire.threadType != THREAD_NOTE,
        html_body=wire.message,
        created_at=wire.createdAt,
        updated_at=wire.updatedAt,
        attachments=[*files, *inline_images_from_html(wire.message, exclude_urls=listed)],
    )


def ticket_from_teamwork(payload: Any, *, included: Any = None) -> Ticket:
    """A ticket with its threads; ``included`` holds its messages, files, customer, users,
    tags and statuses (``includes=messages,files,customers,users,tags,ticketstatuses``)."""
    wire = parse_wire(TeamworkTicket, payload, platform=PLATFORM, what="ticket")
    return _ticket(wire, Included(included), path="ticket")


def tickets_from_teamwork(payload: Any) -> list[Ticket]:
    """A tickets page listed with the same ``includes``."""
    wires = parse_wire_list(
        TeamworkTicket, payload, key="tickets", platform=PLATFORM, what="ticket"
    )
    included = Included(payload.get("included"))
    return [_ticket(wire, included, path=f"tickets[{index}]") for index, wire in enumerate(wires)]


def _ticket(wire: TeamworkTicket, included: Included, *, path: str) -> Ticket:
    comments = []
    for index, ref in enumerate(wire.messages):
        raw = included.get("messages", ref)
        if raw is None:
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "%(platform)s returned a ticket whose message %(id)s is not included."
                    ),
                    {"platform": PLATFORM, "id": ref.id},
                ),
                field=f"{path}.messages[{index}]",
            )
        message_path = f"{path}.messages[{index}]"
        message = parse_wire(
            TeamworkMessage, raw, platform=PLATFORM, what="message", path=message_path
        )
        if message.state != "deleted":
            comments.append(_message(message, included, path=message_path))
    comments.sort(key=lambda comment: (comment.created_at, int(comment.source_id)))
    status = included.get("ticketstatuses", wire.status) or {}
    source = included.get("ticketsources", wire.source) or {}
    customer = included.get("customers", wire.customer) or {}
    tags = [included.get("tags", ref) for ref in wire.tags]
    opening = comments[0] if comments else None
    category = status_category(status.get("code")) if wire.status else None
    return Ticket(
        source_id=as_source_id(wire.id),
        updated_at=wire.updatedAt,
        created_at=wire.createdAt,
        subject=wire.subject or "",
        description=opening.text_body if opening else "",
        status=optional_source_id(wire.status.id if wire.status else None),
        status_category=category,
        priority=optional_source_id(wire.priority.id if wire.priority else None),
        type=optional_source_id(wire.type.id if wire.type else None),
        requester_id=optional_source_id(wire.customer.id if wire.customer else None),
        requester_email=customer.get("email") or None,
        assignee_id=optional_source_id(wire.agent.id if wire.agent else None),
        organization_id=optional_source_id(wire.company.id if wire.company else None),
        tags=[str(tag["name"]) for tag in tags if tag and tag.get("name")],
        channel=str(source["name"]).lower() if source.get("name") else None,
        comments=comments,
    )


def field_schema_from_teamwork(*, statuses: Any, priorities: Any, types: Any) -> FieldSchema:
    """Statuses, priorities and types from ``/ticketstatuses.json``, ``/ticketpriorities.json``
    and ``/tickettypes.json``; ranks follow each priority's ``displayOrder``."""
    status_wires = parse_wire_list(
        TeamworkNamed, statuses, key="ticketstatuses", platform=PLATFORM, what="ticket status"
    )
    priority_wires = parse_wire_list(
        TeamworkNamed, priorities, key="ticketpriorities", platform=PLATFORM, what="priority"
    )
    type_wires = parse_wire_list(
        TeamworkNamed, types, key="tickettypes", platform=PLATFORM, what="ticket type"
    )
    seen: set[StatusCategory] = set()
    status_options = []
    for wire in status_wires:
        category = status_category(wire.code)
        status_options.append(
            StatusOption(
                key=str(wire.id),
                name=wire.name,
                category=category,
                default=wire.code in STATUS_CODE_CATEGORIES and category not in seen,
            )
        )
        seen.add(category)
    ordered = sorted(priority_wires, key=lambda wire: (wire.displayOrder or 0, wire.id))
    return FieldSchema(
        statuses=status_options,
        priorities=[
            PriorityOption(key=str(wire.id), name=wire.name, rank=rank)
            for rank, wire in enumerate(ordered, start=1)
        ],
        types=[TypeOption(key=str(wire.id), name=wire.name) for wire in type_wires],
        article_statuses=list(ARTICLE_STATUSES),
    )


def named_from_teamwork(payload: Any, *, key: str, what: str) -> list[TeamworkNamed]:
    """The records of a list of named things (inboxes, tags…)."""
    return parse_wire_list(TeamworkNamed, payload, key=key, platform=PLATFORM, what=what)


# --------------------------------------------------------------------------- reading help docs


def help_doc_site_from_teamwork(payload: Any) -> ArticleCategory:
    return _site(parse_wire(TeamworkHelpDocSite, payload, platform=PLATFORM, what="help doc site"))


def help_doc_sites_from_teamwork(payload: Any) -> list[ArticleCategory]:
    wires = parse_wire_list(
        TeamworkHelpDocSite, payload, key="helpdocssites", platform=PLATFORM, what="help doc site"
    )
    return [_site(wire) for wire in wires]


def _site(wire: TeamworkHelpDocSite) -> ArticleCategory:
    return ArticleCategory(
        source_id=as_source_id(wire.id),
        updated_at=wire.updatedAt,
        created_at=wire.createdAt,
        name=wire.name,
        description=wire.description or "",
        locale=wire.languageCode or None,
    )


def help_doc_category_from_teamwork(payload: Any) -> ArticleSection:
    wire = parse_wire(TeamworkHelpDocCategory, payload, platform=PLATFORM, what="help doc category")
    return _category(wire)


def help_doc_categories_from_teamwork(payload: Any) -> list[ArticleSection]:
    wires = parse_wire_list(
        TeamworkHelpDocCategory,
        payload,
        key="helpdocscategories",
        platform=PLATFORM,
        what="help doc category",
    )
    return [_category(wire) for wire in wires]


def _category(wire: TeamworkHelpDocCategory) -> ArticleSection:
    return ArticleSection(
        source_id=as_source_id(wire.id),
        updated_at=wire.updatedAt,
        created_at=wire.createdAt,
        name=wire.name,
        category_id=as_source_id(wire.helpDocsSites_id),
        parent_section_id=optional_source_id(wire.parent_id),
        position=wire.displayOrder,
    )


def help_doc_article_from_teamwork(payload: Any) -> Article:
    wire = parse_wire(TeamworkHelpDocArticle, payload, platform=PLATFORM, what="help doc article")
    return _article(wire, path="help doc article")


def help_doc_articles_from_teamwork(payload: Any) -> list[Article]:
    wires = parse_wire_list(
        TeamworkHelpDocArticle,
        payload,
        key="helpdocarticles",
        platform=PLATFORM,
        what="help doc article",
    )
    return [_article(wire, path=f"helpdocarticles[{index}]") for index, wire in enumerate(wires)]


def _article(wire: TeamworkHelpDocArticle, *, path: str) -> Article:
    if not wire.categories:
        raise MalformedPayloadError(
            Message(
                gettext_noop(
                    "%(platform)s returned a help doc article without a category: field "
                    "'%(path)s.categories'."
                ),
                {"platform": PLATFORM, "path": path},
            ),
            field=f"{path}.categories",
        )
    body = wire.contents or ""
    return Article(
        source_id=as_source_id(wire.id),
        updated_at=wire.updatedAt,
        created_at=wire.createdAt,
        title=wire.title,
        html_body=body,
        status=wire.status.lower(),
        category_id=as_source_id(wire.helpdocsite.id),
        section_id=as_source_id(wire.categories[0]),
        attachments=inline_images_from_html(body),
    )


# --------------------------------------------------------------------------- writing


def teamwork_id(value: str | None, *, field: str, record: str) -> int | None:
    """A reference as Teamwork Desk's integer id; a clear refusal for anything else."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: %(field)s '%(value)s' is not a Teamwork Desk id."),
                {"record": record, "field": field, "value": str(value)},
            ),
            detail=field,
        ) from None


def ref(value: int) -> dict[str, int]:
    return {"id": value}


def split_name(name: str) -> tuple[str, str]:
    """First and last name, as Teamwork Desk keeps them."""
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def customer_to_teamwork(contact: Contact, *, marker: str) -> dict[str, Any]:
    """Body of ``POST /customers.json``; the marker goes into ``externalId``."""
    if not contact.email and not (contact.name or "").strip():
        raise InvalidRecordError(
            Message(
                gettext_noop(
                    "contact %(source_id)s: Teamwork Desk needs an e-mail address or a name."
                ),
                {"source_id": contact.source_id},
            ),
            detail="email",
        )
    first, last = split_name(contact.name or "")
    customer: dict[str, Any] = {
        "firstName": first or (contact.email or "").split("@")[0],
        "lastName": last,
        "email": contact.email or "",
        "phone": contact.phone or "",
        "mobile": contact.mobile or "",
    }
    if marker:
        customer["externalId"] = marker
    return {"customer": customer}


def _format_date(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def message_header(comment: Comment) -> str:
    """First line of a migrated message: its original date and author."""
    author = comment.author_name or comment.author_email
    if comment.author_name and comment.author_email:
        author = f"{comment.author_name} <{comment.author_email}>"
    text = f"On {_format_date(comment.created_at)}" + (f", {author} wrote:" if author else ":")
    return f'<p class="migrated-original-date">{html.escape(text)}</p>'


def message_html(comment: Comment) -> str:
    """A comment's body as migrated: the header, then the original HTML."""
    return message_header(comment) + (comment.html_body or text_to_html(comment.text_body))


def message_key(body: str) -> str:
    """The start of a message's text without whitespace: how a migrated message is told
    from the others of its ticket (its first line carries its date and author)."""
    return re.sub(r"\s+", "", html_to_text(body))[:MESSAGE_KEY_CHARS]


def message_to_teamwork(comment: Comment, *, file_ids: Sequence[int] = ()) -> dict[str, Any]:
    """Body of ``POST /tickets/{id}/messages.json``: public comments as messages, private
    ones as notes."""
    body: dict[str, Any] = {
        "message": message_html(comment),
        "threadType": THREAD_MESSAGE if comment.public else THREAD_NOTE,
        "editMethod": "html",
    }
    if file_ids:
        body["files"] = [ref(file_id) for file_id in file_ids]
    return body


def attachments_note_to_teamwork(*, label: str, file_ids: Sequence[int]) -> dict[str, Any]:
    """A private note carrying attachments that did not fit in their message."""
    text = f"Attachments of {label}."
    return {
        "message": f"<p>{html.escape(text)}</p>",
        "threadType": THREAD_NOTE,
        "editMethod": "html",
        "files": [ref(file_id) for file_id in file_ids],
    }


def ticket_fields_to_teamwork(
    ticket: Ticket, *, status_id: int | None, tag_ids: Sequence[int]
) -> dict[str, Any]:
    """The fields of a ticket the source decides (create and ``PATCH``)."""
    record = f"ticket {ticket.source_id}"
    fields: dict[str, Any] = {
        "subject": ticket.subject or "(no subject)",
        "tags": [ref(tag_id) for tag_id in tag_ids],
    }
    if status_id is not None:
        fields["status"] = ref(status_id)
    for name, value in (
        ("priority", ticket.priority),
        ("type", ticket.type),
        ("agent", ticket.assignee_id),
    ):
        number = teamwork_id(value, field=name, record=record)
        if number is not None:
            fields[name] = ref(number)
    return fields


def ticket_to_teamwork(
    ticket: Ticket,
    *,
    inbox_id: int,
    status_id: int | None,
    tag_ids: Sequence[int],
    file_ids: Sequence[int] = (),
) -> dict[str, Any]:
    """Body of ``POST /tickets.json``: the opening comment is the ticket's message.

    The customer goes by id, or by e-mail address when it has no id ("Customer ID or
    Email is required, but not both"); ``notifyCustomer`` stays off.
    """
    record = f"ticket {ticket.source_id}"
    customer_id = teamwork_id(ticket.requester_id, field="requester_id", record=record)
    if customer_id is None and not ticket.requester_email:
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: Teamwork Desk needs a customer (id or e-mail address)."),
                {"record": record},
            ),
            detail="customer",
        )
    opening = ticket.opening_comment
    if opening is not None:
        message = message_html(opening)
    else:
        message = text_to_html(ticket.description) or "<p></p>"
    body = {
        **ticket_fields_to_teamwork(ticket, status_id=status_id, tag_ids=tag_ids),
        "message": message,
        "inbox": ref(inbox_id),
        "customer": ref(customer_id)
        if customer_id is not None
        else {"email": ticket.requester_email},
        "notifyCustomer": False,
        "editMethod": "html",
    }
    if file_ids:
        body["files"] = [ref(file_id) for file_id in file_ids]
    return {"ticket": body}


def tag_to_teamwork(name: str) -> dict[str, Any]:
    """Body of ``POST /tags.json``."""
    return {"tag": {"name": name, "color": "#8f8f8f"}}


def file_ref_to_teamwork(attachment: Attachment) -> dict[str, Any]:
    """Body of ``POST /files/ref.json``: the first of the three upload steps."""
    return {
        "type": "attachment",
        "filename": attachment.file_name,
        "mimeType": attachment.content_type or "application/octet-stream",
        "disposition": "attachment",
    }


def help_doc_site_to_teamwork(category: ArticleCategory, *, subdomain: str) -> dict[str, Any]:
    """Body of ``POST /helpdocssites.json``."""
    site: dict[str, Any] = {
        "name": category.name,
        "description": category.description,
        "subdomain": subdomain,
    }
    if category.locale:
        site["languageCode"] = category.locale
    return {"helpdocssite": site}


def help_doc_category_to_teamwork(
    section: ArticleSection, *, site_id: int, parent_id: int | None
) -> dict[str, Any]:
    """Body of ``POST /helpdocscategories.json`` (and of its ``PATCH``)."""
    category: dict[str, Any] = {
        "name": section.name,
        "helpDocsSites_id": site_id,
        "parent_id": parent_id,
    }
    if section.position is not None:
        category["displayOrder"] = section.position
    return {"helpdocscategory": category}


def help_doc_article_to_teamwork(article: Article, *, category_id: int) -> dict[str, Any]:
    """Body of ``POST /helpdocssites/{site}/helpdocarticles.json`` (and of its ``PATCH``).

    ``editMethod`` is always html: the API refuses a create in markdown whose
    ``contents`` is HTML.
    """
    status = ARTICLE_STATUS_NAMES.get(article.status.lower())
    if status is None:
        raise InvalidRecordError(
            Message(
                gettext_noop(
                    "article %(source_id)s: status '%(status)s' is not a Teamwork Desk article "
                    "status."
                ),
                {"source_id": article.source_id, "status": str(article.status)},
            ),
            detail="status",
        )
    return {
        "helpdocarticle": {
            "title": article.title,
            "contents": article.html_body or "<p></p>",
            "status": status,
            "categories": [category_id],
            "editMethod": "html",
            "isPrivate": False,
        }
    }


def subdomain_for(name: str, *, suffix: str) -> str:
    """A help doc site's subdomain: the name's letters and digits, then ``suffix``."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "help"
    return f"{base}-{suffix}"
