"""The Teamwork Desk connector (API v2), as a source and as a target.

Reading. Lists are paged by number (``page``/``pageSize``, ``meta.page.hasMore``) and
ordered by id, so records added while a list is read come after it; a list's
``meta.page.count`` gives exact counts in one call. Tickets are listed by ``updatedAt``
with their messages, files, customers, agents and tags included in the same answer,
and every read starts again from the last ticket's ``updatedAt`` (filter ``$gte``),
skipping the tickets already returned at that very moment: a compound
``(updatedAt, id)`` cursor that stays correct when tickets change while they are read.
Help docs sites are the canonical article categories, help docs categories the sections
(nested through ``parent_section_id``), articles are read site by site.

Writing. Tickets go into the inbox chosen as the migration's scope (the first inbox when
none was chosen). Teamwork Desk cannot set dates or message authors: each message starts
with its original date and author (:mod:`.payloads`). Attachments are streamed from the
opener into temporary files and uploaded in Teamwork Desk's three steps, at most 20 MB
per message; more goes into further private notes.

Markers: a tag named after the marker on tickets, ``externalId`` on customers. Agents are
never created: they are found by e-mail address and must be active (invited agents
become active once they accept). Help docs sites are found by name, their categories by
name under the same parent, articles by title in their category.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
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
    cursor_dump,
    cursor_load,
    ensure_record_matches,
    is_marker,
    is_updated_since,
    page_by_ids,
)
from connectors.errors import ConnectorError, InvalidRecordError, NotFoundError
from connectors.messages import Message, gettext_noop
from connectors.registry import register
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    Attachment,
    Comment,
    Contact,
    Entity,
    FieldSchema,
    Record,
    Ticket,
    fallback_status,
    normalise_email,
)
from connectors.teamwork_desk import (
    CAPABILITIES,
    CHECKLIST,
    DISPLAY_NAME,
    HOSTED_DOMAIN,
    KEY,
    MAX_ATTACHMENT_BYTES,
    MISSING_AGENT_INSTRUCTIONS,
    SOURCE_CHECKLIST,
    TeamworkDeskCredentials,
    verification,
)
from connectors.teamwork_desk.client import (
    LIST_PAGE_MAX,
    ListPage,
    TeamworkDeskApi,
    error_details,
    filter_param,
    http_client_options,
)
from connectors.teamwork_desk.payloads import (
    PLATFORM,
    agent_from_teamwork,
    agents_from_teamwork,
    attachments_note_to_teamwork,
    companies_from_teamwork,
    company_from_teamwork,
    contact_from_teamwork,
    contacts_from_teamwork,
    customer_to_teamwork,
    field_schema_from_teamwork,
    file_ref_to_teamwork,
    help_doc_article_from_teamwork,
    help_doc_article_to_teamwork,
    help_doc_articles_from_teamwork,
    help_doc_categories_from_teamwork,
    help_doc_category_from_teamwork,
    help_doc_category_to_teamwork,
    help_doc_site_from_teamwork,
    help_doc_site_to_teamwork,
    help_doc_sites_from_teamwork,
    message_html,
    message_key,
    message_to_teamwork,
    named_from_teamwork,
    pending_invited_user_ids,
    subdomain_for,
    tag_to_teamwork,
    teamwork_id,
    ticket_fields_to_teamwork,
    ticket_from_teamwork,
    ticket_to_teamwork,
    tickets_from_teamwork,
)
from connectors.wire import MalformedPayloadError, WireModel, parse_wire

logger = logging.getLogger(__name__)

#: What a ticket is read with: its threads, their files and authors, its tags and status.
TICKET_INCLUDES = "messages,files,customers,users,tags,ticketstatuses,ticketsources"
ACCOUNT_NOT_FOUND = "no Teamwork Desk site at this address"


@dataclass(frozen=True)
class _PlainList:
    """A list read page by page in the order of its ids."""

    path: str
    key: str
    includes: str = ""


_PLAIN_LISTS: dict[Entity, _PlainList] = {
    Entity.ORGANIZATIONS: _PlainList("companies.json", "companies", includes="domains"),
    Entity.AGENTS: _PlainList("users.json", "users"),
    Entity.CONTACTS: _PlainList("customers.json", "customers", includes="contacts"),
    Entity.ARTICLE_CATEGORIES: _PlainList("helpdocssites.json", "helpdocssites"),
    Entity.ARTICLE_SECTIONS: _PlainList("helpdocscategories.json", "helpdocscategories"),
}

_MEMBER_PATHS: dict[Entity, tuple[str, str]] = {
    Entity.ORGANIZATIONS: ("companies/{id}.json", "company"),
    Entity.AGENTS: ("users/{id}.json", "user"),
    Entity.CONTACTS: ("customers/{id}.json", "customer"),
    Entity.TICKETS: ("tickets/{id}.json", "ticket"),
    Entity.ARTICLE_CATEGORIES: ("helpdocssites/{id}.json", "helpdocssite"),
    Entity.ARTICLE_SECTIONS: ("helpdocscategories/{id}.json", "helpdocscategory"),
}


class AgentState(StrEnum):
    """Where an agent of the source stands on Teamwork Desk."""

    ACTIVE = "active"
    INVITED = "invited"
    INACTIVE = "inactive"
    MISSING = "missing"


@dataclass(frozen=True)
class AgentMatch:
    """An agent looked up by e-mail address; anything but active blocks the matching.

    ``message`` says what is wrong in plain words; the steps to fix it are the
    connector's :attr:`~TeamworkDeskConnector.missing_agent_instructions`.
    """

    email: str
    state: AgentState
    target_id: str | None = None
    message: str = ""

    @property
    def blocking(self) -> bool:
        return self.state is not AgentState.ACTIVE


class _TicketRow(WireModel):
    """What the cursor needs from a ticket of the list."""

    id: int
    updatedAt: datetime


@dataclass(frozen=True)
class _Upload:
    file_id: int
    size: int


def account_name_from_url(url: str) -> str:
    """ "acme" for https://acme.teamwork.com; a sandbox account's own name otherwise."""
    return naming.account_name_from_url(url, hosted_domain=HOSTED_DOMAIN, display_name=DISPLAY_NAME)


