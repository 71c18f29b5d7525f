"""Small in-memory connectors that satisfy the contract, for contract and registry tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from connectors.base import (
    DEFAULT_PAGE_SIZE,
    AccountInfo,
    AttachmentOpener,
    AttachmentStream,
    Capabilities,
    Connector,
    Credentials,
    Page,
    Source,
    Target,
    credential_field,
    ensure_record_matches,
)
from connectors.registry import ConnectorRegistry
from connectors.schema import Attachment, Entity, FieldSchema, Record


class TokenCredentials(Credentials):
    url: str = credential_field(title="Address", hint="Where you sign in.")
    token: SecretStr = credential_field(title="Token", hint="Settings > API.", secret=True)


def no_http_client(**options: Any) -> Any:
    raise AssertionError("these connectors make no HTTP call")


class MemorySource(Source):
    key = "memory_source"
    display_name = "Memory (source)"
    credentials_model = TokenCredentials
    capabilities = Capabilities(reads=frozenset({Entity.TICKETS}), tags=True)

    records: Sequence[Record] = ()

    def check_credentials(self) -> AccountInfo:
        return AccountInfo(account_name="memory")

    def describe_fields(self) -> FieldSchema:
        return FieldSchema()

    def count(
        self,
        entity: Entity,
        *,
        updated_since: datetime | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> int:
        return len(self.records)

    def read_page(
        self,
        entity: Entity,
        *,
        cursor: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        updated_since: datetime | None = None,
        ids: Sequence[str] | None = None,
    ) -> Page[Record]:
        start = int(cursor or 0)
        chunk = list(self.records[start : start + page_size])
        end = start + len(chunk)
        more = end < len(self.records)
        return Page(records=chunk, next_cursor=str(end) if more else None, has_more=more)

    @contextmanager
    def _chunks(self, attachment: Attachment) -> Iterator[Iterator[bytes]]:
        yield iter([attachment.file_name.encode()])

    def download_attachment(self, attachment: Attachment) -> AttachmentStream:
        return self._chunks(attachment)


class MemoryTarget(Target):
    key = "memory_target"
    display_name = "Memory (target)"
    credentials_model = TokenCredentials
    capabilities = Capabilities(writes=frozenset({Entity.TICKETS}))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.created: dict[str, tuple[Record, str]] = {}

    def check_credentials(self) -> AccountInfo:
        return AccountInfo(account_name="memory")

    def describe_fields(self) -> FieldSchema:
        return FieldSchema()

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
        target_id = str(len(self.created) + 1)
        self.created[target_id] = (record, marker)
        return target_id

    def update(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        self.created[target_id] = (record, self.created[target_id][1])

    def delete(self, entity: Entity, target_id: str) -> None:
        self.created.pop(target_id, None)

    def find_by_marker(
        self, entity: Entity, marker: str, *, record: Record | None = None
    ) -> str | None:
        return next((tid for tid, (_, m) in self.created.items() if m == marker), None)


class MemoryConnector(Connector, MemorySource, MemoryTarget):
    key = "memory"
    display_name = "Memory"
    capabilities = Capabilities(
        reads=frozenset({Entity.TICKETS}), writes=frozenset({Entity.TICKETS})
    )


AUTOLOAD_REGISTRY = ConnectorRegistry(autoload=("tests.connectors.autoload_plugin",))
