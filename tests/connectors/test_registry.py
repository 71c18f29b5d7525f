from __future__ import annotations

import pytest

from connectors.base import Capabilities, Source
from connectors.registry import (
    ConnectorRegistrationError,
    ConnectorRegistry,
    PlatformChoice,
    UnknownConnectorError,
    registry,
)
from connectors.schema import Entity
from tests.connectors.dummies import (
    AUTOLOAD_REGISTRY,
    MemoryConnector,
    MemorySource,
    MemoryTarget,
    TokenCredentials,
)


@pytest.fixture
def platforms() -> ConnectorRegistry:
    platforms = ConnectorRegistry()
    for connector_class in (MemoryConnector, MemorySource, MemoryTarget):
        platforms.register(connector_class)
    return platforms


def test_lookup_by_key(platforms: ConnectorRegistry) -> None:
    assert platforms.get("memory") is MemoryConnector
    assert platforms.get_source("memory_source") is MemorySource
    assert platforms.get_target("memory_target") is MemoryTarget
    assert "memory" in platforms
    assert len(platforms) == 3
    assert set(platforms) == {MemoryConnector, MemorySource, MemoryTarget}


def test_unknown_key_names_the_known_ones(platforms: ConnectorRegistry) -> None:
    with pytest.raises(UnknownConnectorError) as caught:
        platforms.get("zendesk")
    message = str(caught.value)
    assert "'zendesk'" in message
    assert "memory, memory_source, memory_target" in message
    assert caught.value.key == "zendesk"
    assert isinstance(caught.value, LookupError)


def test_lookup_by_role_refuses_the_other_direction(platforms: ConnectorRegistry) -> None:
    with pytest.raises(UnknownConnectorError, match="memory, memory_target"):
        platforms.get_target("memory_source")
    with pytest.raises(UnknownConnectorError):
        platforms.get_source("memory_target")


def test_choices_for_the_platform_picker(platforms: ConnectorRegistry) -> None:
    assert platforms.choices(role="source") == [
        PlatformChoice(
            key="memory",
            display_name="Memory",
            is_source=True,
            is_target=True,
            scope_kind=None,
        ),
        PlatformChoice(
            key="memory_source",
            display_name="Memory (source)",
            is_source=True,
            is_target=False,
            scope_kind=None,
        ),
    ]
    assert platforms.keys(role="target") == ["memory", "memory_target"]
    assert platforms.keys() == ["memory", "memory_source", "memory_target"]


def test_register_works_as_a_decorator_and_refuses_a_second_class_for_a_key(
    platforms: ConnectorRegistry,
) -> None:
    @platforms.register
    class Other(MemorySource):
        key = "other"
        display_name = "Other"

    assert platforms.get("other") is Other
    platforms.register(Other)  # registering the same class again is harmless

    class Impostor(MemorySource):
        key = "other"
        display_name = "Impostor"

    with pytest.raises(ConnectorRegistrationError, match="already registered"):
        platforms.register(Impostor)
    platforms.unregister("other")
    assert "other" not in platforms


def test_incomplete_declarations_are_refused() -> None:
    platforms = ConnectorRegistry()

    class BadKey(MemorySource):
        key = "Bad Key"

    class NoCapabilities(MemorySource):
        key = "no_capabilities"
        capabilities = None  # type: ignore[assignment]

    class WrongCredentials(MemorySource):
        key = "wrong_credentials"
        credentials_model = dict  # type: ignore[assignment]

    class ReadsButOnlyWrites(MemoryTarget):
        key = "reads_but_only_writes"
        capabilities = Capabilities(reads=frozenset({Entity.TICKETS}))

    class Abstract(Source):
        key = "abstract"
        display_name = "Abstract"
        credentials_model = TokenCredentials
        capabilities = Capabilities()

    cases = {
        BadKey: "key must be",
        NoCapabilities: "capabilities",
        WrongCredentials: "credentials_model",
        ReadsButOnlyWrites: "not a Source",
        Abstract: "does not implement: check_credentials, count",
        int: "not a Source, Target or Connector",
    }
    for connector_class, message in cases.items():
        with pytest.raises(ConnectorRegistrationError, match=message):
            platforms.register(connector_class)  # type: ignore[type-var]


def test_builtin_modules_are_imported_on_first_lookup() -> None:
    assert AUTOLOAD_REGISTRY.get("autoloaded").display_name == "Autoloaded"
    assert AUTOLOAD_REGISTRY.keys() == ["autoloaded"]


def test_global_registry_is_ready_for_the_shipped_platforms() -> None:
    # Platform modules register themselves as they are written; lookups never crash.
    for choice in registry.choices():
        assert registry.get(choice.key).display_name == choice.display_name
