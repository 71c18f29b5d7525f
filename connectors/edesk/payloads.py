"""eDesk (Open API v1) JSON <-> canonical records. Pure functions, no HTTP.

Reads: channels, users (the agents), contacts, tickets and their messages. A ticket only
lists the ids of its messages (``messages_ids``); each message is read on its own
(``GET /messages/{id}``). Writes: the bodies of ``POST /contacts``, ``POST /tickets`` (the
ticket with its messages, dates and authors), ``PUT /tickets/{id}`` and
``POST /tickets/{id}/messages``.

Every answer wraps its object in ``{"data": ...}``; lists add a ``paginator``
(``currentPage``, ``itemsPerPage``, ``totalItemsCount``). Dates are ``YYYY-MM-DD HH:MM:SS``
in UTC. The reference types a ticket's ``created_at`` as a number while accounts answer with
the same text as the other dates, so both are read.

Keys: status keys are eDesk's status names (``"Open"``, ``"Pending"``, ``"Closed"``…), type
keys its ticket type names (``"Query"``, ``"ProductQuery"``…).

The particulars eDesk imposes are written here:

* custom fields have nowhere to go on an imported ticket: :func:`custom_fields_note_to_edesk`
  writes them into a private note;
* a ticket has one customer, the first requester: messages of a second requester (a CC of
  the canonical ticket, ``cc_ids``/``cc_emails``) are written as the customer's, with their
  author named at the top, and nothing is ever addressed to them;
* a contact deleted on the source, or without an address, is written as
  ``<name>+without-email.com`` (:func:`written_email`).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.utils.text import slugify
from pydantic import BeforeValidator, Field

from connectors.base import Scope
from connectors.errors import InvalidRecordError
from connectors.messages import Message, gettext_noop
from connectors.schema import (
    Agent,
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    CustomFieldValue,
    FieldSchema,
    StatusCategory,
    StatusOption,
    Ticket,
    TypeOption,
    as_source_id,
    normalise_email,
    optional_source_id,
    text_to_html,
)
from connectors.wire import MalformedPayloadError, WireModel, envelope_items, parse_wire

PLATFORM = "eDesk"

#: Statuses a ticket can be given, with what they mean; Spam and Scheduled are read only.
STATUS_CATEGORIES: dict[str, StatusCategory] = {
    "Open": StatusCategory.OPEN,
    "Pending": StatusCategory.PENDING,
    "Closed": StatusCategory.CLOSED,
    "Archived": StatusCategory.CLOSED,
}
READ_ONLY_STATUS_CATEGORIES: dict[str, StatusCategory] = {
    "Spam": StatusCategory.CLOSED,
    "Scheduled": StatusCategory.PENDING,
}
#: Where a ticket of each category goes when the engine did not name an eDesk status.
CATEGORY_STATUSES: dict[StatusCategory, str] = {
    StatusCategory.NEW: "Open",
    StatusCategory.OPEN: "Open",
    StatusCategory.PENDING: "Pending",
    StatusCategory.HOLD: "Pending",
    StatusCategory.SOLVED: "Closed",
    StatusCategory.CLOSED: "Closed",
}
#: Ticket types of the reference's ``Ticket.type`` enum.
TICKET_TYPES: tuple[str, ...] = (
    "BuyerNotes", "Cancellation", "Chat", "Chatbot", "ContactBuyer", "ContactForm",
    "DefectiveItemReceived", "FeedbackReply", "Incident", "InvoiceRequest", "NegativeFeedback",
    "OfferQuery", "OrderAdjustment", "OrderClaim", "OrderQuery", "OrderShippingInquiry",
    "PaymentsQuery", "Presales", "ProductQuery", "PublicMessage", "Query", "Refund",
    "ResolutionCase", "ReturnRequest", "ReturnsQuery", "SampleQuery", "ShippingQuery",
    "SystemMessage", "WrongItemReceived",
)  # fmt: skip
#: Message types that are part of the conversation; the others (Status, Rating,
#: SalesOrderEvent…) are events eDesk adds by itself.
CONVERSATION_TYPES = frozenset({"Message", "Note"})
#: ``Ticket.subject`` holds at most this many characters (error 4020 beyond).
MAX_SUBJECT_CHARS = 255
WITHOUT_EMAIL_SUFFIX = "+without-email.com"
CUSTOM_FIELDS_NOTE_TITLE = "Custom fields of the original ticket"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def status_category(status: str) -> StatusCategory:
    return {**STATUS_CATEGORIES, **READ_ONLY_STATUS_CATEGORIES}.get(status, StatusCategory.OPEN)


def format_moment(moment: datetime) -> str:
    """A date as eDesk writes it: UTC, to the second, no zone."""
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


# --------------------------------------------------------------------------- wire models


def _as_moment(value: Any) -> Any:
    """eDesk's dates: ``"2021-05-19 11:05:08"`` (UTC), ISO 8601, or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value  # pydantic names the field and the value
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return value


