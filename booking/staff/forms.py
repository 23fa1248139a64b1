"""Forms of the staff views in the Wagtail admin. They check shape; the services decide."""

from __future__ import annotations

from datetime import datetime

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from home.models import DoctorPage
from portal.validation import PlainTextField, SaneDateField

from ..models import Appointment, WebhookEvent, clinic_zone


class MoveForm(forms.Form):
    doctor = forms.ModelChoiceField(queryset=DoctorPage.objects.none(), label="Doctor")
    day = SaneDateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label="Start (clinic time)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set per form, not at import: the list of live doctors changes while the process runs.
        self.fields["doctor"].queryset = DoctorPage.objects.live().order_by("title")  # type: ignore[attr-defined]

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
        choices = [("", "Choose…")] + [(t, Appointment.Status(t).label) for t in targets]
        self.fields["target"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField


class WebhookEndpointForm(WagtailAdminModelForm):
    """An integration's endpoint, its events as checkboxes (stored as one comma-separated field)."""

    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What the endpoint is told about. Deliveries never carry prescriptions, reasons or remarks.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["events"] = self.instance.event_list

    def clean_events(self) -> str:
        return ",".join(self.cleaned_data["events"])
