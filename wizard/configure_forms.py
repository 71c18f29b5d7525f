"""The forms of the matching, mapping and options steps.

Their fields are built from what :mod:`wizard.suggestions` worked out for the pair (one
select per source agent, status, custom field…); field names use the row's position, as
platform keys may hold spaces or any other character. Each form turns its cleaned data
into the configuration part the step saves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from connectors.base import MARKER_PREFIX_MAX_LENGTH, MARKER_PREFIX_PATTERN, NUMERIC_RECORD_IDS
from connectors.schema import Entity
from migrator.configuration import (
    DEMO_RECORDS_PER_ENTITY,
    PRIVATE_NOTE,
    FieldMappings,
    Matches,
    Options,
)
from wizard.suggestions import (
    TO_DEFAULT,
    Choice,
    CustomFieldPlan,
    CustomFieldRow,
    TeamRow,
    TeamSide,
    ValueMap,
    ValueRow,
)


def _choices(choices: Sequence[Choice]) -> list[tuple[str, Any]]:
    return [(choice.value, choice.label) for choice in choices]


# --------------------------------------------------------------------------- matching

PROBLEM_MESSAGES = {
    "missing": _("No agent has this e-mail address on the target."),
    "no_email": _("No e-mail address on the source to match by."),
    "invited": _("Invited on the target, but the invitation is not accepted yet."),
    "inactive": _("Deactivated on the target."),
}


#: The bulk control of the matching step: its select, and its button's name.
BULK_AGENT = "bulk_agent"
BULK_ASSIGN = "bulk_assign"


def with_bulk_assignment(
    data: Mapping[str, Any], *, agents: TeamSide
) -> tuple[dict[str, Any], int, str]:
    """The matching step's data with every unmatched agent (left to the default, or no
    longer valid) set to the agent of the bulk select, unsaved; with the message level
    and text that say what changed. Nothing changes when the select names no agent."""
    values = {name: data.get(name) for name in data}
    chosen = values.get(BULK_AGENT) or ""
    if chosen not in agents.valid_ids:
        return values, messages.ERROR, gettext("Choose the agent to give the unmatched agents to.")
    current = [str(values.get(f"agent-{index}") or "") for index in range(len(agents.rows))]
    unmatched = agents.unmatched(current)
    if not unmatched:
        return values, messages.INFO, gettext("Every agent already has a match: nothing changed.")
    for index in unmatched:
        values[f"agent-{index}"] = chosen
    values[BULK_AGENT] = ""
    text = ngettext(
        "%(count)d unmatched agent now goes to the agent you chose. Save the matching to keep it.",
        "%(count)d unmatched agents now go to the agent you chose. Save the matching to keep it.",
        len(unmatched),
    )
    return values, messages.SUCCESS, text % {"count": len(unmatched)}


class MatchForm(forms.Form):
    """A select per source agent and group, and the defaults for the rest."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        agents: TeamSide | None,
        groups: TeamSide | None,
        assign_unassigned_to_default: bool = False,
    ) -> None:
        super().__init__(data)
        self.agents = agents
        self.groups = groups
        if agents is not None:
            for index, row in enumerate(agents.rows):
                self.fields[f"agent-{index}"] = self._row_field(agents, row)
            self.fields["default_agent_id"] = forms.ChoiceField(
                label=_("Default agent"),
                choices=[
                    ("", _("None: leave these tickets unassigned")),
                    *_choices(agents.targets),
                ],
                initial=agents.default_initial,
                required=False,
                help_text=_(
                    "Receives the tickets of deleted, inactive and unmatched agents, and the "
                    "articles whose author is not matched."
                ),
            )
            self.fields[BULK_AGENT] = forms.ChoiceField(
                label=_("Assign every unmatched agent to"),
                choices=[("", _("Choose an agent")), *_choices(agents.targets)],
                required=False,
            )
        if groups is not None:
            for index, row in enumerate(groups.rows):
                self.fields[f"group-{index}"] = self._row_field(groups, row)
            self.fields["default_group_id"] = forms.ChoiceField(
                label=_("Default group"),
                choices=[
                    ("", _("None: leave these tickets without a group")),
                    *_choices(groups.targets),
                ],
                initial=groups.default_initial,
                required=False,
                help_text=_("Receives the tickets of deleted and unmatched groups."),
            )
        if agents is not None or groups is not None:
            if groups is None:
                label = _("Also give tickets that have no agent on the source to the default agent")
            elif agents is None:
                label = _("Also give tickets that have no group on the source to the default group")
            else:
                label = _(
                    "Also give tickets that have no agent or group on the source to the defaults"
                )
            self.fields["assign_unassigned_to_default"] = forms.BooleanField(
                label=label,
                required=False,
                initial=assign_unassigned_to_default,
            )

    @staticmethod
    def _row_field(side: TeamSide, row: TeamRow) -> forms.ChoiceField:
        return forms.ChoiceField(
            label=row.name,
            choices=_choices(side.row_choices),
            initial=row.initial,
            required=False,
        )

    def agent_rows(self) -> Iterator[tuple[TeamRow, forms.BoundField]]:
        for index, row in enumerate(self.agents.rows if self.agents else []):
            yield row, self[f"agent-{index}"]

    def group_rows(self) -> Iterator[tuple[TeamRow, forms.BoundField]]:
        for index, row in enumerate(self.groups.rows if self.groups else []):
            yield row, self[f"group-{index}"]

    def agent_problems(self) -> list[tuple[TeamRow, Any]]:
        """The agents the target cannot take as they are, each with what is wrong."""
        problems = []
        for row in self.agents.problems if self.agents else []:
            state = row.problem if row.email else "no_email"
            problems.append((row, PROBLEM_MESSAGES.get(state or "", PROBLEM_MESSAGES["missing"])))
        return problems

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.agents is None:
            return cleaned
        unresolved = []
        # Where the target lets their tickets go to the default agent, a default is enough.
        defaulted = self.agents.default_satisfies and bool(cleaned.get("default_agent_id"))
        for index, row in enumerate(self.agents.rows):
            name = f"agent-{index}"
            value = cleaned.get(name)
            if not row.problem or name not in cleaned or value in self.agents.valid_ids:
                continue
            if value == TO_DEFAULT and defaulted:
                continue
            unresolved.append(row.name)
            self.add_error(
                name,
                _("Invite this agent on the target, or match them to an active agent.")
                if not self.agents.default_satisfies
                else _(
                    "Invite this agent on the target, match them to an active agent, or "
                    "choose a default agent below."
                ),
            )
        if unresolved:
            if self.agents.default_satisfies:
                message = gettext(
                    "These agents have no active match on the target yet: %(names)s. "
                    "Invite them (see the steps above) and click “Refresh both sides”, "
                    "match each one to an active agent, or choose a default agent: their "
                    "tickets go to it."
                )
            else:
                message = gettext(
                    "These agents have no active match on the target yet: %(names)s. "
                    "Invite them (see the steps above) and click “Refresh both sides”, or "
                    "match each one to an active agent."
                )
            raise ValidationError(message % {"names": ", ".join(unresolved)}, code="agents_missing")
        return cleaned

    def matches(self) -> Matches:
        """The matching to save. Every agent and group shown gets an explicit choice, so
        nothing is created on the target unless the user chose so."""
        data = self.cleaned_data
        return Matches(
            agents={
                row.source_id: data.get(f"agent-{i}") or ""
                for i, row in enumerate(self.agents.rows if self.agents else [])
            },
            groups={
                row.source_id: data.get(f"group-{i}") or ""
                for i, row in enumerate(self.groups.rows if self.groups else [])
            },
            default_agent_id=data.get("default_agent_id") or None,
            default_group_id=data.get("default_group_id") or None,
            assign_unassigned_to_default=bool(data.get("assign_unassigned_to_default")),
            create_missing_agents=False,
            create_missing_groups=False,
        )


