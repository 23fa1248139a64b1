"""Forms of the staff views in the Wagtail admin. They check shape; the services decide."""

from __future__ import annotations

from datetime import datetime

from django import forms

from home.models import DoctorPage
from portal.validation import PlainTextField, SaneDateField

from ..models import Appointment, clinic_zone


class MoveForm(forms.Form):
    doctor = forms.ModelChoiceField(queryset=None, label="Doctor")
    day = SaneDateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label="Start (clinic time)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = DoctorPage.objects.live().order_by("title")

    def starts_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["start"], tzinfo=clinic_zone())


class StatusForm(forms.Form):
    target = forms.ChoiceField(label="New status")
    remark = PlainTextField(
        label="Remark for the patient",
        required=False,
        help_text="Required when declining or cancelling; the patient reads it in their email.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # No preselected status: one stray click must not confirm or cancel anything.
        self.fields["target"].choices = [("", "Choose…")] + [(t, Appointment.Status(t).label) for t in targets]
