"""What the matching, mapping and options pages show, read from both help desks.

Each builder reads through :mod:`migrator.discovery` (cached; ``refresh=True`` reads
again) and hands the records and schemas to the pure functions of
:mod:`wizard.suggestions`. Platform errors (``ConnectorError``) reach the view, which
shows their message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from connectors.base import Capabilities, source_marker
from connectors.registry import registry
from connectors.schema import Entity
from migrator import discovery, selectors
from migrator.models import Migration
from wizard import suggestions
from wizard.suggestions import CustomFieldPlan, TeamSide, ValueMap


@dataclass(frozen=True)
class Pair:
    source_name: str
    target_name: str
    source: Capabilities
    target: Capabilities
    entities: list[Entity]


def pair_of(migration: Migration) -> Pair:
    if migration.source is None or migration.target is None:
        raise ValueError("the migration has no source or no target connection yet")
    source_class = registry.get(migration.source.platform)
    target_class = registry.get(migration.target.platform)
    return Pair(
        source_name=source_class.display_name,
        target_name=target_class.display_name,
        source=source_class.capabilities,
        target=target_class.capabilities,
        entities=migration.selected_entities(),
    )


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class MatchPage:
    pair: Pair
    agents: TeamSide | None
    groups: TeamSide | None
    #: The target's steps to invite agents, when it cannot create them and some are missing.
    missing_agent_instructions: str = ""
    #: Why groups are not matched although tickets move (the target has no groups).
    groups_note: str = ""
    #: Why agents without a match cannot be created on the target, when they cannot.
    agents_note: str = ""


def match_page(migration: Migration, *, refresh: bool = False) -> MatchPage:
    pair = pair_of(migration)
    saved = migration.configured_matches()
    agents = groups = None
    instructions = agents_note = ""
    if suggestions.agents_matter(entities=pair.entities, source=pair.source, target=pair.target):
        source_agents = discovery.source_agents(migration=migration, refresh=refresh)
        target_agents = discovery.target_agents(migration=migration, refresh=refresh)
        missing = None
        if not pair.target.can_create_agents:
            missing = discovery.target_missing_agents(
                migration=migration, agents=source_agents, refresh=refresh
            )
        agents = suggestions.agent_side(
            source=source_agents,
            target=target_agents,
            can_create=pair.target.can_create_agents and Entity.AGENTS in pair.entities,
            agents=saved.agents,
            default_agent_id=saved.default_agent_id,
            missing=missing,
            default_allowed=pair.target.default_agent_for_unmatched,
        )
        if agents.problems:
            target_class = registry.get_target(migration.target.platform)
            text = getattr(target_class, "missing_agent_instructions", "")
            instructions = gettext(text) if text else ""
        names = {"target": pair.target_name}
        if not pair.target.can_create_agents and pair.target.default_agent_for_unmatched:
            agents_note = (
                gettext(
                    "%(target)s cannot create agents: an agent without a match leaves their "
                    "tickets to the default agent."
                )
                % names
            )
        elif not pair.target.can_create_agents:
            agents_note = (
                gettext(
                    "%(target)s cannot create agents, nor give an agent's tickets to another "
                    "one: match every active agent to an active agent of %(target)s. The "
                    "default agent only takes the tickets of deleted and inactive agents."
                )
                % names
            )
        elif Entity.AGENTS not in pair.entities:
            agents_note = (
                gettext(
                    "To create missing agents on %(target)s, select Agents in the "
                    "“Select data” step."
                )
                % names
            )
    if suggestions.groups_matter(entities=pair.entities, source=pair.source, target=pair.target):
        groups = suggestions.group_side(
            source=discovery.source_groups(migration=migration, refresh=refresh),
            target=discovery.target_groups(migration=migration, refresh=refresh),
            can_create=pair.target.can_create_groups and Entity.GROUPS in pair.entities,
            groups=saved.groups,
            default_group_id=saved.default_group_id,
        )
    groups_note = ""
    if (
        groups is None
        and Entity.TICKETS in pair.entities
        and Entity.GROUPS in pair.source.reads
        and Entity.GROUPS not in pair.target.writes
    ):
        groups_note = gettext("%(target)s has no groups: tickets arrive without one.") % {
            "target": pair.target_name
        }
    return MatchPage(
        pair=pair,
        agents=agents,
        groups=groups,
        missing_agent_instructions=instructions,
        groups_note=groups_note,
        agents_note=agents_note,
    )


# --------------------------------------------------------------------------- mapping


@dataclass
class MappingPage:
    pair: Pair
    system_fields: list[suggestions.Label]
    #: By FieldMappings attribute: statuses, types, priorities, article_statuses.
    value_maps: dict[str, ValueMap] = field(default_factory=dict)
    custom: CustomFieldPlan | None = None
    #: Per value map attribute, why it is not shown although the entity moves.
    notes: dict[str, str] = field(default_factory=dict)


def mapping_page(migration: Migration, *, refresh: bool = False) -> MappingPage:
    pair = pair_of(migration)
    saved = migration.configured_mappings()
    page = MappingPage(
        pair=pair,
        system_fields=suggestions.system_fields(
            source=pair.source, target=pair.target, entities=pair.entities
        ),
    )
    tickets = Entity.TICKETS in pair.entities
    articles = Entity.ARTICLES in pair.entities
    if not (tickets or articles):
        return page
    source = discovery.source_fields(migration=migration, refresh=refresh)
    target = discovery.target_fields(migration=migration, refresh=refresh)
    names = {"source": pair.source_name, "target": pair.target_name}
    if tickets:
        builders = {
            "statuses": (suggestions.status_map, source.statuses, target.statuses),
            "types": (suggestions.type_map, source.types, target.types),
            "priorities": (suggestions.priority_map, source.priorities, target.priorities),
        }
        lacking = {
            "statuses": gettext("%(target)s has no statuses to choose from."),
            "types": gettext("%(target)s has no ticket types: the types are left out."),
            "priorities": gettext("%(target)s has no priorities: the priorities are left out."),
        }
        for attribute, (build, source_options, target_options) in builders.items():
            if not source_options:
                continue
            if not target_options:
                page.notes[attribute] = lacking[attribute] % names
                continue
            page.value_maps[attribute] = build(
                source=source, target=target, saved=getattr(saved, attribute)
            )
        if source.custom_fields:
            page.custom = suggestions.custom_field_plan(
                source=source,
                target=target,
                target_has_fields=pair.target.custom_fields and bool(target.custom_fields),
                saved=saved.custom_fields,
                saved_values=saved.custom_field_values,
            )
    if articles and source.article_statuses:
        if target.article_statuses:
            page.value_maps["article_statuses"] = suggestions.article_status_map(
                source=source, target=target, saved=saved.article_statuses
            )
        else:
            page.notes["article_statuses"] = (
                gettext("%(target)s has no article statuses to choose from.") % names
            )
    return page


# --------------------------------------------------------------------------- options


#: Where each target keeps the marker of a record it created (connectors' docstrings).
MARKER_PLACES: dict[str, Promise] = {
    "zendesk": gettext_lazy(
        "the external id of tickets, users and organizations, a tag on tickets and a label "
        "on Help Center articles"
    ),
    "freshdesk": gettext_lazy("a tag on tickets, contacts and solution articles"),
    "edesk": gettext_lazy("the external id of a ticket's first message"),
    "halo": gettext_lazy("the third-party id of tickets"),
    "teamwork_desk": gettext_lazy("a tag on tickets and the external id of customers"),
}


@dataclass(frozen=True)
class MarkerInfo:
    """The marker written on migrated records, as the options page explains it."""

    prefix: str
    example: str
    #: Where the target keeps it ("" when the target is not known to keep one).
    place: str
    #: A run wrote records carrying it: its prefix may no longer change.
    locked: bool


def marker_info(migration: Migration) -> MarkerInfo:
    prefix = migration.configured_options().marker_prefix
    place = MARKER_PLACES.get(migration.target.platform) if migration.target else None
    return MarkerInfo(
        prefix=prefix,
        example=source_marker(
            migration_id=migration.pk, entity=Entity.TICKETS, source_id="1234", prefix=prefix
        ),
        place=str(place) if place else "",
        locked=selectors.marker_prefix_locked(migration=migration),
    )


@dataclass(frozen=True)
class OptionsPage:
    pair: Pair
    available: list[str]
    demo: list[Entity]
    marker: MarkerInfo


def options_page(migration: Migration) -> OptionsPage:
    pair = pair_of(migration)
    return OptionsPage(
        pair=pair,
        available=suggestions.available_options(
            entities=pair.entities, source=pair.source, target=pair.target
        ),
        demo=suggestions.demo_entities(entities=pair.entities),
        marker=marker_info(migration),
    )
