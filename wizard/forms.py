from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from migrator.models import Membership
from migrator.services import MIGRATION_NAME_MAX_LENGTH
from migrator.validators import validate_email_address


class MigrationNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=MIGRATION_NAME_MAX_LENGTH,
        help_text=_("For example: Zendesk to Freshdesk, support team."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class InvitationForm(forms.Form):
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        validators=[validate_email_address],
        # Not type="email": browsers refuse accented addresses there.
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "email"}),
    )
    role = forms.ChoiceField(
        label=_("Access"),
        choices=Membership.Role.choices,
        initial=Membership.Role.RESTRICTED,
        help_text=_(
            "Full: everything but deleting the migration and managing its members. "
            "Restricted: follows progress, reads reports, edits matching and mapping; "
            "cannot see credentials, pay, start or stop runs, or invite."
        ),
    )


class SupportGrantForm(forms.Form):
    days = forms.IntegerField(
        label=_("For how many days"),
        min_value=1,
        max_value=90,
        initial=settings.MIGRATOR_SUPPORT_GRANT_DAYS,
    )


class SupportNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note to the customer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The customer sees this note on the run's page."),
    )
