"""The Freshdesk connector (API v2), as a source and as a target.

Reading. Lists are paged by number; the ``Link`` header says whether a next page exists.
The ticket list is the awkward one: without ``updated_since`` it only shows tickets
created in the last 30 days, and it refuses pages beyond the 300th. Tickets are therefore
always listed with ``updated_since`` (the epoch for a full read), oldest change first, and
every read starts again from the last ticket's ``updated_at``, skipping the tickets
already returned at that very second: a compound ``(updated_at, id)`` cursor that never
needs a deep page, stays correct when tickets change while they are read, and works past
30,000 tickets. Each ticket is then read whole (``include=conversations``, and every
conversation page when there are ten or more).

Counts are exact: Freshdesk has no count endpoint and its search only knows days and
lags behind writes, so counting pages through the lists (100 records a call, no ticket
read one by one) with the same filters as :meth:`FreshdeskConnector.read_page`.

Writing. Freshdesk cannot backdate: a ticket's original dates go into a private note,
each comment starts with its original date and author (:mod:`.payloads`). Attachments
travel as multipart bodies, streamed from temporary files, at most 20 MB per ticket or
conversation; more goes into further private notes. Markers are tags on tickets,
contacts and articles; companies, groups, solution categories and folders are found by
name (Freshdesk keeps them unique), agents by e-mail. Article translations, both ways, in
the account's languages: :mod:`.translations`.
"""

from __future__ import annotations

import html
import logging
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, ClassVar

from connectors import naming
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
    TranslationLanguages,
    cursor_dump,
    cursor_load,
    ensure_record_matches,
    is_marker,
    is_updated_since,
    page_by_ids,
)
from connectors.errors import ConnectorError, InvalidRecordError, NotFoundError
from connectors.freshdesk import (
    CAPABILITIES,
    CHECKLIST,
    DISPLAY_NAME,
    HOSTED_DOMAIN,
    KEY,
    MAX_ATTACHMENT_BYTES,
    FreshdeskCredentials,
    verification,
)
from connectors.freshdesk.client import (
    ACCOUNT_NOT_FOUND,
    LIST_PAGE_MAX,
    FreshdeskApi,
    ListPage,
    Upload,
    field_errors,
    http_client_options,
)
from connectors.freshdesk.payloads import (
    ORIGINAL_DATES_NOTE_OPENING,
    PLATFORM,
    agent_from_freshdesk,
    agent_to_freshdesk,
    agents_from_freshdesk,
    comment_to_freshdesk,
    companies_from_freshdesk,
    company_from_freshdesk,
    company_to_freshdesk,
    contact_from_freshdesk,
    contact_to_freshdesk,
    contacts_from_freshdesk,
    conversations_from_freshdesk,
    field_schema_from_freshdesk,
    group_from_freshdesk,
    group_to_freshdesk,
    groups_from_freshdesk,
    original_dates_note_to_freshdesk,
    solution_article_from_freshdesk,
    solution_article_to_freshdesk,
    solution_articles_from_freshdesk,
    solution_categories_from_freshdesk,
    solution_category_from_freshdesk,
    solution_category_to_freshdesk,
    solution_folder_from_freshdesk,
    solution_folder_to_freshdesk,
    solution_folders_from_freshdesk,
    solution_translations_from_freshdesk,
    ticket_from_freshdesk,
    ticket_to_freshdesk,
    ticket_update_to_freshdesk,
)
from connectors.freshdesk.translations import FreshdeskTranslations
from connectors.messages import Message, gettext_noop
from connectors.registry import register
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    Entity,
    FieldSchema,
    Group,
    Organization,
    Record,
    Ticket,
    html_to_text,
    text_to_html,
)
from connectors.wire import MalformedPayloadError, WireModel, parse_wire

logger = logging.getLogger(__name__)

#: Where a full read of the ticket list starts (the list needs ``updated_since`` to
#: show tickets older than 30 days).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: ``GET /tickets/{id}?include=conversations`` embeds at most this many conversations.
EMBEDDED_CONVERSATIONS_MAX = 10
#: Characters (whitespace left out) that tell a migrated conversation from the others.
CONVERSATION_KEY_CHARS = 160
#: A ticket read whole: its description, attachments, requester, stats and conversations.
TICKET_INCLUDES = "conversations,requester,stats"

_MEMBER_PATHS: dict[Entity, str] = {
    Entity.ORGANIZATIONS: "companies/{id}",
    Entity.GROUPS: "groups/{id}",
    Entity.AGENTS: "agents/{id}",
    Entity.CONTACTS: "contacts/{id}",
    Entity.TICKETS: "tickets/{id}",
    Entity.ARTICLE_CATEGORIES: "solutions/categories/{id}",
    Entity.ARTICLE_SECTIONS: "solutions/folders/{id}",
    Entity.ARTICLES: "solutions/articles/{id}",
}


@dataclass(frozen=True)
class _PlainList:
    """A list read page by page, with the converters of a page and of one record."""

    path: str
    many: Callable[[Any], Sequence[Record]]
    one: Callable[[Any], Record]
    #: The list's own "updated since" filter, when it has one (else filtered here).
    since_param: str | None = None


