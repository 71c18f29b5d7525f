"""The "Select data" form: entities to move and the filters (created dates, tags)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
from django import forms
from django.utils.translation import gettext_lazy as _

from connectors.schema import Entity
from migrator import configuration
from wizard.text import entity_label

_TAG_SEPARATORS = re.compile(r"[,\s]+")


class SelectDataForm(forms.Form):
    entities = forms.MultipleChoiceField(
        label=_("Data to migrate"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Select at least one kind of data to migrate.")},
    )
    created_from = forms.DateField(
        label=_("Created on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    created_to = forms.DateField(
        label=_("Created on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    tags = forms.CharField(
        label=_("Only tickets with one of these tags"),
        required=False,
        help_text=_("Separate tags with commas or spaces. Leave empty to migrate every ticket."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, entities: Sequence[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entities"].choices = [
            (entity.value, entity_label(entity)) for entity in entities
        ]

    @staticmethod
    def initial_for(
        *, selected: Sequence[Entity], filters: configuration.Filters
    ) -> dict[str, Any]:
        return {
            "entities": [entity.value for entity in selected],
            "created_from": filters.created_from,
            "created_to": filters.created_to,
            "tags": ", ".join(filters.tags),
        }

    @staticmethod
    def initial_from(data: Mapping[str, Any]) -> dict[str, Any]:
        """What was typed, to show again as it was (counts refreshed before saving)."""
        return {
            "entities": data.getlist("entities") if hasattr(data, "getlist") else [],
            "created_from": data.get("created_from", ""),
            "created_to": data.get("created_to", ""),
            "tags": data.get("tags", ""),
        }

    def clean_tags(self) -> list[str]:
        words = _TAG_SEPARATORS.split(self.cleaned_data.get("tags") or "")
        return list(dict.fromkeys(word for word in words if word))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            self.add_error(
                "created_to",
                _("The end of the date range comes before its start: choose a later date."),
            )
            return cleaned
        try:
            self._filters = configuration.Filters(
                created_from=start, created_to=end, tags=cleaned.get("tags") or []
            )
        except pydantic.ValidationError:
            self.add_error(None, _("These filters cannot be used: check the dates and tags."))
        return cleaned

    def selected_entities(self) -> list[Entity]:
        return Entity.in_dependency_order(Entity(value) for value in self.cleaned_data["entities"])

    def filters(self) -> configuration.Filters:
        return self._filters
