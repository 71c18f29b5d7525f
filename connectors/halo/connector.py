"""The Halo connector (HaloITSM, HaloPSA, Halo Service Desk), as a source and as a target.

Authentication. Every call carries an access token from the instance's authorization
server (client-credentials grant, ``scope=all``, ``?tenant=`` for hosted instances), cached
in the process and renewed before it expires or when the API answers 401
(:mod:`.client`).

Reading. Lists are paged by number (``pageinate=true``, ``page_size``, ``page_no``) in the
order of their ids, so records added while a list is read come after it, and
``record_count`` gives exact counts in one call. A ticket's comments are its details (the
opening message) then its actions, with the attachments of the ticket and of each action
(``/api/Attachment?ticket_id=``). Delta runs ask for tickets whose ``last_update`` is at or
after the moment (``datesearch=last_update&startdate=``). Agents, teams, users and clients
carry no dates: the moment they are read stands for their last change. FAQ lists are read
once and split into the canonical categories (top level) and sections (under another
list); articles name their FAQ list.

Writing. Clients, teams, agents, users, FAQ lists, tickets, actions and articles are
``POST``\\ ed as arrays of one object. Missing agents and teams are created (the matching
step decides); a ticket keeps its ``dateoccurred``, its opening comment becomes its
details and every later comment an action (a note, hidden from the user when private)
with its date and the author's name. Attachments are streamed from the opener, up to
20 MB each, and uploaded in base64 to the ticket or to their action. Custom field values
go into the ticket's ``customfields``; ticket tags have no place on Halo.

Markers: a ticket keeps its marker in ``third_party_id`` and is found again among the
tickets with its subject; clients, teams and FAQ lists are found by name (FAQ lists under
the same parent), agents and users by e-mail address, articles by title in their FAQ list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

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
    is_updated_since,
    page_by_ids,
)
from connectors.errors import InvalidRecordError, NotFoundError
from connectors.halo import (
    CAPABILITIES,
    CHECKLIST,
    DISPLAY_NAME,
    HOSTED_DOMAIN,
    KEY,
    MAX_ATTACHMENT_BYTES,
    SOURCE_CHECKLIST,
    HaloCredentials,
)
from connectors.halo.client import (
    ACCOUNT_NOT_FOUND,
    LIST_PAGE_MAX,
    HaloApi,
    TokenSource,
    http_client_options,
    token_client_options,
)
from connectors.halo.payloads import (
    HaloFaqList,
    action_to_halo,
    agent_from_halo,
    agents_from_halo,
    article_from_halo,
    article_to_halo,
    attachment_to_halo,
    attachments_from_halo,
    category_from_halo,
    client_to_halo,
    contact_from_halo,
    contacts_from_halo,
    faq_list_from_halo,
    faq_list_to_halo,
    faq_lists_from_halo,
    field_schema_from_halo,
    format_moment,
    group_from_halo,
    groups_from_halo,
    halo_id,
    organization_from_halo,
    organizations_from_halo,
    section_from_halo,
    status_categories,
    team_to_halo,
    ticket_from_halo,
    ticket_row_from_halo,
    ticket_to_halo,
    user_to_halo,
)
from connectors.halo.payloads import agent_to_halo as agent_body
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
    fallback_status,
    html_to_text,
    normalise_email,
)

logger = logging.getLogger(__name__)

#: (resource, list key) of the entities read as plain lists.
_LISTS: dict[Entity, tuple[str, str]] = {
    Entity.ORGANIZATIONS: ("Client", "clients"),
    Entity.GROUPS: ("Team", "teams"),
    Entity.AGENTS: ("Agent", "agents"),
    Entity.CONTACTS: ("Users", "users"),
    Entity.TICKETS: ("Tickets", "tickets"),
    Entity.ARTICLES: ("KBArticle", "articles"),
}
_RESOURCES: dict[Entity, str] = {
    **{entity: resource for entity, (resource, _key) in _LISTS.items()},
    Entity.ARTICLE_CATEGORIES: "FAQLists",
    Entity.ARTICLE_SECTIONS: "FAQLists",
}
#: Characters of an action's text that tell it from the others of its ticket.
ACTION_KEY_CHARS = 120


def account_name_from_url(url: str) -> str:
    """ "acme" for https://acme.halopsa.com/api; a sandbox instance's own name otherwise."""
    return naming.account_name_from_url(
        url, hosted_domain=HOSTED_DOMAIN, display_name=DISPLAY_NAME, self_hosted_subdomain=True
    )


