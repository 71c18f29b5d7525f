from django import forms
from django.utils.translation import gettext_lazy as _

from migrator.services import MIGRATION_NAME_MAX_LENGTH


class MigrationNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=MIGRATION_NAME_MAX_LENGTH,
        help_text=_("For example: Zendesk to Freshdesk, support team."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
