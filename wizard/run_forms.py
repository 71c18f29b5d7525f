"""The full migration's start form: now or at a chosen time, in optional interval windows."""

from __future__ import annotations

from datetime import datetime

import pydantic
from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from migrator.configuration import Window
from wizard.run_pages import WEEKDAYS

DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
#: Interval windows the form offers (nights on weekdays and whole weekends take two).
WINDOW_FORMS = 2


class RunStartForm(forms.Form):
    NOW = "now"
    LATER = "later"

    start = forms.ChoiceField(
        label=_("When"),
        choices=[(NOW, _("Start now")), (LATER, _("Start at a chosen time"))],
        initial=NOW,
        widget=forms.RadioSelect,
    )
    #: Offered only while the demo's records are on the target (the page drops it otherwise).
    demo_records = forms.ChoiceField(
        label=_("The demo's records on the target"),
        choices=[
            ("keep", _("Keep the demo's records — the full run updates them")),
            ("remove", _("Remove the demo's records first — the full run creates them again")),
        ],
        initial="keep",
        required=False,
        widget=forms.RadioSelect,
    )
    scheduled_for = forms.DateTimeField(
        label=_("Start at"),
        required=False,
        input_formats=[DATETIME_INPUT_FORMAT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        when: datetime | None = cleaned.get("scheduled_for")
        if cleaned.get("start") == self.LATER:
            if when is None:
                if "scheduled_for" not in self.errors:
                    self.add_error("scheduled_for", _("Choose the date and time to start at."))
            elif when <= timezone.now():
                self.add_error("scheduled_for", _("Choose a moment in the future."))
        else:
            cleaned["scheduled_for"] = None
        cleaned["demo_records"] = cleaned.get("demo_records") or "keep"
        return cleaned


class WindowForm(forms.Form):
    """One interval window: the days, and the hours on them when the run may work."""

    days = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.TimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("To"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        days, start, end = cleaned.get("days"), cleaned.get("start"), cleaned.get("end")
        if not (days or start or end) or self.errors:
            return cleaned
        if not days:
            self.add_error("days", _("Choose the days of this window."))
        if start is None or end is None:
            self.add_error(None, _("Give the hours of this window: from and to."))
        elif start == end:
            self.add_error("end", _("The window ends when it starts; choose two different hours."))
        return cleaned

    def window(self) -> Window | None:
        if not self.is_valid() or not self.cleaned_data.get("days"):
            return None
        try:
            return Window(
                days=self.cleaned_data["days"],
                start=self.cleaned_data["start"],
                end=self.cleaned_data["end"],
            )
        except pydantic.ValidationError:
            return None


WindowFormSet = formset_factory(
    WindowForm,
    extra=WINDOW_FORMS,
    max_num=WINDOW_FORMS,
    absolute_max=WINDOW_FORMS,
    validate_max=True,
)


def windows_of(formset) -> list[Window]:
    return [window for form in formset.forms if (window := form.window()) is not None]