def _as_text(value: Any) -> Any:
    # The reference's example phone number is a JSON number.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


EdeskMoment = Annotated[datetime, BeforeValidator(_as_moment)]
EdeskText = Annotated[str | None, BeforeValidator(_as_text)]


class EdeskPaginator(WireModel):
    current_page: int = Field(default=1, alias="currentPage")
    items_per_page: int = Field(alias="itemsPerPage")
    total_items_count: int = Field(alias="totalItemsCount")

    @property
    def has_next(self) -> bool:
        return self.current_page * self.items_per_page < self.total_items_count


class EdeskChannel(WireModel):
    id: int
    name: str = ""
    type: str | None = None


class EdeskUser(WireModel):
    id: int
    name: str | None = None
    email: str | None = None
    active: bool = True
    username: str | None = None
    role: str | None = None


class EdeskContact(WireModel):
    id: int
    channel_id: int | None = None
    full_name: str | None = None
    email: str | None = None
    phone_number: EdeskText = None


class EdeskCustomFieldValue(WireModel):
    id: int | None = None
    name: str
    value: Any = None


class EdeskTicket(WireModel):
    id: int
    subject: str | None = None
    type: str | None = None
    channel_id: int | None = None
    status: str
    created_at: EdeskMoment
    last_updated_at: EdeskMoment | None = None
    owner_user_id: int | None = None
    custom_fields: list[EdeskCustomFieldValue] = Field(default_factory=list)
    tags_ids: list[int] = Field(default_factory=list)
    contact_id: int | None = None
    messages_ids: list[int] = Field(default_factory=list)


class EdeskAttachment(WireModel):
    id: int
    name: str
    link: str
    mime: str | None = None


class EdeskMessage(WireModel):
    id: int
    external_id: str | None = None
    created_at: EdeskMoment
    from_consumer_id: int | None = None
    from_user: EdeskUser | None = None
    type: str
    attachments: list[EdeskAttachment] = Field(default_factory=list)
    direction: str | None = None
    body: str | None = None
    ticket_id: int | None = None


class EdeskTag(WireModel):
    id: int
    name: str


# --------------------------------------------------------------------------- envelopes


def data_of(payload: Any, *, what: str) -> Any:
    """The object of a ``{"data": {...}}`` answer."""
    if not isinstance(payload, Mapping) or "data" not in payload:
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s returned a %(what)s without its 'data'."),
                {"platform": PLATFORM, "what": what},
            ),
            field="data",
            detail=repr(payload)[:500],
        )
    return payload["data"]


def page_items(payload: Any, *, what: str) -> tuple[list[Any], EdeskPaginator]:
    """The records of a list answer and its paginator."""
    items = envelope_items(payload, key="data", platform=PLATFORM, what=what)
    paginator = parse_wire(
        EdeskPaginator,
        payload.get("paginator"),
        platform=PLATFORM,
        what=f"{what} page",
        path="paginator",
    )
    return items, paginator


# --------------------------------------------------------------------------- reading


def scope_from_edesk(payload: Any) -> Scope:
    """A channel, as the scope a migration writes into."""
    wire = parse_wire(EdeskChannel, payload, platform=PLATFORM, what="channel")
    name = wire.name or f"Channel {wire.id}"
    return Scope(id=as_source_id(wire.id), name=f"{name} ({wire.type})" if wire.type else name)


