"""The connector contract.

A platform package provides one class, a subclass of :class:`Source`,
:class:`Target` or both (:class:`Connector`), that declares:

* ``key`` and ``display_name`` (the wizard's platform picker);
* ``credentials_model``: a :class:`Credentials` subclass whose JSON schema renders
  the connect form (labels, hints, secrets marked);
* ``capabilities``: what it reads, writes and keeps (:class:`Capabilities`), from
  which the wizard derives the "what will not be migrated" list;
* ``checklist``: the platform's steps before a migration;

and implements the methods of its role(s). Every method speaks canonical records
(:mod:`connectors.schema`) and raises :mod:`connectors.errors` classes; HTTP goes
through the client that ``http_client_factory`` builds.

Markers. Before creating a record the engine computes a marker with
:func:`source_marker` and passes it to :meth:`Target.create`, which stores it on
the created record so :meth:`Target.find_by_marker` can find the record again
after a crash or an ambiguous answer. Where each platform stores it:

* Zendesk: ``external_id`` of tickets, users and organizations, plus a tag on
  tickets; Help Center articles carry it in ``label_names``. Groups, categories
  and sections have no such slot and are found by name.
* Freshdesk: a tag on tickets, contacts and solution articles. Companies, groups,
  solution categories and folders are found by name (unique on Freshdesk), agents
  by e-mail.
* eDesk: the ``external_id`` of a ticket's first message. Contacts are found by the
  address written in the channel, agents (matched, never created) by e-mail.

For entities without a marker slot, ``find_by_marker`` receives the record and
looks it up by its natural key. A migration may choose the marker's prefix (``hdm`` by
default); :func:`is_marker` recognizes a marker whatever its prefix.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_core import PydanticUndefined

from connectors.schema import Attachment, Comment, Entity, FieldSchema, Record

if TYPE_CHECKING:
    from connectors.http import HttpClient


def _(message: str) -> str:
    """Marks a user-facing sentence for translation; the wizard translates it on display."""
    return message


# --------------------------------------------------------------------------- credentials


def credential_field(
    *,
    title: str,
    hint: str,
    description: str = "",
    secret: bool = False,
    placeholder: str | None = None,
    default: Any = PydanticUndefined,
    **constraints: Any,
) -> Any:
    """A credentials field as the wizard renders it.

    ``title`` is the label, ``hint`` says where to find the value on the platform,
    ``secret`` masks the input and keeps the value out of displays and logs.
    """
    extra: dict[str, Any] = {"hint": hint, "secret": secret}
    if secret:
        # Pydantic marks SecretStr write-only, but inside anyOf when the field is optional.
        extra["writeOnly"] = True
    if placeholder is not None:
        extra["placeholder"] = placeholder
    return Field(
        default,
        title=title,
        description=description or None,
        json_schema_extra=extra,
        **constraints,
    )


SECRET_NOT_HEADER_TEXT = _(
    "Use only unaccented letters, digits and punctuation: this value travels in HTTP "
    "headers, which cannot carry other characters. Copy it again from the platform."
)
_HEADER_TEXT = re.compile(r"[\x20-\x7e]*")


class Credentials(BaseModel):
    """Base of each platform's credentials model. Secrets are typed ``SecretStr``."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        # A refused token must not end up in an error message or a log line.
        hide_input_in_errors=True,
    )

    @field_validator("*")
    @classmethod
    def _secret_fits_in_a_header(cls, value: Any) -> Any:
        # Tokens travel in HTTP headers, which carry printable ASCII only: anything else
        # was mistyped or pasted with more than the token.
        if isinstance(value, SecretStr) and not _HEADER_TEXT.fullmatch(value.get_secret_value()):
            raise ValueError(SECRET_NOT_HEADER_TEXT)
        return value

    @classmethod
    def form_schema(cls) -> dict[str, Any]:
        """JSON schema the wizard renders the connect form from."""
        return cls.model_json_schema()

    @classmethod
    def secret_field_names(cls) -> frozenset[str]:
        return frozenset(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("secret")
        )

    def public_values(self) -> dict[str, Any]:
        """Values safe to display (secrets left out)."""
        secrets = self.secret_field_names()
        return {
            name: value
            for name, value in self.model_dump(mode="json").items()
            if name not in secrets
        }

    def revealed_values(self) -> dict[str, Any]:
        """Every value in clear, for encrypting at rest. Never log it."""
        return {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in self
        }


