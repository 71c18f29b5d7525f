"""Engine tests against the in-memory help desk: runs executed batch by batch in-process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from connectors.registry import registry
from migrator import configuration, services
from migrator.crypto import encrypt_credentials
from migrator.engine import execute
from migrator.models import Connection, Migration, Run, RunBatch
from tests.migrator.engine import memory


@pytest.fixture
def memory_platform():
    """The in-memory help desk, registered for the test only."""
    registry.register(memory.MemoryDesk)
    yield memory.MemoryDesk
    registry.unregister(memory.MemoryDesk.key)


@pytest.fixture
def enqueued(monkeypatch):
    """Batch ids the engine sends to the broker, kept here instead."""
    from migrator import tasks

    sent: list[int] = []
    monkeypatch.setattr(
        tasks.batch_execute, "apply_async", lambda args, **options: sent.append(args[0])
    )
    # "Verify again" is run by the test itself (reverify.run_reverify), never by a worker.
    monkeypatch.setattr(tasks.run_reverify, "apply_async", lambda args, **options: None)
    return sent


def connection_for(*, owner, account_url: str) -> Connection:
    return Connection.objects.create(
        owner=owner,
        platform=memory.MemoryDesk.key,
        encrypted_credentials=encrypt_credentials(
            credentials={"url": account_url, "token": "secret-token"}
        ),
        account_name=account_url,
        account_url="https://" + account_url.removeprefix("mem://") + ".example",
    )


@dataclass
class Pair:
    migration: Migration
    source: memory.MemoryAccount
    target: memory.MemoryAccount

    def configure(self, **parts) -> None:
        services.migration_configure(migration=self.migration, **parts)
        self.migration.refresh_from_db()


@pytest.fixture
def pair(db, user, memory_platform, enqueued) -> Pair:
    """A migration from an in-memory source to an empty in-memory target."""
    source_url = f"mem://source-{uuid.uuid4().hex[:8]}"
    target_url = f"mem://target-{uuid.uuid4().hex[:8]}"
    memory.ACCOUNTS[source_url] = memory.MemoryAccount(fields=memory.SOURCE_FIELDS)
    memory.ACCOUNTS[target_url] = memory.MemoryAccount(fields=memory.TARGET_FIELDS)
    migration = services.migration_create(owner=user, name="Memory to memory")
    services.migration_configure(
        migration=migration,
        source=connection_for(owner=user, account_url=source_url),
        target=connection_for(owner=user, account_url=target_url),
        options=configuration.Options(),
    )
    yield Pair(
        migration=migration, source=memory.ACCOUNTS[source_url], target=memory.ACCOUNTS[target_url]
    )
    memory.ACCOUNTS.pop(source_url, None)
    memory.ACCOUNTS.pop(target_url, None)


def drain(run: Run, *, limit: int = 500) -> Run:
    """Work the run's batches in this process until nothing is left to do."""
    for _round in range(limit):
        run.refresh_from_db()
        if run.status != Run.Status.RUNNING:
            return run
        pending = list(
            RunBatch.objects.filter(run=run, status=RunBatch.Status.PENDING)
            .order_by("id")
            .values_list("pk", flat=True)
        )
        if not pending:
            return run
        for batch_id in pending:
            RunBatch.objects.filter(pk=batch_id).update(not_before=None)
            execute.batch_execute(batch_id=batch_id, worker=f"test-{uuid.uuid4().hex[:6]}")
    raise AssertionError("the run did not settle")