def agent_from_edesk(payload: Any, *, read_at: datetime) -> Agent:
    """A user. Users carry no dates: ``read_at`` stands for their last change."""
    wire = parse_wire(EdeskUser, payload, platform=PLATFORM, what="user")
    return Agent(
        source_id=as_source_id(wire.id),
        updated_at=read_at,
        name=wire.name or wire.username or wire.email or f"User {wire.id}",
        email=wire.email,
        active=wire.active,
        role=wire.role,
    )


def contact_from_edesk(payload: Any, *, read_at: datetime) -> Contact:
    """A contact. Contacts carry no dates: ``read_at`` stands for their last change."""
    wire = parse_wire(EdeskContact, payload, platform=PLATFORM, what="contact")
    email = normalise_email(wire.email)
    return Contact(
        source_id=as_source_id(wire.id),
        updated_at=read_at,
        name=wire.full_name or email or f"Contact {wire.id}",
        email=email,
        phone=wire.phone_number or None,
    )


def _attachment(wire: EdeskAttachment) -> Attachment:
    return Attachment(
        source_id=as_source_id(wire.id),
        file_name=wire.name,
        content_type=wire.mime or "application/octet-stream",
        url=wire.link,
    )


def _bodies(body: str) -> dict[str, str]:
    # Channels deliver HTML or plain text in the same field.
    return {"html_body": body} if re.search(r"<[a-zA-Z][^>]*>", body) else {"text_body": body}


def _comment(wire: EdeskMessage) -> Comment:
    user = wire.from_user
    author: dict[str, Any]
    if wire.type != "Note" and wire.direction == "Incoming":
        author = {
            "author_id": optional_source_id(wire.from_consumer_id),
            "author_kind": AuthorKind.CONTACT,
        }
    elif user is not None:
        author = {
            "author_id": as_source_id(user.id),
            "author_kind": AuthorKind.AGENT,
            "author_name": user.name,
            "author_email": user.email,
        }
    else:
        author = {"author_kind": AuthorKind.SYSTEM}
    return Comment(
        source_id=as_source_id(wire.id),
        public=wire.type != "Note",
        created_at=wire.created_at,
        attachments=[_attachment(attachment) for attachment in wire.attachments],
        **author,
        **_bodies(wire.body or ""),
    )


def message_from_edesk(payload: Any) -> EdeskMessage:
    return parse_wire(EdeskMessage, payload, platform=PLATFORM, what="message")


def comments_from_edesk(messages: Sequence[EdeskMessage]) -> list[Comment]:
    """The conversation of a ticket, oldest first, without eDesk's own events."""
    comments = [_comment(wire) for wire in messages if wire.type in CONVERSATION_TYPES]
    return sorted(comments, key=lambda comment: (comment.created_at, comment.source_id))


