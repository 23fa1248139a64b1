"""Forms behind the doctor's dashboard.

They only check the *shape* of what was posted (a known status, a sane remark length, an https
link, real dates). Whether a change is allowed is decided by ``booking.appointments.services`` alone, so the
dashboard can never be more permissive than the Wagtail admin or the patient pages. The report
form is shared with staff: ``booking.appointments.reports``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from home.models import DoctorPage
from portal.validation import PlainTextField, protect_text_fields

from ..models import Appointment

REMARK_MAX_LENGTH = 1000


class TransitionForm(forms.Form):
    """A status change asked for by one of the dashboard's buttons.

    ``target`` accepts any status name: refusing a move the doctor may not make is the service's
    job, and it explains why in words the doctor understands.
    """

    target = forms.ChoiceField(choices=Appointment.Status.choices)
    remark = PlainTextField(
        label="Remark for the patient",
        required=False,
        max_length=REMARK_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MeetingLinkForm(forms.Form):
    """The link of an online consultation, typed by the doctor (e.g. their own video room)."""

    meeting_url = forms.URLField(
        label="Meeting link",
        max_length=200,  # Appointment.meeting_url's column size
        assume_scheme="https",
        help_text="The address the patient opens to join. It must start with https://",
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off", "inputmode": "url"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)

    def clean_meeting_url(self) -> str:
        # Patients click this link from emails; plain http would leak the room to the network.
        url = self.cleaned_data["meeting_url"]
        if urlsplit(url).scheme.lower() != "https":
            raise ValidationError("Use a secure link that starts with https://.")
        return url


class SearchForm(forms.Form):
    """Find one of the doctor's own appointments by reference, patient name or email."""

    q = PlainTextField(
        label="Reference, patient name or email",
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *Appointment.Status.choices],
    )


# --- The doctor's own profile (weekly hours and time off: booking.availability.forms) -------


class DoctorProfileForm(forms.ModelForm):
    """The few profile fields a doctor keeps up to date; the fee, slot length and account stay with staff."""

    class Meta:
        model = DoctorPage
        fields = ["job_title", "qualifications", "languages", "phone", "offers_online"]
        widgets = {"qualifications": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)