# --------------------------------------------------------------------------- capabilities


class ScopeKind(StrEnum):
    """What a target account is divided into, when a migration goes to one part of it."""

    INBOX = "inbox"
    CHANNEL = "channel"
    MAILBOX = "mailbox"


_ENTITY_NOT_IMPORTED: dict[Entity, str] = {
    Entity.ORGANIZATIONS: _("Organizations cannot be imported."),
    Entity.GROUPS: _("Groups cannot be imported."),
    Entity.AGENTS: _("Agents cannot be imported."),
    Entity.CONTACTS: _("Contacts cannot be imported."),
    Entity.TICKETS: _("Tickets cannot be imported."),
    Entity.ARTICLE_CATEGORIES: _("Knowledge base categories cannot be imported."),
    Entity.ARTICLE_SECTIONS: _("Knowledge base sections and folders cannot be imported."),
    Entity.ARTICLES: _("Knowledge base articles cannot be imported."),
}


class TicketRequests(BaseModel):
    """API requests one ticket costs on one side: ``ticket + comment * C + attachment * A``
    for a ticket with C comments (its description included) and A attachments. A page's
    or a bulk request's share is counted in ``ticket``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket: float = Field(ge=0)
    comment: float = Field(default=0.0, ge=0)
    attachment: float = Field(default=0.0, ge=0)

    def count(self, *, comments: float, attachments: float) -> float:
        return self.ticket + self.comment * comments + self.attachment * attachments


#: What reading a ticket back by id costs a target that declares nothing else.
USUAL_TICKET_VERIFY_READS = TicketRequests(ticket=2, attachment=1)


class Capabilities(BaseModel):
    """What a platform reads, writes and keeps.

    For a source a feature flag means "has it and reads it"; for a target, "can
    write it". The "what will not be migrated" list compares the two.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    reads: frozenset[Entity] = frozenset()
    writes: frozenset[Entity] = frozenset()
    #: ``writes`` holding agents/groups means they are matched (and created when
    #: ``can_create_agents``/``can_create_groups``); reads holding them, that they are read.
    #: For a target, ticket and comment creation dates are kept (not replaced by the
    #: migration date); like ``keeps_comment_authors`` and ``keeps_article_dates`` it
    #: only matters for targets, every source has them.
    keeps_original_dates: bool = False
    keeps_comment_authors: bool = False
    custom_fields: bool = False
    inline_images: bool = False
    tags: bool = False
    ccs: bool = False
    article_attachments: bool = False
    article_tags: bool = False
    article_translations: bool = False
    keeps_article_dates: bool = False
    #: Largest attachment the platform accepts, in bytes; ``None`` when unlimited.
    max_attachment_bytes: int | None = Field(default=None, gt=0)
    can_create_agents: bool = False
    can_create_groups: bool = False
    #: For a target that cannot create agents: a ticket whose agent has no match there
    #: may be assigned to another (the default) agent. Where it may not, every active
    #: agent must be matched before the migration.
    default_agent_for_unmatched: bool = True
    #: The part of a target account a migration must be pointed at, if any.
    scope_kind: ScopeKind | None = None
    #: Requests per minute the platform allows on a usual plan; the HTTP layer
    #: follows the platform's rate-limit headers when it sends them.
    rate_limit_per_minute: int = Field(default=100, gt=0)
    #: API calls one record costs on average (uploads included), for entities other than
    #: tickets, whose requests ``ticket_reads``/``ticket_writes`` count by their shape.
    read_calls_per_record: Mapping[Entity, float] = Field(default_factory=dict)
    write_calls_per_record: Mapping[Entity, float] = Field(default_factory=dict)
    #: Requests a ticket costs as this connector reads and writes it, and the fewest the
    #: platform's API allows (its floor); None where the platform does not read/write them.
    ticket_reads: TicketRequests | None = None
    ticket_writes: TicketRequests | None = None
    ticket_read_floor: TicketRequests | None = None
    ticket_write_floor: TicketRequests | None = None
    #: Requests reading a written ticket back by its id costs this target (verification):
    #: None means the usual two (the ticket, its comments) and one download per file.
    ticket_verify_reads: TicketRequests | None = None
    #: Particulars of this platform as a target, shown beside the losses.
    particulars: tuple[str, ...] = ()

    def not_migrated_from(self, source: Capabilities) -> list[str]:
        """What will NOT be migrated from ``source`` into this target, as sentences."""
        return not_migrated(source=source, target=self)