def _custom_value(value: Any) -> CustomFieldValue:
    if isinstance(value, list):
        return [str(item) for item in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def ticket_from_edesk(
    payload: Any,
    *,
    messages: Sequence[EdeskMessage] = (),
    tag_names: Mapping[int, str] | None = None,
) -> Ticket:
    """A ticket (``GET /tickets/{id}``'s data) with its ``messages`` read one by one.

    A ticket without messages has no ``last_updated_at``: its creation date stands in.
    Custom field values are keyed by the fields' names.
    """
    wire = parse_wire(EdeskTicket, payload, platform=PLATFORM, what="ticket")
    comments = comments_from_edesk(messages)
    names = tag_names or {}
    opening = comments[0] if comments else None
    return Ticket(
        source_id=as_source_id(wire.id),
        updated_at=wire.last_updated_at or wire.created_at,
        created_at=wire.created_at,
        subject=wire.subject or "",
        description=opening.text_body if opening else "",
        status=wire.status,
        status_category=status_category(wire.status),
        type=wire.type or None,
        requester_id=optional_source_id(wire.contact_id),
        assignee_id=optional_source_id(wire.owner_user_id),
        tags=[names[tag_id] for tag_id in wire.tags_ids if tag_id in names],
        custom_fields={field.name: _custom_value(field.value) for field in wire.custom_fields},
        comments=comments,
    )


def ticket_row_from_edesk(payload: Any, *, path: str) -> EdeskTicket:
    """A ticket of a list page, for the cursor (its id and dates)."""
    return parse_wire(EdeskTicket, payload, platform=PLATFORM, what="ticket", path=path)


def tag_from_edesk(payload: Any) -> EdeskTag:
    return parse_wire(EdeskTag, payload, platform=PLATFORM, what="tag")


def field_schema_from_edesk() -> FieldSchema:
    """What an eDesk ticket can hold: its statuses and types. eDesk tickets have no
    priority, and custom fields cannot be imported."""
    defaults = {"Open", "Pending", "Closed"}
    return FieldSchema(
        statuses=[
            StatusOption(key=name, name=name, category=category, default=name in defaults)
            for name, category in STATUS_CATEGORIES.items()
        ],
        types=[TypeOption(key=name, name=_type_label(name)) for name in TICKET_TYPES],
    )


def _type_label(name: str) -> str:
    """``"ProductQuery"`` → ``"Product query"``."""
    words = re.findall(r"[A-Z][a-z]*", name)
    return " ".join([words[0], *(word.lower() for word in words[1:])]) if words else name


# --------------------------------------------------------------------------- writing


def edesk_id(value: str | None, *, field: str, record: str) -> int | None:
    """A reference rewritten by the engine, as the number eDesk expects."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: %(field)s '%(value)s' is not an eDesk id."),
                {"record": record, "field": field, "value": str(value)},
            ),
            detail=field,
        ) from None


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def without_email_address(name: str, *, fallback: str) -> str:
    """``<name>+without-email.com``: the address of a contact who has none any more."""
    return (slugify(name) or slugify(fallback) or "contact") + WITHOUT_EMAIL_SUFFIX


def written_email(contact: Contact) -> str:
    """The address a contact gets on eDesk: its own, or for a contact deleted on the source
    (or without any address) its name followed by ``+without-email.com``."""
    if contact.deleted or not contact.email:
        return without_email_address(contact.name, fallback=f"contact-{contact.source_id}")
    return contact.email


def contact_to_edesk(contact: Contact, *, channel_id: int) -> dict[str, Any]:
    """Body of ``POST /contacts`` (and ``PUT /contacts/{id}``): contacts belong to a channel,
    and the address is how a migrated contact is found again."""
    email = written_email(contact)
    return _without_none(
        {
            "channel_id": channel_id,
            "full_name": contact.name or email,
            "email": email,
            "phone_number": contact.phone or contact.mobile,
        }
    )


def status_to_edesk(ticket: Ticket) -> str:
    if ticket.status in STATUS_CATEGORIES:
        return ticket.status
    if ticket.status_category is not None:
        return CATEGORY_STATUSES[ticket.status_category]
    return "Open"


def _subject(ticket: Ticket) -> str:
    subject = ticket.subject.strip() or "(no subject)"
    if len(subject) > MAX_SUBJECT_CHARS:
        subject = subject[: MAX_SUBJECT_CHARS - 1] + "…"
    return subject


def ticket_to_edesk(
    ticket: Ticket, *, channel_id: int, messages: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Body of ``POST /tickets``: the ticket in the channel, for its first requester only
    (``cc_ids``/``cc_emails`` are never sent), with its first ``messages``."""
    record = f"ticket {ticket.source_id}"
    contact_id = edesk_id(ticket.requester_id, field="requester_id", record=record)
    if contact_id is None:
        raise InvalidRecordError(
            Message(
                gettext_noop("%(record)s: eDesk needs the ticket's contact."), {"record": record}
            ),
            detail="contact",
        )
    return _without_none(
        {
            "channel_id": channel_id,
            "contact_id": contact_id,
            "subject": _subject(ticket),
            "type": ticket.type if ticket.type in TICKET_TYPES else None,
            "status": status_to_edesk(ticket),
            "owner_user_id": edesk_id(ticket.assignee_id, field="assignee_id", record=record),
            "created_at": format_moment(ticket.created_at),
            "messages": [dict(message) for message in messages],
        }
    )


def ticket_update_to_edesk(ticket: Ticket) -> dict[str, Any]:
    """Body of ``PUT /tickets/{id}`` for a delta run: the fields, not the conversation."""
    record = f"ticket {ticket.source_id}"
    return _without_none(
        {
            "subject": _subject(ticket),
            "type": ticket.type if ticket.type in TICKET_TYPES else None,
            "status": status_to_edesk(ticket),
            "owner_user_id": edesk_id(ticket.assignee_id, field="assignee_id", record=record),
        }
    )


def message_key(marker: str, comment_id: str) -> str:
    """``external_id`` of a migrated message after the first: the ticket's marker and the
    comment's source id (hashed when it is long or has other characters)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", comment_id):
        comment_id = "h" + hashlib.sha256(comment_id.encode()).hexdigest()[:14]
    return f"{marker}.{comment_id}"


def custom_fields_key(marker: str) -> str:
    return f"{marker}.custom-fields"


def _is_requester(comment: Comment, ticket: Ticket) -> bool:
    if comment.author_id is not None and comment.author_id == ticket.requester_id:
        return True
    if comment.author_email is not None and comment.author_email == ticket.requester_email:
        return True
    return comment.author_id is None and comment.author_email is None


def _author_line(comment: Comment) -> str:
    author = comment.author_name or comment.author_email or "another requester"
    if comment.author_name and comment.author_email:
        author = f"{comment.author_name} <{comment.author_email}>"
    return f"<p>{html.escape(f'From {author}:')}</p>"


def comment_to_edesk(
    comment: Comment,
    *,
    ticket: Ticket,
    external_id: str,
    attachments: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """A message item: public comments are messages (incoming from the ticket's contact,
    outgoing from an agent), private ones notes; dates and agent authors are kept.

    A public comment of another contact than the first requester is written as the
    contact's message with its author named at the top: eDesk addresses a ticket's
    replies to its one contact, so the second requester never becomes a recipient.
    """
    body = comment.html_body or text_to_html(comment.text_body) or "<p></p>"
    agent = comment.author_kind is AuthorKind.AGENT
    from_user_id = (
        edesk_id(comment.author_id, field="author_id", record=f"comment {comment.source_id}")
        if agent
        else None
    )
    direction: Literal["Incoming", "Outgoing", "Other"]
    if not comment.public:
        message_type, direction = "Note", "Other"
    elif comment.author_kind is AuthorKind.CONTACT:
        message_type, direction = "Message", "Incoming"
        if not _is_requester(comment, ticket):
            body = _author_line(comment) + body
    else:
        message_type, direction = "Message", "Outgoing"
    return _without_none(
        {
            "type": message_type,
            "direction": direction,
            "body": body,
            "created_at": format_moment(comment.created_at),
            "from_user_id": from_user_id,
            "external_id": external_id,
            "attachments": [dict(attachment) for attachment in attachments] or None,
        }
    )


def _custom_text(value: CustomFieldValue) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def custom_fields_note_to_edesk(ticket: Ticket, *, external_id: str) -> dict[str, Any] | None:
    """A private note holding the ticket's custom fields (eDesk cannot import them as
    fields), dated with the ticket; ``None`` when the ticket has no value."""
    lines = [
        f"<li><strong>{html.escape(name)}</strong>: {html.escape(text)}</li>"
        for name, value in ticket.custom_fields.items()
        if (text := _custom_text(value)) is not None
    ]
    if not lines:
        return None
    title = f"<p><strong>{html.escape(CUSTOM_FIELDS_NOTE_TITLE)}</strong></p>"
    return {
        "type": "Note",
        "direction": "Other",
        "body": title + "<ul>" + "".join(lines) + "</ul>",
        "created_at": format_moment(ticket.created_at),
        "external_id": external_id,
    }
