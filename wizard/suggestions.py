"""What the matching, mapping and options steps propose, as pure functions.

The pages read both help desks through :mod:`migrator.discovery`; everything they then
work out — which agents match by e-mail, which status falls back to which, which custom
field goes where, which options the pair makes meaningful — is decided here, from
canonical records, field schemas and capabilities only, so it is tested without a page.

A saved choice wins over a suggestion as long as it is still possible (the target
option still exists), so a user coming back to a step finds their own choices.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from connectors.base import Capabilities, pair_migrates
from connectors.schema import (
    Agent,
    ArticleStatusOption,
    CustomField,
    CustomFieldType,
    Entity,
    FieldSchema,
    Group,
    PriorityOption,
    StatusOption,
    TypeOption,
    compatible_field_types,
    fallback_status,
    match_custom_fields,
)
from migrator.configuration import CREATE_ON_TARGET, PRIVATE_NOTE

#: The value of a match that leaves the agent's (or group's) tickets to the default one.
TO_DEFAULT = ""
#: The value of a type, priority or dropdown value map that leaves it to the engine
#: (the same name on the target, else the target's default).
AUTOMATIC = ""

Label = str | Promise


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: Label


def _folded(text: str | None) -> str:
    return (text or "").strip().casefold()


def with_saved(
    *, suggested: Mapping[str, str], saved: Mapping[str, str], allowed: Collection[str]
) -> dict[str, str]:
    """Per key, the saved value where it is still allowed, else the suggestion."""
    return {
        key: saved[key] if key in saved and saved[key] in allowed else value
        for key, value in suggested.items()
    }


# --------------------------------------------------------------------------- agents & groups


def agents_matter(
    *, entities: Collection[Entity], source: Capabilities, target: Capabilities
) -> bool:
    """Agents are matched when tickets (assignees), articles (authors) or agents move."""
    moving = {Entity.TICKETS, Entity.AGENTS, Entity.ARTICLES} & set(entities)
    return bool(moving) and Entity.AGENTS in source.reads and Entity.AGENTS in target.writes


def groups_matter(
    *, entities: Collection[Entity], source: Capabilities, target: Capabilities
) -> bool:
    """Groups are matched when tickets or groups move and both sides have groups."""
    moving = {Entity.TICKETS, Entity.GROUPS} & set(entities)
    return bool(moving) and Entity.GROUPS in source.reads and Entity.GROUPS in target.writes


def usable_target_agents(agents: Sequence[Agent]) -> list[Agent]:
    """Target agents that can take tickets: active and not deleted."""
    return [agent for agent in agents if agent.active and not agent.deleted]


def usable_target_groups(groups: Sequence[Group]) -> list[Group]:
    return [group for group in groups if not group.deleted]


def suggest_agent_matches(
    *, source: Sequence[Agent], target: Sequence[Agent], create_on_target: bool
) -> dict[str, str]:
    """Source agent id -> target agent id with the same e-mail (case-insensitive).

    Deleted and inactive agents go to the default agent; active ones without a match are
    created on the target where it can (``create_on_target``), else go to the default.
    """
    by_email: dict[str, str] = {}
    for agent in usable_target_agents(target):
        if agent.email:
            by_email.setdefault(_folded(agent.email), agent.source_id)
    suggested: dict[str, str] = {}
    for agent in source:
        if agent.deleted or not agent.active:
            suggested[agent.source_id] = TO_DEFAULT
        elif agent.email and _folded(agent.email) in by_email:
            suggested[agent.source_id] = by_email[_folded(agent.email)]
        else:
            suggested[agent.source_id] = CREATE_ON_TARGET if create_on_target else TO_DEFAULT
    return suggested


def suggest_group_matches(
    *, source: Sequence[Group], target: Sequence[Group], create_on_target: bool
) -> dict[str, str]:
    """Source group id -> target group id with the same name (case-insensitive)."""
    by_name: dict[str, str] = {}
    for group in usable_target_groups(target):
        by_name.setdefault(_folded(group.name), group.source_id)
    suggested: dict[str, str] = {}
    for group in source:
        if group.deleted:
            suggested[group.source_id] = TO_DEFAULT
        elif _folded(group.name) in by_name:
            suggested[group.source_id] = by_name[_folded(group.name)]
        else:
            suggested[group.source_id] = CREATE_ON_TARGET if create_on_target else TO_DEFAULT
    return suggested


@dataclass(frozen=True, slots=True)
class TeamRow:
    """One source agent or group on the matching page."""

    source_id: str
    name: str
    email: str | None
    #: "active", "inactive" or "deleted".
    state: str
    initial: str
    #: Where the target cannot take this agent as it is: "missing", "invited" or
    #: "inactive" (the target's own word); saving needs an explicit active match.
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class TeamSide:
    """The agents (or groups) of both sides, as the matching page shows them."""

    rows: list[TeamRow]
    #: The target's agents or groups a source one can be matched to.
    targets: list[Choice]
    can_create: bool
    default_initial: str
    #: Target ids that count as a valid match for a row with a ``problem``.
    valid_ids: frozenset[str] = frozenset()
    #: A row with a ``problem`` left to the default is valid once a default is chosen
    #: (the target lets its tickets go to the default agent).
    default_satisfies: bool = True

    def unmatched(self, values: Sequence[str]) -> list[int]:
        """Positions of the active rows whose value (``values``, one per row) is no agent
        or group of the target: left to the default, or no longer valid. Those to be
        created on the target are matched; deleted and inactive ones keep the default."""
        return [
            index
            for index, (row, value) in enumerate(zip(self.rows, values, strict=True))
            if row.state == "active" and value not in self.valid_ids and value != CREATE_ON_TARGET
        ]

    @property
    def row_choices(self) -> list[Choice]:
        choices = [Choice(TO_DEFAULT, _("Default (see below)"))]
        if self.can_create:
            choices.append(Choice(CREATE_ON_TARGET, _("Create on the target")))
        return [*choices, *self.targets]

    @property
    def problems(self) -> list[TeamRow]:
        return [row for row in self.rows if row.problem]


def _agent_label(agent: Agent) -> str:
    return f"{agent.name} <{agent.email}>" if agent.email else agent.name


def _agent_state(agent: Agent) -> str:
    if agent.deleted:
        return "deleted"
    return "active" if agent.active else "inactive"


class _Missing(Protocol):
    email: str
    state: str


def agent_side(
    *,
    source: Sequence[Agent],
    target: Sequence[Agent],
    can_create: bool,
    agents: Mapping[str, str],
    default_agent_id: str | None,
    missing: Sequence[_Missing] | None = None,
    default_allowed: bool = True,
) -> TeamSide:
    """The agents' rows: saved choices first, else matched by e-mail.

    ``missing`` is what a target that cannot create agents reports about the source's
    active agents (:func:`migrator.discovery.target_missing_agents`).
    """
    usable = usable_target_agents(target)
    targets = [Choice(agent.source_id, _agent_label(agent)) for agent in usable]
    target_ids = {choice.value for choice in targets}
    allowed = target_ids | {TO_DEFAULT} | ({CREATE_ON_TARGET} if can_create else set())
    initial = with_saved(
        suggested=suggest_agent_matches(source=source, target=target, create_on_target=can_create),
        saved=agents,
        allowed=allowed,
    )
    problems = {_folded(item.email): item.state for item in missing or ()}
    rows = []
    for agent in source:
        problem = None
        if missing is not None and agent.active and not agent.deleted:
            problem = problems.get(_folded(agent.email)) if agent.email else "missing"
        rows.append(
            TeamRow(
                source_id=agent.source_id,
                name=agent.name,
                email=agent.email,
                state=_agent_state(agent),
                initial=initial[agent.source_id],
                problem=problem,
            )
        )
    default = default_agent_id if default_agent_id in target_ids else ""
    return TeamSide(
        rows=rows,
        targets=targets,
        can_create=can_create,
        default_initial=default or "",
        valid_ids=frozenset(target_ids),
        default_satisfies=default_allowed,
    )


def group_side(
    *,
    source: Sequence[Group],
    target: Sequence[Group],
    can_create: bool,
    groups: Mapping[str, str],
    default_group_id: str | None,
) -> TeamSide:
    usable = usable_target_groups(target)
    targets = [Choice(group.source_id, group.name) for group in usable]
    target_ids = {choice.value for choice in targets}
    allowed = target_ids | {TO_DEFAULT} | ({CREATE_ON_TARGET} if can_create else set())
    initial = with_saved(
        suggested=suggest_group_matches(source=source, target=target, create_on_target=can_create),
        saved=groups,
        allowed=allowed,
    )
    rows = [
        TeamRow(
            source_id=group.source_id,
            name=group.name,
            email=None,
            state="deleted" if group.deleted else "active",
            initial=initial[group.source_id],
        )
        for group in source
    ]
    default = default_group_id if default_group_id in target_ids else ""
    return TeamSide(
        rows=rows,
        targets=targets,
        can_create=can_create,
        default_initial=default or "",
        valid_ids=frozenset(target_ids),
    )


# --------------------------------------------------------------------------- value maps


class _Option(Protocol):
    key: str
    name: str


def _same_key_or_name(option: _Option, candidates: Sequence[_Option]) -> str | None:
    for candidate in candidates:
        if candidate.key == option.key:
            return candidate.key
    for candidate in candidates:
        if _folded(candidate.name) == _folded(option.name):
            return candidate.key
    return None


def suggest_status_map(
    *, source: Sequence[StatusOption], target: Sequence[StatusOption]
) -> dict[str, str]:
    """Same key or name (case-insensitive), else along the status categories: on-hold
    goes to open where the target has no on-hold (:func:`fallback_status`)."""
    active = [option for option in target if option.active]
    suggested: dict[str, str] = {}
    for option in source:
        same = _same_key_or_name(option, active)
        if same is None:
            fallback = fallback_status(category=option.category, available=target)
            same = fallback.key if fallback else (active[0].key if active else None)
        if same is not None:
            suggested[option.key] = same
    return suggested


def suggest_type_map(
    *, source: Sequence[TypeOption], target: Sequence[TypeOption]
) -> dict[str, str]:
    """Same key or name, else :data:`AUTOMATIC` (the target's default type)."""
    return {option.key: _same_key_or_name(option, target) or AUTOMATIC for option in source}


def suggest_priority_map(
    *, source: Sequence[PriorityOption], target: Sequence[PriorityOption]
) -> dict[str, str]:
    """Same key or name, else the same rank (1 = lowest), else :data:`AUTOMATIC`."""
    suggested: dict[str, str] = {}
    for option in source:
        same = _same_key_or_name(option, target)
        if same is None:
            same = next((o.key for o in target if o.rank == option.rank), AUTOMATIC)
        suggested[option.key] = same
    return suggested


def suggest_article_status_map(
    *, source: Sequence[ArticleStatusOption], target: Sequence[ArticleStatusOption]
) -> dict[str, str]:
    """Same key or name, else the same category (draft, published, archived), else the
    target's first status (archived articles become drafts where there is no archive)."""
    suggested: dict[str, str] = {}
    for option in source:
        same = _same_key_or_name(option, target)
        if same is None:
            same = next((o.key for o in target if o.category is option.category), None)
        if same is None and target:
            same = target[0].key
        if same is not None:
            suggested[option.key] = same
    return suggested


@dataclass(frozen=True, slots=True)
class ValueRow:
    key: str
    name: str
    initial: str
    #: A short word beside the name (a status's category).
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ValueMap:
    """Source options, each with a select of the target's options."""

    rows: list[ValueRow]
    choices: list[Choice]
    #: The label of the blank choice (:data:`AUTOMATIC`); ``None`` when one is required.
    automatic_label: Label | None = None

    @property
    def all_choices(self) -> list[Choice]:
        blank = [Choice(AUTOMATIC, self.automatic_label)] if self.automatic_label else []
        return [*blank, *self.choices]

    @property
    def allowed(self) -> set[str]:
        return {choice.value for choice in self.all_choices}


def _value_map(
    *,
    source: Sequence[_Option],
    target: Sequence[_Option],
    suggested: Mapping[str, str],
    saved: Mapping[str, str],
    automatic_label: Label | None,
    details: Mapping[str, str] | None = None,
) -> ValueMap:
    choices = [Choice(option.key, option.name) for option in target]
    allowed = {choice.value for choice in choices} | (
        {AUTOMATIC} if automatic_label is not None else set()
    )
    complete = {
        option.key: suggested.get(option.key, AUTOMATIC if automatic_label else "")
        for option in source
    }
    initial = with_saved(suggested=complete, saved=saved, allowed=allowed)
    rows = [
        ValueRow(
            key=option.key,
            name=option.name,
            initial=initial[option.key],
            detail=(details or {}).get(option.key, ""),
        )
        for option in source
    ]
    return ValueMap(rows=rows, choices=choices, automatic_label=automatic_label)


STATUS_CATEGORY_LABELS: dict[str, Label] = {
    "new": _("new"),
    "open": _("open"),
    "pending": _("pending"),
    "hold": _("on hold"),
    "solved": _("solved"),
    "closed": _("closed"),
}


def status_map(*, source: FieldSchema, target: FieldSchema, saved: Mapping[str, str]) -> ValueMap:
    active = [option for option in target.statuses if option.active]
    return _value_map(
        source=source.statuses,
        target=active,
        suggested=suggest_status_map(source=source.statuses, target=target.statuses),
        saved=saved,
        automatic_label=None,
        details={
            option.key: str(STATUS_CATEGORY_LABELS[option.category.value])
            for option in source.statuses
        },
    )


def type_map(*, source: FieldSchema, target: FieldSchema, saved: Mapping[str, str]) -> ValueMap:
    return _value_map(
        source=source.types,
        target=target.types,
        suggested=suggest_type_map(source=source.types, target=target.types),
        saved=saved,
        automatic_label=_("Automatic: same name, else the default"),
    )


def priority_map(*, source: FieldSchema, target: FieldSchema, saved: Mapping[str, str]) -> ValueMap:
    return _value_map(
        source=source.priorities,
        target=target.priorities,
        suggested=suggest_priority_map(source=source.priorities, target=target.priorities),
        saved=saved,
        automatic_label=_("Automatic: same name or rank, else the default"),
    )


def article_status_map(
    *, source: FieldSchema, target: FieldSchema, saved: Mapping[str, str]
) -> ValueMap:
    return _value_map(
        source=source.article_statuses,
        target=target.article_statuses,
        suggested=suggest_article_status_map(
            source=source.article_statuses, target=target.article_statuses
        ),
        saved=saved,
        automatic_label=None,
    )


# --------------------------------------------------------------------------- custom fields

CHOICE_TYPES = frozenset({CustomFieldType.DROPDOWN, CustomFieldType.MULTISELECT})

FIELD_TYPE_LABELS: dict[CustomFieldType, Label] = {
    CustomFieldType.TEXT: _("text"),
    CustomFieldType.TEXTAREA: _("multi-line text"),
    CustomFieldType.INTEGER: _("number"),
    CustomFieldType.DECIMAL: _("decimal"),
    CustomFieldType.CHECKBOX: _("checkbox"),
    CustomFieldType.DATE: _("date"),
    CustomFieldType.DROPDOWN: _("dropdown"),
    CustomFieldType.MULTISELECT: _("multi-select"),
    CustomFieldType.REGEXP: _("pattern"),
}


def compatible_target_fields(
    *, source_field: CustomField, target: Sequence[CustomField]
) -> list[CustomField]:
    """Target fields that can receive the source field's values without losing meaning."""
    kinds = compatible_field_types(source_type=source_field.type)
    return [candidate for candidate in target if candidate.type in kinds and candidate.active]


def suggest_custom_field_map(
    *, source: Sequence[CustomField], target: Sequence[CustomField], target_has_fields: bool
) -> dict[str, str]:
    """Source field key -> target field key of the same title (case-insensitive) and a
    compatible type, else :data:`PRIVATE_NOTE`."""
    matched = (
        match_custom_fields(source=source, target=[f for f in target if f.active])
        if target_has_fields
        else {}
    )
    return {field.key: matched.get(field.key, PRIVATE_NOTE) for field in source}


def has_value_map(source_field: CustomField, target_field: CustomField | None) -> bool:
    """Whether the field's options are mapped one by one (both sides are dropdowns)."""
    return (
        target_field is not None
        and source_field.type in CHOICE_TYPES
        and target_field.type in CHOICE_TYPES
    )


def suggest_field_value_map(
    *, source_field: CustomField, target_field: CustomField
) -> dict[str, str]:
    """Source option -> target option of the same key or name, else :data:`AUTOMATIC`."""
    return {
        option.key: _same_key_or_name(option, target_field.options) or AUTOMATIC
        for option in source_field.options
    }


def field_value_map(
    *, source_field: CustomField, target_field: CustomField, saved: Mapping[str, str]
) -> ValueMap:
    return _value_map(
        source=source_field.options,
        target=target_field.options,
        suggested=suggest_field_value_map(source_field=source_field, target_field=target_field),
        saved=saved,
        automatic_label=_("Same name, else into the private note"),
    )


@dataclass(frozen=True, slots=True)
class CustomFieldRow:
    field: CustomField
    choices: list[Choice]
    initial: str

    @property
    def type_label(self) -> Label:
        return FIELD_TYPE_LABELS[self.field.type]


@dataclass(frozen=True)
class CustomFieldPlan:
    """The source's custom fields, where each may go, and their dropdown value maps."""

    rows: list[CustomFieldRow]
    target_fields: list[CustomField]
    target_has_fields: bool
    saved_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def target_field(self, key: str) -> CustomField | None:
        return next((f for f in self.target_fields if f.key == key), None)

    def value_map(self, source_key: str, target_key: str) -> ValueMap | None:
        """The option-by-option map of a dropdown going into a dropdown, else ``None``."""
        row = next((r for r in self.rows if r.field.key == source_key), None)
        target_field = self.target_field(target_key)
        if row is None or target_field is None or not has_value_map(row.field, target_field):
            return None
        if target_key not in {choice.value for choice in row.choices}:
            return None
        return field_value_map(
            source_field=row.field,
            target_field=target_field,
            saved=self.saved_values.get(source_key, {}),
        )


def custom_field_plan(
    *,
    source: FieldSchema,
    target: FieldSchema,
    target_has_fields: bool,
    saved: Mapping[str, str],
    saved_values: Mapping[str, Mapping[str, str]],
) -> CustomFieldPlan:
    suggested = suggest_custom_field_map(
        source=source.custom_fields,
        target=target.custom_fields,
        target_has_fields=target_has_fields,
    )
    rows = []
    for source_field in source.custom_fields:
        candidates = (
            compatible_target_fields(source_field=source_field, target=target.custom_fields)
            if target_has_fields
            else []
        )
        choices = [
            *(Choice(c.key, f"{c.title} ({FIELD_TYPE_LABELS[c.type]})") for c in candidates),
            Choice(PRIVATE_NOTE, _("Into a private note")),
        ]
        allowed = {choice.value for choice in choices}
        initial = with_saved(
            suggested={source_field.key: suggested[source_field.key]},
            saved=saved,
            allowed=allowed,
        )[source_field.key]
        rows.append(CustomFieldRow(field=source_field, choices=choices, initial=initial))
    return CustomFieldPlan(
        rows=rows,
        target_fields=list(target.custom_fields),
        target_has_fields=target_has_fields,
        saved_values=saved_values,
    )


# --------------------------------------------------------------------------- system fields


def system_fields(
    *, source: Capabilities, target: Capabilities, entities: Collection[Entity]
) -> list[Label]:
    """What the engine maps on its own, as the mapping step lists it: only what the source
    reads and the target writes (:func:`connectors.base.pair_migrates`)."""
    if not entities:
        return []
    moving = pair_migrates(source=source, target=target, selected=entities)
    # Agents and groups are matched whenever tickets move, selected or not.
    matched = pair_migrates(source=source, target=target)
    fields: list[Label] = []
    if moving.moves(Entity.TICKETS):
        fields += [_("Subject"), _("Description (the first message)"), _("Requester")]
        if matched.moves(Entity.AGENTS):
            fields.append(_("Assignee (from the agent matching)"))
        if matched.moves(Entity.GROUPS):
            fields.append(_("Group (from the group matching)"))
        if moving.moves(Entity.ORGANIZATIONS):
            fields.append(_("Organization"))
        if moving.keeps("tags"):
            fields.append(_("Tags"))
        if moving.keeps("ccs"):
            fields.append(_("CCs and followers"))
        fields.append(_("Public replies and private notes, with their attachments"))
        if target.keeps_original_dates:
            fields.append(_("Created, updated and solved dates"))
        else:
            fields.append(
                _("Original dates, written into the messages (the target cannot set them)")
            )
    if moving.moves(Entity.ARTICLES):
        fields.append(_("Article title and body"))
        if moving.moves(Entity.ARTICLE_SECTIONS) or moving.moves(Entity.ARTICLE_CATEGORIES):
            fields.append(_("Article category and section or folder"))
    if moving.moves(Entity.CONTACTS):
        if moving.moves(Entity.ORGANIZATIONS):
            fields.append(_("Contact name, e-mail addresses, phone and organization"))
        else:
            fields.append(_("Contact name, e-mail addresses and phone"))
    return fields


# --------------------------------------------------------------------------- options


#: The options of :class:`migrator.configuration.Options` the options step can show.
OPTION_NAMES = (
    "skip_attachments",
    "inline_images_as_attachments",
    "migrated_tag",
    "side_conversations_as_notes",
    "call_recordings_as_notes",
    "translations",
    "verify_migrated",
)


def available_options(
    *, entities: Collection[Entity], source: Capabilities, target: Capabilities
) -> list[str]:
    """The options the pair makes meaningful for the selected data, in display order."""
    wanted = set(entities)
    tickets = Entity.TICKETS in wanted and Entity.TICKETS in target.writes
    articles = Entity.ARTICLES in wanted and Entity.ARTICLES in target.writes
    available: list[str] = []
    if tickets or (articles and target.article_attachments):
        available.append("skip_attachments")
    if tickets and source.inline_images and not target.inline_images:
        available.append("inline_images_as_attachments")
    if tickets and target.tags:
        available.append("migrated_tag")
    if tickets:
        # Both become private notes, which every target holds. No capability tells whether
        # a source has side conversations or call recordings, so they show with tickets.
        available += ["side_conversations_as_notes", "call_recordings_as_notes"]
    if articles and source.article_translations and target.article_translations:
        available.append("translations")
    # Every migrated record is read back from the target; off only to save API calls.
    available.append("verify_migrated")
    return available


def demo_entities(*, entities: Collection[Entity]) -> list[Entity]:
    """The entities a demo can be given chosen records of."""
    return [entity for entity in (Entity.TICKETS, Entity.ARTICLES) if entity in set(entities)]