def _format_bytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{math.ceil(size / 1024)} KB"


#: Features of tickets and articles a pair keeps when both sides have them (for a source
#: the flag means "has it and reads it", for a target "can write it").
TICKET_FEATURES = ("custom_fields", "inline_images", "tags", "ccs")
ARTICLE_FEATURES = ("article_attachments", "article_tags", "article_translations")


@dataclass(frozen=True)
class PairMigrates:
    """What a source -> target pair moves: the one place the wizard's words (demo text,
    "mapped automatically", "will not be migrated") and the run's plan read it from."""

    #: Entities the source reads and the target writes, among those selected, in
    #: dependency order.
    entities: tuple[Entity, ...]
    #: Ticket and article features both sides have (names of :class:`Capabilities` flags),
    #: for the entities that move.
    features: frozenset[str]
    #: Features the source has and the target cannot hold, for the entities that move.
    lost_features: frozenset[str]
    #: Agents and groups are created on the target when missing, or only matched.
    creates_agents: bool
    creates_groups: bool

    def moves(self, entity: Entity) -> bool:
        return entity in self.entities

    def keeps(self, feature: str) -> bool:
        return feature in self.features


def pair_migrates(
    *, source: Capabilities, target: Capabilities, selected: Collection[Entity] = ()
) -> PairMigrates:
    """What moves from ``source`` into ``target`` (all entities when none is selected)."""
    wanted = set(selected) or set(Entity)
    entities = tuple(
        entity
        for entity in Entity.in_dependency_order(wanted)
        if entity in source.reads and entity in target.writes
    )
    flags = [
        *(TICKET_FEATURES if Entity.TICKETS in entities else ()),
        *(ARTICLE_FEATURES if Entity.ARTICLES in entities else ()),
    ]
    return PairMigrates(
        entities=entities,
        features=frozenset(f for f in flags if getattr(source, f) and getattr(target, f)),
        lost_features=frozenset(f for f in flags if getattr(source, f) and not getattr(target, f)),
        creates_agents=Entity.AGENTS in entities and target.can_create_agents,
        creates_groups=Entity.GROUPS in entities and target.can_create_groups,
    )


_FEATURES_LOST: dict[str, str] = {
    "custom_fields": _("Custom fields."),
    "inline_images": _("Inline images."),
    "tags": _("Tags."),
    "ccs": _("CCs."),
    "article_attachments": _("Knowledge base article attachments."),
    "article_tags": _("Knowledge base article tags."),
    "article_translations": _("Knowledge base article translations."),
}


def not_migrated(*, source: Capabilities, target: Capabilities) -> list[str]:
    """The plain list, for a source -> target pair, of what will not be migrated.

    Only losses that matter are listed: a feature the source has and the target
    cannot hold, for entities both sides move.
    """
    pair = pair_migrates(source=source, target=target)
    losses = [
        _ENTITY_NOT_IMPORTED[entity]
        for entity in Entity
        if entity in source.reads and not pair.moves(entity)
    ]
    lost = [_FEATURES_LOST[flag] for flag in _FEATURES_LOST if flag in pair.lost_features]
    # Every source has dates and authors: only the target decides whether they are kept.
    if pair.moves(Entity.TICKETS):
        if not target.keeps_original_dates:
            losses.append(_("Ticket and comment creation dates: they become the migration date."))
        if not target.keeps_comment_authors:
            losses.append(
                _("Comment authors: comments are posted by the account used for the migration.")
            )
        losses += [text for text in lost if text in _TICKET_LOSSES]
        limit = target.max_attachment_bytes
        if limit is not None and (
            source.max_attachment_bytes is None or source.max_attachment_bytes > limit
        ):
            losses.append(_("Attachments larger than %(size)s.") % {"size": _format_bytes(limit)})
    if pair.moves(Entity.AGENTS) and not pair.creates_agents:
        if target.default_agent_for_unmatched:
            losses.append(
                _(
                    "Missing agents cannot be created: their tickets go to the default agent "
                    "unless an active agent of the target has the same e-mail address."
                )
            )
        else:
            losses.append(
                _(
                    "Missing agents cannot be created: they must already exist and be active "
                    "on the target with the same e-mail address."
                )
            )
    if pair.moves(Entity.GROUPS) and not pair.creates_groups:
        losses.append(_("Missing groups cannot be created: they must exist on the target."))
    if pair.moves(Entity.ARTICLES):
        losses += [text for text in lost if text not in _TICKET_LOSSES]
        if not target.keeps_article_dates:
            losses.append(_("Article dates: articles get the date of the migration."))
    return losses