_PLAIN_LISTS: dict[Entity, _PlainList] = {
    Entity.ORGANIZATIONS: _PlainList("companies", companies_from_freshdesk, company_from_freshdesk),
    Entity.GROUPS: _PlainList("groups", groups_from_freshdesk, group_from_freshdesk),
    Entity.AGENTS: _PlainList("agents", agents_from_freshdesk, agent_from_freshdesk),
    Entity.CONTACTS: _PlainList(
        "contacts", contacts_from_freshdesk, contact_from_freshdesk, since_param="_updated_since"
    ),
}


class _TicketRow(WireModel):
    """What the cursor needs from a ticket of the list."""

    id: int
    updated_at: datetime


@dataclass(frozen=True)
class _ListedTicket:
    id: str
    updated_at: datetime
    #: Nothing comes after it in the list.
    last: bool


@dataclass(frozen=True)
class _PlannedConversation:
    """A reply or note a migrated ticket should have."""

    endpoint: str
    body: dict[str, Any]
    attachments: tuple[Attachment, ...]
    #: Names the attachments' note when they do not all fit in this conversation.
    label: str
    #: The start of its text that never changes (see :func:`conversation_key`).
    key: str
    #: The original-dates note: one per ticket, rewritten when its dates changed.
    dates_note: bool = False

    def is_among(self, existing_keys: Sequence[str]) -> bool:
        return any(key.startswith(self.key) for key in existing_keys)


# --------------------------------------------------------------------------- helpers


def conversation_key(markup: str) -> str:
    """The start of a conversation's text without whitespace, from its HTML body: how a
    migrated comment is recognised among a ticket's conversations (its first line carries
    its original date and author).

    Always the HTML ``body`` the connector wrote, never Freshdesk's derived ``body_text``:
    a header such as ``Rachel <rachel@example.com> wrote:`` is text in the HTML, but a
    plain-text body read as HTML loses the address as if it were a tag.
    """
    return re.sub(r"\s+", "", html_to_text(markup))[:CONVERSATION_KEY_CHARS]


def _existing_key(conversation: Mapping[str, Any]) -> str:
    body = conversation.get("body")
    if isinstance(body, str) and body:
        return conversation_key(body)
    # No HTML given back: the plain text, escaped so that nothing in it reads as a tag.
    return conversation_key(text_to_html(str(conversation.get("body_text") or "")))


def account_name_from_url(url: str) -> str:
    """ "acme" for https://acme.freshdesk.com; a sandbox account's own name otherwise."""
    return naming.account_name_from_url(url, hosted_domain=HOSTED_DOMAIN, display_name=DISPLAY_NAME)


def _whole_second(moment: datetime) -> datetime:
    # Freshdesk's times have whole seconds; counts and reads round the same way.
    return moment.astimezone(UTC).replace(microsecond=0)


def _since_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _object(payload: Any, *, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s returned a %(what)s that is not an object."),
                {"platform": PLATFORM, "what": what},
            )
        )
    return payload


def _created_id(payload: Any, *, what: str) -> str:
    created = _object(payload, what=what)
    if not isinstance(created.get("id"), int):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s created a %(what)s without saying its id."),
                {"platform": PLATFORM, "what": what},
            )
        )
    return str(created["id"])


def _format_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _too_large(attachment: Attachment, *, size: int) -> InvalidRecordError:
    return InvalidRecordError(
        Message(
            gettext_noop(
                "The attachment '%(file_name)s' is %(format_size)s: Freshdesk accepts at most "
                "%(format_size2)s of attachments per ticket or note."
            ),
            {
                "file_name": str(attachment.file_name),
                "format_size": _format_size(size),
                "format_size2": _format_size(MAX_ATTACHMENT_BYTES),
            },
        ),
        detail="attachments",
    )


def _batches(uploads: Sequence[Upload]) -> list[list[Upload]]:
    """Uploads in order, grouped so that no group exceeds Freshdesk's 20 MB."""
    batches: list[list[Upload]] = []
    total = MAX_ATTACHMENT_BYTES + 1
    for upload in uploads:
        if total + upload.size > MAX_ATTACHMENT_BYTES:
            batches.append([])
            total = 0
        batches[-1].append(upload)
        total += upload.size
    return batches


def _kept_markers(tags: Any) -> list[str]:
    """The migration markers among a record's tags: an update must not drop them."""
    return [tag for tag in tags or [] if isinstance(tag, str) and is_marker(tag)]


def _planned_conversations(ticket: Ticket) -> list[_PlannedConversation]:
    planned = [
        _PlannedConversation(
            endpoint="notes",
            body=original_dates_note_to_freshdesk(ticket),
            attachments=(),
            label="original dates",
            # Its lines change (resolved on, last updated on): its opening words name it.
            key=conversation_key(html.escape(ORIGINAL_DATES_NOTE_OPENING)),
            dates_note=True,
        )
    ]
    for comment in ticket.comments[1:]:
        conversation = comment_to_freshdesk(comment)
        planned.append(
            _PlannedConversation(
                endpoint=conversation.endpoint,
                body=conversation.body,
                attachments=tuple(comment.file_attachments),
                label=f"the comment of {comment.created_at:%Y-%m-%d %H:%M} UTC",
                key=conversation_key(conversation.body["body"]),
            )
        )
    return planned


# --------------------------------------------------------------------------- connector


