"""What a run moves: the entities in dependency order, how many records each has, and
for a demo which records (20 tickets and 20 articles with the records they refer to, or
the ids the user chose)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction

from connectors.base import (
    Capabilities,
    Source,
    Target,
    not_migrated,
    pair_migrates,
)
from connectors.schema import Entity, FieldSchema, Record
from migrator.configuration import DEMO_RECORDS_PER_ENTITY, Filters, Options
from migrator.engine import progress
from migrator.engine.transform import PairFacts, excluded_by_filters, referenced_ids
from migrator.models import Migration, Run, RunEntity

#: Entities a demo takes 20 of; the others follow from what these refer to.
DEMO_ROOTS = (Entity.TICKETS, Entity.ARTICLES)
READ_BY_IDS_PAGE = 100


class PlanImpossible(Exception):
    """The configuration cannot be carried out for this pair of platforms: the run fails,
    since resuming it would meet the same refusal. ``reason`` says what to change."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _labels(entities: Sequence[Entity]) -> str:
    return ", ".join(entity.label.lower() for entity in entities)


def plan_check(*, migration: Migration, source: Source, target: Target) -> None:
    """Refuse a configuration the pair cannot carry out (raises PlanImpossible).

    Only what the user chose is checked: with no selection, every entity both sides move
    is taken and the rest is on the "not migrated" list.
    """
    problems: list[str] = []
    selected = migration.selected_entities()
    unreadable = [e for e in selected if e not in source.capabilities.reads]
    unwritable = [
        e
        for e in selected
        if e in source.capabilities.reads and e not in target.capabilities.writes
    ]
    if unreadable:
        problems.append(f"{source.display_name} cannot give {_labels(unreadable)}.")
    if unwritable:
        problems.append(f"{target.display_name} cannot take {_labels(unwritable)}.")
    scope_kind = target.capabilities.scope_kind
    if scope_kind is not None and not migration.target_scope_id:
        problems.append(
            f"{target.display_name} needs the {scope_kind.value} the migration writes to, "
            "and none was chosen."
        )
    if problems:
        raise PlanImpossible(
            "The run cannot be carried out as configured: "
            + " ".join(problems)
            + " Change the migration's settings, then start a new run."
        )


def entities_to_move(*, selected: Sequence[Entity], source: Capabilities, target: Capabilities):
    """The selected entities both sides can move, in dependency order."""
    return list(pair_migrates(source=source, target=target, selected=selected).entities)


def records_by_ids(source: Source, entity: Entity, ids: Sequence[str]) -> list[Record]:
    """The records with these ids that still exist on the source."""
    records: list[Record] = []
    for start in range(0, len(ids), READ_BY_IDS_PAGE):
        chunk = list(ids[start : start + READ_BY_IDS_PAGE])
        cursor: str | None = None
        while True:
            page = source.read_page(entity, cursor=cursor, page_size=len(chunk), ids=chunk)
            records.extend(page.records)
            if not page.has_more:
                break
            cursor = page.next_cursor
    return records


def first_records(
    source: Source, entity: Entity, *, count: int, keep: Callable[[Record], bool]
) -> list[Record]:
    """The first ``count`` records the source lists that ``keep`` accepts."""
    records: list[Record] = []
    cursor: str | None = None
    for _page in range(50):
        page = source.read_page(entity, cursor=cursor, page_size=count)
        records.extend(record for record in page.records if keep(record))
        if len(records) >= count or not page.has_more:
            break
        cursor = page.next_cursor
    return records[:count]


