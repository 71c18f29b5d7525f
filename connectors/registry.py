"""Connector classes by key: the wizard's platform picker and the engine's lookup.

Platform modules register their class with ``@register``; the modules listed in
:data:`BUILTIN_CONNECTOR_MODULES` are imported on the first lookup so that every
process (web, worker, command line) sees the same platforms.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from threading import Lock
from typing import Literal, TypeVar

from connectors.base import Capabilities, ConnectorBase, Credentials, ScopeKind, Source, Target

#: Modules defining the shipped connectors, imported on the first lookup.
BUILTIN_CONNECTOR_MODULES: tuple[str, ...] = (
    "connectors.zendesk.connector",
    "connectors.freshdesk.connector",
    "connectors.teamwork_desk.connector",
    "connectors.edesk.connector",
    "connectors.halo.connector",
)

_KEY = re.compile(r"[a-z][a-z0-9_]{1,39}")

Role = Literal["source", "target"]
ConnectorT = TypeVar("ConnectorT", bound=type[ConnectorBase])


class UnknownConnectorError(LookupError):
    """No connector is registered under the key."""

    def __init__(self, key: str, *, known: Iterable[str]) -> None:
        known_keys = ", ".join(sorted(known)) or "none"
        super().__init__(f"No help desk platform is registered as {key!r} (known: {known_keys}).")
        self.key = key


class ConnectorRegistrationError(TypeError):
    """A connector class does not declare what the contract asks for."""


@dataclass(frozen=True, slots=True)
class PlatformChoice:
    """One entry of the wizard's platform picker."""

    key: str
    display_name: str
    is_source: bool
    is_target: bool
    scope_kind: ScopeKind | None


class ConnectorRegistry:
    def __init__(self, *, autoload: Iterable[str] = ()) -> None:
        self._classes: dict[str, type[ConnectorBase]] = {}
        self._autoload = tuple(autoload)
        self._loaded = not self._autoload
        self._lock = Lock()

    def register(self, connector_class: ConnectorT) -> ConnectorT:
        """Register a connector class; usable as a class decorator."""
        _check_declaration(connector_class)
        key = connector_class.key
        with self._lock:
            existing = self._classes.get(key)
            if existing is not None and existing is not connector_class:
                raise ConnectorRegistrationError(
                    f"{key!r} is already registered by {existing.__module__}.{existing.__name__}"
                )
            self._classes[key] = connector_class
        return connector_class

    def unregister(self, key: str) -> None:
        with self._lock:
            self._classes.pop(key, None)

    def get(self, key: str, *, role: Role | None = None) -> type[ConnectorBase]:
        """The class registered as ``key``; :class:`UnknownConnectorError` otherwise.

        With ``role``, the class must also be a source (or a target).
        """
        self._load_builtins()
        connector_class = self._classes.get(key)
        if connector_class is None:
            raise UnknownConnectorError(key, known=self._classes)
        if role == "source" and not connector_class.is_source():
            raise UnknownConnectorError(key, known=self.keys(role="source"))
        if role == "target" and not connector_class.is_target():
            raise UnknownConnectorError(key, known=self.keys(role="target"))
        return connector_class

    def get_source(self, key: str) -> type[Source]:
        connector_class = self.get(key, role="source")
        assert issubclass(connector_class, Source)
        return connector_class

    def get_target(self, key: str) -> type[Target]:
        connector_class = self.get(key, role="target")
        assert issubclass(connector_class, Target)
        return connector_class

    def keys(self, *, role: Role | None = None) -> list[str]:
        return [choice.key for choice in self.choices(role=role)]

    def choices(self, *, role: Role | None = None) -> list[PlatformChoice]:
        """Platforms for the picker, sorted by display name."""
        self._load_builtins()
        entries = [
            PlatformChoice(
                key=cls.key,
                display_name=cls.display_name,
                is_source=cls.is_source(),
                is_target=cls.is_target(),
                scope_kind=cls.capabilities.scope_kind,
            )
            for cls in self._classes.values()
        ]
        if role == "source":
            entries = [entry for entry in entries if entry.is_source]
        elif role == "target":
            entries = [entry for entry in entries if entry.is_target]
        return sorted(entries, key=lambda entry: (entry.display_name.casefold(), entry.key))

    def __contains__(self, key: object) -> bool:
        self._load_builtins()
        return key in self._classes

    def __iter__(self) -> Iterator[type[ConnectorBase]]:
        self._load_builtins()
        return iter(list(self._classes.values()))

    def __len__(self) -> int:
        self._load_builtins()
        return len(self._classes)

    def _load_builtins(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
        for module in self._autoload:
            importlib.import_module(module)


def _check_declaration(connector_class: type[ConnectorBase]) -> None:
    name = getattr(connector_class, "__name__", repr(connector_class))
    if not isinstance(connector_class, type) or not issubclass(connector_class, ConnectorBase):
        raise ConnectorRegistrationError(f"{name} is not a Source, Target or Connector")
    if not (issubclass(connector_class, Source) or issubclass(connector_class, Target)):
        raise ConnectorRegistrationError(f"{name} is neither a Source nor a Target")
    if inspect.isabstract(connector_class):
        missing = ", ".join(sorted(getattr(connector_class, "__abstractmethods__", ())))
        raise ConnectorRegistrationError(f"{name} does not implement: {missing}")
    key = getattr(connector_class, "key", None)
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ConnectorRegistrationError(
            f"{name}.key must be 2-40 characters of a-z, 0-9 and _ starting with a letter"
        )
    if not getattr(connector_class, "display_name", ""):
        raise ConnectorRegistrationError(f"{name}.display_name is missing")
    credentials_model = getattr(connector_class, "credentials_model", None)
    if not (isinstance(credentials_model, type) and issubclass(credentials_model, Credentials)):
        raise ConnectorRegistrationError(f"{name}.credentials_model must subclass Credentials")
    capabilities = getattr(connector_class, "capabilities", None)
    if not isinstance(capabilities, Capabilities):
        raise ConnectorRegistrationError(f"{name}.capabilities must be a Capabilities")
    if capabilities.reads and not issubclass(connector_class, Source):
        raise ConnectorRegistrationError(f"{name} declares reads but is not a Source")
    if capabilities.writes and not issubclass(connector_class, Target):
        raise ConnectorRegistrationError(f"{name} declares writes but is not a Target")


registry = ConnectorRegistry(autoload=BUILTIN_CONNECTOR_MODULES)
register = registry.register
get_connector = registry.get
