"""An in-memory help desk that is both a source and a target, for engine unit tests.

Accounts live in a module-level dict keyed by the credentials' URL, so the engine's
connectors (built from a Connection like any other) see the same data the test set up.
Faults are injected per account with ``fail_next``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    DEFAULT_PAGE_SIZE,
    AccountInfo,
    AttachmentOpener,
    AttachmentStream,
    Capabilities,
    Connector,
    HttpStatistics,
    Page,
    ensure_record_matches,
)
from connectors.errors import NotFoundError
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
    Entity,
    FieldSchema,
    Group,
    Organization,
    PriorityOption,
    Record,
    StatusCategory,
    StatusOption,
    Ticket,
    TypeOption,
)
from tests.connectors.dummies import TokenCredentials

BASE_TIME = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)

SOURCE_FIELDS = FieldSchema(
    statuses=[
        StatusOption(key="new", name="New", category=StatusCategory.NEW),
        StatusOption(key="open", name="Open", category=StatusCategory.OPEN),
        StatusOption(key="hold", name="On-hold", category=StatusCategory.HOLD),
        StatusOption(key="solved", name="Solved", category=StatusCategory.SOLVED),
    ],
    types=[
        TypeOption(key="question", name="Question"),
        TypeOption(key="incident", name="Incident"),
    ],
    priorities=[
        PriorityOption(key="low", name="Low", rank=1),
        PriorityOption(key="urgent", name="Urgent", rank=4),
    ],
    custom_fields=[
        CustomField(key="100", title="Order number", type=CustomFieldType.INTEGER),
        CustomField(
            key="101",
            title="Plan",
            type=CustomFieldType.DROPDOWN,
            options=[CustomFieldOption(key="plan_gold", name="Gold")],
        ),
        CustomField(key="102", title="Internal remark", type=CustomFieldType.TEXT),
    ],
    article_statuses=[
        ArticleStatusOption(key="draft", name="Draft", category=ArticleStatusCategory.DRAFT),
        ArticleStatusOption(
            key="published", name="Published", category=ArticleStatusCategory.PUBLISHED
        ),
    ],
)

TARGET_FIELDS = FieldSchema(
    statuses=[
        StatusOption(key="2", name="Open", category=StatusCategory.OPEN, default=True),
        StatusOption(key="3", name="Pending", category=StatusCategory.PENDING),
        StatusOption(key="4", name="Resolved", category=StatusCategory.SOLVED),
        StatusOption(key="5", name="Closed", category=StatusCategory.CLOSED),
    ],
    types=[TypeOption(key="Question", name="Question"), TypeOption(key="Problem", name="Problem")],
    priorities=[
        PriorityOption(key="1", name="Low", rank=1),
        PriorityOption(key="4", name="Urgent", rank=4),
    ],
    custom_fields=[
        CustomField(key="cf_order_number", title="Order number", type=CustomFieldType.INTEGER),
        CustomField(
            key="cf_plan",
            title="Plan",
            type=CustomFieldType.DROPDOWN,
            options=[CustomFieldOption(key="Gold", name="Gold")],
        ),
    ],
    article_statuses=[
        ArticleStatusOption(key="1", name="Draft", category=ArticleStatusCategory.DRAFT),
        ArticleStatusOption(key="2", name="Published", category=ArticleStatusCategory.PUBLISHED),
    ],
)


@dataclass
class MemoryAccount:
    """One help desk: what it holds as a source, and what was written into it."""

    fields: FieldSchema = field(default_factory=FieldSchema)
    records: dict[Entity, dict[str, Record]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    #: Target side: id -> (record, marker) per entity.
    written: dict[Entity, dict[str, tuple[Record, str]]] = field(default_factory=dict)
    creates: Counter[Entity] = field(default_factory=Counter)
    updates: Counter[Entity] = field(default_factory=Counter)
    #: Agents and groups the target already has (e-mail or name -> id).
    existing_agents: dict[str, str] = field(default_factory=dict)
    existing_groups: dict[str, str] = field(default_factory=dict)
    #: Called before each create; may raise to inject a fault, or return True to create
    #: and then raise (the answer "lost on the way").
    on_create: Callable[[Entity, Record], Any] | None = None
    on_read: Callable[[Entity], Any] | None = None
    calls: int = 0
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    def add(self, *records: Record) -> None:
        for record in records:
            self.records.setdefault(record.entity, {})[record.source_id] = record

    def delete(self, entity: Entity, source_id: str) -> None:
        self.records.get(entity, {}).pop(source_id, None)

    def written_records(self, entity: Entity) -> list[Record]:
        return [record for record, _marker in self.written.get(entity, {}).values()]

    def markers(self, entity: Entity) -> list[str]:
        return [marker for _record, marker in self.written.get(entity, {}).values()]


ACCOUNTS: dict[str, MemoryAccount] = {}


class MemoryDesk(Connector):
    key = "memorydesk"
    display_name = "Memory Desk"
    credentials_model = TokenCredentials
    capabilities = Capabilities(
        reads=frozenset(Entity),
        writes=frozenset(Entity),
        keeps_original_dates=True,
        keeps_comment_authors=True,
        custom_fields=True,
        inline_images=False,
        tags=True,
        ccs=True,
        article_attachments=True,
        article_tags=True,
        article_translations=True,
        can_create_agents=True,
        can_create_groups=True,
        rate_limit_per_minute=600,
        read_calls_per_record={Entity.TICKETS: 2.0},
        write_calls_per_record={Entity.TICKETS: 3.0},
    )

    @property
    def account(self) -> MemoryAccount:
        return ACCOUNTS[self.credentials.url]

    def _call(self) -> None:
        self.account.calls += 1
        self._calls += 1

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._calls = 0

    def http_statistics(self) -> HttpStatistics:
        statistics = HttpStatistics()
        statistics.calls["memory"] = self._calls
        return statistics

    def check_credentials(self) -> AccountInfo:
        self._call()
        if self.credentials.token.get_secret_value() == "wrong":
            from connectors.errors import AuthenticationError

            raise AuthenticationError("memory refused the token (HTTP 401)", status=401)
        return AccountInfo(account_name="Memory " + self.credentials.url, account_url="mem://x")

    def describe_fields(self) -> FieldSchema:
        self._call()
        return self.account.fields

    # ------------------------------------------------------------------ reading

    def _selected(self, entity: Entity, updated_since: datetime | None) -> list[Record]:
        records = list(self.account.records.get(entity, {}).values())
        if updated_since is not None:
            records = [r for r in records if r.updated_at >= updated_since]
            return sorted(records, key=lambda r: (r.updated_at, _number(r.source_id)))
        return sorted(records, key=lambda r: _number(r.source_id))

    def count(
        self,
        entity: Entity,
        *,
        updated_since: datetime | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> int:
        self._call()
        return len(self._selected(entity, updated_since))

    def read_page(
        self,
        entity: Entity,
        *,
        cursor: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        updated_since: datetime | None = None,
        ids: Sequence[str] | None = None,
    ) -> Page[Record]:
        self._call()
        if self.account.on_read is not None:
            self.account.on_read(entity)
        if ids is not None:
            start = int(cursor or 0)
            chunk = list(ids[start : start + page_size])
            found = dict(self.account.records.get(entity, {}))
            # What was written here reads back under its target id (verification).
            for target_id, (written, _marker) in self.account.written.get(entity, {}).items():
                found.setdefault(target_id, written.model_copy(update={"source_id": target_id}))
            records = [found[i] for i in chunk if i in found]
            more = start + page_size < len(ids)
            return Page(records=records, next_cursor=str(start + page_size), has_more=more)
        records = self._selected(entity, updated_since)
        if cursor:
            # A keyset cursor, (updated_at, id) with >= as a delta reads it.
            moment, last_id = cursor.split("|")
            key = (datetime.fromisoformat(moment), _number(last_id))
            if updated_since is not None:
                records = [r for r in records if (r.updated_at, _number(r.source_id)) > key]
            else:
                records = [r for r in records if _number(r.source_id) > key[1]]
        page = records[:page_size]
        more = len(records) > page_size
        next_cursor = f"{page[-1].updated_at.isoformat()}|{page[-1].source_id}" if page else None
        return Page(records=page, next_cursor=next_cursor if more else None, has_more=more)

    def download_attachment(self, attachment: Attachment) -> AttachmentStream:
        return self._download(attachment)

    @contextmanager
    def _download(self, attachment: Attachment) -> Iterator[Iterator[bytes]]:
        self._call()
        content = self.account.blobs.get(attachment.url)
        if content is None:
            raise NotFoundError(f"{attachment.file_name} does not exist", status=404)
        yield (content[start : start + 1000] for start in range(0, len(content), 1000))

    # ------------------------------------------------------------------ writing

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
        self._call()
        lose_answer = False
        if self.account.on_create is not None:
            lose_answer = bool(self.account.on_create(entity, record))
        copied = record
        if attachments is not None:
            copied = _with_attachments_read(record, attachments, into=self.account)
        target_id = str(next(self.account.ids))
        self.account.written.setdefault(entity, {})[target_id] = (copied, marker)
        self.account.creates[entity] += 1
        if on_created is not None:
            on_created(target_id)
        if lose_answer:
            from connectors.errors import TransientError

            raise TransientError("the answer was lost", ambiguous=True)
        return target_id

    def update(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        self._call()
        written = self.account.written.get(entity, {})
        if target_id not in written:
            raise NotFoundError(f"{entity} {target_id} does not exist", status=404)
        if attachments is not None:
            record = _with_attachments_read(record, attachments, into=self.account)
        written[target_id] = (record, written[target_id][1])
        self.account.updates[entity] += 1

    def delete(self, entity: Entity, target_id: str) -> None:
        self._call()
        self.account.written.get(entity, {}).pop(target_id, None)

    def find_by_marker(
        self, entity: Entity, marker: str, *, record: Record | None = None
    ) -> str | None:
        self._call()
        if entity is Entity.AGENTS and isinstance(record, Agent) and record.email:
            existing = self.account.existing_agents.get(record.email)
            if existing:
                return existing
        if entity is Entity.GROUPS and isinstance(record, Group):
            existing = self.account.existing_groups.get(record.name)
            if existing:
                return existing
        for target_id, (_record, written_marker) in self.account.written.get(entity, {}).items():
            if written_marker == marker:
                return target_id
        return None


def _number(source_id: str) -> int:
    return int(source_id) if source_id.isdigit() else 0


def _with_attachments_read(
    record: Record, opener: AttachmentOpener, *, into: MemoryAccount
) -> Record:
    """Read every attachment through the engine's opener, as an upload would, and keep its
    bytes on the target under the same address."""
    attachments: list[Attachment] = []
    if isinstance(record, Ticket):
        attachments = [a for c in record.comments for a in c.attachments]
    elif isinstance(record, Article):
        attachments = list(record.attachments)
    for attachment in attachments:
        with opener(attachment) as chunks:
            into.blobs[attachment.url] = b"".join(chunks)
    return record


# --------------------------------------------------------------------------- sample data


def organization(number: int) -> Organization:
    return Organization(source_id=str(number), name=f"Org {number}", updated_at=BASE_TIME)


def group(number: int, **fields: Any) -> Group:
    return Group(source_id=str(number), name=f"Group {number}", updated_at=BASE_TIME, **fields)


def agent(number: int, **fields: Any) -> Agent:
    values = {"name": f"Agent {number}", "email": f"agent{number}@acme.example"}
    values.update(fields)
    return Agent(source_id=str(number), updated_at=BASE_TIME, **values)


def contact(number: int, **fields: Any) -> Contact:
    values = {"name": f"Contact {number}", "email": f"contact{number}@example.com"}
    values.update(fields)
    return Contact(source_id=str(number), updated_at=BASE_TIME, **values)


def ticket(number: int, *, comments: int = 2, **fields: Any) -> Ticket:
    created = BASE_TIME + timedelta(minutes=number)
    thread = [
        Comment(
            source_id=f"{number}-{index}",
            author_id=fields.get("requester_id", "500"),
            author_kind=AuthorKind.CONTACT,
            public=True,
            html_body=f"<p>Message {index} of ticket {number}</p>",
            created_at=created + timedelta(minutes=index),
        )
        for index in range(comments)
    ]
    values: dict[str, Any] = {
        "subject": f"Ticket {number}",
        "status": "open",
        "status_category": StatusCategory.OPEN,
        "requester_id": "500",
        "requester_email": "contact500@example.com",
        "created_at": created,
        "updated_at": created + timedelta(hours=1),
        "comments": thread,
    }
    values.update(fields)
    return Ticket(source_id=str(number), **values)


def category(number: int) -> ArticleCategory:
    return ArticleCategory(source_id=str(number), name=f"Category {number}", updated_at=BASE_TIME)


def section(number: int, category_id: str, **fields: Any) -> ArticleSection:
    return ArticleSection(
        source_id=str(number),
        name=f"Section {number}",
        category_id=category_id,
        updated_at=BASE_TIME,
        **fields,
    )


def article(number: int, section_id: str, **fields: Any) -> Article:
    values: dict[str, Any] = {
        "title": f"Article {number}",
        "html_body": f"<p>How to do {number}</p>",
        "status": "published",
        "section_id": section_id,
        "created_at": BASE_TIME,
    }
    values.update(fields)
    return Article(source_id=str(number), updated_at=BASE_TIME, **values)
