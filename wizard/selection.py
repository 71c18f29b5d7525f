"""What the "Select data" step shows: the entities the pair can move with their counts on
the source, what they refer to, what will actually move, and what will not be migrated.

The engine moves the selected entities both sides support, in dependency order
(:func:`migrator.engine.plan.entities_to_move`); it does not add the entities they refer
to, so the page says which references will point nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.base import Capabilities, not_migrated
from connectors.errors import ConnectorError
from connectors.messages import translated
from connectors.registry import registry
from connectors.schema import Entity
from migrator import discovery
from migrator.engine.plan import entities_to_move
from migrator.models import Migration
from wizard.text import as_sentence, entity_label, translate_sentence


def _pair(migration: Migration) -> tuple[Capabilities, Capabilities]:
    assert migration.source is not None and migration.target is not None
    source = registry.get_source(migration.source.platform)
    target = registry.get_target(migration.target.platform)
    return source.capabilities, target.capabilities


def movable_entities(migration: Migration) -> list[Entity]:
    """What the source can read and the target can write, in dependency order."""
    source, target = _pair(migration)
    return entities_to_move(selected=list(Entity), source=source, target=target)


def default_selection(migration: Migration, movable: Sequence[Entity]) -> list[Entity]:
    """What was saved, else everything the pair can move."""
    saved = [entity for entity in migration.selected_entities() if entity in movable]
    return saved or list(movable)


@dataclass(frozen=True)
class EntityRow:
    entity: Entity
    label: str
    count: int | None
    checked: bool
    #: Labels of the entities (among those the pair can move) its records refer to.
    refers_to: list[str]


@dataclass(frozen=True)
class MissingReference:
    label: str
    missing: list[str]


@dataclass(frozen=True)
class SelectionSummary:
    #: What a run would move, in the order it moves them.
    moving: list[str]
    #: Selected entities whose records refer to entities left out.
    missing: list[MissingReference]


def selection_summary(
    *, migration: Migration, movable: Sequence[Entity], selected: Sequence[Entity]
) -> SelectionSummary:
    source, target = _pair(migration)
    moving = (
        entities_to_move(selected=list(selected), source=source, target=target) if selected else []
    )
    missing = [
        MissingReference(
            label=entity_label(entity),
            missing=[
                entity_label(other)
                for other in Entity.in_dependency_order(entity.dependencies)
                if other in movable and other not in moving
            ],
        )
        for entity in moving
    ]
    return SelectionSummary(
        moving=[entity_label(entity) for entity in moving],
        missing=[item for item in missing if item.missing],
    )


@dataclass
class SelectPage:
    rows: list[EntityRow]
    summary: SelectionSummary
    not_migrated: list[str]
    particulars: list[str]
    source_name: str
    target_name: str
    counts_error: str = ""
    counted: bool = field(default=False)


def select_page(
    *,
    migration: Migration,
    movable: Sequence[Entity],
    selected: Sequence[Entity],
    refresh: bool = False,
) -> SelectPage:
    source, target = _pair(migration)
    counts: dict[Entity, int] = {}
    counts_error = ""
    if movable:
        try:
            counts = discovery.source_counts(
                migration=migration, entities=list(movable), refresh=refresh
            )
        except ConnectorError as error:
            counts_error = as_sentence(translated(error))
    rows = [
        EntityRow(
            entity=entity,
            label=entity_label(entity),
            count=counts.get(entity),
            checked=entity in selected,
            refers_to=[
                entity_label(other)
                for other in Entity.in_dependency_order(entity.dependencies)
                if other in movable
            ],
        )
        for entity in movable
    ]
    assert migration.source is not None and migration.target is not None
    return SelectPage(
        rows=rows,
        summary=selection_summary(migration=migration, movable=movable, selected=selected),
        not_migrated=[
            translate_sentence(item) for item in not_migrated(source=source, target=target)
        ],
        particulars=[translate_sentence(item) for item in target.particulars],
        source_name=registry.get(migration.source.platform).display_name,
        target_name=registry.get(migration.target.platform).display_name,
        counts_error=counts_error,
        counted=bool(counts),
    )
