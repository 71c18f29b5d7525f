"""The configuration of a migration, as the wizard saves it and the engine reads it.

Each part is stored in its own JSON column of :class:`migrator.models.Migration` (one per
wizard step) and validated by the pydantic model here, so the engine never reads a
half-understood dictionary.
"""

from __future__ import annotations

from datetime import date, time

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.base import MARKER_PREFIX, MARKER_PREFIX_MAX_LENGTH, MARKER_PREFIX_PATTERN
from connectors.schema import Entity

#: The value of a custom field mapping that sends the field into a private note.
PRIVATE_NOTE = "private_note"
#: The value of an agent or group match that asks the target to create the record.
CREATE_ON_TARGET = "create"

DEMO_RECORDS_PER_ENTITY = 20


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Filters(_Part):
    """Which records of the selected entities move (tickets and articles)."""

    created_from: date | None = None
    created_to: date | None = None
    #: Only tickets carrying at least one of these tags.
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _range_in_order(self) -> Filters:
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("the start of the date range comes after its end")
        return self

    @property
    def is_empty(self) -> bool:
        return not (self.created_from or self.created_to or self.tags)


class Matches(_Part):
    """Source agents and groups matched to target ones.

    A value is a target id, or :data:`CREATE_ON_TARGET`. Agents or groups without a
    match are looked up on the target by their natural key (e-mail, name) and, when
    ``create_missing_*`` allows and the target can, created.
    """

    agents: dict[str, str] = Field(default_factory=dict)
    groups: dict[str, str] = Field(default_factory=dict)
    #: Receives the tickets of unassigned, deleted, inactive or unmatched agents.
    default_agent_id: str | None = None
    default_group_id: str | None = None
    #: Whether tickets without an assignee on the source get the default agent too.
    assign_unassigned_to_default: bool = False
    create_missing_agents: bool = False
    create_missing_groups: bool = False


class FieldMappings(_Part):
    """Value maps from source keys to target keys.

    Unmapped statuses fall back by category (:func:`connectors.schema.fallback_status`);
    unmapped types and priorities go to the target option of the same key or name, else
    are left to the target's default. ``custom_fields`` maps a source field key to a
    target field key or :data:`PRIVATE_NOTE`; unmapped fields are matched by title, else
    written into the private note.
    """

    statuses: dict[str, str] = Field(default_factory=dict)
    types: dict[str, str] = Field(default_factory=dict)
    priorities: dict[str, str] = Field(default_factory=dict)
    custom_fields: dict[str, str] = Field(default_factory=dict)
    #: Per source custom field key: source option -> target option (dropdowns).
    custom_field_values: dict[str, dict[str, str]] = Field(default_factory=dict)
    article_statuses: dict[str, str] = Field(default_factory=dict)


class Options(_Part):
    """The automated options of the pair."""

    skip_attachments: bool = False
    inline_images_as_attachments: bool = False
    #: A tag added to every migrated ticket ("" for none).
    migrated_tag: str = ""
    side_conversations_as_notes: bool = False
    call_recordings_as_notes: bool = False
    translations: bool = True
    #: Demo with custom data: up to 20 chosen source ids per entity (tickets, articles).
    demo_ids: dict[Entity, list[str]] = Field(default_factory=dict)
    #: A lower attachment size limit than the target's own, in bytes (None: the target's).
    max_attachment_bytes: int | None = Field(default=None, gt=0)
    #: Read every migrated record back from the target and compare it with the source
    #: (off only to save the API calls it costs).
    verify_migrated: bool = True
    #: The first part of the marker written on every record the migration creates on the
    #: target (``connectors.base.source_marker``); fixed once a run has written records.
    marker_prefix: str = MARKER_PREFIX

    @field_validator("marker_prefix")
    @classmethod
    def _marker_prefix(cls, value: str) -> str:
        if not MARKER_PREFIX_PATTERN.fullmatch(value):
            raise ValueError(
                f"a marker prefix is a lower-case letter then up to "
                f"{MARKER_PREFIX_MAX_LENGTH - 1} letters or digits"
            )
        return value

    @field_validator("demo_ids")
    @classmethod
    def _at_most_twenty(cls, value: dict[Entity, list[str]]) -> dict[Entity, list[str]]:
        cleaned: dict[Entity, list[str]] = {}
        for entity, ids in value.items():
            unique = list(dict.fromkeys(str(i).strip() for i in ids if str(i).strip()))
            if len(unique) > DEMO_RECORDS_PER_ENTITY:
                raise ValueError(
                    f"a demo takes at most {DEMO_RECORDS_PER_ENTITY} {entity.value}, "
                    f"not {len(unique)}"
                )
            if unique:
                cleaned[entity] = unique
        return cleaned

    @field_validator("migrated_tag")
    @classmethod
    def _tag_without_spaces(cls, value: str) -> str:
        value = value.strip()
        if " " in value or "," in value:
            raise ValueError("a tag has no spaces or commas")
        return value


class Window(_Part):
    """Hours on some days of the week in which an interval migration may run.

    ``days`` are ISO weekdays (1 = Monday … 7 = Sunday); a window whose end is before its
    start runs past midnight into the next day.
    """

    days: list[int] = Field(min_length=1)
    start: time
    end: time

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("days are 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))
