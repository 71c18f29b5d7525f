"""The eDesk connector (Open API v1): a target, and a source of what the API lets one read.

Reading. The public API lists users (the agents), contacts and tickets; a ticket lists the
ids of its messages, each read with ``GET /messages/{id}``. Users and contacts carry no
dates, so the time they are read stands for their last change (a delta run reads them
all again). Tickets are listed by id; a delta run asks for tickets updated since the day
before (the filter takes days of the account's time zone) and keeps those updated since
the moment asked. Organizations, groups and knowledge base articles are not in the API.

Writing. A migration writes into one channel (the scope): contacts belong to a channel,
and each ticket is created in it with its messages, their dates and agent authors in one
call (at most 100 messages; the rest follow one by one). Attachments are streamed from
the opener into a temporary file, uploaded (``POST /attachments``, 10 MB at most) and named
by their link in the message. Custom fields go into a private note; a second requester's
messages are written as the ticket contact's (see :mod:`.payloads`).

Markers. eDesk tickets have no external id, tags of their own, or custom field an import
may set: the marker is the ``external_id`` of a ticket's first message (the others carry
the marker and their comment's source id), and a ticket is found again among its contact's
tickets in the channel. Contacts are found by their address in the channel (the address
written, ``<name>+without-email.com`` for a contact deleted on the source), agents by
e-mail: agents are never created, only matched.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    DEFAULT_PAGE_SIZE,
    NUMERIC_RECORD_IDS,
    AccountInfo,
    ApiConnector,
    AttachmentOpener,
    AttachmentStream,
    Credentials,
    HttpClientFactory,
    Page,
    Scope,
    cursor_dump,
    cursor_load,
    ensure_record_matches,
    is_marker,
)
from connectors.edesk import (
    CAPABILITIES,
    CHECKLIST,
    DISPLAY_NAME,
    KEY,
    MAX_ATTACHMENT_BYTES,
    SOURCE_CHECKLIST,
    EdeskCredentials,
)
from connectors.edesk.client import (
    ACCOUNT_NOT_FOUND,
    LIST_PAGE_MAX,
    EdeskApi,
    field_errors,
    http_client_options,
)
from connectors.edesk.payloads import (
    PLATFORM,
    EdeskMessage,
    agent_from_edesk,
    comment_to_edesk,
    contact_from_edesk,
    contact_to_edesk,
    custom_fields_key,
    custom_fields_note_to_edesk,
    field_schema_from_edesk,
    message_from_edesk,
    message_key,
    scope_from_edesk,
    tag_from_edesk,
    ticket_from_edesk,
    ticket_row_from_edesk,
    ticket_to_edesk,
    ticket_update_to_edesk,
    written_email,
)
from connectors.errors import InvalidRecordError, NotFoundError
from connectors.messages import Message, gettext_noop
from connectors.registry import register
from connectors.schema import (
    Agent,
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    Entity,
    FieldSchema,
    Record,
    Ticket,
)
from connectors.wire import MalformedPayloadError

logger = logging.getLogger(__name__)

#: Message items one ticket creation may carry.
MESSAGE_ITEMS_PER_CREATE = 100

_PEOPLE_PATHS: dict[Entity, str] = {Entity.AGENTS: "users", Entity.CONTACTS: "contacts"}
_MEMBER_PATHS: dict[Entity, str] = {
    Entity.AGENTS: "users/{id}",
    Entity.CONTACTS: "contacts/{id}",
    Entity.TICKETS: "tickets/{id}",
}


@dataclass(frozen=True)
class _PlannedMessage:
    """A message a migrated ticket should have: a comment, or the custom fields' note."""

    external_id: str
    comment: Comment | None

    @property
    def files(self) -> list[Attachment]:
        return list(self.comment.file_attachments) if self.comment is not None else []


# --------------------------------------------------------------------------- helpers


def _created_id(payload: Any, *, what: str) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s created a %(what)s without saying its id."),
                {"platform": PLATFORM, "what": what},
            )
        )
    return str(payload["id"])