def _whole_second(moment: datetime) -> datetime:
    # Halo compares dates to the second; counts and reads round the same way.
    return moment.astimezone(UTC).replace(microsecond=0)


def _same(left: str | None, right: str | None) -> bool:
    return (left or "").strip().casefold() == (right or "").strip().casefold()


def action_key(*, moment: Any, html_body: str) -> str:
    """How a migrated action is told from the others of its ticket: its date to the second
    and the start of its text without whitespace."""
    text = re.sub(r"\s+", "", html_to_text(html_body or ""))[:ACTION_KEY_CHARS]
    return f"{moment}|{text}"


@register
class HaloConnector(ApiConnector[HaloApi]):
    """Reads and writes a Halo instance through its REST API."""

    key = KEY
    display_name = DISPLAY_NAME
    record_id_pattern = NUMERIC_RECORD_IDS
    credentials_model = HaloCredentials
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
        self._fields: FieldSchema | None = None
        self._faq_lists: list[HaloFaqList] | None = None
        self._agent_ids: set[int] | None = None

    def open_api(self) -> HaloApi:
        assert isinstance(self.credentials, HaloCredentials)
        tokens = TokenSource(
            http=self.open_http_client(**token_client_options(self.credentials)),
            credentials=self.credentials,
        )
        client = self.open_http_client(**http_client_options(self.credentials))
        return HaloApi(http=client, tokens=tokens)

    # ------------------------------------------------------------------- account

    def check_credentials(self) -> AccountInfo:
        try:
            me = self.api.get("Agent/me", entity="account")
        except NotFoundError as missing:
            raise NotFoundError(ACCOUNT_NOT_FOUND, status=404, detail=missing.detail) from None
        agent = agent_from_halo(me, read_at=datetime.now(UTC))
        assert isinstance(self.credentials, HaloCredentials)
        return AccountInfo(
            account_name=account_name_from_url(self.credentials.resource_server),
            account_url=self.credentials.resource_server,
            user_email=agent.email,
        )

    def describe_fields(self) -> FieldSchema:
        """Statuses, priorities, ticket types and custom fields as the instance has them."""
        if self._fields is None:
            self._fields = field_schema_from_halo(
                statuses=self.api.get("Status", entity="fields"),
                priorities=self.api.get("Priority", entity="fields"),
                types=self.api.get("TicketType", entity="fields"),
                fields=self.api.get("FieldInfo", entity="fields"),
            )
        return self._fields

    # ------------------------------------------------------------------- reading

    def count(
        self,
        entity: Entity,
        *,
        updated_since: datetime | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> int:
        if filters:
            raise ValueError(f"Halo counts cannot be filtered by {', '.join(sorted(filters))}")
        if entity not in self.capabilities.reads:
            raise ValueError(f"Halo does not read {entity.value}")
        since = _whole_second(updated_since) if updated_since else None
        if entity in (Entity.ARTICLE_CATEGORIES, Entity.ARTICLE_SECTIONS):
            return len(self._lists_of(entity))
        resource, key = _LISTS[entity]
        if entity is Entity.ARTICLES and since is not None:
            # Articles have no date filter: count those the reads would keep.
            return sum(
                1 for item in self.api.list_all(resource, key=key, entity=entity.value)
                if self._article(item).updated_at >= since
            )  # fmt: skip
        return self.api.count(
            resource, key=key, entity=entity.value, params=self._list_params(entity, since)
        )

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
            raise ValueError(f"Halo does not read {entity.value}")
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
        if entity in (Entity.ARTICLE_CATEGORIES, Entity.ARTICLE_SECTIONS):
            return self._read_lists(entity, state=state, page_size=page_size, since=since)
        resource, key = _LISTS[entity]
        page = int(state.get("page", 1))
        per_page = int(state.get("per_page", min(page_size, LIST_PAGE_MAX)))
        listed = self.api.list_page(
            resource,
            key=key,
            entity=entity.value,
            page=page,
            page_size=per_page,
            params=self._list_params(entity, since),
        )
        records = [
            record
            for record in self._convert(entity, listed.items)
            if is_updated_since(record, since)
        ]
        has_more = bool(listed.items) and page * per_page < listed.count
        return Page(
            records=records,
            next_cursor=cursor_dump({"page": page + 1, "per_page": per_page}) if has_more else None,
            has_more=has_more,
        )

    def download_attachment(self, attachment: Attachment) -> AttachmentStream:
        # The download address is the API's own: the token goes with it.
        return self.api.download(attachment.url, entity="attachments")

    def _list_params(self, entity: Entity, since: datetime | None) -> dict[str, Any]:
        params: dict[str, Any] = {"order": "id", "orderdesc": "false"}
        if entity is Entity.AGENTS:
            params["includedeleted"] = "true"
        if entity is Entity.TICKETS and since is not None:
            params.update(datesearch="last_update", startdate=format_moment(since))
        return params

    def _convert(self, entity: Entity, items: Sequence[Any]) -> list[Record]:
        read_at = datetime.now(UTC)
        match entity:
            case Entity.ORGANIZATIONS:
                return list(organizations_from_halo(items, read_at=read_at))
            case Entity.GROUPS:
                return list(groups_from_halo(items, read_at=read_at))
            case Entity.AGENTS:
                return list(agents_from_halo(items, read_at=read_at))
            case Entity.CONTACTS:
                return list(contacts_from_halo(items, read_at=read_at))
            case Entity.TICKETS:
                rows = [
                    ticket_row_from_halo(item, path=f"tickets[{index}]")
                    for index, item in enumerate(items)
                ]
                return [self._ticket(item, row.id) for item, row in zip(items, rows, strict=True)]
            case Entity.ARTICLES:
                return [
                    self._article(item, path=f"articles[{index}]")
                    for index, item in enumerate(items)
                ]
        raise ValueError(f"Halo does not list {entity.value} page by page")

    def _ticket(self, item: Any, ticket_id: int) -> Ticket:
        params = {"ticket_id": ticket_id}
        actions = list(self.api.list_all("Actions", key="actions", entity="tickets", params=params))
        files = list(
            self.api.list_all("Attachment", key="attachments", entity="tickets", params=params)
        )
        return ticket_from_halo(
            item,
            actions=actions,
            attachments=attachments_from_halo(files, url_of=self._attachment_url),
            categories=status_categories(self.describe_fields()),
            read_at=datetime.now(UTC),
        )

    def _attachment_url(self, attachment_id: int) -> str:
        assert isinstance(self.credentials, HaloCredentials)
        return f"{self.credentials.resource_server}/Attachment/{attachment_id}"

    def _article(self, item: Any, *, path: str = "article") -> Article:
        return article_from_halo(
            item, parents=self._parents(), read_at=datetime.now(UTC), path=path
        )

    def _read_one(self, entity: Entity, source_id: str) -> Record | None:
        """One record, or None when it does not exist (any more)."""
        if not source_id.isdigit():
            return None
        try:
            item = self.api.get(f"{_RESOURCES[entity]}/{source_id}", entity=entity.value)
        except NotFoundError:
            return None
        read_at = datetime.now(UTC)
        match entity:
            case Entity.ORGANIZATIONS:
                return organization_from_halo(item, read_at=read_at)
            case Entity.GROUPS:
                return group_from_halo(item, read_at=read_at)
            case Entity.AGENTS:
                return agent_from_halo(item, read_at=read_at)
            case Entity.CONTACTS:
                return contact_from_halo(item, read_at=read_at)
            case Entity.TICKETS:
                return self._ticket(item, int(source_id))
            case Entity.ARTICLES:
                return self._article(item)
            case Entity.ARTICLE_CATEGORIES | Entity.ARTICLE_SECTIONS:
                wire = faq_list_from_halo(item)
                self._faq_lists = None
                top = not wire.parent_id
                if top != (entity is Entity.ARTICLE_CATEGORIES):
                    return None
                if top:
                    return category_from_halo(wire, read_at=read_at)
                return section_from_halo(wire, parents=self._parents(), read_at=read_at)
        raise ValueError(f"Halo does not read {entity.value}")

    # ---- knowledge base folders

    def _faq_list_all(self) -> list[HaloFaqList]:
        if self._faq_lists is None:
            items = list(
                self.api.list_all(
                    "FAQLists", key="faqlists", entity="article_sections", params={"order": "id"}
                )
            )
            self._faq_lists = faq_lists_from_halo(items)
        return self._faq_lists

    def _parents(self) -> dict[int, int]:
        return {wire.id: wire.parent_id for wire in self._faq_list_all() if wire.parent_id}

    def _lists_of(self, entity: Entity) -> list[HaloFaqList]:
        top = entity is Entity.ARTICLE_CATEGORIES
        return [wire for wire in self._faq_list_all() if (not wire.parent_id) == top]

    def _read_lists(
        self, entity: Entity, *, state: Mapping[str, Any], page_size: int, since: datetime | None
    ) -> Page[Record]:
        """FAQ lists are few: read whole, then handed out ``page_size`` at a time."""
        wires = self._lists_of(entity)
        start = int(state.get("index", 0))
        chosen = wires[start : start + page_size]
        read_at = datetime.now(UTC)
        parents = self._parents()
        records: list[Record] = [
            category_from_halo(wire, read_at=read_at)
            if entity is Entity.ARTICLE_CATEGORIES
            else section_from_halo(wire, parents=parents, read_at=read_at)
            for wire in chosen
        ]
        end = start + len(chosen)
        has_more = end < len(wires)
        return Page(
            records=[record for record in records if is_updated_since(record, since)],
            next_cursor=cursor_dump({"index": end}) if has_more else None,
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
                return self._save("Client", entity, client_to_halo(record))
            case Group():
                return self._save("Team", entity, team_to_halo(record))
            case Agent():
                created = self._save("Agent", entity, self._agent_body(record))
                if self._agent_ids is not None:
                    self._agent_ids.add(int(created))
                return created
            case Contact():
                return self._save("Users", entity, self._user_body(record))
            case Ticket():
                return str(
                    self._ticket_create(
                        record, marker=marker, opener=attachments, on_created=on_created
                    )
                )
            case ArticleCategory():
                return self._faq_save(None, name=record.name, parent=0, position=record.position)
            case ArticleSection():
                return self._faq_save(
                    None,
                    name=record.name,
                    parent=self._section_parent(record),
                    position=record.position,
                )
            case Article():
                return self._save("KBArticle", entity, self._article_body(record))
        raise ValueError(f"Halo does not write {entity.value}")

    def update(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        ensure_record_matches(entity, record)
        number = halo_id(target_id, field="id", record=f"{entity.value} {target_id}")
        assert number is not None
        self._existing(entity, number)
        match record:
            case Organization():
                self._save("Client", entity, {**client_to_halo(record), "id": number})
            case Group():
                self._save("Team", entity, {**team_to_halo(record), "id": number})
            case Agent():
                self._save("Agent", entity, {**self._agent_body(record), "id": number})
            case Contact():
                self._save("Users", entity, {**self._user_body(record), "id": number})
            case Ticket():
                self._ticket_update(number, record, opener=attachments)
            case ArticleCategory():
                self._faq_save(number, name=record.name, parent=0, position=record.position)
            case ArticleSection():
                self._faq_save(
                    number,
                    name=record.name,
                    parent=self._section_parent(record),
                    position=record.position,
                )
            case Article():
                self._save("KBArticle", entity, {**self._article_body(record), "id": number})
            case _:
                raise ValueError(f"Halo does not write {entity.value}")

    def delete(self, entity: Entity, target_id: str) -> None:
        """Remove a record this migration created."""
        if entity not in self.capabilities.writes:
            raise ValueError(f"Halo does not write {entity.value}")
        number = halo_id(target_id, field="id", record=f"{entity.value} {target_id}")
        self.api.delete(f"{_RESOURCES[entity]}/{number}", entity=entity.value)
        if entity in (Entity.ARTICLE_CATEGORIES, Entity.ARTICLE_SECTIONS):
            self._faq_lists = None

    def find_by_marker(
        self, entity: Entity, marker: str, *, record: Record | None = None
    ) -> str | None:
        match entity:
            case Entity.ORGANIZATIONS | Entity.GROUPS:
                if not isinstance(record, Organization | Group):
                    return None
                return self._named(_RESOURCES[entity], _LISTS[entity][1], entity, record.name)
            case Entity.AGENTS:
                if not isinstance(record, Agent) or not record.email:
                    return None
                return self._agent_with_email(record.email)
            case Entity.CONTACTS:
                if not isinstance(record, Contact):
                    return None
                return self._user_like(record)
            case Entity.TICKETS:
                return self._ticket_with_marker(marker, record=record)
            case Entity.ARTICLE_CATEGORIES:
                if not isinstance(record, ArticleCategory):
                    return None
                return self._faq_named(record.name, parent=0)
            case Entity.ARTICLE_SECTIONS:
                if not isinstance(record, ArticleSection):
                    return None
                return self._faq_named(record.name, parent=self._section_parent(record))
            case Entity.ARTICLES:
                if not isinstance(record, Article):
                    return None
                return self._article_titled(record)
        raise ValueError(f"Halo does not write {entity.value}")

    # ---- helpers

    def _save(self, resource: str, entity: Entity | str, body: Mapping[str, Any]) -> str:
        label = entity.value if isinstance(entity, Entity) else entity
        return str(self.api.save(resource, entity=label, body=body)["id"])

    def _existing(self, entity: Entity, number: int) -> None:
        """A record about to be updated must still be there (``NotFoundError`` otherwise):
        Halo's ``POST`` with an id would not say."""
        self.api.get(f"{_RESOURCES[entity]}/{number}", entity=entity.value)

    def _named(self, resource: str, key: str, entity: Entity, name: str) -> str | None:
        for item in self.api.list_all(
            resource, key=key, entity=entity.value, params={"search": name.strip()}
        ):
            if isinstance(item, dict) and _same(item.get("name"), name):
                return str(item["id"])
        return None

    def _agent_list(self, *, search: str | None = None) -> Iterator[Any]:
        params = {"search": search} if search else {}
        return self.api.list_all("Agent", key="agents", entity="agents", params=params)

    def _agent_with_email(self, email: str) -> str | None:
        address = normalise_email(email)
        for item in self._agent_list(search=address):
            if (
                isinstance(item, dict)
                and normalise_email(item.get("email")) == address
                and not item.get("is_deleted")
            ):
                return str(item["id"])
        return None

    def _agent_body(self, agent: Agent) -> dict[str, Any]:
        record = f"agent {agent.source_id}"
        teams = [halo_id(team, field="group_ids", record=record) for team in agent.group_ids]
        return agent_body(agent, team_ids=[team for team in teams if team is not None])

    def _known_agents(self) -> set[int]:
        if self._agent_ids is None:
            self._agent_ids = {
                int(item["id"]) for item in self._agent_list() if isinstance(item, dict)
            }
        return self._agent_ids

    def _user_body(self, contact: Contact) -> dict[str, Any]:
        client = halo_id(
            contact.organization_id, field="organization_id", record=f"contact {contact.source_id}"
        )
        return user_to_halo(contact, client_id=client)

    def _user_like(self, contact: Contact) -> str | None:
        """The user with the contact's address, or with its name at its client when it has no
        address."""
        search = contact.email or contact.name
        params: dict[str, Any] = {"search": search.strip()}
        for item in self.api.list_all("Users", key="users", entity="contacts", params=params):
            if not isinstance(item, dict):
                continue
            if contact.email:
                if normalise_email(item.get("emailaddress")) == contact.email:
                    return str(item["id"])
            elif _same(item.get("name"), contact.name) and str(item.get("client_id") or "") == str(
                contact.organization_id or ""
            ):
                return str(item["id"])
        return None

    # ---- tickets

    def _status_id(self, ticket: Ticket) -> int | None:
        fields = self.describe_fields()
        if ticket.status is not None and fields.status(ticket.status) is not None:
            return int(ticket.status)
        if ticket.status_category is None:
            return None
        chosen = fallback_status(category=ticket.status_category, available=fields.statuses)
        return int(chosen.key) if chosen is not None else None

    def _known_fields(self, ticket: Ticket) -> Ticket:
        """The ticket without a priority, type or custom field the instance does not have."""
        fields = self.describe_fields()
        changes: dict[str, Any] = {}
        if ticket.priority is not None and ticket.priority not in {
            p.key for p in fields.priorities
        }:
            changes["priority"] = None
        if ticket.type is not None and ticket.type not in {t.key for t in fields.types}:
            changes["type"] = None
        known = {field.key for field in fields.custom_fields}
        if any(key not in known for key in ticket.custom_fields):
            changes["custom_fields"] = {
                key: value for key, value in ticket.custom_fields.items() if key in known
            }
        return ticket.model_copy(update=changes) if changes else ticket

    def _ticket_body(self, ticket: Ticket, *, marker: str | None) -> dict[str, Any]:
        ticket = self._known_fields(ticket)
        opening = ticket.opening_comment
        details = (opening.html_body if opening else "") or f"<p>{ticket.description}</p>"
        return ticket_to_halo(
            ticket, status_id=self._status_id(ticket), marker=marker, details_html=details
        )

    def _ticket_create(
        self,
        ticket: Ticket,
        *,
        marker: str,
        opener: AttachmentOpener | None,
        on_created: Callable[[str], None] | None,
    ) -> int:
        created = self.api.save(
            "Tickets", entity="tickets", body=self._ticket_body(ticket, marker=marker)
        )
        ticket_id = int(created["id"])
        if on_created is not None:
            on_created(str(ticket_id))
        opening = ticket.opening_comment
        if opening is not None:
            self._upload(ticket_id, None, opening.file_attachments, opener)
        for comment in ticket.comments[1:]:
            self._action_post(ticket_id, ticket, comment, opener=opener)
        return ticket_id

    def _ticket_update(
        self, ticket_id: int, ticket: Ticket, *, opener: AttachmentOpener | None
    ) -> None:
        """The ticket's fields, then the actions it lacks (a delta brings new comments; a
        create cut short leaves some out)."""
        body = {**self._ticket_body(ticket, marker=None), "id": ticket_id}
        self.api.save("Tickets", entity="tickets", body=body)
        params = {"ticket_id": ticket_id}
        existing = {
            action_key(
                moment=str(item.get("datetime") or ""),
                html_body=str(item.get("note_html") or item.get("note") or ""),
            ): item.get("id")
            for item in self.api.list_all("Actions", key="actions", entity="tickets", params=params)
            if isinstance(item, dict)
        }
        # Files go up after their action: a write cut short between the two leaves the
        # action without some of them, found missing here by name.
        files = {
            (item.get("action_id") or None, item.get("filename"))
            for item in self.api.list_all(
                "Attachment", key="attachments", entity="tickets", params=params
            )
            if isinstance(item, dict)
        }

        def lacking(action_id: int | None, comment: Comment) -> list[Attachment]:
            return [a for a in comment.file_attachments if (action_id, a.file_name) not in files]

        opening = ticket.opening_comment
        if opening is not None:
            self._upload(ticket_id, None, lacking(None, opening), opener)
        for comment in ticket.comments[1:]:
            key = action_key(moment=format_moment(comment.created_at), html_body=comment.html_body)
            action_id = existing.get(key)
            if key not in existing:
                self._action_post(ticket_id, ticket, comment, opener=opener)
            elif isinstance(action_id, int):
                self._upload(ticket_id, action_id, lacking(action_id, comment), opener)

    def _action_post(
        self,
        ticket_id: int,
        ticket: Ticket,
        comment: Comment,
        *,
        opener: AttachmentOpener | None,
    ) -> None:
        author = comment.author_id
        agent_id = user_id = None
        if author and author.isdigit():
            if comment.author_kind is AuthorKind.AGENT and int(author) in self._known_agents():
                agent_id = int(author)
            elif comment.author_kind is AuthorKind.CONTACT and author == ticket.requester_id:
                user_id = int(author)
        body = action_to_halo(comment, ticket_id=ticket_id, agent_id=agent_id, user_id=user_id)
        # Each action adds to the ticket: a lost answer must not be sent again blindly.
        saved = self.api.save("Actions", entity="tickets", body=body)
        self._upload(ticket_id, int(saved["id"]), comment.file_attachments, opener)

    def _upload(
        self,
        ticket_id: int,
        action_id: int | None,
        attachments: Sequence[Attachment],
        opener: AttachmentOpener | None,
    ) -> None:
        """Each attachment read from the opener (base64 needs the whole file) and uploaded
        to the ticket, or to its action."""
        if opener is None:
            return
        for attachment in attachments:
            parts: list[bytes] = []
            size = 0
            with opener(attachment) as chunks:
                for chunk in chunks:
                    size += len(chunk)
                    if size > MAX_ATTACHMENT_BYTES:
                        raise InvalidRecordError(
                            Message(
                                gettext_noop(
                                    "The attachment '%(file_name)s' is larger than the "
                                    "%(max_attachment_bytes)s MB Halo accepts."
                                ),
                                {
                                    "file_name": str(attachment.file_name),
                                    "max_attachment_bytes": MAX_ATTACHMENT_BYTES // (1024 * 1024),
                                },
                            ),
                            detail="attachment",
                        )
                    parts.append(chunk)
            body = attachment_to_halo(
                file_name=attachment.file_name,
                content=b"".join(parts),
                ticket_id=ticket_id,
                action_id=action_id,
            )
            self.api.save("Attachment", entity="attachments", body=body)

    def _ticket_with_marker(self, marker: str, *, record: Record | None) -> str | None:
        params: dict[str, Any] = {"order": "id", "orderdesc": "true"}
        if isinstance(record, Ticket):
            params["search"] = record.subject or "(no subject)"
            if record.requester_id and record.requester_id.isdigit():
                params["user_id"] = record.requester_id
        for item in self.api.list_all("Tickets", key="tickets", entity="tickets", params=params):
            if isinstance(item, dict) and item.get("third_party_id") == marker:
                return str(item["id"])
        return None

    # ---- knowledge base

    def _section_parent(self, section: ArticleSection) -> int:
        record = f"section {section.source_id}"
        parent = halo_id(section.parent_section_id, field="parent_section_id", record=record)
        category = halo_id(section.category_id, field="category_id", record=record)
        chosen = parent or category
        assert chosen is not None
        return chosen

    def _faq_named(self, name: str, *, parent: int) -> str | None:
        return next(
            (
                str(wire.id)
                for wire in self._faq_list_all()
                if _same(wire.name, name) and (wire.parent_id or 0) == parent
            ),
            None,
        )

    def _faq_save(self, number: int | None, *, name: str, parent: int, position: int | None) -> str:
        body = faq_list_to_halo(name=name, parent_id=parent, sequence=position)
        if number is not None:
            body["id"] = number
        entity = "article_categories" if not parent else "article_sections"
        saved = self._save("FAQLists", entity, body)
        self._faq_lists = None
        return saved

    def _article_body(self, article: Article) -> dict[str, Any]:
        section = halo_id(
            article.section_id, field="section_id", record=f"article {article.source_id}"
        )
        assert section is not None
        author = article.author_id
        body = article_to_halo(article, faqlist_id=section)
        if author is not None and (not author.isdigit() or int(author) not in self._known_agents()):
            body.pop("author_id", None)
        return body

    def _article_titled(self, article: Article) -> str | None:
        section = halo_id(
            article.section_id, field="section_id", record=f"article {article.source_id}"
        )
        params = {"search": article.title, "faqlist_id": section}
        for item in self.api.list_all(
            "KBArticle", key="articles", entity="articles", params=params
        ):
            if not isinstance(item, dict) or not _same(item.get("name"), article.title):
                continue
            lists = [
                entry.get("id") for entry in item.get("faqlists") or [] if isinstance(entry, dict)
            ]
            if section in lists:
                return str(item["id"])
        return None