_TICKET_LOSSES = frozenset(_FEATURES_LOST[flag] for flag in TICKET_FEATURES)


#: Steps before a migration on every platform, whether it is the source or the target.
COMMON_CHECKLIST: tuple[str, ...] = (
    _("Use an administrator account on both platforms."),
    _("Do not rotate or delete the API keys or tokens while a migration runs."),
)
#: Steps on every platform, on one side only.
COMMON_ROLE_CHECKLIST: dict[str, tuple[str, ...]] = {
    "source": (
        _("Tell your team which records will keep changing on the source during the migration."),
    ),
    "target": (
        _(
            "Turn off notifications, triggers and automations on the target so migrated "
            "tickets do not e-mail your customers."
        ),
    ),
}


# --------------------------------------------------------------------------- values exchanged


def _language_base(code: str) -> str:
    return re.split(r"[-_]", code, maxsplit=1)[0].casefold()


@dataclass(frozen=True)
class TranslationLanguages:
    """The languages of a target's knowledge base: the primary one, which an article
    itself is written in, and those it accepts translations in (each in the target's
    own spelling: ``pt-BR``, ``zh-CN``)."""

    primary: str | None
    accepted: tuple[str, ...] = ()

    def code_for(self, locale: str) -> str | None:
        """The accepted code for a source's ``locale``: the same code (case aside), else
        the only accepted variant of the same language (``fr-ca`` → ``fr``, ``pt`` →
        ``pt-BR``); None when the target does not take the language."""
        return _language_code(locale, self.accepted)

    def is_primary(self, locale: str) -> bool:
        return self.primary is not None and _language_code(locale, (self.primary,)) is not None


def _language_code(locale: str, codes: Sequence[str]) -> str | None:
    wanted = locale.casefold().replace("_", "-")
    exact = [code for code in codes if code.casefold().replace("_", "-") == wanted]
    if exact:
        return exact[0]
    same_language = [code for code in codes if _language_base(code) == _language_base(locale)]
    return same_language[0] if len(same_language) == 1 else None


class AccountInfo(BaseModel):
    """What :meth:`ConnectorBase.check_credentials` learnt about the account."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_name: str
    account_url: str | None = None
    user_email: str | None = None


class Scope(BaseModel):
    """A part of an account a migration can be pointed at (an inbox, a channel…)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name: str


RecordT = TypeVar("RecordT", bound=Record)


@dataclass(frozen=True, slots=True)
class Page(Generic[RecordT]):
    """One page of records.

    ``next_cursor`` is opaque to the engine: it stores it after the batch commits
    and passes it back to :meth:`Source.read_page` to resume, even in another
    process days later.
    """

    records: Sequence[RecordT] = field(default_factory=tuple)
    next_cursor: str | None = None
    has_more: bool = False

    def __post_init__(self) -> None:
        if self.has_more and not self.next_cursor:
            raise ValueError("a page with more records after it needs a next_cursor")


AttachmentStream = AbstractContextManager[Iterator[bytes]]
"""A download in progress: ``with stream as chunks: for chunk in chunks: ...``."""


# --------------------------------------------------------------------------- paging helpers


def cursor_dump(state: Mapping[str, Any]) -> str:
    """A connector's paging state as the opaque cursor the engine stores."""
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


def cursor_load(cursor: str | None, *, platform: str) -> dict[str, Any]:
    """The state :func:`cursor_dump` wrote (empty for the first page)."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict):
        raise ValueError(f"this cursor was not made by the {platform} connector")
    return state


def is_updated_since(record: Record, since: datetime | None) -> bool:
    return since is None or record.updated_at >= since


def page_by_ids(
    *,
    ids: Sequence[str],
    state: Mapping[str, Any],
    page_size: int,
    since: datetime | None,
    read_one: Callable[[str], Record | None],
) -> Page[Record]:
    """A page of the records asked for by id (demo with chosen ids, re-reads after a crash).

    ``read_one`` returns None for a record that does not exist (any more); it is left
    out, and the engine reports it as vanished.
    """
    wanted = list(dict.fromkeys(ids))
    start = int(state.get("index", 0))
    chosen = wanted[start : start + page_size]
    records = [
        record
        for source_id in chosen
        if (record := read_one(source_id)) is not None and is_updated_since(record, since)
    ]
    end = start + len(chosen)
    has_more = end < len(wanted)
    return Page(
        records=records,
        next_cursor=cursor_dump({"index": end}) if has_more else None,
        has_more=has_more,
    )


class AttachmentOpener(Protocol):
    """Opens an attachment's content; the engine passes ``source.download_attachment``."""

    def __call__(self, attachment: Attachment, /) -> AttachmentStream: ...


