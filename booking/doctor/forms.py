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
from modelcluster.forms import BaseChildFormSet, childformset_factory

from home.forms import kept_rows, overlapping_hours
from home.models import DoctorPage
from portal.validation import PlainTextField, protect_text_fields

from ..models import Appointment, TimeOff, WorkingHours

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


# --- The doctor's own profile and weekly schedule -------------------------------------------


class DoctorProfileForm(forms.ModelForm):
    """The few profile fields a doctor keeps up to date; the fee, slot length and account stay with staff."""

    class Meta:
        model = DoctorPage
        fields = ["job_title", "qualifications", "languages", "phone", "offers_online"]
        widgets = {"qualifications": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)


class ScheduleRowForm(forms.ModelForm):
    """One row of hours or time off: free text without control characters, dates in range."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)


STALE_ROWS = "stale_rows"
STALE_ROWS_MESSAGE = (
    "Some rows of this form are no longer on your page (changed in another tab, or the form was "
    "altered). Nothing was saved: please reload the page and make your changes again."
)


class OwnRowsFormSet(BaseChildFormSet):
    """A child formset whose existing rows must be this page's rows, each at most once.

    modelcluster looks posted row ids up among the page's rows and, when one is not there (a
    colleague's row id, a deleted row, a made-up number, no id at all), quietly treats the row
    as new: the page would gain a copy instead of changing the row it showed. Such a form is
    refused whole, so a tampered or stale POST changes nothing.
    """

    def clean(self):
        # Before modelcluster's own checks, which would report a repeated row as "duplicate data".
        self._check_rows_are_own()
        super().clean()

    def _check_rows_are_own(self) -> None:
        pk_name = self.model._meta.pk.name
        rows = list(self.get_queryset())
        own = {str(row.pk) for row in rows if row.pk is not None}
        # Rows the page holds without an id (a revision can keep rows as they were before
        # publishing saved them) come back with a blank id; modelcluster replaces all of those
        # with the posted ones. More blank ids than that would add rows beside the saved ones.
        blanks_left = sum(row.pk is None for row in rows)
        seen: set[str] = set()
        for form in self.initial_forms:
            posted = str(self.data.get(form.add_prefix(pk_name), "")).strip()
            if not posted and blanks_left:
                blanks_left -= 1
                continue
            if posted not in own or posted in seen:
                raise ValidationError(STALE_ROWS_MESSAGE, code=STALE_ROWS)
            seen.add(posted)

    @property
    def has_stale_rows(self) -> bool:
        return any(error.code == STALE_ROWS for error in self.non_form_errors().as_data())


class WorkingHoursFormSet(OwnRowsFormSet):
    """The doctor's weekly hours: rows that overlap or repeat each other are refused, as in the admin."""

    def clean(self):
        super().clean()
        messages = overlapping_hours(kept_rows(self))
        if messages:
            raise ValidationError(messages)


def schedule_formsets(doctor: DoctorPage, data=None):
    """Working hours and time off as modelcluster formsets: edited in memory, then published."""
    time_input = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    hours_formset = childformset_factory(
        type(doctor),
        WorkingHours,
        form=ScheduleRowForm,
        formset=WorkingHoursFormSet,
        fields=["weekday", "starts", "ends"],
        widgets={"starts": time_input, "ends": time_input},
        extra=2,
        can_delete=True,
    )
    time_off_formset = childformset_factory(
        type(doctor),
        TimeOff,
        form=ScheduleRowForm,
        formset=OwnRowsFormSet,
        fields=["start_date", "start_time", "end_date", "end_time", "reason"],
        widgets={"start_date": date_input, "end_date": date_input, "start_time": time_input, "end_time": time_input},
        extra=1,
        can_delete=True,
    )
    return (
        hours_formset(data, instance=doctor, prefix="hours"),
        time_off_formset(data, instance=doctor, prefix="timeoff"),
    )
