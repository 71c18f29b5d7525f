from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr, ValidationError

from connectors import freshdesk, zendesk
from connectors.addresses import normalise_account_url
from connectors.base import (
    COMMON_CHECKLIST,
    Capabilities,
    Connector,
    Page,
    ScopeKind,
    Source,
    Target,
    cursor_dump,
    cursor_load,
    is_marker,
    not_migrated,
    page_by_ids,
    source_marker,
)
from connectors.freshdesk.connector import FreshdeskConnector
from connectors.schema import Attachment, Entity, Group, Ticket
from tests.connectors.dummies import (
    MemoryConnector,
    MemorySource,
    MemoryTarget,
    TokenCredentials,
    no_http_client,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# The eDesk and Teamwork Desk targets as the seeds describe them.
EDESK_LIKE = Capabilities(
    writes=frozenset({Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS}),
    keeps_original_dates=True,
    keeps_comment_authors=True,
    max_attachment_bytes=10 * 1024 * 1024,
    scope_kind=ScopeKind.CHANNEL,
)
TEAMWORK_LIKE = Capabilities(
    writes=frozenset({Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS, Entity.ARTICLES}),
    custom_fields=True,
    tags=True,
    scope_kind=ScopeKind.INBOX,
)


def ticket(source_id: str = "1") -> Ticket:
    return Ticket(source_id=source_id, updated_at=NOW, created_at=NOW, subject="Printer")


# --------------------------------------------------------------------------- credentials


def test_credentials_schema_carries_labels_hints_and_secrets() -> None:
    schema = zendesk.ZendeskCredentials.form_schema()

    # E-mail + API token, or an OAuth token: the model checks that one of the two is given.
    assert schema["required"] == ["url"]
    assert zendesk.ZendeskCredentials.secret_field_names() == {"api_token", "oauth_token"}
    token = schema["properties"]["api_token"]
    assert token["title"] == "API token"
    assert token["secret"] is True
    assert token["writeOnly"] is True
    assert "Admin Center" in token["hint"]
    assert schema["properties"]["url"]["secret"] is False
    assert schema["properties"]["url"]["placeholder"] == "https://yourcompany.zendesk.com"
    assert freshdesk.FreshdeskCredentials.secret_field_names() == {"api_key"}


def test_credentials_keep_secrets_out_of_displays_and_errors() -> None:
    credentials = zendesk.ZendeskCredentials(url="acme", email="Admin@Acme.test", api_token="t0k")

    assert credentials.url == "https://acme.zendesk.com"
    assert credentials.email == "admin@acme.test"
    assert "t0k" not in repr(credentials)
    assert credentials.public_values() == {
        "url": "https://acme.zendesk.com",
        "email": "admin@acme.test",
    }
    assert credentials.revealed_values()["api_token"] == "t0k"
    with pytest.raises(ValidationError) as caught:
        zendesk.ZendeskCredentials(url="acme", email="not-an-address", api_token="s3cr3t-t0k3n")
    assert "s3cr3t-t0k3n" not in str(caught.value)
    with pytest.raises(ValidationError):
        zendesk.ZendeskCredentials(url="acme", email="a@b.c", api_token="x", extra="field")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("acme", "https://acme.freshdesk.com"),
        ("acme.freshdesk.com", "https://acme.freshdesk.com"),
        ("https://ACME.freshdesk.com/", "https://acme.freshdesk.com"),
        ("https://support.acme.test/a/tickets", "https://support.acme.test"),
        ("http://127.0.0.1:8025", "http://127.0.0.1:8025"),
        (
            "http://127.0.0.1:8000/sandbox/freshdesk/acme/",
            "http://127.0.0.1:8000/sandbox/freshdesk/acme",
        ),
        ("http://testserver/sandbox/zendesk/acme/api/v2", "http://testserver/sandbox/zendesk/acme"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
        ("https://[2001:DB8:0::5]/a/tickets", "https://[2001:db8::5]"),
        ("http://[::1]:8000/sandbox/edesk/acme/", "http://[::1]:8000/sandbox/edesk/acme"),
    ],
)
def test_account_url_is_normalised(given: str, expected: str) -> None:
    assert normalise_account_url(given, hosted_domain="freshdesk.com") == expected


@pytest.mark.parametrize(
    "given",
    [
        "",
        "ftp://acme.test",
        "https://user:pw@acme.test",
        "a b",
        "https://::1/",
        "https://[fe80::1%25eth0]/",
        "https://[::1/",
        "https://[acme.test]/",
        "https://acme.test:99999/",
        "https://010.0.0.1/",
        "https://999.1.1.1/",
        "https://" + "a" * 64 + ".test/",
    ],
)
def test_account_url_rejects_what_is_not_an_account_address(given: str) -> None:
    with pytest.raises(ValueError, match="address"):
        normalise_account_url(given, hosted_domain="freshdesk.com")


# --------------------------------------------------------------------------- capabilities


