"""Forms of the staff views in the Wagtail admin. They check shape; the services decide."""

from __future__ import annotations

from datetime import datetime

from django import forms

from home.models import DoctorPage

from ..models import Appointment, clinic_zone


class MoveForm(forms.Form):
    doctor = forms.ModelChoiceField(queryset=None, label="Doctor")
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label="Start (clinic time)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = DoctorPage.objects.live().order_by("title")

    def starts_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["start"], tzinfo=clinic_zone())


class StatusForm(forms.Form):
    target = forms.ChoiceField(label="New status")
    remark = forms.CharField(
        label="Remark for the patient",
        required=False,
        help_text="Required when declining or cancelling; the patient reads it in their email.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # No preselected status: one stray click must not confirm or cancel anything.
        self.fields["target"].choices = [("", "Choose…")] + [(t, Appointment.Status(t).label) for t in targets]


class SuspendDoctorForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        help_text="The doctor reads this in their email. Patients are not told why.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the doctor is suspended; the doctor reads it in their email."},
    )


class ReinstateDoctorForm(forms.Form):
    comment = forms.CharField(
        label="Note for the doctor",
        required=False,
        max_length=2000,
        help_text="Optional; the doctor reads it in their email.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