class HttpClientFactory(Protocol):
    """Builds the shared HTTP client (:mod:`connectors.http`) a connector talks through.

    Connectors pass the keyword arguments the client's constructor takes (base URL,
    authentication, rate-limit key and budget).
    """

    def __call__(self, **options: Any) -> HttpClient: ...


@dataclass
class HttpStatistics:
    calls: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


# --------------------------------------------------------------------------- markers

MARKER_PREFIX = "hdm"
#: The longest marker every platform takes as a tag and as an external id.
MARKER_MAX_LENGTH = 32
#: A marker prefix the user may choose: a lower-case letter, then letters or digits.
MARKER_PREFIX_MAX_LENGTH = 6
MARKER_PREFIX_PATTERN = re.compile(rf"[a-z][a-z0-9]{{0,{MARKER_PREFIX_MAX_LENGTH - 1}}}")

_MARKER_CODES: dict[Entity, str] = {
    Entity.ORGANIZATIONS: "org",
    Entity.GROUPS: "grp",
    Entity.AGENTS: "agt",
    Entity.CONTACTS: "ctc",
    Entity.TICKETS: "tkt",
    Entity.ARTICLE_CATEGORIES: "cat",
    Entity.ARTICLE_SECTIONS: "sec",
    Entity.ARTICLES: "art",
}
_PLAIN_ID = re.compile(r"[a-z0-9_]+")


def source_marker(
    *, migration_id: object, entity: Entity, source_id: str, prefix: str = MARKER_PREFIX
) -> str:
    """The marker a target stores on a record created by a migration.

    ``<prefix>-<migration>-<entity>-<source id>``: deterministic, lower case, at most 32
    characters of ``[a-z0-9_-]``, so it fits an external id and a tag on every
    platform. The prefix is ``hdm`` unless the migration chose another (see
    :data:`MARKER_PREFIX_PATTERN`). The migration part is a hash of the migration id; a
    source id that is too long for what the prefix leaves, or has other characters, is
    replaced by a hash of it.
    """
    if not MARKER_PREFIX_PATTERN.fullmatch(prefix):
        raise ValueError(f"not a marker prefix: {prefix!r}")
    migration = hashlib.sha256(str(migration_id).encode()).hexdigest()[:8]
    head = f"{prefix}-{migration}-{_MARKER_CODES[entity]}-"
    room = MARKER_MAX_LENGTH - len(head)
    identifier = source_id
    if len(identifier) > room or not _PLAIN_ID.fullmatch(identifier):
        identifier = "h" + hashlib.sha256(source_id.encode()).hexdigest()[: room - 1]
    return head + identifier


_ANY_MARKER = re.compile(
    rf"{MARKER_PREFIX_PATTERN.pattern}-[0-9a-f]{{8}}-"
    rf"(?:{'|'.join(_MARKER_CODES.values())})-[a-z0-9_]{{1,{MARKER_MAX_LENGTH}}}"
)


def is_marker(value: str) -> bool:
    """Whether a tag or external id is a marker written by a migration, whatever prefix
    the migration chose."""
    return len(value) <= MARKER_MAX_LENGTH and _ANY_MARKER.fullmatch(value) is not None


# --------------------------------------------------------------------------- connectors


#: Ids that are whole numbers (every built-in platform's tickets and articles).
NUMERIC_RECORD_IDS = re.compile(r"[0-9]{1,20}")