def demo_selection(
    *,
    source: Source,
    entities: Sequence[Entity],
    options: Options,
    filters: Filters,
    missing: dict[Entity, list[str]] | None = None,
) -> dict[Entity, list[str]]:
    """Ids per entity for a demo.

    ``missing`` receives, per entity, the chosen ids the source has no record for (the
    run reports them as such).

    Dependents are chosen first (tickets, articles: the ids the user picked, else the
    first 20), then each entity they depend on gets the records they refer to. An entity
    nothing selected refers to gets its first 20.
    """
    chosen: dict[Entity, list[str]] = {}
    referred: dict[Entity, set[str]] = {}
    for entity in reversed(list(entities)):
        dependents = [other for other in entities if entity in other.dependencies]
        picked = options.demo_ids.get(entity)
        if picked:
            records = records_by_ids(source, entity, picked)
            # Chosen ids stay even when gone from the source: the run reports them.
            ids = list(picked)
            found = {record.source_id for record in records}
            if missing is not None and (absent := [i for i in ids if i not in found]):
                missing[entity] = absent
        elif any(other in chosen for other in dependents):
            wanted = sorted(referred.get(entity, set()))
            records = records_by_ids(source, entity, wanted) if wanted else []
            ids = [record.source_id for record in records]
        else:
            records = first_records(
                source,
                entity,
                count=DEMO_RECORDS_PER_ENTITY,
                keep=lambda record: not excluded_by_filters(record, filters),
            )
            ids = [record.source_id for record in records]
        chosen[entity] = list(dict.fromkeys(ids))
        for record in records:
            for referred_entity, referred_ids in referenced_ids(record).items():
                referred.setdefault(referred_entity, set()).update(referred_ids)
    return chosen


def plan_run(*, run: Run, source: Source, target: Target) -> None:
    """Decide what the run moves and record it: field schemas, entities, counts.

    Safe to repeat: a planning batch that crashed plans again from scratch.
    """
    migration = run.migration
    plan_check(migration=migration, source=source, target=target)
    entities = entities_to_move(
        selected=migration.selected_entities(),
        source=source.capabilities,
        target=target.capabilities,
    )
    source_fields = source.describe_fields()
    target_fields = target.describe_fields()
    selections: dict[Entity, list[str]] = {}
    missing: dict[Entity, list[str]] = {}
    if run.kind == Run.Kind.DEMO:
        selections = demo_selection(
            source=source,
            entities=entities,
            options=migration.configured_options(),
            filters=migration.configured_filters(),
            missing=missing,
        )
        available = {entity: len(selections[entity]) for entity in entities}
    else:
        available = {
            entity: source.count(entity, updated_since=run.updated_since) for entity in entities
        }
    estimate = progress.migration_estimate(migration=migration, counts=available)
    plan: dict[str, Any] = {
        "source_name": source.display_name,
        "target_name": target.display_name,
        "source_fields": source_fields.model_dump(mode="json"),
        "target_fields": target_fields.model_dump(mode="json"),
        "entities": [entity.value for entity in entities],
        "not_migrated": not_migrated(source=source.capabilities, target=target.capabilities),
        "estimate_seconds": round(estimate.duration.total_seconds()) if estimate else None,
        # Chosen demo ids the source had no record for when the run was planned.
        "missing_ids": {entity.value: ids for entity, ids in missing.items()},
    }
    with transaction.atomic():
        run.plan = plan
        run.save(update_fields=["plan"])
        RunEntity.objects.filter(run=run).delete()
        RunEntity.objects.bulk_create(
            RunEntity(
                run=run,
                entity=entity.value,
                position=position,
                available=available[entity],
                selected_ids=selections.get(entity) if run.kind == Run.Kind.DEMO else None,
            )
            for position, entity in enumerate(entities)
        )


def pair_facts(*, run: Run, source: Source, target: Target) -> PairFacts:
    """What the transform needs, from the plan the run recorded."""
    plan = run.plan or {}
    return PairFacts(
        source_name=plan.get("source_name") or source.display_name,
        source_capabilities=source.capabilities,
        target_capabilities=target.capabilities,
        source_fields=FieldSchema.model_validate(plan.get("source_fields") or {}),
        target_fields=FieldSchema.model_validate(plan.get("target_fields") or {}),
        target_languages=target.translation_languages,
    )
