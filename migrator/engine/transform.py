"""How a source record becomes the record the target receives.

References are rewritten from source ids to target ids through the record map (and the
agent and group matches); statuses, types and priorities go through the value maps, with
statuses falling back by category; custom fields go to the mapped target field or into a
private note; the options decide what happens to attachments, inline images, side
conversations and call recordings. What had to change on the way is said in ``notes``,
attachments left out in ``dropped``; a record that cannot go at all raises
:class:`RecordSkipped` with the reason.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from connectors.base import Capabilities, TranslationLanguages
from connectors.messages import Message
from connectors.schema import (
    Agent,
    Article,
    ArticleSection,
    ArticleTranslation,
    Attachment,
    AuthorKind,
    Comment,
    CommentKind,
    Contact,
    CustomField,
    CustomFieldType,
    CustomFieldValue,
    Entity,
    FieldSchema,
    Organization,
    Record,
    StatusCategory,
    Ticket,
    convert_custom_value,
    fallback_status,
    match_custom_fields,
)
from migrator.configuration import (
    CREATE_ON_TARGET,
    PRIVATE_NOTE,
    FieldMappings,
    Filters,
    Matches,
    Options,
)
from migrator.engine import transform_notes as texts
from migrator.engine.languages import translations_accepted
from migrator.models import RecordMap

#: A ticket's priority or type with no match on the target.
_NO_CHOICE_MATCH = {
    "priority": texts.THE_PRIORITY_HAS_NO_MATCH_ON,
    "type": texts.THE_TYPE_HAS_NO_MATCH_ON,
    "value": texts.THE_HAS_NO_MATCH_ON_THE,
}


class RecordSkipped(Exception):
    """The record cannot be written to the target; ``reason`` says why in plain words."""

    def __init__(self, reason: Message | str) -> None:
        super().__init__(reason)
        self.reason = reason


class RequesterMissing(RecordSkipped):
    """A ticket whose requester was not migrated and whose address the source did not
    give: the engine says why the requester was not migrated, when this run reported it."""

    def __init__(self, reason: Message | str, *, requester_id: str) -> None:
        super().__init__(reason)
        self.requester_id = requester_id


@dataclass(frozen=True)
class DroppedAttachment:
    attachment: Attachment
    reason: Message | str


@dataclass
class Prepared:
    """A record ready for the target, and what changed on the way."""

    record: Record
    notes: list[str] = field(default_factory=list)
    dropped: list[DroppedAttachment] = field(default_factory=list)


def format_bytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / 1024))} KB"


# --------------------------------------------------------------------------- references


# Where a person referred to by a ticket may have been migrated to.
_PEOPLE = (Entity.CONTACTS, Entity.AGENTS)

#: How the private note that keeps a ticket's unmapped fields goes on after "Fields from
#: <source>" (the note is this migration's own, not one of the source's comments).
FIELDS_NOTE_OPENING = "without a place on this help desk:"


def referenced_ids(record: Record) -> dict[Entity, set[str]]:
    """Source ids a record refers to, per entity (people may be contacts or agents)."""
    wanted: dict[Entity, set[str]] = {}

    def add(entities: Iterable[Entity], *ids: str | None) -> None:
        for entity in entities:
            wanted.setdefault(entity, set()).update(i for i in ids if i)

    match record:
        case Contact():
            add([Entity.ORGANIZATIONS], record.organization_id)
        case Agent():
            add([Entity.GROUPS], *record.group_ids)
        case Ticket():
            add(_PEOPLE, record.requester_id, record.submitter_id, *record.cc_ids)
            add([Entity.AGENTS], record.assignee_id, *record.follower_ids)
            add([Entity.GROUPS], record.group_id)
            add([Entity.ORGANIZATIONS], record.organization_id)
            add(_PEOPLE, *(comment.author_id for comment in record.comments))
        case ArticleSection():
            add([Entity.ARTICLE_CATEGORIES], record.category_id)
            add([Entity.ARTICLE_SECTIONS], record.parent_section_id)
        case Article():
            add([Entity.ARTICLE_SECTIONS], record.section_id)
            add([Entity.ARTICLE_CATEGORIES], record.category_id)
            add([Entity.AGENTS], record.author_id)
    return wanted


class References:
    """Source ids to target ids, through the record map and the configured matches.

    Lookups are loaded in bulk per page (:meth:`prefetch`) so that a page costs one query
    per entity rather than one per reference.
    """

    def __init__(self, *, migration_id: int, namespace: str, matches: Matches) -> None:
        self.migration_id = migration_id
        self.namespace = namespace
        self.matches = matches
        self._known: dict[tuple[Entity, str], str | None] = {}

    def prefetch(self, records: Iterable[Record]) -> None:
        wanted: dict[Entity, set[str]] = {}
        for record in records:
            for entity, ids in referenced_ids(record).items():
                wanted.setdefault(entity, set()).update(ids)
        for entity, ids in wanted.items():
            self._load(entity, ids)

    def _load(self, entity: Entity, ids: Iterable[str]) -> None:
        missing = [i for i in ids if (entity, i) not in self._known]
        for start in range(0, len(missing), 1000):
            chunk = missing[start : start + 1000]
            found = dict(
                RecordMap.objects.filter(
                    migration_id=self.migration_id,
                    namespace=self.namespace,
                    entity=entity.value,
                    source_id__in=chunk,
                    state=RecordMap.State.DONE,
                ).values_list("source_id", "target_id")
            )
            for source_id in chunk:
                self._known[(entity, source_id)] = found.get(source_id) or None

    def remember(self, entity: Entity, source_id: str, target_id: str) -> None:
        self._known[(entity, source_id)] = target_id

    def target_id(self, entity: Entity, source_id: str | None) -> str | None:
        if not source_id:
            return None
        if (entity, source_id) not in self._known:
            self._load(entity, [source_id])
        found = self._known[(entity, source_id)]
        if found is None:
            # Agents and groups not migrated in this run may still be matched by hand.
            chosen = {Entity.AGENTS: self.matches.agents, Entity.GROUPS: self.matches.groups}.get(
                entity, {}
            )
            matched = chosen.get(source_id)
            if matched and matched != CREATE_ON_TARGET:
                return matched
        return found

    def person(self, source_id: str | None, *, kind: AuthorKind = AuthorKind.UNKNOWN) -> str | None:
        """A person who may have been migrated as a contact or as an agent."""
        order = (
            (Entity.AGENTS, Entity.CONTACTS)
            if kind is AuthorKind.AGENT
            else (Entity.CONTACTS, Entity.AGENTS)
        )
        for entity in order:
            found = self.target_id(entity, source_id)
            if found:
                return found
        return None


# --------------------------------------------------------------------------- HTML repair

_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr"}
)  # fmt: skip
# Elements whose end tag HTML lets a writer leave out: not a sign of broken markup.
_OPTIONAL_END = frozenset(
    {"p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody", "tfoot", "html",
     "body", "head", "colgroup", "rt", "rp", "optgroup"}
)  # fmt: skip
_DROPPED_ELEMENTS = frozenset({"script", "style"})


class _Rebuilder(HTMLParser):
    """Re-writes markup with balanced tags, noting whether the original was broken."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.broken = False
        self._dropping = 0

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], *, closed: bool) -> None:
        if tag in _DROPPED_ELEMENTS:
            if not closed:
                self._dropping += 1
            return
        if self._dropping:
            return
        text = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"'
            for name, value in attrs
        )
        if tag in _VOID_ELEMENTS:
            self.out.append(f"<{tag}{text}>")
            return
        self.out.append(f"<{tag}{text}>")
        if closed:
            self.out.append(f"</{tag}>")
        else:
            self.open.append(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_ELEMENTS:
            self._dropping = max(0, self._dropping - 1)
            return
        if self._dropping or tag in _VOID_ELEMENTS:
            return
        if tag not in self.open:
            self.broken = True  # an end tag nothing opened
            return
        while self.open:
            current = self.open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break
            if current not in _OPTIONAL_END:
                self.broken = True  # tags closed out of order

    def handle_data(self, data: str) -> None:
        if self._dropping:
            return
        if "<" in data:
            self.broken = True  # a tag cut short, left as text by the parser
        self.out.append(html.escape(data, quote=False))

    def finish(self) -> str:
        self.close()
        while self.open:
            current = self.open.pop()
            if current not in _OPTIONAL_END:
                self.broken = True
            self.out.append(f"</{current}>")
        return "".join(self.out)


def repaired_html(markup: str) -> tuple[str, bool]:
    """Markup with every tag closed and stray end tags removed, and whether it was broken.

    Markup that was fine comes back unchanged, so notes only mention real repairs.
    """
    if not markup or "<" not in markup:
        return markup, False
    rebuilder = _Rebuilder()
    rebuilder.feed(markup)
    rebuilt = rebuilder.finish()
    if not rebuilder.broken:
        return markup, False
    return rebuilt, True


# --------------------------------------------------------------------------- transformer


@dataclass(frozen=True)
class PairFacts:
    """What the transform needs to know about both platforms, fixed for a run."""

    source_name: str
    source_capabilities: Capabilities
    target_capabilities: Capabilities
    source_fields: FieldSchema
    target_fields: FieldSchema
    #: The languages the target's knowledge base accepts translations in, read from the
    #: account when an article first needs them (None: any language).
    target_languages: Callable[[], TranslationLanguages | None] = lambda: None


def excluded_by_filters(record: Record, filters: Filters) -> bool:
    """Whether the migration's filters leave the record out (tickets and articles)."""
    if not isinstance(record, Ticket | Article) or filters.is_empty:
        return False
    created = record.created_at
    if created is not None:
        if filters.created_from and created.date() < filters.created_from:
            return True
        if filters.created_to and created.date() > filters.created_to:
            return True
    if filters.tags and isinstance(record, Ticket):
        wanted = {tag.casefold() for tag in filters.tags}
        if not wanted & {tag.casefold() for tag in record.tags}:
            return True
    return False


class Transformer:
    def __init__(
        self,
        *,
        facts: PairFacts,
        references: References,
        filters: Filters,
        matches: Matches,
        mappings: FieldMappings,
        options: Options,
    ) -> None:
        self.facts = facts
        self.references = references
        self.filters = filters
        self.matches = matches
        self.mappings = mappings
        self.options = options
        self.target = facts.target_capabilities
        limits = [
            limit
            for limit in (self.target.max_attachment_bytes, options.max_attachment_bytes)
            if limit
        ]
        self.attachment_limit: int | None = min(limits) if limits else None
        self._auto_fields = match_custom_fields(
            source=facts.source_fields.custom_fields, target=facts.target_fields.custom_fields
        )
        self._target_languages: tuple[TranslationLanguages | None] | None = None

    # ------------------------------------------------------------------ selection

    def excluded_by_filters(self, record: Record) -> bool:
        return excluded_by_filters(record, self.filters)

    # ------------------------------------------------------------------ records

    def prepare(self, record: Record) -> Prepared:
        match record:
            case Ticket():
                return self._ticket(record)
            case Article():
                return self._article(record)
            case ArticleSection():
                return self._section(record)
            case Contact():
                return self._contact(record)
            case Agent():
                groups = [
                    target_id
                    for group_id in record.group_ids
                    if (target_id := self.references.target_id(Entity.GROUPS, group_id))
                ]
                return Prepared(record.model_copy(update={"group_ids": groups}))
            case Organization():
                notes = []
                if record.custom_fields:
                    notes.append(
                        Message(
                            texts.ORGANIZATION_FIELDS_ARE_NOT_MAPPED_WERE,
                            {"count": len(record.custom_fields)},
                        )
                    )
                return Prepared(record.model_copy(update={"custom_fields": {}}), notes=notes)
        return Prepared(record)

    def _contact(self, contact: Contact) -> Prepared:
        notes: list[str] = []
        organization = self.references.target_id(Entity.ORGANIZATIONS, contact.organization_id)
        if contact.organization_id and not organization:
            notes.append(
                Message(
                    texts.ORGANIZATION_WAS_NOT_MIGRATED_THE_CONTACT,
                    {"id": contact.organization_id},
                )
            )
        if contact.custom_fields:
            notes.append(
                Message(
                    texts.CONTACT_FIELDS_ARE_NOT_MAPPED_WERE,
                    {"count": len(contact.custom_fields)},
                )
            )
        update = {"organization_id": organization, "custom_fields": {}}
        return Prepared(contact.model_copy(update=update), notes=notes)

    def _section(self, section: ArticleSection) -> Prepared:
        category = self.references.target_id(Entity.ARTICLE_CATEGORIES, section.category_id)
        if not category:
            raise RecordSkipped(
                Message(
                    texts.ITS_KNOWLEDGE_BASE_CATEGORY_WAS_NOT,
                    {"id": section.category_id},
                )
            )
        notes: list[str] = []
        parent = self.references.target_id(Entity.ARTICLE_SECTIONS, section.parent_section_id)
        if section.parent_section_id and not parent:
            notes.append(
                Message(
                    texts.ITS_PARENT_SECTION_WAS_NOT_MIGRATED,
                    {"id": section.parent_section_id},
                )
            )
        update = {"category_id": category, "parent_section_id": parent}
        return Prepared(section.model_copy(update=update), notes=notes)

    # ------------------------------------------------------------------ tickets

    def _ticket(self, ticket: Ticket) -> Prepared:
        notes: list[str] = []
        dropped: list[DroppedAttachment] = []
        requester_id, requester_email = self._requester(ticket, notes)
        assignee = self._assignee(ticket.assignee_id, notes)
        group = self._group(ticket.group_id, notes)
        custom_fields, note_lines = self._custom_fields(ticket.custom_fields, notes)
        comments = self._comments(ticket, notes, dropped)
        if note_lines:
            comments.insert(min(1, len(comments)), self._custom_fields_note(ticket, note_lines))
        tags = list(ticket.tags) if self.target.tags else []
        if ticket.tags and not self.target.tags:
            notes.append(Message(texts.THE_TARGET_DOES_NOT_KEEP_TAGS))
        if self.options.migrated_tag and self.target.tags:
            tags.append(self.options.migrated_tag)
        update: dict[str, Any] = {
            "requester_id": requester_id,
            "requester_email": requester_email,
            "submitter_id": self.references.person(ticket.submitter_id),
            "assignee_id": assignee,
            "group_id": group,
            "organization_id": self.references.target_id(
                Entity.ORGANIZATIONS, ticket.organization_id
            ),
            "status": self._status(ticket.status, ticket.status_category, notes),
            "priority": self._choice(
                "priority",
                ticket.priority,
                self.mappings.priorities,
                self.facts.source_fields.priorities,
                self.facts.target_fields.priorities,
                notes,
            ),
            "type": self._choice(
                "type",
                ticket.type,
                self.mappings.types,
                self.facts.source_fields.types,
                self.facts.target_fields.types,
                notes,
            ),
            "tags": tags,
            "custom_fields": custom_fields,
            "cc_ids": [t for i in ticket.cc_ids if (t := self.references.person(i))],
            "follower_ids": [
                t for i in ticket.follower_ids if (t := self.references.target_id(Entity.AGENTS, i))
            ],
            "comments": comments,
        }
        if not self.target.ccs:
            update.update(cc_ids=[], cc_emails=[])
        return Prepared(ticket.model_copy(update=update), notes=notes, dropped=dropped)

    def _requester(self, ticket: Ticket, notes: list[str]) -> tuple[str | None, str | None]:
        if ticket.requester_id:
            found = self.references.person(ticket.requester_id)
            if found:
                return found, ticket.requester_email
        if ticket.requester_email:
            if ticket.requester_id:
                notes.append(
                    Message(
                        texts.REQUESTER_WAS_NOT_MIGRATED_THE_TICKET,
                        {"id": ticket.requester_id, "email": ticket.requester_email},
                    )
                )
            return None, ticket.requester_email
        if ticket.requester_id:
            raise RequesterMissing(
                Message(
                    texts.THE_TICKET_S_REQUESTER_WAS_NOT,
                    {"id": ticket.requester_id},
                ),
                requester_id=ticket.requester_id,
            )
        raise RecordSkipped(Message(texts.THE_TICKET_HAS_NO_REQUESTER_ON))

    def _assignee(self, source_id: str | None, notes: list[str]) -> str | None:
        default = self.matches.default_agent_id
        if not source_id:
            return default if self.matches.assign_unassigned_to_default else None
        found = self.references.target_id(Entity.AGENTS, source_id)
        if found:
            return found
        if default:
            notes.append(
                Message(
                    texts.AGENT_IS_DELETED_INACTIVE_OR_NOT_2,
                    {"id": source_id},
                )
            )
            return default
        notes.append(
            Message(
                texts.AGENT_IS_DELETED_INACTIVE_OR_NOT,
                {"id": source_id},
            )
        )
        return None

    def _group(self, source_id: str | None, notes: list[str]) -> str | None:
        default = self.matches.default_group_id
        if not source_id:
            return default if self.matches.assign_unassigned_to_default else None
        found = self.references.target_id(Entity.GROUPS, source_id)
        if found:
            return found
        if default:
            notes.append(
                Message(
                    texts.GROUP_IS_DELETED_OR_NOT_MATCHED_2,
                    {"id": source_id},
                )
            )
            return default
        notes.append(
            Message(
                texts.GROUP_IS_DELETED_OR_NOT_MATCHED,
                {"id": source_id},
            )
        )
        return None

    def _status(
        self, key: str | None, category: StatusCategory | None, notes: list[str]
    ) -> str | None:
        target_fields = self.facts.target_fields
        if key and (mapped := self.mappings.statuses.get(key)) and target_fields.status(mapped):
            return mapped
        source_option = self.facts.source_fields.status(key) if key else None
        category = category or (source_option.category if source_option else None)
        same = target_fields.status(key) if key else None
        if same is not None and (category is None or same.category is category):
            return same.key
        if category is None or not target_fields.statuses:
            return None
        fallback = fallback_status(category=category, available=target_fields.statuses)
        if fallback is None:
            notes.append(
                Message(
                    texts.STATUS_HAS_NO_MATCH_ON_THE,
                    {"status": key},
                )
            )
            return None
        if fallback.category is not category:
            name = source_option.name if source_option else key
            notes.append(
                Message(
                    texts.STATUS_DOES_NOT_EXIST_ON_THE,
                    {"status": name, "sent": fallback.name},
                )
            )
        return fallback.key

    @staticmethod
    def _choice(
        what: str,
        key: str | None,
        mapping: dict[str, str],
        source_options: Sequence[Any],
        target_options: Sequence[Any],
        notes: list[str],
    ) -> str | None:
        if not key:
            return None
        target_keys = {option.key for option in target_options}
        if not target_keys:
            return None
        mapped = mapping.get(key)
        if mapped in target_keys:
            return mapped
        if key in target_keys:
            return key
        source = next((option for option in source_options if option.key == key), None)
        name = (source.name if source else key).strip().casefold()
        by_name = next((o for o in target_options if o.name.strip().casefold() == name), None)
        if by_name is not None:
            return by_name.key
        rank = getattr(source, "rank", None)
        by_rank = next((o for o in target_options if getattr(o, "rank", None) == rank), None)
        if rank is not None and by_rank is not None:
            return by_rank.key
        notes.append(
            Message(
                _NO_CHOICE_MATCH.get(what, _NO_CHOICE_MATCH["value"]),
                {"value": key, "what": what},
            )
        )
        return None

    # ------------------------------------------------------------------ custom fields

    def _custom_fields(
        self, values: dict[str, CustomFieldValue], notes: list[str]
    ) -> tuple[dict[str, CustomFieldValue], list[str]]:
        """Values for the target's fields, and lines for the private note."""
        mapped: dict[str, CustomFieldValue] = {}
        note_lines: list[str] = []
        for key, value in values.items():
            if value is None or value == "" or value == []:
                continue
            source_field = self.facts.source_fields.custom_field(key)
            title = source_field.title if source_field else key
            target_key = self.mappings.custom_fields.get(key) or self._auto_fields.get(key)
            target_field = (
                self.facts.target_fields.custom_field(target_key)
                if target_key and target_key != PRIVATE_NOTE
                else None
            )
            if target_field is None or not self.target.custom_fields:
                note_lines.append(f"{title}: {self._display(source_field, value)}")
                continue
            try:
                mapped[target_field.key] = self._convert(key, source_field, target_field, value)
            except ValueError as problem:
                notes.append(
                    Message(
                        texts.FIELD_COULD_NOT_GO_INTO_IT,
                        {
                            "field": title,
                            "target_field": target_field.title,
                            "problem": str(problem),
                        },
                    )
                )
                note_lines.append(f"{title}: {self._display(source_field, value)}")
        return mapped, note_lines

    def _convert(
        self,
        key: str,
        source_field: CustomField | None,
        target_field: CustomField,
        value: CustomFieldValue,
    ) -> CustomFieldValue:
        if target_field.type in (CustomFieldType.DROPDOWN, CustomFieldType.MULTISELECT):
            items = value if isinstance(value, list) else [value]
            options = [self._option(key, source_field, target_field, str(i)) for i in items]
            value = options if isinstance(value, list) else options[0]
        return convert_custom_value(value, field_type=target_field.type)

    def _option(
        self, key: str, source_field: CustomField | None, target_field: CustomField, value: str
    ) -> str:
        keys = {option.key for option in target_field.options}
        chosen = self.mappings.custom_field_values.get(key, {}).get(value)
        if chosen in keys:
            return chosen
        if value in keys:
            return value
        name = value
        if source_field is not None:
            name = next((o.name for o in source_field.options if o.key == value), value)
        for option in target_field.options:
            if option.name.strip().casefold() == name.strip().casefold():
                return option.key
        raise ValueError(f"the target has no option {name!r}")

    @staticmethod
    def _display(source_field: CustomField | None, value: CustomFieldValue) -> str:
        names = {o.key: o.name for o in source_field.options} if source_field else {}
        if isinstance(value, list):
            return ", ".join(names.get(str(item), str(item)) for item in value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return names.get(str(value), str(value))

    def _custom_fields_note(self, ticket: Ticket, lines: list[str]) -> Comment:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        opening = ticket.opening_comment
        moment = opening.created_at if opening else ticket.created_at
        return Comment(
            source_id=f"custom-fields-{ticket.source_id}",
            author_kind=AuthorKind.SYSTEM,
            public=False,
            html_body=(
                f"<p>Fields from {html.escape(self.facts.source_name)} {FIELDS_NOTE_OPENING}</p>"
                f"<ul>{items}</ul>"
            ),
            created_at=moment,
        )

    # ------------------------------------------------------------------ comments

    def _comments(
        self, ticket: Ticket, notes: list[str], dropped: list[DroppedAttachment]
    ) -> list[Comment]:
        kept: list[Comment] = []
        left_out = {CommentKind.SIDE_CONVERSATION: 0, CommentKind.CALL_RECORDING: 0}
        for comment in ticket.comments:
            update: dict[str, Any] = {}
            if comment.kind is not CommentKind.MESSAGE:
                as_note = {
                    CommentKind.SIDE_CONVERSATION: self.options.side_conversations_as_notes,
                    CommentKind.CALL_RECORDING: self.options.call_recordings_as_notes,
                }[comment.kind]
                if not as_note:
                    left_out[comment.kind] += 1
                    continue
                label = (
                    "Side conversation"
                    if comment.kind is CommentKind.SIDE_CONVERSATION
                    else "Call recording"
                )
                update.update(
                    kind=CommentKind.MESSAGE,
                    public=False,
                    html_body=f"<p><em>{label}</em></p>{comment.html_body}",
                )
            update["author_id"] = self.references.person(
                comment.author_id, kind=comment.author_kind
            )
            body, broken = repaired_html(update.get("html_body", comment.html_body))
            if broken:
                notes.append(
                    Message(
                        texts.COMMENT_HAD_MALFORMED_HTML_UNCLOSED_OR,
                        {"id": comment.source_id},
                    )
                )
                update["html_body"] = body
            update["attachments"] = self._attachments(comment.attachments, notes, dropped)
            kept.append(comment.model_copy(update=update))
        if left_out[CommentKind.SIDE_CONVERSATION]:
            notes.append(
                Message(
                    texts.SIDE_CONVERSATION_S_LEFT_OUT_THE,
                    {"count": left_out[CommentKind.SIDE_CONVERSATION]},
                )
            )
        if left_out[CommentKind.CALL_RECORDING]:
            notes.append(
                Message(
                    texts.CALL_RECORDING_S_LEFT_OUT_THE,
                    {"count": left_out[CommentKind.CALL_RECORDING]},
                )
            )
        return kept

    def _attachments(
        self,
        attachments: Sequence[Attachment],
        notes: list[str],
        dropped: list[DroppedAttachment],
        *,
        allowed: bool = True,
    ) -> list[Attachment]:
        if not attachments:
            return []
        if self.options.skip_attachments:
            return []
        if not allowed:
            notes.append(Message(texts.THE_TARGET_DOES_NOT_TAKE_ATTACHMENTS))
            return []
        kept: list[Attachment] = []
        inline_left_out = 0
        for attachment in attachments:
            if attachment.inline and not self.target.inline_images:
                if not self.options.inline_images_as_attachments:
                    inline_left_out += 1
                    continue
                attachment = attachment.model_copy(update={"inline": False})
            limit = self.attachment_limit
            if limit is not None and attachment.size is not None and attachment.size > limit:
                dropped.append(DroppedAttachment(attachment, self.too_large_reason(attachment)))
                continue
            kept.append(attachment)
        if inline_left_out:
            notes.append(
                Message(
                    texts.INLINE_IMAGE_S_LEFT_OUT_THE,
                    {"count": inline_left_out},
                )
            )
        return kept

    def too_large_reason(self, attachment: Attachment, *, size: int | None = None) -> Message:
        size = size or attachment.size
        limit = format_bytes(self.attachment_limit or 0)
        if size:
            return Message(
                texts.THE_ATTACHMENT_IS_THE_TARGET_ACCEPTS,
                {"file": attachment.file_name, "size": format_bytes(size), "limit": limit},
            )
        return Message(
            texts.THE_ATTACHMENT_IS_LARGER_THAN_THE,
            {"file": attachment.file_name, "limit": limit},
        )

    # ------------------------------------------------------------------ articles

    def _article(self, article: Article) -> Prepared:
        notes: list[str] = []
        dropped: list[DroppedAttachment] = []
        section = self.references.target_id(Entity.ARTICLE_SECTIONS, article.section_id)
        if not section:
            raise RecordSkipped(
                Message(
                    texts.ITS_KNOWLEDGE_BASE_SECTION_OR_FOLDER,
                    {"id": article.section_id},
                )
            )
        author = self.references.target_id(Entity.AGENTS, article.author_id)
        if not author and article.author_id:
            author = self.matches.default_agent_id
            notes.append(
                Message(
                    texts.AUTHOR_IS_NOT_MATCHED_ON_THE
                    if author
                    else texts.AUTHOR_IS_NOT_MATCHED_ON_THE_2,
                    {"id": article.author_id},
                )
            )
        body, broken = repaired_html(article.html_body)
        if broken:
            notes.append(Message(texts.THE_ARTICLE_S_HTML_WAS_MALFORMED))
        translations = list(article.translations)
        if translations and not (self.options.translations and self.target.article_translations):
            notes.append(Message(texts.TRANSLATION_S_LEFT_OUT, {"count": len(translations)}))
            translations = []
        translations = self._translations_accepted(article, translations, notes)
        translations = [
            t.model_copy(update={"status": self._article_status(t.status, notes)})
            if t.status
            else t
            for t in translations
        ]
        tags = list(article.tags) if self.target.article_tags else []
        update = {
            "section_id": section,
            "category_id": self.references.target_id(
                Entity.ARTICLE_CATEGORIES, article.category_id
            ),
            "author_id": author,
            "html_body": body,
            "status": self._article_status(article.status, notes),
            "translations": translations,
            "tags": tags,
            "attachments": self._attachments(
                article.attachments, notes, dropped, allowed=self.target.article_attachments
            ),
        }
        return Prepared(article.model_copy(update=update), notes=notes, dropped=dropped)

    def _translations_accepted(
        self, article: Article, translations: list[ArticleTranslation], notes: list[str]
    ) -> list[ArticleTranslation]:
        if not translations:
            return []
        if self._target_languages is None:
            # Read from the target once per batch, when an article first has translations.
            self._target_languages = (self.facts.target_languages(),)
        return translations_accepted(
            article=article,
            translations=translations,
            languages=self._target_languages[0],
            notes=notes,
        )

    def _article_status(self, key: str, notes: list[str]) -> str:
        target_options = self.facts.target_fields.article_statuses
        keys = {option.key for option in target_options}
        if not target_options:
            return key
        mapped = self.mappings.article_statuses.get(key)
        if mapped in keys:
            return mapped
        if key in keys:
            return key
        source = next((o for o in self.facts.source_fields.article_statuses if o.key == key), None)
        if source is not None:
            same = next((o for o in target_options if o.category is source.category), None)
            if same is not None:
                return same.key
        notes.append(
            Message(
                texts.ARTICLE_STATUS_HAS_NO_MATCH_SAVED,
                {"status": key, "sent": target_options[0].name},
            )
        )
        return target_options[0].key