class ConnectorBase(ABC):
    """What sources and targets share: identity, credentials, capabilities."""

    key: ClassVar[str]
    display_name: ClassVar[str]
    #: What the id of a ticket or an article looks like on this platform: the records
    #: chosen for a demo are checked against it before the demo starts.
    record_id_pattern: ClassVar[re.Pattern[str]] = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
    credentials_model: ClassVar[type[Credentials]]
    capabilities: ClassVar[Capabilities]
    #: Steps particular to this platform as a target, after :data:`COMMON_CHECKLIST`.
    checklist: ClassVar[tuple[str, ...]] = ()
    #: Steps particular to this platform as a source.
    source_checklist: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        credentials: Credentials,
        http_client_factory: HttpClientFactory,
        scope: Scope | None = None,
    ) -> None:
        if not isinstance(credentials, self.credentials_model):
            raise TypeError(
                f"{type(self).__name__} needs {self.credentials_model.__name__}, "
                f"not {type(credentials).__name__}"
            )
        self.credentials = credentials
        self.http_client_factory = http_client_factory
        self.scope = scope
        self._http_clients: list[HttpClient] = []

    @classmethod
    def parse_credentials(cls, data: Mapping[str, Any]) -> Credentials:
        """Validate the connect form's values (raises pydantic ``ValidationError``)."""
        return cls.credentials_model.model_validate(dict(data))

    @classmethod
    def pre_migration_checklist(cls, *, role: Literal["source", "target"] = "target") -> list[str]:
        """The steps before a migration on this platform, as the source or the target."""
        own = cls.source_checklist if role == "source" else cls.checklist
        return [*COMMON_CHECKLIST, *COMMON_ROLE_CHECKLIST[role], *own]

    @classmethod
    def is_source(cls) -> bool:
        return issubclass(cls, Source)

    @classmethod
    def is_target(cls) -> bool:
        return issubclass(cls, Target)

    @abstractmethod
    def check_credentials(self) -> AccountInfo:
        """Call the platform once; raise ``AuthenticationError``/``UnreachableError``…"""

    @abstractmethod
    def describe_fields(self) -> FieldSchema:
        """Statuses, types, priorities, custom fields and article statuses."""

    def list_scopes(self) -> list[Scope]:
        """The inboxes/channels/mailboxes to choose from; none when no scope is needed."""
        if self.capabilities.scope_kind is not None:
            raise NotImplementedError(f"{type(self).__name__} needs a scope but cannot list them")
        return []

    def open_http_client(self, **options: Any) -> HttpClient:
        """An HTTP client from the factory, closed with the connector."""
        options.setdefault("platform_name", self.display_name)
        client = self.http_client_factory(**options)
        self._http_clients.append(client)
        return client

    def http_statistics(self) -> HttpStatistics:
        """API calls per entity, retries and 429s of every client this connector opened
        (the engine's "API calls per record" and the benchmark read it)."""
        statistics = HttpStatistics()
        for client in self._http_clients:
            statistics.calls.update(client.calls)
            statistics.retries += client.retries
            statistics.rate_limited += client.rate_limited
        return statistics

    def rate_budget_keys(self) -> frozenset[str]:
        """The shared rate budgets this connector's clients spend (``platform:account``)."""
        return frozenset(
            key for client in self._http_clients if (key := getattr(client, "budget_key", ""))
        )

    def learned_rate_limit(self) -> int | None:
        """The rate limit the platform announced to this connector's clients, in requests
        a minute (the lowest when they spend several budgets), or None while unknown."""
        learned = [
            limit
            for client in self._http_clients
            if hasattr(client, "learned_limit_per_minute")
            and (limit := client.learned_limit_per_minute()) is not None
        ]
        return min(learned) if learned else None

    def close(self) -> None:
        """Close the HTTP clients this connector opened."""
        while self._http_clients:
            close = getattr(self._http_clients.pop(), "close", None)
            if callable(close):
                close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


DEFAULT_PAGE_SIZE = 100


