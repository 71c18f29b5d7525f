"""The target scope form: one of the target's inboxes, channels or mailboxes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from connectors.base import Scope


class ScopeForm(forms.Form):
    scope = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose where the migration writes to."),
            "invalid_choice": _("That one is not on the target any more: choose another."),
        },
    )

    def __init__(self, *args: Any, scopes: Sequence[Scope], label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes = {scope.id: scope for scope in scopes}
        field = self.fields["scope"]
        field.label = label
        field.choices = [(scope.id, scope.name or scope.id) for scope in scopes]

    def chosen(self) -> Scope:
        return self.scopes[self.cleaned_data["scope"]]