# --------------------------------------------------------------------------- mapping

#: Field name prefixes of the value maps, by FieldMappings attribute.
VALUE_MAP_PREFIXES = {
    "statuses": "status",
    "types": "type",
    "priorities": "priority",
    "article_statuses": "article-status",
}


class MappingForm(forms.Form):
    """Status, type, priority and article status maps; custom fields and their values."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        value_maps: Mapping[str, ValueMap],
        custom: CustomFieldPlan | None,
        chosen_targets: Mapping[int, str] | None = None,
        values_url: str | None = None,
    ) -> None:
        """``values_url`` answers with a custom field's value map when its select
        changes (htmx); ``chosen_targets`` renders an unbound form as if chosen."""
        super().__init__(data)
        self.value_maps = dict(value_maps)
        self.custom = custom
        #: Per custom field row: the value map of the target field it goes to, if any.
        self.field_value_maps: dict[int, ValueMap] = {}
        for attribute, value_map in self.value_maps.items():
            prefix = VALUE_MAP_PREFIXES[attribute]
            for index, row in enumerate(value_map.rows):
                self.fields[f"{prefix}-{index}"] = forms.ChoiceField(
                    label=row.name,
                    choices=_choices(value_map.all_choices),
                    initial=row.initial,
                    required=value_map.automatic_label is None,
                )
        if custom is None or not custom.target_has_fields:
            return
        for index, row in enumerate(custom.rows):
            select = forms.ChoiceField(
                label=row.field.title, choices=_choices(row.choices), initial=row.initial
            )
            if values_url:
                select.widget.attrs.update(
                    {
                        "hx-get": f"{values_url}?field={index}",
                        "hx-trigger": "change",
                        "hx-target": f"#value-map-{index}",
                    }
                )
            self.fields[f"field-{index}"] = select
            chosen = self._chosen_target(index, row, chosen_targets or {})
            value_map = custom.value_map(row.field.key, chosen)
            if value_map is None:
                continue
            self.field_value_maps[index] = value_map
            for option_index, option in enumerate(value_map.rows):
                self.fields[f"value-{index}-{option_index}"] = forms.ChoiceField(
                    label=option.name,
                    choices=_choices(value_map.all_choices),
                    initial=option.initial,
                    required=False,
                )

    def _chosen_target(self, index: int, row: CustomFieldRow, chosen: Mapping[int, str]) -> str:
        """The target field the row goes to as the page stands (typed, else saved)."""
        allowed = {choice.value for choice in row.choices}
        if self.is_bound:
            typed = self.data.get(f"field-{index}")
            return typed if typed in allowed else row.initial
        return chosen[index] if chosen.get(index) in allowed else row.initial

    def value_rows(self, attribute: str) -> list[tuple[ValueRow, forms.BoundField]]:
        value_map = self.value_maps.get(attribute)
        if value_map is None:
            return []
        prefix = VALUE_MAP_PREFIXES[attribute]
        return [(row, self[f"{prefix}-{i}"]) for i, row in enumerate(value_map.rows)]

    @property
    def status_rows(self) -> list[tuple[ValueRow, forms.BoundField]]:
        return self.value_rows("statuses")

    @property
    def type_rows(self) -> list[tuple[ValueRow, forms.BoundField]]:
        return self.value_rows("types")

    @property
    def priority_rows(self) -> list[tuple[ValueRow, forms.BoundField]]:
        return self.value_rows("priorities")

    @property
    def article_status_rows(self) -> list[tuple[ValueRow, forms.BoundField]]:
        return self.value_rows("article_statuses")

    def custom_rows(
        self,
    ) -> list[tuple[int, CustomFieldRow, forms.BoundField | None, list[tuple[ValueRow, Any]]]]:
        """Per source custom field: its row, its select (none when the target has no
        custom fields) and its option-by-option value map."""
        if self.custom is None:
            return []
        rows = []
        for index, row in enumerate(self.custom.rows):
            select = self[f"field-{index}"] if f"field-{index}" in self.fields else None
            rows.append((index, row, select, self.field_value_rows(index)))
        return rows

    def field_value_rows(self, index: int) -> list[tuple[ValueRow, forms.BoundField]]:
        value_map = self.field_value_maps.get(index)
        if value_map is None:
            return []
        return [(row, self[f"value-{index}-{j}"]) for j, row in enumerate(value_map.rows)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        taken: dict[str, str] = {}
        for index, row in enumerate(self.custom.rows if self.custom else []):
            chosen = cleaned.get(f"field-{index}")
            if not chosen or chosen == PRIVATE_NOTE:
                continue
            if chosen in taken:
                self.add_error(
                    f"field-{index}",
                    gettext("“%(other)s” already goes into this field: choose another one.")
                    % {"other": taken[chosen]},
                )
            else:
                taken[chosen] = row.field.title
        return cleaned

    def field_mappings(self) -> FieldMappings:
        data = self.cleaned_data
        parts: dict[str, dict[str, str]] = {}
        for attribute, value_map in self.value_maps.items():
            prefix = VALUE_MAP_PREFIXES[attribute]
            parts[attribute] = {
                row.key: data.get(f"{prefix}-{i}") or "" for i, row in enumerate(value_map.rows)
            }
        custom_fields: dict[str, str] = {}
        custom_values: dict[str, dict[str, str]] = {}
        for index, row in enumerate(self.custom.rows if self.custom else []):
            key = row.field.key
            if f"field-{index}" not in self.fields:
                custom_fields[key] = PRIVATE_NOTE
                continue
            custom_fields[key] = data[f"field-{index}"]
            value_map = self.field_value_maps.get(index)
            if value_map is not None:
                custom_values[key] = {
                    option.key: data.get(f"value-{index}-{j}") or ""
                    for j, option in enumerate(value_map.rows)
                }
        return FieldMappings(
            **parts, custom_fields=custom_fields, custom_field_values=custom_values
        )


# --------------------------------------------------------------------------- options

TAG_RULE = _("One word: letters, digits, “-”, “_”, “.” or “:”, without spaces or commas.")
TAG_PATTERN = re.compile(r"[\w.:-]{1,64}")
RECORD_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

OPTION_FIELDS: dict[str, tuple[Any, Any]] = {
    "skip_attachments": (
        _("Skip attachments"),
        _("Move tickets and articles without their files: faster, but the files stay behind."),
    ),
    "inline_images_as_attachments": (
        _("Inline images as attachments"),
        _("The target cannot show images inside the text: attach them to the message instead."),
    ),
    "side_conversations_as_notes": (
        _("Side conversations as private notes"),
        _("Where the source has side conversations, add each one to its ticket as a private note."),
    ),
    "call_recordings_as_notes": (
        _("Call recordings as attachments"),
        _(
            "Where the source has call recordings, add each one as a private note with the "
            "recording attached."
        ),
    ),
    "translations": (
        _("Translations"),
        _("Move the translations of knowledge base articles along with them."),
    ),
    "verify_migrated": (
        _("Verify migrated records"),
        _(
            "Read every migrated record back from the target and compare it with the source; "
            "what is missing is written again. Untick to save the API calls it costs."
        ),
    ),
}


def parse_record_ids(text: str) -> list[str]:
    """Ids from a list separated by commas, semicolons, spaces or lines, once each."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text) if part))