class Source(ConnectorBase):
    """Reads canonical records from a platform."""

    @abstractmethod
    def count(
        self,
        entity: Entity,
        *,
        updated_since: datetime | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> int:
        """Exact number of records ``read_page`` would return with the same arguments."""

    @abstractmethod
    def read_page(
        self,
        entity: Entity,
        *,
        cursor: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        updated_since: datetime | None = None,
        ids: Sequence[str] | None = None,
    ) -> Page[Record]:
        """The page after ``cursor`` (first page when ``None``).

        ``updated_since`` keeps records updated at or after it (delta runs; the
        cursor then orders by ``(updated_at, id)``); ``ids`` reads those records only
        (demo with custom data). Tickets come with their comments and attachments.
        """

    @abstractmethod
    def download_attachment(self, attachment: Attachment) -> AttachmentStream:
        """Stream an attachment's bytes in chunks, without holding the file in memory."""


class Target(ConnectorBase):
    """Writes canonical records to a platform.

    Records arrive with their references already rewritten to target ids.
    """

    @abstractmethod
    def create(
        self,
        entity: Entity,
        record: Record,
        *,
        marker: str,
        attachments: AttachmentOpener | None = None,
        on_created: Callable[[str], None] | None = None,
    ) -> str:
        """Create ``record`` carrying ``marker``; return its id on the target.

        ``attachments`` opens the content of the record's attachments (tickets,
        articles); without it, attachments are left out. A create of several calls (the
        record, then its comments, files or translations) calls ``on_created`` with the
        record's id as soon as the record itself exists, before its parts: the engine
        keeps the id, and a write cut short later resumes on that record (:meth:`complete`)
        without having to search for it.
        """

    @abstractmethod
    def update(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        """Bring an earlier created record up to date (delta and re-migration)."""

    def complete(
        self,
        entity: Entity,
        target_id: str,
        record: Record,
        *,
        attachments: AttachmentOpener | None = None,
    ) -> None:
        """Write what the target lacks of a record created earlier, each part once.

        A create of several calls (the record, then each comment, note or file) may stop
        part-way: a crash, a lost answer, a refused part. The parts already there are
        read first and told apart by their content, so a retry resumes where the write
        stopped instead of declaring the record done. By default an :meth:`update`, which
        adds the parts it does not find; a target whose create is one request overrides it.
        """
        self.update(entity, target_id, record, attachments=attachments)

    @abstractmethod
    def delete(self, entity: Entity, target_id: str) -> None:
        """Remove a record this migration created (re-migration, demo clean-up)."""

    def took_existing(self, entity: Entity, target_id: str) -> bool:
        """Whether a :meth:`create` gave back a record the target already had (a contact
        found by its e-mail address, an organization or category by its name) instead of
        making one: it is the account's own, and removing the demo's records keeps it."""
        return (entity, str(target_id)) in self.__dict__.get("_taken_existing", ())

    def existing_taken(self, entity: Entity, target_id: str) -> str:
        """Say that a create gave back ``target_id``, the target's own record; returns it."""
        self.__dict__.setdefault("_taken_existing", set()).add((entity, str(target_id)))
        return target_id

    def translation_languages(self) -> TranslationLanguages | None:
        """The languages the account's knowledge base accepts article translations in, as
        the account is set up; None when the target takes any language (or, per
        ``capabilities.article_translations``, none). Read once per connector."""
        return None

    @abstractmethod
    def find_by_marker(
        self, entity: Entity, marker: str, *, record: Record | None = None
    ) -> str | None:
        """Target id of the record created with ``marker``, or ``None``.

        For entities without a marker slot the record is found by its natural key
        (name, e-mail), which is why ``record`` is passed along.
        """

    # ---- verification: what a re-read of the target should find

    def expected_on_target(self, entity: Entity, record: Record) -> Record | None:
        """``record`` as this target holds it once written, in canonical form: what the
        engine's verification compares the record read back from the target with.

        The default is the record itself. A target that adds to what it is given (a note
        with the original dates, a header on each comment) or leaves out what it cannot
        keep says so here; ``None`` means it cannot be read back to be checked (an
        archived article the API no longer lists).
        """
        return record

    def added_by_target(self, entity: Entity, comment: Comment) -> bool:
        """Whether a comment read back is one this target writes of its own accord and
        cannot be foreseen from the record (a note carrying attachments beyond a size
        limit): verification does not count it as a comment too many."""
        return False


class Connector(Source, Target):
    """A platform that is both a source and a target."""


ApiT = TypeVar("ApiT")


class ApiConnector(Connector, Generic[ApiT]):
    """A connector that talks to its platform through one API client, opened on first
    use (a connector that is never called opens no connection) and closed with it."""

    _api: ApiT | None = None

    @abstractmethod
    def open_api(self) -> ApiT:
        """The platform's API client, over HTTP clients from :meth:`open_http_client`."""

    @property
    def api(self) -> ApiT:
        if self._api is None:
            self._api = self.open_api()
        return self._api

    def close(self) -> None:
        super().close()
        self._api = None


ConnectorClass = type[ConnectorBase]


def ensure_record_matches(entity: Entity, record: Record) -> None:
    """Guard for connector methods: the record is of the entity it is written as."""
    if record.entity is not entity:
        raise TypeError(f"a {type(record).__name__} cannot be written as {entity.value}")