def test_not_migrated_lists_eDesk_like_losses() -> None:
    losses = not_migrated(source=zendesk.CAPABILITIES, target=EDESK_LIKE)

    assert "Organizations cannot be imported." in losses
    assert "Groups cannot be imported." in losses
    assert "Custom fields." in losses
    assert "Inline images." in losses
    assert "Tags." in losses
    assert "Attachments larger than 10 MB." in losses
    assert any("agents cannot be created" in loss for loss in losses)
    # eDesk keeps dates and comment authors.
    assert not any("creation dates" in loss for loss in losses)
    assert not any("Comment authors" in loss for loss in losses)


def test_not_migrated_lists_teamwork_like_losses() -> None:
    losses = not_migrated(source=freshdesk.CAPABILITIES, target=TEAMWORK_LIKE)

    assert "Ticket and comment creation dates: they become the migration date." in losses
    assert any(loss.startswith("Comment authors") for loss in losses)
    assert "CCs." in losses
    assert "Knowledge base article tags." in losses
    assert "Knowledge base article attachments." in losses
    assert "Custom fields." not in losses


def test_not_migrated_between_zendesk_and_freshdesk() -> None:
    article_dates = "Article dates: articles get the date of the migration."

    assert zendesk.CAPABILITIES.not_migrated_from(zendesk.CAPABILITIES) == [article_dates]
    assert freshdesk.CAPABILITIES.not_migrated_from(zendesk.CAPABILITIES) == [
        "Ticket and comment creation dates: they become the migration date.",
        "Attachments larger than 20 MB.",
        article_dates,
    ]
    assert zendesk.CAPABILITIES.not_migrated_from(freshdesk.CAPABILITIES) == [article_dates]
    assert any("private note" in line for line in freshdesk.CAPABILITIES.particulars)


def test_nothing_is_lost_for_features_the_source_lacks() -> None:
    bare_source = Capabilities(reads=frozenset({Entity.TICKETS}))
    # A source without a known limit may hold larger files than the target takes.
    assert not_migrated(source=bare_source, target=EDESK_LIKE) == ["Attachments larger than 10 MB."]
    small_files = Capabilities(reads=frozenset({Entity.TICKETS}), max_attachment_bytes=1024)
    assert not_migrated(source=small_files, target=EDESK_LIKE) == []


def test_capabilities_are_frozen_and_strict() -> None:
    with pytest.raises(ValidationError):
        Capabilities(rate_limit_per_minute=0)
    with pytest.raises(ValidationError):
        Capabilities(unknown=True)
    with pytest.raises(ValidationError):
        zendesk.CAPABILITIES.tags = False


def test_checklists_start_with_the_common_steps() -> None:
    checklist = MemoryConnector.pre_migration_checklist()
    assert checklist[: len(COMMON_CHECKLIST)] == list(COMMON_CHECKLIST)
    assert any("triggers" in step for step in zendesk.CHECKLIST)
    assert any("Automations" in step for step in freshdesk.CHECKLIST)


# --------------------------------------------------------------------------- markers


def test_markers_are_deterministic_short_and_tag_safe() -> None:
    marker = source_marker(migration_id=42, entity=Entity.TICKETS, source_id="35436")

    assert marker == source_marker(migration_id=42, entity=Entity.TICKETS, source_id="35436")
    assert marker.startswith("hdm-") and marker.endswith("-tkt-35436")
    assert marker != source_marker(migration_id=43, entity=Entity.TICKETS, source_id="35436")
    assert marker != source_marker(migration_id=42, entity=Entity.CONTACTS, source_id="35436")
    long_uuid = source_marker(
        migration_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        entity=Entity.CONTACTS,
        source_id="6128164851599",
    )
    assert len(long_uuid) <= 32
    assert is_marker(marker) and is_marker(long_uuid)
    assert not is_marker("enterprise")


def test_markers_hash_ids_that_are_not_tag_safe() -> None:
    odd = source_marker(migration_id=1, entity=Entity.ARTICLES, source_id="Ab/Cd 12")
    other = source_marker(migration_id=1, entity=Entity.ARTICLES, source_id="ab/cd 12")

    assert odd != other
    assert odd == odd.lower() and " " not in odd and len(odd) <= 32
    assert is_marker(odd)


# --------------------------------------------------------------------------- contract


def test_page_needs_a_cursor_when_more_follows() -> None:
    with pytest.raises(ValueError, match="next_cursor"):
        Page(records=[ticket()], has_more=True)
    end_of_export = Page(records=[], next_cursor="resume-here", has_more=False)
    assert end_of_export.next_cursor == "resume-here"


def test_abstract_bases_cannot_be_instantiated() -> None:
    credentials = TokenCredentials(url="x", token=SecretStr("t"))
    for abstract in (Source, Target, Connector):
        with pytest.raises(TypeError):
            abstract(credentials=credentials, http_client_factory=no_http_client)  # type: ignore[abstract]


def test_constructor_is_keyword_only_and_checks_credentials_type() -> None:
    credentials = TokenCredentials(url="x", token=SecretStr("t"))
    with pytest.raises(TypeError):
        MemorySource(credentials, no_http_client)  # type: ignore[misc]
    other = zendesk.ZendeskCredentials(url="acme", email="a@b.c", api_token="t")
    with pytest.raises(TypeError, match="TokenCredentials"):
        MemorySource(credentials=other, http_client_factory=no_http_client)