def _format_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def too_large(attachment: Attachment, *, size: int) -> InvalidRecordError:
    """The refusal of a file eDesk cannot take, naming the file and the limit."""
    return InvalidRecordError(
        Message(
            gettext_noop(
                "The attachment '%(file_name)s' is %(format_size)s: eDesk cannot import files "
                "larger than %(max_attachment_bytes)s MB."
            ),
            {
                "file_name": str(attachment.file_name),
                "format_size": _format_size(size),
                "max_attachment_bytes": MAX_ATTACHMENT_BYTES // (1024 * 1024),
            },
        ),
        detail="attachments",
    )


def _since_day(since: datetime) -> str:
    """The ``filter_last_updated_at_gte`` day that holds ``since`` in any time zone."""
    return (since.astimezone(UTC) - timedelta(days=1)).date().isoformat()


def _opening_of(ticket: Ticket) -> Comment:
    """The ticket's first comment, or one made of its description when it has none."""
    if ticket.comments:
        return ticket.comments[0]
    return Comment(
        source_id=f"description-{ticket.source_id}",
        author_id=ticket.requester_id,
        author_kind=AuthorKind.CONTACT,
        public=True,
        text_body=ticket.description or ticket.subject or "(no text)",
        created_at=ticket.created_at,
    )


def _planned_messages(ticket: Ticket, *, marker: str) -> list[_PlannedMessage]:
    """The messages of a migrated ticket in order: the opening one carries the marker, the
    custom fields' note comes right after it."""
    planned = [_PlannedMessage(external_id=marker, comment=_opening_of(ticket))]
    if custom_fields_note_to_edesk(ticket, external_id="") is not None:
        planned.append(_PlannedMessage(external_id=custom_fields_key(marker), comment=None))
    planned.extend(
        _PlannedMessage(external_id=message_key(marker, comment.source_id), comment=comment)
        for comment in ticket.comments[1:]
    )
    return planned


# --------------------------------------------------------------------------- connector