class OptionsForm(forms.Form):
    """The options the pair makes meaningful, and the records of a custom demo."""

    tag_tickets = forms.BooleanField(
        label=_("Tag migrated tickets"),
        required=False,
        help_text=_("Add a tag to every migrated ticket, to find them on the target."),
    )
    migrated_tag = forms.CharField(
        label=_("Tag"),
        required=False,
        max_length=64,
        help_text=TAG_RULE,
    )

    marker_prefix = forms.CharField(
        label=_("Marker prefix"),
        required=False,
        widget=forms.TextInput(attrs={"size": 8, "spellcheck": "false"}),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        available: Sequence[str],
        demo: Sequence[Entity],
        saved: Options,
        source_name: str = "",
        source_ids: re.Pattern[str] | None = None,
        marker_locked: bool = False,
    ) -> None:
        super().__init__(data)
        self.source_name = source_name
        self.source_ids = source_ids or RECORD_ID_PATTERN
        self.available = list(available)
        self.demo = list(demo)
        self.saved = saved
        self.fields["marker_prefix"].initial = saved.marker_prefix
        self.fields["marker_prefix"].help_text = gettext(
            "1 to %(length)d characters: lower-case letters a to z and digits, starting with a "
            "letter. The whole marker then fits every platform's tags and external ids."
        ) % {"length": MARKER_PREFIX_MAX_LENGTH}
        # Records on the target carry the marker: later runs find them by it.
        self.fields["marker_prefix"].disabled = marker_locked
        for name in self.available:
            if name == "migrated_tag":
                continue
            label, help_text = OPTION_FIELDS[name]
            self.fields[name] = forms.BooleanField(
                label=label, help_text=help_text, required=False, initial=getattr(saved, name)
            )
        if "migrated_tag" in self.available:
            self.fields["tag_tickets"].initial = bool(saved.migrated_tag)
            self.fields["migrated_tag"].initial = saved.migrated_tag or "migrated"
        else:
            del self.fields["tag_tickets"]
            del self.fields["migrated_tag"]
        for entity in self.demo:
            label = (
                _("Tickets for the demo")
                if entity is Entity.TICKETS
                else _("Articles for the demo")
            )
            self.fields[f"demo_{entity.value}"] = forms.CharField(
                label=label,
                required=False,
                initial=", ".join(saved.demo_ids.get(entity, [])),
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_(
                    "Up to %(limit)d ids from the source, separated by commas or spaces. "
                    "Leave empty for a sample of the first ones."
                )
                % {"limit": DEMO_RECORDS_PER_ENTITY},
            )

    def option_fields(self) -> list[forms.BoundField]:
        """The options in display order; the tag option is its tick box ("tag_tickets"),
        which the page follows with the tag's input."""
        return [self["tag_tickets" if name == "migrated_tag" else name] for name in self.available]

    def demo_fields(self) -> list[forms.BoundField]:
        return [self[f"demo_{entity.value}"] for entity in self.demo]

    def clean_migrated_tag(self) -> str:
        tag = self.cleaned_data.get("migrated_tag", "").strip()
        if not self.cleaned_data.get("tag_tickets"):
            return tag
        if not tag:
            raise ValidationError(_("Enter the tag to add, or untick “Tag migrated tickets”."))
        if not TAG_PATTERN.fullmatch(tag):
            raise ValidationError(
                gettext("“%(tag)s” is not a tag: use one word, without spaces or commas.")
                % {"tag": tag}
            )
        return tag

    def clean_marker_prefix(self) -> str:
        prefix = self.cleaned_data.get("marker_prefix", "").strip().lower()
        if not prefix:
            return self.saved.marker_prefix
        if not MARKER_PREFIX_PATTERN.fullmatch(prefix):
            raise ValidationError(
                gettext(
                    "“%(prefix)s” cannot start a marker: use 1 to %(length)d lower-case letters "
                    "a to z or digits, starting with a letter (no spaces, accents or signs)."
                )
                % {"prefix": prefix, "length": MARKER_PREFIX_MAX_LENGTH}
            )
        return prefix

    def _clean_ids(self, entity: Entity) -> list[str]:
        ids = parse_record_ids(self.cleaned_data.get(f"demo_{entity.value}", ""))
        if len(ids) > DEMO_RECORDS_PER_ENTITY:
            message = (
                gettext("A demo takes at most %(limit)d tickets; you entered %(count)d.")
                if entity is Entity.TICKETS
                else gettext("A demo takes at most %(limit)d articles; you entered %(count)d.")
            )
            raise ValidationError(message % {"limit": DEMO_RECORDS_PER_ENTITY, "count": len(ids)})
        wrong = [value for value in ids if not self.source_ids.fullmatch(value)]
        if wrong and self.source_ids is NUMERIC_RECORD_IDS and self.source_name:
            message = (
                gettext(
                    "%(ids)s: not a ticket id on %(platform)s, whose ticket ids are whole "
                    "numbers (such as 1234)."
                )
                if entity is Entity.TICKETS
                else gettext(
                    "%(ids)s: not an article id on %(platform)s, whose article ids are whole "
                    "numbers (such as 1234)."
                )
            )
            raise ValidationError(
                message
                % {
                    "ids": ", ".join(f"“{value}”" for value in wrong[:5]),
                    "platform": self.source_name,
                }
            )
        if wrong:
            raise ValidationError(
                gettext("These are not record ids: %(ids)s.") % {"ids": ", ".join(wrong[:5])}
            )
        return ids

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for entity in self.demo:
            name = f"demo_{entity.value}"
            if name in self.errors:
                continue
            try:
                cleaned[name] = self._clean_ids(entity)
            except ValidationError as error:
                self.add_error(name, error)
        return cleaned

    def options(self) -> Options:
        """The options to save; those the pair does not offer keep their defaults."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            name: bool(data.get(name)) for name in self.available if name != "migrated_tag"
        }
        if "migrated_tag" in self.available and data.get("tag_tickets"):
            values["migrated_tag"] = data["migrated_tag"]
        demo_ids = {entity: data.get(f"demo_{entity.value}") or [] for entity in self.demo}
        return Options(
            **values,
            demo_ids={entity: ids for entity, ids in demo_ids.items() if ids},
            max_attachment_bytes=self.saved.max_attachment_bytes,
            marker_prefix=data.get("marker_prefix") or self.saved.marker_prefix,
        )