def _since_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _whole_second(moment: datetime) -> datetime:
    # Filters compare whole seconds; counts and reads round the same way.
    return moment.astimezone(UTC).replace(microsecond=0)


def _since_filter(since: datetime | None) -> dict[str, Any]:
    return {"updatedAt": {"$gte": _since_text(since)}} if since else {}


def _created_id(payload: Any, *, key: str) -> int:
    record = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(record, dict) or not isinstance(record.get("id"), int):
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s created a %(key)s without saying its id."),
                {"platform": PLATFORM, "key": key},
            )
        )
    return record["id"]


def _format_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _too_large(attachment: Attachment, *, size: int) -> InvalidRecordError:
    return InvalidRecordError(
        Message(
            gettext_noop(
                "The attachment '%(file_name)s' is %(format_size)s: Teamwork Desk accepts at most "
                "%(format_size2)s of attachments per message."
            ),
            {
                "file_name": str(attachment.file_name),
                "format_size": _format_size(size),
                "format_size2": _format_size(MAX_ATTACHMENT_BYTES),
            },
        ),
        detail="files",
    )


def _batches(uploads: Sequence[_Upload]) -> list[list[int]]:
    """File ids in order, grouped so that no group exceeds 20 MB."""
    batches: list[list[int]] = []
    total = MAX_ATTACHMENT_BYTES + 1
    for upload in uploads:
        if total + upload.size > MAX_ATTACHMENT_BYTES:
            batches.append([])
            total = 0
        batches[-1].append(upload.file_id)
        total += upload.size
    return batches


# --------------------------------------------------------------------------- connector