@register
class EdeskConnector(ApiConnector[EdeskApi]):
    """Reads and writes an eDesk account through the Open API v1."""

    key = KEY
    display_name = DISPLAY_NAME
    record_id_pattern = NUMERIC_RECORD_IDS
    credentials_model = EdeskCredentials
    capabilities = CAPABILITIES
    checklist = CHECKLIST
    source_checklist = SOURCE_CHECKLIST

    def __init__(
        self,
        *,
        credentials: Credentials,
        http_client_factory: HttpClientFactory,
        scope: Scope | None = None,
    ) -> None:
        super().__init__(
            credentials=credentials, http_client_factory=http_client_factory, scope=scope
        )
        self._users: list[dict[str, Any]] | None = None
        self._channel_ids: list[int] | None = None
        self._tag_names: dict[int, str] = {}

    def open_api(self) -> EdeskApi:
        assert isinstance(self.credentials, EdeskCredentials)
        client = self.open_http_client(**http_client_options(self.credentials))
        return EdeskApi(http=client)

    # ------------------------------------------------------------------- account

    def check_credentials(self) -> AccountInfo:
        try:
            listed = self.api.list_page("channels", entity="account", params={"itemsPerPage": 1})
        except NotFoundError as missing:
            raise NotFoundError(ACCOUNT_NOT_FOUND, status=404, detail=missing.detail) from None
        assert isinstance(self.credentials, EdeskCredentials)
        first = scope_from_edesk(listed.items[0]).name if listed.items else None
        others = listed.paginator.total_items_count - 1
        name = first or DISPLAY_NAME
        if first and others > 0:
            name += f" and {others} other channel{'s' if others > 1 else ''}"
        return AccountInfo(account_name=name, account_url=self.credentials.api_url)

    def list_scopes(self) -> list[Scope]:
        """The account's channels: a migration writes into one of them."""
        return [scope_from_edesk(item) for item in self.api.list_all("channels", entity="account")]

    def describe_fields(self) -> FieldSchema:
        return field_schema_from_edesk()

    # ------------------------------------------------------------------- reading

    def count(
        self,
        entity: Entity,
        *,
        updated_since: datetime | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> int:
        if filters:
            raise ValueError(f"eDesk counts cannot be filtered by {', '.join(sorted(filters))}")
        if entity in _PEOPLE_PATHS:
            if updated_since is not None and updated_since > datetime.now(UTC):
                return 0  # read now, so changed now
            return self.api.total(_PEOPLE_PATHS[entity], entity=entity.value)
        if entity is Entity.TICKETS:
            if updated_since is None:
                return self.api.total("tickets", entity="tickets")
            params = {"filter_last_updated_at_gte": _since_day(updated_since)}
            rows = self.api.list_all("tickets", entity="tickets", params=params)
            return sum(
                1
                for index, item in enumerate(rows)
                if self._row_updated_at(item, index=index) >= updated_since
            )
        raise ValueError(f"eDesk does not read {entity.value}")

    def read_page(
        self,
        entity: Entity,
        *,
        cursor: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        updated_since: datetime | None = None,
        ids: Sequence[str] | None = None,
    ) -> Page[Record]:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if entity not in self.capabilities.reads:
            raise ValueError(f"eDesk does not read {entity.value}")
        state = cursor_load(cursor, platform=DISPLAY_NAME)
        if ids is not None:
            return self._read_ids(entity, ids=ids, state=state, page_size=page_size)
        page = int(state.get("page", 1))
        after = int(state.get("after", 0))
        size = min(page_size, LIST_PAGE_MAX)
        params: dict[str, Any] = {"page": page, "itemsPerPage": size}
        if entity is Entity.TICKETS:
            params.update(order_by="id", order_direction="asc")
            if updated_since is not None:
                params["filter_last_updated_at_gte"] = _since_day(updated_since)
            path = "tickets"
        else:
            path = _PEOPLE_PATHS[entity]
        listed = self.api.list_page(path, entity=entity.value, params=params)
        # Records created while reading shift nothing (ids ascend); "after" skips a record
        # a deletion pushed back onto the next page.
        fresh = [item for item in listed.items if self._item_id(item) > after]
        records = [self._record(entity, item) for item in fresh]
        if updated_since is not None:
            records = [record for record in records if record.updated_at >= updated_since]
        has_more = listed.paginator.has_next and bool(listed.items)
        last = max((self._item_id(item) for item in listed.items), default=after)
        return Page(
            records=records,
            next_cursor=cursor_dump({"page": page + 1, "after": last}) if has_more else None,
            has_more=has_more,
        )

    def download_attachment(self, attachment: Attachment) -> AttachmentStream:
        return self.api.http.download(attachment.url, entity="attachments")

    def _read_ids(
        self, entity: Entity, *, ids: Sequence[str], state: Mapping[str, Any], page_size: int
    ) -> Page[Record]:
        offset = int(state.get("offset", 0))
        chosen = list(ids[offset : offset + page_size])
        records = []
        for source_id in chosen:
            try:
                item = self.api.get(_MEMBER_PATHS[entity].format(id=source_id), entity=entity.value)
            except NotFoundError:
                continue  # gone since it was chosen
            records.append(self._record(entity, item))
        has_more = offset + page_size < len(ids)
        return Page(
            records=records,
            next_cursor=cursor_dump({"offset": offset + page_size}) if has_more else None,
            has_more=has_more,
        )

    @staticmethod
    def _item_id(item: Any) -> int:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            raise MalformedPayloadError(
                Message(
                    gettext_noop("%(platform)s listed a record without its id."),
                    {"platform": PLATFORM},
                )
            )
        return item["id"]

    @staticmethod
    def _row_updated_at(item: Any, *, index: int) -> datetime:
        row = ticket_row_from_edesk(item, path=f"data[{index}]")
        return row.last_updated_at or row.created_at

    def _record(self, entity: Entity, item: Any) -> Record:
        read_at = datetime.now(UTC)
        match entity:
            case Entity.AGENTS:
                return agent_from_edesk(item, read_at=read_at)
            case Entity.CONTACTS:
                return contact_from_edesk(item, read_at=read_at)
            case Entity.TICKETS:
                return self._ticket_whole(item)
        raise ValueError(f"eDesk does not read {entity.value}")

    def _ticket_whole(self, item: Any) -> Ticket:
        """A ticket with its messages, read one by one, and its tags' names."""
        row = ticket_row_from_edesk(item, path="ticket")
        messages: list[EdeskMessage] = []
        for message_id in row.messages_ids:
            try:
                payload = self.api.get(f"messages/{message_id}", entity="tickets")
            except NotFoundError:
                continue  # deleted while the ticket was read
            messages.append(message_from_edesk(payload))
        return ticket_from_edesk(item, messages=messages, tag_names=self._tags(row.tags_ids))

    def _tags(self, tag_ids: Sequence[int]) -> dict[int, str]:
        for tag_id in tag_ids:
            if tag_id in self._tag_names:
                continue
            try:
                tag = tag_from_edesk(self.api.get(f"tags/{tag_id}", entity="tickets"))
            except NotFoundError:
                continue
            self._tag_names[tag.id] = tag.name
        return {tag_id: self._tag_names[tag_id] for tag_id in tag_ids if tag_id in self._tag_names}

    # ------------------------------------------------------------------- writing

    def create(
        self,
        entity: Entity,
        record: Record,
        *,
        marker: str,
        attachments: AttachmentOpener | None = None,
        on_created: Callable[[str], None] | None = None,
    ) -> str:
        ensure_record_matches(entity, record)
        match record:
            case Agent():
                return self._agent_match(record)
            case Contact():
                return self._contact_create(record)
            case Ticket():
                return self._ticket_create(
                    record, marker=marker, opener=attachments, on_created=on_created
                )
        raise ValueError(f"eDesk does not write {entity.value}")

    def update(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        ensure_record_matches(entity, record)
        match record:
            case Agent():
                return  # users are managed in eDesk, never by a migration
            case Contact():
                current = self.api.get(f"contacts/{target_id}", entity="contacts")
                body = contact_to_edesk(record, channel_id=current["channel_id"])
                self.api.put(f"contacts/{target_id}", entity="contacts", body=body)
            case Ticket():
                self._ticket_update(target_id, record, opener=attachments)
            case _:
                raise ValueError(f"eDesk does not write {entity.value}")

    def delete(self, entity: Entity, target_id: str) -> None:
        if entity is Entity.AGENTS:
            return  # matched, never created: not the migration's to remove
        if entity not in self.capabilities.writes:
            raise ValueError(f"eDesk does not write {entity.value}")
        self.api.delete(_MEMBER_PATHS[entity].format(id=target_id), entity=entity.value)

    def expected_on_target(self, entity: Entity, record: Record) -> Record | None:
        # One address per contact: its own, or <name>+without-email.com when it has none.
        if isinstance(record, Contact):
            return record.model_copy(update={"email": written_email(record), "other_emails": []})
        return record

    def find_by_marker(
        self, entity: Entity, marker: str, *, record: Record | None = None
    ) -> str | None:
        match entity:
            case Entity.AGENTS:
                if not isinstance(record, Agent) or not record.email:
                    return None
                return self._agent_with_email(record.email)
            case Entity.CONTACTS:
                if not isinstance(record, Contact):
                    return None
                return self._contact_with_email(written_email(record), self._channel_id())
            case Entity.TICKETS:
                return self._ticket_with_marker(marker, record=record)
        raise ValueError(f"eDesk does not write {entity.value}")

    # ---- the channel

    def _channel_id(self) -> int:
        """The channel written into: the scope, or the account's only channel."""
        if self.scope is not None:
            try:
                return int(self.scope.id)
            except ValueError:
                raise InvalidRecordError(
                    Message(
                        gettext_noop("'%(id)s' is not an eDesk channel."),
                        {"id": str(self.scope.id)},
                    ),
                    detail="channel",
                ) from None
        if self._channel_ids is None:
            self._channel_ids = [
                int(scope.id) for scope in self.list_scopes() if scope.id.isdigit()
            ]
        if len(self._channel_ids) != 1:
            raise InvalidRecordError(
                Message(
                    gettext_noop(
                        "Choose the eDesk channel to migrate into: the account has %(len)s "
                        "channels."
                    ),
                    {"len": len(self._channel_ids)},
                ),
                detail="channel",
            )
        return self._channel_ids[0]

    # ---- agents and contacts

    def _agent_with_email(self, email: str) -> str | None:
        if self._users is None:
            users = self.api.list_all("users", entity="agents")
            self._users = [item for item in users if isinstance(item, dict)]
        wanted = email.strip().casefold()
        return next(
            (
                str(user["id"])
                for user in self._users
                if str(user.get("email") or "").strip().casefold() == wanted
            ),
            None,
        )

    def _agent_match(self, agent: Agent) -> str:
        """The eDesk user with the agent's address; agents cannot be created."""
        if not agent.email:
            raise InvalidRecordError(
                Message(
                    gettext_noop(
                        "The agent '%(name)s' has no e-mail address to find them in eDesk by."
                    ),
                    {"name": str(agent.name)},
                ),
                detail="email",
            )
        found = self._agent_with_email(agent.email)
        if found is None:
            raise InvalidRecordError(
                Message(
                    gettext_noop(
                        "%(email)s is not a user of this eDesk account: invite them under "
                        "Settings > Company settings > Users > + Invite users, then run the "
                        "migration again."
                    ),
                    {"email": agent.email},
                ),
                detail="email",
            )
        return found

    def _contact_with_email(self, email: str, channel_id: int) -> str | None:
        listed = self.api.list_page("contacts", entity="contacts", params={"email": email})
        return next(
            (
                str(item["id"])
                for item in listed.items
                if isinstance(item, dict) and item.get("channel_id") == channel_id
            ),
            None,
        )

    def _contact_create(self, contact: Contact) -> str:
        channel_id = self._channel_id()
        body = contact_to_edesk(contact, channel_id=channel_id)
        try:
            created = self.api.post("contacts", entity="contacts", body=body)
        except InvalidRecordError as refused:
            # The address is the channel's already: the migration carries on with that person.
            if field_errors(refused).get("email") != 4003:
                raise
            existing = self._contact_with_email(body["email"], channel_id)
            if existing is None:
                raise
            return self.existing_taken(Entity.CONTACTS, existing)
        return _created_id(created, what="contact")

    # ---- tickets

    def _ticket_with_marker(self, marker: str, *, record: Record | None) -> str | None:
        """Among the ticket contact's tickets in the channel, the one whose first message
        carries the marker."""
        if not isinstance(record, Ticket) or not (record.requester_id or "").isdigit():
            return None
        params = {
            "filter_contact_id_equals": record.requester_id,
            "filter_channel_id_equals": self._channel_id(),
        }
        for item in self.api.list_all("tickets", entity="tickets", params=params):
            message_ids = item.get("messages_ids") if isinstance(item, dict) else None
            if not message_ids:
                continue
            try:
                first = self.api.get(f"messages/{message_ids[0]}", entity="tickets")
            except NotFoundError:
                continue
            if isinstance(first, dict) and first.get("external_id") == marker:
                return str(item["id"])
        return None

    def _ticket_create(
        self,
        ticket: Ticket,
        *,
        marker: str,
        opener: AttachmentOpener | None,
        on_created: Callable[[str], None] | None,
    ) -> str:
        channel_id = self._channel_id()
        planned = _planned_messages(ticket, marker=marker)
        with self._uploads(planned, opener) as links:
            items = [self._message_item(ticket, plan, links) for plan in planned]
            first, rest = items[:MESSAGE_ITEMS_PER_CREATE], items[MESSAGE_ITEMS_PER_CREATE:]
            body = ticket_to_edesk(ticket, channel_id=channel_id, messages=first)
            ticket_id = _created_id(
                self.api.post("tickets", entity="tickets", body=body), what="ticket"
            )
            if on_created is not None:
                on_created(ticket_id)
            for item in rest:
                self.api.post(f"tickets/{ticket_id}/messages", entity="tickets", body=item)
        return ticket_id

    def _ticket_update(
        self, ticket_id: str, ticket: Ticket, *, opener: AttachmentOpener | None
    ) -> None:
        """The ticket's fields, then the messages it lacks (a delta brings new comments; a
        creation cut short leaves some out)."""
        current = self.api.get(f"tickets/{ticket_id}", entity="tickets")
        self.api.put(f"tickets/{ticket_id}", entity="tickets", body=ticket_update_to_edesk(ticket))
        existing: list[str] = []
        for message_id in current.get("messages_ids") or []:
            try:
                message = self.api.get(f"messages/{message_id}", entity="tickets")
            except NotFoundError:
                continue
            if isinstance(message, dict) and isinstance(message.get("external_id"), str):
                existing.append(message["external_id"])
        marker = next((key for key in existing if is_marker(key)), None)
        if marker is None:
            logger.info("eDesk ticket %s has no migration marker; its messages are kept", ticket_id)
            return
        planned = _planned_messages(ticket, marker=marker)
        missing = [plan for plan in planned if plan.external_id not in existing]
        with self._uploads(missing, opener) as links:
            for plan in missing:
                item = self._message_item(ticket, plan, links)
                self.api.post(f"tickets/{ticket_id}/messages", entity="tickets", body=item)

    @staticmethod
    def _message_item(
        ticket: Ticket, plan: _PlannedMessage, links: Mapping[str, Mapping[str, str]]
    ) -> dict[str, Any]:
        if plan.comment is None:
            note = custom_fields_note_to_edesk(ticket, external_id=plan.external_id)
            assert note is not None
            return note
        return comment_to_edesk(
            plan.comment,
            ticket=ticket,
            external_id=plan.external_id,
            attachments=[links[a.source_id] for a in plan.files if a.source_id in links],
        )

    @contextmanager
    def _uploads(
        self, planned: Sequence[_PlannedMessage], opener: AttachmentOpener | None
    ) -> Iterator[dict[str, dict[str, str]]]:
        """The planned messages' files uploaded to eDesk, as ``{"name", "url"}`` by source
        id. Each file is streamed from the opener into a temporary file (never held in
        memory; a retried upload reads it again from its start). A file over 10 MB is
        refused before anything is written."""
        files = [attachment for plan in planned for attachment in plan.files] if opener else []
        for attachment in files:
            if attachment.size is not None and attachment.size > MAX_ATTACHMENT_BYTES:
                raise too_large(attachment, size=attachment.size)
        links: dict[str, dict[str, str]] = {}
        for attachment in files:
            assert opener is not None
            with tempfile.TemporaryFile() as file:
                size = 0
                with opener(attachment) as chunks:
                    for chunk in chunks:
                        size += len(chunk)
                        if size > MAX_ATTACHMENT_BYTES:
                            raise too_large(attachment, size=size)
                        file.write(chunk)
                # Flushed: the multipart length is taken from the file's size on disk.
                file.seek(0)
                uploaded = self.api.upload(
                    file_name=attachment.file_name,
                    content_type=attachment.content_type,
                    file=file,
                    entity="attachments",
                )
            if not isinstance(uploaded, dict) or not isinstance(uploaded.get("link"), str):
                raise MalformedPayloadError(
                    Message(
                        gettext_noop("%(platform)s stored a file without its link."),
                        {"platform": PLATFORM},
                    )
                )
            links[attachment.source_id] = {"name": attachment.file_name, "url": uploaded["link"]}
        yield links
