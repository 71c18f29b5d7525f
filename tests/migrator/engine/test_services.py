"""Services around runs: connections with encrypted credentials, configuration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connectors.schema import Entity
from migrator import configuration, services
from migrator.crypto import decrypt_credentials
from migrator.models import Connection
from tests.migrator.engine import memory

pytestmark = pytest.mark.django_db


@pytest.fixture
def memory_account():
    memory.ACCOUNTS["mem://acme"] = memory.MemoryAccount()
    yield memory.ACCOUNTS["mem://acme"]
    memory.ACCOUNTS.pop("mem://acme")


def test_a_connection_is_checked_then_stored_encrypted(user, memory_platform, memory_account):
    connection = services.connection_create(
        owner=user,
        platform="memorydesk",
        credentials={"url": "mem://acme", "token": "s3cret-value"},
    )
    assert connection.account_name == "Memory mem://acme"
    assert connection.verified_at is not None
    stored = Connection.objects.filter(pk=connection.pk).values_list(
        "encrypted_credentials", flat=True
    )[0]
    assert "s3cret-value" not in stored
    assert decrypt_credentials(token=stored)["token"] == "s3cret-value"
    assert "s3cret-value" not in repr(connection) + str(connection)
    assert memory_account.calls == 1


def test_refused_or_malformed_credentials_are_not_stored(user, memory_platform, memory_account):
    with pytest.raises(ValidationError, match="refused the token") as refused:
        services.connection_create(
            owner=user, platform="memorydesk", credentials={"url": "mem://acme", "token": "wrong"}
        )
    assert "wrong" not in str(refused.value).replace("refused", "")
    with pytest.raises(ValidationError) as malformed:
        services.connection_create(owner=user, platform="memorydesk", credentials={"url": "x"})
    assert "token" in malformed.value.message_dict
    with pytest.raises(ValidationError, match="No help desk platform"):
        services.connection_create(owner=user, platform="nowhere", credentials={})
    assert not Connection.objects.exists()


def test_configuration_parts_are_validated_and_saved(pair):
    services.migration_configure(
        migration=pair.migration,
        entities=[Entity.TICKETS, Entity.CONTACTS],
        filters=configuration.Filters(tags=["vip"]),
        options=configuration.Options(migrated_tag="moved", demo_ids={Entity.TICKETS: ["1"]}),
    )
    pair.migration.refresh_from_db()
    assert pair.migration.selected_entities() == [Entity.CONTACTS, Entity.TICKETS]
    assert pair.migration.configured_filters().tags == ["vip"]
    assert pair.migration.configured_options().demo_ids == {Entity.TICKETS: ["1"]}
    with pytest.raises(ValueError, match="at most 20"):
        configuration.Options(demo_ids={Entity.TICKETS: [str(n) for n in range(21)]})


def test_someone_elses_connection_cannot_be_used(pair, make_user):
    stranger = make_user()
    theirs = Connection.objects.create(
        owner=stranger, platform="memorydesk", encrypted_credentials="x", account_name="theirs"
    )
    with pytest.raises(ValidationError, match="your own connections"):
        services.migration_configure(migration=pair.migration, source=theirs)
