"""The connect form of a platform, built from its connector's credentials model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from connectors.base import Credentials
from wizard.text import as_sentence, translate_sentence

#: No address, name or token is longer; a longer value was pasted by mistake.
MAX_VALUE_CHARS = 4096


def _json_type(schema: Mapping[str, Any]) -> str:
    """The JSON type of a property; an optional one is ``anyOf`` the type and null."""
    if "type" in schema:
        return str(schema["type"])
    kinds = [option.get("type") for option in schema.get("anyOf", []) if isinstance(option, dict)]
    return next((str(kind) for kind in kinds if kind and kind != "null"), "string")


class CredentialsForm(forms.Form):
    """One field per credentials field: its label, its hint ("where to find it"), secrets
    as password inputs that are never filled in again (except with the sandbox's own
    demo token, which is no secret)."""

    def __init__(
        self,
        *args: Any,
        credentials_model: type[Credentials],
        show_secrets: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.credentials_model = credentials_model
        self.secret_names = credentials_model.secret_field_names()
        schema = credentials_model.form_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            self.fields[name] = self._field(
                name,
                prop,
                required=name in required,
                secret=name in self.secret_names,
                show_secrets=show_secrets,
            )

    @staticmethod
    def _field(
        name: str, prop: Mapping[str, Any], *, required: bool, secret: bool, show_secrets: bool
    ) -> forms.Field:
        label = translate_sentence(str(prop.get("title") or name))
        hint = translate_sentence(str(prop.get("hint") or prop.get("description") or ""))
        default = prop.get("default")
        kind = _json_type(prop)
        if kind == "boolean":
            return forms.BooleanField(
                label=label, help_text=hint, required=False, initial=bool(default)
            )
        if kind == "integer":
            return forms.IntegerField(
                label=label, help_text=hint, required=required, initial=default
            )
        attrs = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
        if prop.get("placeholder"):
            attrs["placeholder"] = str(prop["placeholder"])
        if secret:
            attrs["autocomplete"] = "new-password"
            widget: forms.Widget = forms.PasswordInput(attrs=attrs, render_value=show_secrets)
        else:
            widget = forms.TextInput(attrs=attrs)
        return forms.CharField(
            label=label,
            help_text=hint,
            required=required,
            strip=True,
            max_length=int(prop.get("maxLength", MAX_VALUE_CHARS)),
            widget=widget,
            initial=None if secret else default,
        )

    def credentials(self) -> dict[str, Any]:
        """What was typed, without the fields left empty (the model's defaults apply)."""
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}

    def add_refusal(self, error: ValidationError) -> None:
        """The service's refusal, on the fields it names, in plain sentences."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, translate_sentence(as_sentence(message)))
            return
        for field, messages in error.message_dict.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, translate_sentence(as_sentence(message)))


class ConnectionChoiceForm(forms.Form):
    """An earlier connection of the same platform, reused."""

    connection = forms.IntegerField(widget=forms.HiddenInput)