@register
class FreshdeskConnector(ApiConnector[FreshdeskApi]):
    """Reads and writes a Freshdesk account through API v2."""

    key = KEY
    display_name = DISPLAY_NAME
    record_id_pattern = NUMERIC_RECORD_IDS
    credentials_model = FreshdeskCredentials
    capabilities = CAPABILITIES
    checklist = CHECKLIST

    #: Freshdesk refuses pages of the ticket list beyond this one.
    ticket_page_cap: ClassVar[int] = 300

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
        self._agents: dict[str, Agent] | None = None
        self._kb_categories: list[ArticleCategory] | None = None
        self._kb_folders: list[ArticleSection] | None = None
        self._translations = FreshdeskTranslations(lambda: self.api)

    def open_api(self) -> FreshdeskApi:
        assert isinstance(self.credentials, FreshdeskCredentials)
        client = self.open_http_client(**http_client_options(self.credentials))
        return FreshdeskApi(http=client)

    # ------------------------------------------------------------------- account

    def check_credentials(self) -> AccountInfo:
        try:
            me = self.api.get("agents/me", entity="account")
        except NotFoundError as missing:
            raise NotFoundError(ACCOUNT_NOT_FOUND, status=404, detail=missing.detail) from None
        agent = agent_from_freshdesk(me)
        assert isinstance(self.credentials, FreshdeskCredentials)
        return AccountInfo(
            account_name=account_name_from_url(self.credentials.url),
            account_url=self.credentials.url,
            user_email=agent.email,
        )

    def describe_fields(self) -> FieldSchema:
        return field_schema_from_freshdesk(self.api.get("ticket_fields", entity="fields"))

    def translation_languages(self) -> TranslationLanguages | None:
        return self._translations.languages()

    # ------------------------------------------------------------------- reading

    def count(
        self,
        entity: Entity,
        *,
        updated_since: datetime | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> int:
        if filters:
            raise ValueError(f"Freshdesk counts cannot be filtered by {', '.join(sorted(filters))}")
        since = _whole_second(updated_since) if updated_since else None
        if entity is Entity.TICKETS:
            rows = self._ticket_rows(since=since or EPOCH, skip=frozenset(), per_page=LIST_PAGE_MAX)
            return sum(1 for _row in rows)
        if entity in _PLAIN_LISTS:
            listing = _PLAIN_LISTS[entity]
            params = (
                {listing.since_param: _since_text(since)} if since and listing.since_param else {}
            )
            # Page by page: only one page of records is held, however many there are.
            total, number = 0, 1
            while True:
                listed = self.api.list_page(
                    listing.path,
                    entity=entity.value,
                    params={**params, "page": number, "per_page": LIST_PAGE_MAX},
                )
                total += sum(
                    1 for record in listing.many(listed.items) if is_updated_since(record, since)
                )
                if not listed.has_next:
                    return total
                number += 1
                del listed
        if entity is Entity.ARTICLE_CATEGORIES:
            return sum(1 for record in self._categories() if is_updated_since(record, since))
        if entity is Entity.ARTICLE_SECTIONS:
            return sum(1 for record in self._folders() if is_updated_since(record, since))
        if entity is Entity.ARTICLES:
            return sum(
                1
                for folder in self._folders()
                for article in self._folder_articles(folder.source_id)
                if is_updated_since(article, since)
            )
        raise ValueError(f"Freshdesk does not read {entity.value}")

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
        since = _whole_second(updated_since) if updated_since else None
        state = cursor_load(cursor, platform=DISPLAY_NAME)
        if ids is not None:
            return page_by_ids(
                ids=ids,
                state=state,
                page_size=page_size,
                since=since,
                read_one=lambda source_id: self._read_one(entity, source_id),
            )
        if entity is Entity.TICKETS:
            return self._read_tickets(state=state, page_size=page_size, since=since)
        if entity in _PLAIN_LISTS:
            return self._read_plain(entity, state=state, page_size=page_size, since=since)
        if entity is Entity.ARTICLE_CATEGORIES:
            return self._read_categories(state=state, page_size=page_size, since=since)
        if entity is Entity.ARTICLE_SECTIONS:
            return self._read_folders(state=state, page_size=page_size, since=since)
        if entity is Entity.ARTICLES:
            return self._read_articles(state=state, page_size=page_size, since=since)
        raise ValueError(f"Freshdesk does not read {entity.value}")

    def download_attachment(self, attachment: Attachment) -> AttachmentStream:
        # Freshdesk's attachment links are signed: no credentials go with them.
        return self.api.http.download(attachment.url, entity="attachments")

    # ---- records by id

    def _read_one(self, entity: Entity, source_id: str) -> Record | None:
        """One record, or None when it does not exist (any more)."""
        if not source_id.isdigit():
            return None
        if entity is Entity.TICKETS:
            return self._ticket(source_id)
        try:
            payload = self.api.get(_MEMBER_PATHS[entity].format(id=source_id), entity=entity.value)
        except NotFoundError:
            return None
        if entity in _PLAIN_LISTS:
            return _PLAIN_LISTS[entity].one(payload)
        if entity is Entity.ARTICLE_CATEGORIES:
            return solution_category_from_freshdesk(payload)
        if entity is Entity.ARTICLE_SECTIONS:
            return solution_folder_from_freshdesk(payload)
        if entity is Entity.ARTICLES:
            return solution_article_from_freshdesk(
                payload,
                translations=self._translations.of_article(source_id),
                locale=self._translations.primary(),
            )
        raise ValueError(f"Freshdesk does not read {entity.value}")

    # ---- companies, groups, agents, contacts

    def _read_plain(
        self, entity: Entity, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        listing = _PLAIN_LISTS[entity]
        page = int(state.get("page", 1))
        per_page = int(state.get("per_page", min(page_size, LIST_PAGE_MAX)))
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if since and listing.since_param:
            params[listing.since_param] = _since_text(since)
        listed = self.api.list_page(listing.path, entity=entity.value, params=params)
        records = [
            record for record in listing.many(listed.items) if is_updated_since(record, since)
        ]
        next_state = {"page": page + 1, "per_page": per_page}
        return Page(
            records=records,
            next_cursor=cursor_dump(next_state) if listed.has_next else None,
            has_more=listed.has_next,
        )

    # ---- tickets

    def _ticket_rows(
        self, *, since: datetime, skip: frozenset[str], per_page: int
    ) -> Iterator[_ListedTicket]:
        """Live tickets changed at or after ``since``, oldest change first, without those of
        ``skip`` changed at ``since`` exactly (already read).

        At the page cap the walk starts again from the last ticket's ``updated_at``.
        """
        page = 1
        boundary, boundary_ids = since, set(skip)
        while True:
            params = {
                "updated_since": _since_text(since),
                "order_by": "updated_at",
                "order_type": "asc",
                "per_page": per_page,
                "page": page,
            }
            listed = self.api.list_page("tickets", entity="tickets", params=params)
            rows = [
                parse_wire(_TicketRow, item, platform=PLATFORM, what=f"ticket[{index}]")
                for index, item in enumerate(listed.items)
            ]
            fresh = [row for row in rows if not (row.updated_at == since and str(row.id) in skip)]
            for index, row in enumerate(fresh):
                if row.updated_at != boundary:
                    boundary, boundary_ids = row.updated_at, set()
                boundary_ids.add(str(row.id))
                last = not listed.has_next and index == len(fresh) - 1
                yield _ListedTicket(id=str(row.id), updated_at=row.updated_at, last=last)
            if not listed.has_next:
                return
            if page < self.ticket_page_cap:
                page += 1
                continue
            if boundary == since:
                raise ConnectorError(
                    Message(
                        gettext_noop(
                            "More than %(ticket_page_cap_per_page)s Freshdesk tickets were "
                            "updated in the same second (%(since_text)s); they cannot be listed."
                        ),
                        {
                            "ticket_page_cap_per_page": self.ticket_page_cap * per_page,
                            "since_text": _since_text(since),
                        },
                    )
                )
            logger.info("Freshdesk ticket list: page cap reached, going on from %s", boundary)
            since, skip, page = boundary, frozenset(boundary_ids), 1

    def _read_tickets(
        self, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        walk_since = datetime.fromisoformat(state["since"]) if "since" in state else since or EPOCH
        skip = frozenset(str(ticket_id) for ticket_id in state.get("skip", ()))
        # Tickets already read come again at the start: the page makes room for them.
        per_page = min(LIST_PAGE_MAX, page_size + len(skip))
        rows = list(
            islice(self._ticket_rows(since=walk_since, skip=skip, per_page=per_page), page_size)
        )
        # Fewer rows than asked for: the list ended.
        has_more = len(rows) == page_size and not rows[-1].last
        tickets = [ticket for row in rows if (ticket := self._ticket(row.id)) is not None]
        next_cursor = None
        if has_more:
            last = rows[-1].updated_at
            at_last = {row.id for row in rows if row.updated_at == last}
            if last == walk_since:
                at_last |= skip
            next_cursor = cursor_dump({"since": _since_text(last), "skip": sorted(at_last)})
        return Page(records=tickets, next_cursor=next_cursor, has_more=has_more)

    def _ticket(self, ticket_id: str) -> Ticket | None:
        """A ticket with its whole conversation; None when it vanished or went to the trash
        since it was listed."""
        try:
            payload = _object(
                self.api.get(
                    f"tickets/{ticket_id}", entity="tickets", params={"include": TICKET_INCLUDES}
                ),
                what="ticket",
            )
            if payload.get("deleted"):
                return None
            conversations = payload.get("conversations") or []
            if len(conversations) >= EMBEDDED_CONVERSATIONS_MAX:
                conversations = list(
                    self.api.list_all(f"tickets/{ticket_id}/conversations", entity="tickets")
                )
        except NotFoundError:
            logger.info("Freshdesk ticket %s vanished while being read; skipped", ticket_id)
            return None
        ticket = ticket_from_freshdesk(
            payload, conversations=conversations_from_freshdesk(conversations)
        )
        return self._with_author_details(ticket)

    def _with_author_details(self, ticket: Ticket) -> Ticket:
        """Names and addresses of the comments' authors: agents from the agent list, the
        requester from the ticket (Freshdesk only gives a user id, and the support
        address as the sender of agents' replies)."""
        agents = self._agents_by_id()
        opening = ticket.opening_comment
        comments: list[Comment] = []
        for comment in ticket.comments:
            agent = agents.get(comment.author_id or "")
            if agent is not None and comment.author_kind is AuthorKind.AGENT:
                comment = comment.model_copy(
                    update={"author_name": agent.name, "author_email": agent.email}
                )
            elif (
                opening is not None
                and comment.author_id is not None
                and comment.author_id == ticket.requester_id
                and comment.author_name is None
            ):
                comment = comment.model_copy(
                    update={
                        "author_name": opening.author_name,
                        "author_email": comment.author_email or opening.author_email,
                    }
                )
            comments.append(comment)
        return ticket.model_copy(update={"comments": comments})

    def _agents_by_id(self) -> dict[str, Agent]:
        if self._agents is None:
            items = list(self.api.list_all("agents", entity="agents"))
            self._agents = {agent.source_id: agent for agent in agents_from_freshdesk(items)}
        return self._agents

    # ---- knowledge base

    def _categories(self) -> list[ArticleCategory]:
        if self._kb_categories is None:
            items = list(self.api.list_all("solutions/categories", entity="article_categories"))
            categories = solution_categories_from_freshdesk(items)
            self._kb_categories = sorted(categories, key=lambda record: int(record.source_id))
        return self._kb_categories

    def _folders(self) -> list[ArticleSection]:
        """Every folder, category by category, each in the order of its id."""
        if self._kb_folders is None:
            folders: list[ArticleSection] = []
            for category in self._categories():
                try:
                    items = list(
                        self.api.list_all(
                            f"solutions/categories/{category.source_id}/folders",
                            entity="article_sections",
                        )
                    )
                except NotFoundError:
                    continue
                found = solution_folders_from_freshdesk(items, category_id=category.source_id)
                folders.extend(sorted(found, key=lambda record: int(record.source_id)))
            self._kb_folders = folders
        return self._kb_folders

    def _forget_knowledge_base(self) -> None:
        self._kb_categories = None
        self._kb_folders = None
        self._translations.forget_reads()

    def _with_translations(self, folder_id: str, articles: list[Article]) -> list[Article]:
        """The folder's articles with their translations (in the account's other languages)
        and their language, the account's primary one."""
        reads = self._translations.of_folder(folder_id)
        primary = self._translations.primary()
        return [
            article.model_copy(
                update={
                    "locale": primary,
                    "translations": solution_translations_from_freshdesk(
                        reads.get(article.source_id, {})
                    ),
                }
            )
            for article in articles
        ]

    def _folder_articles(self, folder_id: str) -> Iterator[Article]:
        try:
            items = list(
                self.api.list_all(f"solutions/folders/{folder_id}/articles", entity="articles")
            )
        except NotFoundError:
            return
        yield from solution_articles_from_freshdesk(items)

    def _read_categories(
        self, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        start = int(state.get("from", 0))
        chosen = [
            category
            for category in self._categories()
            if int(category.source_id) >= start and is_updated_since(category, since)
        ][: page_size + 1]
        return _page_of(chosen, page_size=page_size, position=lambda c: {"from": int(c.source_id)})

    def _read_folders(
        self, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        start = (int(state.get("category", 0)), int(state.get("from", 0)))
        chosen = [
            folder
            for folder in self._folders()
            if (int(folder.category_id), int(folder.source_id)) >= start
            and is_updated_since(folder, since)
        ][: page_size + 1]
        return _page_of(
            chosen,
            page_size=page_size,
            position=lambda f: {"category": int(f.category_id), "from": int(f.source_id)},
        )

    def _read_articles(
        self, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        start = (
            int(state.get("category", 0)),
            int(state.get("folder", 0)),
            int(state.get("page", 1)),
            int(state.get("offset", 0)),
        )
        found: list[tuple[dict[str, int], Article]] = []
        for folder in self._folders():
            category_id, folder_id = int(folder.category_id), int(folder.source_id)
            if (category_id, folder_id) < start[:2]:
                continue
            at_start = (category_id, folder_id) == start[:2]
            page, offset = (start[2], start[3]) if at_start else (1, 0)
            while len(found) <= page_size:
                try:
                    listed: ListPage = self.api.list_page(
                        f"solutions/folders/{folder_id}/articles",
                        entity="articles",
                        params={"page": page, "per_page": LIST_PAGE_MAX},
                    )
                except NotFoundError:
                    break
                articles = self._with_translations(
                    str(folder_id), solution_articles_from_freshdesk(listed.items)
                )
                for index in range(offset, len(articles)):
                    if is_updated_since(articles[index], since):
                        position = {
                            "category": category_id,
                            "folder": folder_id,
                            "page": page,
                            "offset": index,
                        }
                        found.append((position, articles[index]))
                if not listed.has_next:
                    break
                page, offset = page + 1, 0
            if len(found) > page_size:
                break
        has_more = len(found) > page_size
        return Page(
            records=[article for _position, article in found[:page_size]],
            next_cursor=cursor_dump(found[page_size][0]) if has_more else None,
            has_more=has_more,
        )

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
            case Organization():
                return self._create_named(
                    entity, "companies", company_to_freshdesk(record), name=record.name
                )
            case Group():
                return self._create_named(
                    entity, "groups", group_to_freshdesk(record), name=record.name
                )
            case Agent():
                return self._agent_create(record)
            case Contact():
                return self._contact_create(record, marker=marker)
            case Ticket():
                return self._ticket_create(
                    record, marker=marker, opener=attachments, on_created=on_created
                )
            case ArticleCategory():
                self._forget_knowledge_base()
                return self._create_named(
                    entity,
                    "solutions/categories",
                    solution_category_to_freshdesk(record),
                    name=record.name,
                )
            case ArticleSection():
                self._forget_knowledge_base()
                return self._create_named(
                    entity,
                    f"solutions/categories/{record.category_id}/folders",
                    solution_folder_to_freshdesk(record),
                    name=record.name,
                    parent_id=record.category_id,
                )
            case Article():
                return self._article_create(record, marker=marker, on_created=on_created)
        raise ValueError(f"Freshdesk does not write {entity.value}")

    def update(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        ensure_record_matches(entity, record)
        path = _MEMBER_PATHS[entity].format(id=target_id)
        match record:
            case Organization():
                self.api.put(path, entity=entity.value, body=company_to_freshdesk(record))
            case Group():
                self.api.put(path, entity=entity.value, body=group_to_freshdesk(record))
            case Agent():
                # Only what the source decides: roles, scope and seats stay as they are.
                body = agent_to_freshdesk(record)
                changes = {name: body[name] for name in ("name", "group_ids") if name in body}
                self.api.put(path, entity=entity.value, body=changes)
            case Contact():
                current = _object(self.api.get(path, entity=entity.value), what="contact")
                body = contact_to_freshdesk(record, marker="")
                body["tags"] = [*record.tags, *_kept_markers(current.get("tags"))]
                self.api.put(path, entity=entity.value, body=body)
            case Ticket():
                self._ticket_update(target_id, record, opener=attachments)
            case ArticleCategory():
                self._forget_knowledge_base()
                self.api.put(path, entity=entity.value, body=solution_category_to_freshdesk(record))
            case ArticleSection():
                self._forget_knowledge_base()
                self.api.put(path, entity=entity.value, body=solution_folder_to_freshdesk(record))
            case Article():
                current = _object(self.api.get(path, entity=entity.value), what="solution article")
                body = solution_article_to_freshdesk(record, marker="")
                body["tags"] = [*record.tags, *_kept_markers(current.get("tags"))]
                self.api.put(path, entity=entity.value, body=body)
                self._translations_write(target_id, record, existing=True)
            case _:
                raise ValueError(f"Freshdesk does not write {entity.value}")

    def delete(self, entity: Entity, target_id: str) -> None:
        if entity in (Entity.ARTICLE_CATEGORIES, Entity.ARTICLE_SECTIONS):
            self._forget_knowledge_base()
        if entity is Entity.CONTACTS:
            # A soft-deleted contact keeps its address: the next run could not create the
            # person again. ``force`` deletes for good without the soft delete first.
            self.api.delete(
                f"contacts/{target_id}/hard_delete", entity=entity.value, params={"force": "true"}
            )
            return
        if entity is Entity.AGENTS:
            self._agent_delete(target_id)
            return
        # Tickets go to the trash (the API has no other delete): lists no longer show them.
        self.api.delete(_MEMBER_PATHS[entity].format(id=target_id), entity=entity.value)

    def _agent_delete(self, agent_id: str) -> None:
        """Freshdesk keeps a deleted agent as a contact with the same id: it goes too. Run
        again after a crash between the two, the contact still goes."""
        agent_gone = False
        try:
            self.api.delete(f"agents/{agent_id}", entity="agents")
        except NotFoundError:
            agent_gone = True
        try:
            self.api.delete(
                f"contacts/{agent_id}/hard_delete", entity="agents", params={"force": "true"}
            )
        except NotFoundError:
            if agent_gone:
                raise

    def expected_on_target(self, entity: Entity, record: Record) -> Record | None:
        return verification.expected_record(record)

    def added_by_target(self, entity: Entity, comment: Comment) -> bool:
        return verification.is_attachment_note(comment)

    def find_by_marker(
        self, entity: Entity, marker: str, *, record: Record | None = None
    ) -> str | None:
        match entity:
            case Entity.TICKETS:
                return self._ticket_with_marker(marker, record=record)
            case Entity.CONTACTS:
                return self._contact_with_marker(marker, record=record)
            case Entity.ARTICLES:
                if not isinstance(record, Article):
                    return None
                return next(
                    (
                        article.source_id
                        for article in self._folder_articles(record.section_id)
                        if marker in article.tags
                    ),
                    None,
                )
            case Entity.AGENTS:
                if not isinstance(record, Agent) or not record.email:
                    return None
                return self._agent_with_email(record.email)
            case Entity.ORGANIZATIONS | Entity.GROUPS | Entity.ARTICLE_CATEGORIES:
                name = getattr(record, "name", None)
                return self._id_by_name(entity, name) if name else None
            case Entity.ARTICLE_SECTIONS:
                if not isinstance(record, ArticleSection):
                    return None
                return self._id_by_name(entity, record.name, parent_id=record.category_id)
        raise ValueError(f"Freshdesk does not write {entity.value}")

    # ---- found by name

    def _id_by_name(self, entity: Entity, name: str, *, parent_id: str | None = None) -> str | None:
        """Freshdesk keeps these names unique (case aside): the name finds the record."""
        wanted = name.strip().casefold()
        if entity is Entity.ARTICLE_SECTIONS:
            path = f"solutions/categories/{parent_id}/folders"
        else:
            path = {
                Entity.ORGANIZATIONS: "companies",
                Entity.GROUPS: "groups",
                Entity.ARTICLE_CATEGORIES: "solutions/categories",
            }[entity]
        try:
            for item in self.api.list_all(path, entity=entity.value):
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("id"), int)
                    and str(item.get("name", "")).strip().casefold() == wanted
                ):
                    return str(item["id"])
        except NotFoundError:
            return None
        return None

    def _create_named(
        self,
        entity: Entity,
        path: str,
        body: Mapping[str, Any],
        *,
        name: str,
        parent_id: str | None = None,
    ) -> str:
        """Create, or take the record of the same name that is already there."""
        try:
            return _created_id(
                self.api.post(path, entity=entity.value, body=body), what=entity.value
            )
        except InvalidRecordError as refused:
            if refused.status != 409:
                raise
            existing = self._id_by_name(entity, name, parent_id=parent_id)
            if existing is None:
                raise
            return self.existing_taken(entity, existing)

    # ---- agents and contacts

    def _agent_with_email(self, email: str) -> str | None:
        listed = self.api.list_page("agents", entity="agents", params={"email": email})
        return next((str(item["id"]) for item in listed.items if isinstance(item, dict)), None)

    def _agent_create(self, agent: Agent) -> str:
        if not agent.active or agent.deleted:
            # Full-time agents take a paid seat; occasional ones are unlimited and only use
            # a day pass when they sign in, which former colleagues never do.
            agent = agent.model_copy(update={"role": "occasional"})
        body = agent_to_freshdesk(agent)
        try:
            return _created_id(self.api.post("agents", entity="agents", body=body), what="agent")
        except InvalidRecordError as refused:
            if refused.status != 409 or not agent.email:
                raise
            existing = self._agent_with_email(agent.email)
            if existing is not None:
                return self.existing_taken(Entity.AGENTS, existing)
            user_id = _duplicate_user_id(refused)
            if user_id is None:
                raise
        # The address belongs to a contact: Freshdesk turns contacts into agents.
        conversion = {
            name: body[name] for name in ("occasional", "ticket_scope", "group_ids") if name in body
        }
        self.api.put(f"contacts/{user_id}/make_agent", entity="agents", body=conversion)
        return self.existing_taken(Entity.AGENTS, user_id)

    def _contact_with_marker(self, marker: str, *, record: Record | None) -> str | None:
        if not isinstance(record, Contact):
            return None
        lookups = [("email", email) for email in record.all_emails]
        lookups += [
            (name, value) for name in ("phone", "mobile") if (value := getattr(record, name))
        ]
        for name, value in lookups:
            listed = self.api.list_page("contacts", entity="contacts", params={name: value})
            for item in listed.items:
                if isinstance(item, dict) and marker in (item.get("tags") or []):
                    return str(item["id"])
        return None

    def _contact_create(self, contact: Contact, *, marker: str) -> str:
        body = contact_to_freshdesk(contact, marker=marker)
        try:
            return _created_id(
                self.api.post("contacts", entity="contacts", body=body), what="contact"
            )
        except InvalidRecordError as refused:
            user_id = _duplicate_user_id(refused) if refused.status == 409 else None
            if user_id is None:
                raise
        # Someone has this address already: the migration carries on with that person.
        self.existing_taken(Entity.CONTACTS, user_id)
        try:
            current = _object(
                self.api.get(f"contacts/{user_id}", entity="contacts"), what="contact"
            )
        except NotFoundError:
            return user_id  # an agent: tickets may name them as requester all the same
        tags = list(current.get("tags") or [])
        if marker not in tags:
            self.api.put(f"contacts/{user_id}", entity="contacts", body={"tags": [*tags, marker]})
        return user_id

    # ---- tickets

    def _ticket_with_marker(self, marker: str, *, record: Record | None) -> str | None:
        query = f"\"tag:'{marker}'\""
        found = self.api.get("search/tickets", entity="tickets", params={"query": query})
        for item in _object(found, what="search result").get("results") or []:
            if isinstance(item, dict) and marker in (item.get("tags") or []):
                return str(item["id"])
        # Search lags behind writes: the requester's tickets are listed at once.
        if isinstance(record, Ticket) and record.requester_id and record.requester_id.isdigit():
            params = {"requester_id": record.requester_id, "updated_since": _since_text(EPOCH)}
            for item in self.api.list_all("tickets", entity="tickets", params=params):
                if isinstance(item, dict) and marker in (item.get("tags") or []):
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
        if opener is not None:
            for attachment in ticket.attachments:
                if attachment.size is not None and attachment.size > MAX_ATTACHMENT_BYTES:
                    raise _too_large(attachment, size=attachment.size)
        body = ticket_to_freshdesk(ticket, marker=marker)
        opening = ticket.opening_comment
        opening_files = opening.file_attachments if opening is not None and opener else []
        with self._uploads(opening_files, opener) as uploads:
            first, *more = _batches(uploads) or [[]]
            created = self.api.post("tickets", entity="tickets", body=body, uploads=first)
            ticket_id = _created_id(created, what="ticket")
            if on_created is not None:
                on_created(ticket_id)
            self._attachment_notes(ticket_id, more, label="the ticket's description")
        for planned in _planned_conversations(ticket):
            self._conversation_post(ticket_id, planned, opener=opener)
        return ticket_id

    def _ticket_update(
        self, ticket_id: str, ticket: Ticket, *, opener: AttachmentOpener | None
    ) -> None:
        """The ticket's fields, then the conversations it lacks (a delta brings new
        comments; a create cut short leaves some out)."""
        path = f"tickets/{ticket_id}"
        current = _object(self.api.get(path, entity="tickets"), what="ticket")
        body = ticket_update_to_freshdesk(ticket)
        body["tags"] = [*ticket.tags, *_kept_markers(current.get("tags"))]
        self.api.put(path, entity="tickets", body=body)
        existing = [
            item
            for item in self.api.list_all(f"{path}/conversations", entity="tickets")
            if isinstance(item, dict)
        ]
        existing_keys = [_existing_key(item) for item in existing]
        for planned in _planned_conversations(ticket):
            if not planned.is_among(existing_keys):
                self._conversation_post(ticket_id, planned, opener=opener)
            elif planned.dates_note:
                self._dates_note_refresh(planned, existing, existing_keys)

    def _dates_note_refresh(
        self,
        planned: _PlannedConversation,
        existing: Sequence[Mapping[str, Any]],
        existing_keys: Sequence[str],
    ) -> None:
        """The dates note says when the ticket was last updated (and resolved): rewrite
        it in place when that changed, rather than adding a second note."""
        for item, key in zip(existing, existing_keys, strict=True):
            if not key.startswith(planned.key) or not isinstance(item.get("id"), int):
                continue
            wanted = html_to_text(planned.body["body"])
            if html_to_text(str(item.get("body") or "")) != wanted:
                self.api.put(
                    f"conversations/{item['id']}",
                    entity="tickets",
                    body={"body": planned.body["body"]},
                )
            return

    def _conversation_post(
        self, ticket_id: str, planned: _PlannedConversation, *, opener: AttachmentOpener | None
    ) -> None:
        files = list(planned.attachments) if opener is not None else []
        with self._uploads(files, opener) as uploads:
            first, *more = _batches(uploads) or [[]]
            self.api.post(
                f"tickets/{ticket_id}/{planned.endpoint}",
                entity="tickets",
                body=planned.body,
                uploads=first,
            )
            self._attachment_notes(ticket_id, more, label=planned.label)

    def _attachment_notes(
        self, ticket_id: str, batches: Sequence[list[Upload]], *, label: str
    ) -> None:
        """Attachments beyond Freshdesk's 20 MB per conversation, in further private notes."""
        for number, batch in enumerate(batches, start=2):
            text = f"Attachments of {label} (part {number})."
            self.api.post(
                f"tickets/{ticket_id}/notes",
                entity="tickets",
                body={"body": f"<p>{html.escape(text)}</p>", "private": True},
                uploads=batch,
            )

    @contextmanager
    def _uploads(
        self, attachments: Sequence[Attachment], opener: AttachmentOpener | None
    ) -> Iterator[list[Upload]]:
        """The attachments' content in temporary files, streamed from the opener: a file is
        never held in memory, and a retried request reads it again from its start."""
        with ExitStack() as stack:
            uploads: list[Upload] = []
            for attachment in attachments:
                assert opener is not None
                file = stack.enter_context(tempfile.TemporaryFile())
                size = 0
                with opener(attachment) as chunks:
                    for chunk in chunks:
                        size += len(chunk)
                        if size > MAX_ATTACHMENT_BYTES:
                            raise _too_large(attachment, size=size)
                        file.write(chunk)
                file.seek(0)
                uploads.append(
                    Upload(
                        file_name=attachment.file_name,
                        content_type=attachment.content_type,
                        file=file,
                        size=size,
                    )
                )
            yield uploads

    # ---- articles

    def _article_create(
        self, article: Article, *, marker: str, on_created: Callable[[str], None] | None
    ) -> str:
        body = solution_article_to_freshdesk(article, marker=marker)
        if article.author_id and article.author_id.isdigit():
            body["agent_id"] = int(article.author_id)
        created = self.api.post(
            f"solutions/folders/{article.section_id}/articles", entity="articles", body=body
        )
        article_id = _created_id(created, what="solution article")
        if on_created is not None:
            on_created(article_id)
        self._translations_write(article_id, article, existing=False)
        return article_id

    def _translations_write(self, article_id: str, article: Article, *, existing: bool) -> None:
        self._translations.write(article_id, article, existing=existing)


def _page_of(
    chosen: Sequence[Record],
    *,
    page_size: int,
    position: Callable[[Any], Mapping[str, Any]],
) -> Page[Record]:
    """A page of ``page_size`` records from ``chosen`` (one more, when it has it, says where
    the next page starts)."""
    has_more = len(chosen) > page_size
    return Page(
        records=list(chosen[:page_size]),
        next_cursor=cursor_dump(position(chosen[page_size])) if has_more else None,
        has_more=has_more,
    )


def _duplicate_user_id(refused: InvalidRecordError) -> str | None:
    """The user a 409 says already has the e-mail address (``additional_info.user_id``)."""
    for item in field_errors(refused):
        info = item.get("additional_info")
        if item.get("code") == "duplicate_value" and isinstance(info, dict):
            user_id = info.get("user_id")
            if isinstance(user_id, int):
                return str(user_id)
    return None