@register
class TeamworkDeskConnector(ApiConnector[TeamworkDeskApi]):
    """Reads and writes a Teamwork Desk site through API v2."""

    key = KEY
    display_name = DISPLAY_NAME
    record_id_pattern = NUMERIC_RECORD_IDS
    credentials_model = TeamworkDeskCredentials
    capabilities = CAPABILITIES
    checklist = CHECKLIST
    source_checklist = SOURCE_CHECKLIST
    #: The steps to invite agents, shown beside the blocking ones of :meth:`missing_agents`.
    missing_agent_instructions: ClassVar[str] = MISSING_AGENT_INSTRUCTIONS

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
        self._fields: FieldSchema | None = None
        self._inbox: int | None = None
        self._pending: frozenset[str] | None = None
        self._tags: dict[str, int] = {}
        self._sites: list[dict[str, Any]] | None = None
        self._site_categories: dict[int, list[dict[str, Any]]] = {}
        self._article_sites: dict[int, int] = {}

    def open_api(self) -> TeamworkDeskApi:
        assert isinstance(self.credentials, TeamworkDeskCredentials)
        client = self.open_http_client(**http_client_options(self.credentials))
        return TeamworkDeskApi(http=client)

    # ------------------------------------------------------------------- account

    def check_credentials(self) -> AccountInfo:
        try:
            user, _included = self.api.record("me.json", key="user", entity="account")
        except NotFoundError as missing:
            raise NotFoundError(ACCOUNT_NOT_FOUND, status=404, detail=missing.detail) from None
        agent = agent_from_teamwork(user)
        assert isinstance(self.credentials, TeamworkDeskCredentials)
        return AccountInfo(
            account_name=account_name_from_url(self.credentials.url),
            account_url=self.credentials.url,
            user_email=agent.email,
        )

    def list_scopes(self) -> list[Scope]:
        """The site's inboxes: a migration writes its tickets into one of them."""
        scopes = []
        for listed in self.api.list_all(
            "inboxes.json", key="inboxes", entity="scopes", params={"orderBy": "id"}
        ):
            for inbox in named_from_teamwork(listed.payload, key="inboxes", what="inbox"):
                scopes.append(Scope(id=str(inbox.id), name=inbox.name))
        return scopes

    def describe_fields(self) -> FieldSchema:
        if self._fields is None:
            self._fields = field_schema_from_teamwork(
                statuses=self.api.get("ticketstatuses.json", entity="fields"),
                priorities=self.api.get("ticketpriorities.json", entity="fields"),
                types=self.api.get("tickettypes.json", entity="fields"),
            )
        return self._fields

    # ------------------------------------------------------------------- agents

    def agent_match(self, *, email: str) -> AgentMatch:
        """Whether an agent with this e-mail address can take tickets on Teamwork Desk."""
        address = normalise_email(email) or ""
        listed = self.api.list_page(
            "users.json",
            key="users",
            entity="agents",
            params={"filter": filter_param({"email": {"$eq": address}})},
        )
        users = agents_from_teamwork(listed.payload, pending=self._pending_invites())
        return self._match_among(users, address=address)

    def missing_agents(self, *, agents: Sequence[Agent]) -> list[AgentMatch]:
        """The source's active agents that cannot be matched: missing on Teamwork Desk,
        invited but not accepted, or deactivated. The matching step shows them as a
        blocking warning with :attr:`missing_agent_instructions`.

        The site's users are listed once, whatever the number of agents."""
        users: list[Agent] = []
        for listed in self.api.list_all(
            "users.json", key="users", entity="agents", params={"orderBy": "id"}
        ):
            users.extend(agents_from_teamwork(listed.payload, pending=self._pending_invites()))
        problems = []
        for agent in agents:
            if agent.deleted or not agent.active:
                continue
            if not agent.email:
                message = f"The agent {agent.name} has no e-mail address to match by."
                problems.append(AgentMatch(email="", state=AgentState.MISSING, message=message))
                continue
            match = self._match_among(users, address=agent.email)
            if match.blocking:
                problems.append(match)
        return problems

    def _match_among(self, users: Sequence[Agent], *, address: str) -> AgentMatch:
        same = [user for user in users if user.email == address]
        user = next((u for u in same if u.active), None) or next(iter(same), None)
        if user is None:
            return AgentMatch(
                email=address,
                state=AgentState.MISSING,
                message=f"No agent has the e-mail address {address} on Teamwork Desk.",
            )
        if user.active:
            return AgentMatch(email=address, state=AgentState.ACTIVE, target_id=user.source_id)
        if user.source_id in self._pending_invites() and not user.deleted:
            return AgentMatch(
                email=address,
                state=AgentState.INVITED,
                target_id=user.source_id,
                message=(
                    f"The agent {address} was invited to Teamwork Desk but has not accepted "
                    "the invitation yet."
                ),
            )
        return AgentMatch(
            email=address,
            state=AgentState.INACTIVE,
            target_id=user.source_id,
            message=f"The agent {address} is not active on Teamwork Desk.",
        )

    def _pending_invites(self) -> frozenset[str]:
        if self._pending is None:
            pending: set[str] = set()
            params = {"filter": filter_param({"state": {"$eq": "pending"}})}
            for listed in self.api.list_all(
                "agentinvites.json", key="agentinvites", entity="agents", params=params
            ):
                pending |= pending_invited_user_ids(listed.payload)
            self._pending = frozenset(pending)
        return self._pending

    # ------------------------------------------------------------------- reading

    def count(
        self,
        entity: Entity,
        *,
        updated_since: datetime | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> int:
        if filters:
            raise ValueError(
                f"Teamwork Desk counts cannot be filtered by {', '.join(sorted(filters))}"
            )
        since = _whole_second(updated_since) if updated_since else None
        condition = _since_filter(since)
        params = {"filter": filter_param(condition)} if condition else {}
        if entity is Entity.TICKETS:
            return self.api.count("tickets.json", key="tickets", entity="tickets", params=params)
        if entity in _PLAIN_LISTS:
            listing = _PLAIN_LISTS[entity]
            return self.api.count(listing.path, key=listing.key, entity=entity.value, params=params)
        if entity is Entity.ARTICLES:
            return sum(
                self.api.count(
                    f"helpdocssites/{site['id']}/helpdocarticles.json",
                    key="helpdocarticles",
                    entity="articles",
                    params=params,
                )
                for site in self._site_list()
            )
        raise ValueError(f"Teamwork Desk does not read {entity.value}")

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
            raise ValueError(f"Teamwork Desk does not read {entity.value}")
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
        if entity is Entity.ARTICLES:
            return self._read_articles(state=state, page_size=page_size, since=since)
        return self._read_plain(entity, state=state, page_size=page_size, since=since)

    def download_attachment(self, attachment: Attachment) -> AttachmentStream:
        # File links are on the site itself: the account's credentials go with them.
        return self.api.http.download(attachment.url, entity="attachments")

    def _read_plain(
        self, entity: Entity, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        listing = _PLAIN_LISTS[entity]
        page = int(state.get("page", 1))
        per_page = int(state.get("per_page", min(page_size, LIST_PAGE_MAX)))
        params: dict[str, Any] = {"orderBy": "id", "orderMode": "asc"}
        if listing.includes:
            params["includes"] = listing.includes
        if since:
            params["filter"] = filter_param(_since_filter(since))
        listed = self.api.list_page(
            listing.path,
            key=listing.key,
            entity=entity.value,
            page=page,
            page_size=per_page,
            params=params,
        )
        records = self._convert_page(entity, listed)
        next_state = {"page": page + 1, "per_page": per_page}
        return Page(
            records=[record for record in records if is_updated_since(record, since)],
            next_cursor=cursor_dump(next_state) if listed.has_more else None,
            has_more=listed.has_more,
        )

    def _convert_page(self, entity: Entity, listed: ListPage) -> list[Record]:
        payload = listed.payload
        match entity:
            case Entity.ORGANIZATIONS:
                return list(companies_from_teamwork(payload))
            case Entity.AGENTS:
                return list(agents_from_teamwork(payload, pending=self._pending_invites()))
            case Entity.CONTACTS:
                return list(contacts_from_teamwork(payload))
            case Entity.ARTICLE_CATEGORIES:
                return list(help_doc_sites_from_teamwork(payload))
            case Entity.ARTICLE_SECTIONS:
                return list(help_doc_categories_from_teamwork(payload))
        raise ValueError(f"Teamwork Desk does not list {entity.value} page by page")

    def _read_one(self, entity: Entity, source_id: str) -> Record | None:
        """One record, or None when it does not exist (any more)."""
        if not source_id.isdigit():
            return None
        try:
            if entity is Entity.ARTICLES:
                site = self._article_site(int(source_id))
                if site is None:
                    return None
                article, _included = self.api.record(
                    f"helpdocssites/{site}/helpdocarticles/{source_id}.json",
                    key="helpdocarticle",
                    entity="articles",
                )
                return help_doc_article_from_teamwork(article)
            path, key = _MEMBER_PATHS[entity]
            params = {"includes": TICKET_INCLUDES} if entity is Entity.TICKETS else None
            if entity is Entity.CONTACTS:
                params = {"includes": "contacts"}
            if entity is Entity.ORGANIZATIONS:
                params = {"includes": "domains"}
            record, included = self.api.record(
                path.format(id=source_id), key=key, entity=entity.value, params=params
            )
        except NotFoundError:
            return None
        if record.get("state") == "deleted" and entity in (Entity.TICKETS, Entity.CONTACTS):
            return None
        match entity:
            case Entity.TICKETS:
                return ticket_from_teamwork(record, included=included)
            case Entity.CONTACTS:
                return contact_from_teamwork(record, included=included)
            case Entity.ORGANIZATIONS:
                return company_from_teamwork(record, included=included)
            case Entity.AGENTS:
                return agent_from_teamwork(record, pending=self._pending_invites())
            case Entity.ARTICLE_CATEGORIES:
                return help_doc_site_from_teamwork(record)
            case Entity.ARTICLE_SECTIONS:
                return help_doc_category_from_teamwork(record)
        raise ValueError(f"Teamwork Desk does not read {entity.value}")

    # ---- tickets

    def _read_tickets(
        self, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        walk_since = datetime.fromisoformat(state["since"]) if "since" in state else since
        skip = frozenset(str(ticket_id) for ticket_id in state.get("skip", ()))
        if len(skip) >= LIST_PAGE_MAX:
            raise ConnectorError(
                Message(
                    gettext_noop(
                        "More than %(list_page_max)s Teamwork Desk tickets were updated in the "
                        "same second (%(get)s); they cannot be listed."
                    ),
                    {"list_page_max": LIST_PAGE_MAX, "get": state.get("since")},
                )
            )
        # Tickets already read come again at the start: the page makes room for them.
        per_page = min(LIST_PAGE_MAX, page_size + len(skip))
        params: dict[str, Any] = {
            "orderBy": "updatedAt",
            "orderMode": "asc",
            "includes": TICKET_INCLUDES,
        }
        if walk_since:
            params["filter"] = filter_param(_since_filter(walk_since))
        listed = self.api.list_page(
            "tickets.json", key="tickets", entity="tickets", page_size=per_page, params=params
        )
        rows = [
            parse_wire(_TicketRow, item, platform=PLATFORM, what="ticket", path=f"tickets[{index}]")
            for index, item in enumerate(listed.items)
        ]
        unread = [
            row
            for row in rows
            if not (walk_since and row.updatedAt == walk_since and str(row.id) in skip)
        ]
        fresh = unread[:page_size]
        has_more = listed.has_more or len(unread) > len(fresh)
        if has_more and not fresh:
            raise ConnectorError(
                Message(
                    gettext_noop(
                        "%(platform)s listed no new ticket after %(get)s although more follow."
                    ),
                    {"platform": PLATFORM, "get": state.get("since")},
                )
            )
        chosen = {str(row.id) for row in fresh}
        tickets = [
            ticket for ticket in tickets_from_teamwork(listed.payload) if ticket.source_id in chosen
        ]
        next_cursor = None
        if has_more:
            last = fresh[-1].updatedAt
            at_last = {str(row.id) for row in fresh if row.updatedAt == last}
            if walk_since and last == walk_since:
                at_last |= skip
            next_cursor = cursor_dump({"since": _since_text(last), "skip": sorted(at_last)})
        return Page(records=tickets, next_cursor=next_cursor, has_more=has_more)

    # ---- help docs

    def _site_list(self) -> list[dict[str, Any]]:
        if self._sites is None:
            sites: list[dict[str, Any]] = []
            for listed in self.api.list_all(
                "helpdocssites.json",
                key="helpdocssites",
                entity="article_categories",
                params={"orderBy": "id"},
            ):
                sites.extend(item for item in listed.items if isinstance(item, dict))
            self._sites = sites
        return self._sites

    def _read_articles(
        self, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        sites = [int(site["id"]) for site in self._site_list()]
        site_index = int(state.get("site", 0))
        page = int(state.get("page", 1))
        per_page = int(state.get("per_page", min(page_size, LIST_PAGE_MAX)))
        params: dict[str, Any] = {"orderBy": "id", "orderMode": "asc"}
        if since:
            params["filter"] = filter_param(_since_filter(since))
        while site_index < len(sites):
            site = sites[site_index]
            listed = self.api.list_page(
                f"helpdocssites/{site}/helpdocarticles.json",
                key="helpdocarticles",
                entity="articles",
                page=page,
                page_size=per_page,
                params=params,
            )
            articles = help_doc_articles_from_teamwork(listed.payload)
            for article in articles:
                self._article_sites[int(article.source_id)] = site
            if listed.has_more:
                next_state = {"site": site_index, "page": page + 1, "per_page": per_page}
            else:
                next_state = {"site": site_index + 1, "page": 1, "per_page": per_page}
            more = listed.has_more or site_index + 1 < len(sites)
            if articles or not more:
                return Page(
                    records=[article for article in articles if is_updated_since(article, since)],
                    next_cursor=cursor_dump(next_state) if more else None,
                    has_more=more,
                )
            site_index, page = next_state["site"], next_state["page"]
        return Page(records=[], next_cursor=None, has_more=False)

    def _article_site(self, article_id: int) -> int | None:
        """The site an article belongs to (its routes are under the site)."""
        if article_id in self._article_sites:
            return self._article_sites[article_id]
        for site in self._site_list():
            try:
                self.api.get(
                    f"helpdocssites/{site['id']}/helpdocarticles/{article_id}.json",
                    entity="articles",
                )
            except NotFoundError:
                continue
            self._article_sites[article_id] = int(site["id"])
            return int(site["id"])
        return None

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
                return self._agent_matched(record)
            case Contact():
                return str(self._contact_create(record, marker=marker))
            case Ticket():
                return str(
                    self._ticket_create(
                        record, marker=marker, opener=attachments, on_created=on_created
                    )
                )
            case ArticleCategory():
                return str(self._site_create(record, marker=marker))
            case ArticleSection():
                return str(self._category_create(record))
            case Article():
                return str(self._article_create(record))
        raise ValueError(f"Teamwork Desk does not write {entity.value}")

    def update(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        ensure_record_matches(entity, record)
        number = teamwork_id(target_id, field="id", record=f"{entity.value} {target_id}")
        match record:
            case Agent():
                return  # agents belong to the site's administrators, not to the migration
            case Contact():
                body = customer_to_teamwork(record, marker="")
                self.api.put(f"customers/{number}.json", entity="contacts", body=body)
            case Ticket():
                self._ticket_update(int(target_id), record, opener=attachments)
            case ArticleCategory():
                site = {"name": record.name, "description": record.description}
                self.api.put(
                    f"helpdocssites/{number}.json",
                    entity=entity.value,
                    body={"helpdocssite": site},
                )
                self._sites = None
            case ArticleSection():
                site_id, parent_id = self._section_place(record)
                body = help_doc_category_to_teamwork(record, site_id=site_id, parent_id=parent_id)
                self.api.patch(f"helpdocscategories/{number}.json", entity=entity.value, body=body)
                self._site_categories.pop(site_id, None)
            case Article():
                site = self._article_site(int(target_id))
                if site is None:
                    raise NotFoundError(
                        Message(
                            gettext_noop("Teamwork Desk has no help docs article %(target_id)s"),
                            {"target_id": target_id},
                        )
                    )
                body = help_doc_article_to_teamwork(record, category_id=self._section_id(record))
                self.api.patch(
                    f"helpdocssites/{site}/helpdocarticles/{number}.json",
                    entity=entity.value,
                    body=body,
                )
            case _:
                raise ValueError(f"Teamwork Desk does not write {entity.value}")

    def delete(self, entity: Entity, target_id: str) -> None:
        """Remove a record this migration created. Agents are never created by a
        migration: they stay."""
        if entity is Entity.AGENTS:
            return
        number = teamwork_id(target_id, field="id", record=f"{entity.value} {target_id}")
        if entity is Entity.ARTICLES:
            site = self._article_site(int(target_id))
            if site is None:
                raise NotFoundError(
                    Message(
                        gettext_noop("Teamwork Desk has no help docs article %(target_id)s"),
                        {"target_id": target_id},
                    )
                )
            self.api.delete(
                f"helpdocssites/{site}/helpdocarticles/{number}.json", entity="articles"
            )
            self._article_sites.pop(int(target_id), None)
            return
        if entity not in self.capabilities.writes:
            raise ValueError(f"Teamwork Desk does not write {entity.value}")
        path, _key = _MEMBER_PATHS[entity]
        self.api.delete(path.format(id=number), entity=entity.value)
        if entity is Entity.ARTICLE_CATEGORIES:
            self._sites = None
        if entity is Entity.ARTICLE_SECTIONS:
            self._site_categories.clear()

    def expected_on_target(self, entity: Entity, record: Record) -> Record | None:
        return verification.expected_record(record)

    def added_by_target(self, entity: Entity, comment: Comment) -> bool:
        return verification.is_attachment_note(comment)

    def find_by_marker(
        self, entity: Entity, marker: str, *, record: Record | None = None
    ) -> str | None:
        match entity:
            case Entity.AGENTS:
                if not isinstance(record, Agent) or not record.email:
                    return None
                match = self.agent_match(email=record.email)
                return match.target_id if match.state is AgentState.ACTIVE else None
            case Entity.CONTACTS:
                return self._customer_with_marker(marker, record=record)
            case Entity.TICKETS:
                return self._ticket_with_marker(marker, record=record)
            case Entity.ARTICLE_CATEGORIES:
                if not isinstance(record, ArticleCategory):
                    return None
                site = self._site_named(record.name)
                return str(site) if site is not None else None
            case Entity.ARTICLE_SECTIONS:
                if not isinstance(record, ArticleSection):
                    return None
                site_id, parent_id = self._section_place(record)
                category = self._category_named(site_id, record.name, parent_id=parent_id)
                return str(category) if category is not None else None
            case Entity.ARTICLES:
                if not isinstance(record, Article):
                    return None
                return self._article_titled(record)
        raise ValueError(f"Teamwork Desk does not write {entity.value}")

    # ---- agents

    def _agent_matched(self, agent: Agent) -> str:
        """Agents cannot be created: the one with the same e-mail address, when active."""
        if not agent.email:
            raise InvalidRecordError(
                Message(
                    gettext_noop(
                        "agent %(source_id)s: an agent without an e-mail address cannot be "
                        "matched on Teamwork Desk."
                    ),
                    {"source_id": agent.source_id},
                ),
                detail="email",
            )
        match = self.agent_match(email=agent.email)
        if match.state is AgentState.ACTIVE and match.target_id:
            return match.target_id
        raise InvalidRecordError(
            Message(
                gettext_noop(
                    "%(message)s Teamwork Desk cannot create agents through its API. "
                    "%(missing_agent_instructions)s"
                ),
                {
                    "message": match.message,
                    "missing_agent_instructions": self.missing_agent_instructions,
                },
            ),
            detail="agent",
        )

    # ---- customers

    def _customer_with_email(self, email: str) -> dict[str, Any] | None:
        condition = {"contacts.value": {"$eq": normalise_email(email)}}
        listed = self.api.list_page(
            "customers.json",
            key="customers",
            entity="contacts",
            params={"filter": filter_param(condition)},
        )
        return next((item for item in listed.items if isinstance(item, dict)), None)

    def _customer_with_marker(self, marker: str, *, record: Record | None) -> str | None:
        if isinstance(record, Contact) and record.email:
            found = self._customer_with_email(record.email)
            if found is not None and found.get("externalId") == marker:
                return str(found["id"])
            return None
        listed = self.api.list_page(
            "customers.json",
            key="customers",
            entity="contacts",
            params={"filter": filter_param({"externalId": {"$eq": marker}})},
        )
        return next((str(item["id"]) for item in listed.items if isinstance(item, dict)), None)

    def _contact_create(self, contact: Contact, *, marker: str) -> int:
        body = customer_to_teamwork(contact, marker=marker)
        try:
            created = self.api.post("customers.json", entity="contacts", body=body)
            return _created_id(created, key="customer")
        except InvalidRecordError as refused:
            if refused.status != 409 or not contact.email:
                raise
        # Someone has this address already: the migration carries on with that customer.
        existing = self._customer_with_email(contact.email)
        if existing is None:
            raise InvalidRecordError(
                Message(
                    gettext_noop(
                        "contact %(source_id)s: Teamwork Desk says %(email)s is taken but does "
                        "not list its customer."
                    ),
                    {"source_id": contact.source_id, "email": contact.email},
                ),
                status=409,
            )
        self.existing_taken(Entity.CONTACTS, str(existing["id"]))
        if not existing.get("externalId"):
            self.api.put(
                f"customers/{existing['id']}.json",
                entity="contacts",
                body={"customer": {"externalId": marker}},
            )
        return int(existing["id"])

    # ---- tickets

    def _inbox_id(self) -> int:
        if self._inbox is None:
            if self.scope is not None:
                self._inbox = teamwork_id(self.scope.id, field="inbox", record="scope")
            else:
                scopes = self.list_scopes()
                if not scopes:
                    raise InvalidRecordError(
                        Message(gettext_noop("Teamwork Desk has no inbox to write tickets into."))
                    )
                self._inbox = int(scopes[0].id)
        assert self._inbox is not None
        return self._inbox

    def _status_id(self, ticket: Ticket) -> int | None:
        fields = self.describe_fields()
        if ticket.status is not None and fields.status(ticket.status) is not None:
            return int(ticket.status)
        if ticket.status_category is None:
            return None
        chosen = fallback_status(category=ticket.status_category, available=fields.statuses)
        return int(chosen.key) if chosen is not None else None

    def _known_fields(self, ticket: Ticket) -> Ticket:
        """The ticket without a priority or type the site does not have."""
        fields = self.describe_fields()
        changes: dict[str, Any] = {}
        if ticket.priority is not None and ticket.priority not in {
            p.key for p in fields.priorities
        }:
            changes["priority"] = None
        if ticket.type is not None and ticket.type not in {t.key for t in fields.types}:
            changes["type"] = None
        return ticket.model_copy(update=changes) if changes else ticket

    def _tag_id(self, name: str, *, create: bool) -> int | None:
        wanted = name.strip()
        key = wanted.casefold()
        if key in self._tags:
            return self._tags[key]
        listed = self.api.list_page(
            "tags.json",
            key="tags",
            entity="tags",
            params={"filter": filter_param({"name": {"$eq": wanted}})},
        )
        for tag in named_from_teamwork(listed.payload, key="tags", what="tag"):
            if tag.name.casefold() == key:
                self._tags[key] = tag.id
                return tag.id
        if not create:
            return None
        try:
            created = self.api.post("tags.json", entity="tags", body=tag_to_teamwork(wanted))
        except InvalidRecordError as refused:
            if refused.status != 409:
                raise
            return self._tag_id(name, create=False)
        self._tags[key] = _created_id(created, key="tag")
        return self._tags[key]

    def _tag_ids(self, names: Sequence[str]) -> list[int]:
        ids = [self._tag_id(name, create=True) for name in dict.fromkeys(names) if name.strip()]
        return [tag_id for tag_id in ids if tag_id is not None]

    def _ticket_with_marker(self, marker: str, *, record: Record | None) -> str | None:
        tag_id = self._tag_id(marker, create=False)
        if tag_id is None:
            return None
        condition: dict[str, Any] = {}
        if isinstance(record, Ticket) and record.requester_id and record.requester_id.isdigit():
            condition = {"customer": {"$eq": int(record.requester_id)}}
        elif isinstance(record, Ticket) and record.subject:
            condition = {"subject": {"$eq": record.subject}}
        params: dict[str, Any] = {"orderBy": "id", "orderMode": "desc"}
        if condition:
            params["filter"] = filter_param(condition)
        for listed in self.api.list_all(
            "tickets.json", key="tickets", entity="tickets", params=params
        ):
            for item in listed.items:
                tags = item.get("tags") if isinstance(item, dict) else None
                if any(isinstance(tag, dict) and tag.get("id") == tag_id for tag in tags or []):
                    return str(item["id"])
        return None

    def _uploads(
        self, attachments: Sequence[Attachment], opener: AttachmentOpener | None
    ) -> list[_Upload]:
        """The attachments uploaded one by one, each streamed from the opener into a
        temporary file: a file is never held in memory, and a retried upload reads it again
        from its start."""
        uploads: list[_Upload] = []
        if opener is None:
            return uploads
        for attachment in attachments:
            with tempfile.TemporaryFile() as file:
                size = 0
                with opener(attachment) as chunks:
                    for chunk in chunks:
                        size += len(chunk)
                        if size > MAX_ATTACHMENT_BYTES:
                            raise _too_large(attachment, size=size)
                        file.write(chunk)
                file.seek(0)
                file_id = self.api.upload(
                    reference=file_ref_to_teamwork(attachment), file=file, entity="tickets"
                )
            uploads.append(_Upload(file_id=file_id, size=size))
        return uploads

    def _ticket_create(
        self,
        ticket: Ticket,
        *,
        marker: str,
        opener: AttachmentOpener | None,
        on_created: Callable[[str], None] | None,
    ) -> int:
        if opener is not None:
            for attachment in ticket.attachments:
                if attachment.size is not None and attachment.size > MAX_ATTACHMENT_BYTES:
                    raise _too_large(attachment, size=attachment.size)
        ticket = self._known_fields(ticket)
        tag_ids = self._tag_ids([*ticket.tags, marker])
        opening = ticket.opening_comment
        uploads = self._uploads(opening.file_attachments if opening else [], opener)
        first, *more = _batches(uploads) or [[]]
        ticket_id = self._ticket_post(ticket, tag_ids=tag_ids, file_ids=first)
        if on_created is not None:
            on_created(str(ticket_id))
        self._attachment_notes(ticket_id, more, label="the ticket's first message")
        for comment in ticket.comments[1:]:
            self._message_post(ticket_id, comment, opener=opener)
        return ticket_id

    def _ticket_post(self, ticket: Ticket, *, tag_ids: list[int], file_ids: list[int]) -> int:
        """``POST /tickets.json``. A requester migrated as an agent has a user id, which is
        no customer: the ticket then names the requester by e-mail address instead."""
        options = {
            "inbox_id": self._inbox_id(),
            "status_id": self._status_id(ticket),
            "tag_ids": tag_ids,
            "file_ids": file_ids,
        }
        try:
            created = self.api.post(
                "tickets.json", entity="tickets", body=ticket_to_teamwork(ticket, **options)
            )
        except InvalidRecordError as refused:
            by_id = ticket.requester_id is not None and ticket.requester_email
            unknown = any(detail.startswith("customer:") for detail in error_details(refused))
            if not (by_id and unknown):
                raise
            by_email = ticket.model_copy(update={"requester_id": None})
            created = self.api.post(
                "tickets.json", entity="tickets", body=ticket_to_teamwork(by_email, **options)
            )
        return _created_id(created, key="ticket")

    def _ticket_update(
        self, ticket_id: int, ticket: Ticket, *, opener: AttachmentOpener | None
    ) -> None:
        """The ticket's fields, then the messages it lacks (a delta brings new comments; a
        create cut short leaves some out)."""
        path = f"tickets/{ticket_id}.json"
        _current, included = self.api.record(
            path, key="ticket", entity="tickets", params={"includes": "messages,tags"}
        )
        kept = [
            tag["id"]
            for tag in included.get("tags", [])
            if isinstance(tag, dict) and is_marker(str(tag.get("name", "")))
        ]
        ticket = self._known_fields(ticket)
        fields = ticket_fields_to_teamwork(
            ticket,
            status_id=self._status_id(ticket),
            tag_ids=[*self._tag_ids(ticket.tags), *kept],
        )
        self.api.patch(path, entity="tickets", body={"ticket": fields})
        existing = [
            message_key(str(message.get("message") or ""))
            for message in included.get("messages", [])
            if isinstance(message, dict)
        ]
        for comment in ticket.comments:
            key = message_key(message_html(comment))
            if not any(
                known.startswith(key) or key.startswith(known) for known in existing if known
            ):
                self._message_post(ticket_id, comment, opener=opener)

    def _message_post(
        self, ticket_id: int, comment: Comment, *, opener: AttachmentOpener | None
    ) -> None:
        uploads = self._uploads(comment.file_attachments, opener)
        first, *more = _batches(uploads) or [[]]
        self.api.post(
            f"tickets/{ticket_id}/messages.json",
            entity="tickets",
            body=message_to_teamwork(comment, file_ids=first),
        )
        label = f"the message of {comment.created_at:%Y-%m-%d %H:%M} UTC"
        self._attachment_notes(ticket_id, more, label=label)

    def _attachment_notes(
        self, ticket_id: int, batches: Sequence[list[int]], *, label: str
    ) -> None:
        """Attachments beyond 20 MB per message, in further private notes."""
        for number, batch in enumerate(batches, start=2):
            self.api.post(
                f"tickets/{ticket_id}/messages.json",
                entity="tickets",
                body=attachments_note_to_teamwork(label=f"{label} (part {number})", file_ids=batch),
            )

    # ---- help docs

    def _site_named(self, name: str) -> int | None:
        wanted = name.strip().casefold()
        return next(
            (
                int(site["id"])
                for site in self._site_list()
                if str(site.get("name", "")).strip().casefold() == wanted
            ),
            None,
        )

    def _site_create(self, category: ArticleCategory, *, marker: str) -> int:
        existing = self._site_named(category.name)
        if existing is not None:
            self.existing_taken(Entity.ARTICLE_CATEGORIES, str(existing))
            return existing
        suffix = hashlib.sha256(marker.encode()).hexdigest()[:6]
        body = help_doc_site_to_teamwork(
            category, subdomain=subdomain_for(category.name, suffix=suffix)
        )
        created = self.api.post("helpdocssites.json", entity="article_categories", body=body)
        self._sites = None
        return _created_id(created, key="helpdocssite")

    def _categories_of(self, site_id: int) -> list[dict[str, Any]]:
        if site_id not in self._site_categories:
            params = {"orderBy": "id", "filter": filter_param({"sites.id": {"$eq": site_id}})}
            categories: list[dict[str, Any]] = []
            for listed in self.api.list_all(
                "helpdocscategories.json",
                key="helpdocscategories",
                entity="article_sections",
                params=params,
            ):
                categories.extend(item for item in listed.items if isinstance(item, dict))
            self._site_categories[site_id] = categories
        return self._site_categories[site_id]

    def _category_named(self, site_id: int, name: str, *, parent_id: int | None) -> int | None:
        wanted = name.strip().casefold()
        return next(
            (
                int(category["id"])
                for category in self._categories_of(site_id)
                if str(category.get("name", "")).strip().casefold() == wanted
                and category.get("parent_id") == parent_id
            ),
            None,
        )

    def _section_place(self, section: ArticleSection) -> tuple[int, int | None]:
        record = f"section {section.source_id}"
        site_id = teamwork_id(section.category_id, field="category_id", record=record)
        assert site_id is not None
        parent_id = teamwork_id(section.parent_section_id, field="parent_section_id", record=record)
        return site_id, parent_id

    def _category_create(self, section: ArticleSection) -> int:
        site_id, parent_id = self._section_place(section)
        existing = self._category_named(site_id, section.name, parent_id=parent_id)
        if existing is not None:
            self.existing_taken(Entity.ARTICLE_SECTIONS, str(existing))
            return existing
        body = help_doc_category_to_teamwork(section, site_id=site_id, parent_id=parent_id)
        created = self.api.post("helpdocscategories.json", entity="article_sections", body=body)
        self._site_categories.pop(site_id, None)
        return _created_id(created, key="helpdocscategory")

    def _section_id(self, article: Article) -> int:
        number = teamwork_id(
            article.section_id, field="section_id", record=f"article {article.source_id}"
        )
        assert number is not None
        return number

    def _article_site_of(self, article: Article) -> int:
        """The site of an article to write: its category, else its section's site."""
        record = f"article {article.source_id}"
        site = teamwork_id(article.category_id, field="category_id", record=record)
        if site is not None:
            return site
        category, _included = self.api.record(
            f"helpdocscategories/{self._section_id(article)}.json",
            key="helpdocscategory",
            entity="article_sections",
        )
        return int(category["helpDocsSites_id"])

    def _article_create(self, article: Article) -> int:
        site = self._article_site_of(article)
        body = help_doc_article_to_teamwork(article, category_id=self._section_id(article))
        created = self.api.post(
            f"helpdocssites/{site}/helpdocarticles.json", entity="articles", body=body
        )
        article_id = _created_id(created, key="helpdocarticle")
        self._article_sites[article_id] = site
        return article_id

    def _article_titled(self, article: Article) -> str | None:
        site = self._article_site_of(article)
        category = self._section_id(article)
        params = {"orderBy": "id", "filter": filter_param({"title": {"$eq": article.title}})}
        for listed in self.api.list_all(
            f"helpdocssites/{site}/helpdocarticles.json",
            key="helpdocarticles",
            entity="articles",
            params=params,
        ):
            for item in listed.items:
                if isinstance(item, dict) and category in (item.get("categories") or []):
                    self._article_sites[int(item["id"])] = site
                    return str(item["id"])
        return None
