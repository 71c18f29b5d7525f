from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing.plans import Plan
from billing.services import BillingDetails, vat_id_normalize
from migrator.validators import validate_email_address


class CheckoutForm(forms.Form):
    """The plan and who pays; the service checks the details again."""

    plan = forms.ChoiceField(
        label=_("Support plan"), choices=Plan.choices, widget=forms.RadioSelect, initial=Plan.BASIC
    )
    company = forms.CharField(
        label=_("Company"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    address = forms.CharField(
        label=_("Street address"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = forms.CharField(
        label=_("Country"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "country-name"}),
    )
    vat_id = forms.CharField(
        label=_("VAT id"),
        max_length=30,
        required=False,
        help_text=_("Optional. With its country code, e.g. FR40303265045."),
    )
    billing_email = forms.CharField(
        label=_("Billing e-mail"),
        max_length=254,
        help_text=_("Invoices and receipts go to this address."),
        validators=[validate_email_address],
        # Not type="email": browsers refuse accented addresses there.
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "email"}),
    )

    def __init__(self, *args, plan_labels: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if plan_labels:
            self.fields["plan"].choices = [
                (value, plan_labels.get(value, label)) for value, label in Plan.choices
            ]

    def clean_vat_id(self) -> str:
        try:
            return vat_id_normalize(self.cleaned_data.get("vat_id", ""))
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def details(self) -> BillingDetails:
        data = self.cleaned_data
        return BillingDetails(
            company=data["company"],
            address=data["address"],
            postal_code=data["postal_code"],
            city=data["city"],
            country=data["country"],
            vat_id=data["vat_id"],
            billing_email=data["billing_email"],
        )