def test_memory_connector_reads_resumably_and_writes_with_markers() -> None:
    credentials = MemoryConnector.parse_credentials({"url": "x", "token": "t"})
    connector = MemoryConnector(credentials=credentials, http_client_factory=no_http_client)
    connector.records = [ticket(str(number)) for number in range(5)]

    first = connector.read_page(Entity.TICKETS, page_size=2)
    assert [record.source_id for record in first.records] == ["0", "1"]
    assert first.has_more
    resumed = connector.read_page(Entity.TICKETS, cursor=first.next_cursor, page_size=10)
    assert [record.source_id for record in resumed.records] == ["2", "3", "4"]
    assert not resumed.has_more

    marker = source_marker(migration_id=7, entity=Entity.TICKETS, source_id="0")
    target_id = connector.create(Entity.TICKETS, first.records[0], marker=marker)
    assert connector.find_by_marker(Entity.TICKETS, marker) == target_id
    with pytest.raises(TypeError, match="Group"):
        connector.create(
            Entity.TICKETS, Group(source_id="1", updated_at=NOW, name="Tier 1"), marker=marker
        )
    with connector.download_attachment(
        Attachment(source_id="1", file_name="a.txt", url="https://files.test/a.txt")
    ) as chunks:
        assert b"".join(chunks) == b"a.txt"
    assert connector.list_scopes() == []
    assert MemoryConnector.is_source() and MemoryConnector.is_target()
    assert MemorySource.is_source() and not MemorySource.is_target()
    assert MemoryTarget.is_target() and not MemoryTarget.is_source()


def test_connectors_close_the_http_clients_they_open() -> None:
    closed: list[str] = []

    class Client:
        def __init__(self, name: str) -> None:
            self.name = name

        def close(self) -> None:
            closed.append(self.name)

    credentials = TokenCredentials(url="x", token=SecretStr("t"))
    with MemorySource(
        credentials=credentials, http_client_factory=lambda **o: Client(o["name"])
    ) as source:
        assert source.open_http_client(name="api").name == "api"
        source.open_http_client(name="files")
    assert closed == ["files", "api"]


def test_an_api_connector_opens_its_api_once_and_again_after_closing() -> None:
    opened: list[int] = []
    closed: list[int] = []

    class Client:
        def __init__(self) -> None:
            opened.append(len(opened) + 1)
            self.number = len(opened)

        def close(self) -> None:
            closed.append(self.number)

    connector = FreshdeskConnector(
        credentials=freshdesk.FreshdeskCredentials(
            url="https://acme.freshdesk.com", api_key=SecretStr("k")
        ),
        http_client_factory=lambda **options: Client(),
    )
    assert opened == []  # nothing is opened before the first call
    first = connector.api
    assert connector.api is first
    assert opened == [1]
    connector.close()
    assert closed == [1]
    assert connector.api is not first
    assert opened == [1, 2]


def test_page_by_ids_pages_through_the_ids_once_each_and_leaves_out_vanished_records():
    updated = datetime(2026, 1, 2, tzinfo=UTC)
    groups = {str(n): Group(source_id=str(n), name=f"G{n}", updated_at=updated) for n in (1, 2, 4)}
    ids = ["1", "2", "2", "3", "4"]
    first = page_by_ids(ids=ids, state={}, page_size=2, since=None, read_one=groups.get)
    assert [record.source_id for record in first.records] == ["1", "2"]
    assert first.has_more
    second = page_by_ids(
        ids=ids,
        state=cursor_load(first.next_cursor, platform="Test"),
        page_size=2,
        since=None,
        read_one=groups.get,
    )
    # "3" does not exist any more: left out, and the page still ends the list.
    assert [record.source_id for record in second.records] == ["4"]
    assert not second.has_more and second.next_cursor is None
    later = page_by_ids(
        ids=ids, state={}, page_size=5, since=updated + timedelta(days=1), read_one=groups.get
    )
    assert later.records == []


def test_a_cursor_from_elsewhere_is_refused_with_the_platform_named():
    assert cursor_load(cursor_dump({"page": 2}), platform="Test") == {"page": 2}
    assert cursor_load(None, platform="Test") == {}
    with pytest.raises(ValueError, match="Test connector"):
        cursor_load("[1, 2]", platform="Test")


def test_missing_agents_go_to_the_default_where_the_target_allows_it() -> None:
    from connectors import edesk, teamwork_desk

    for target in (edesk.CAPABILITIES, teamwork_desk.CAPABILITIES):
        losses = not_migrated(source=zendesk.CAPABILITIES, target=target)
        assert any("their tickets go to the default agent" in loss for loss in losses)
    strict = teamwork_desk.CAPABILITIES.model_copy(update={"default_agent_for_unmatched": False})
    losses = not_migrated(source=zendesk.CAPABILITIES, target=strict)
    assert any("must already exist and be active" in loss for loss in losses)
