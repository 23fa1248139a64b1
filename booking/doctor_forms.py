"""Forms behind the doctor's dashboard.

They only check the *shape* of what was posted (a known status, a sane remark length, an https
link, real dates). Whether a change is allowed is decided by ``booking.services`` alone, so the
dashboard can never be more permissive than the Wagtail admin or the patient pages.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import Appointment, clinic_zone

REMARK_MAX_LENGTH = 1000
MAX_REPORT_DAYS = 366  # a whole leap year, first and last day included
# Dates far from today are typos; near date.min/date.max they would also overflow when turned
# into aware datetimes for the database query, which must end in a message, never a 500.
EARLIEST_REPORT_DATE = date(1900, 1, 1)
LATEST_REPORT_DATE = date(2999, 12, 31)


class TransitionForm(forms.Form):
    """A status change asked for by one of the dashboard's buttons.

    ``target`` accepts any status name: refusing a move the doctor may not make is the service's
    job, and it explains why in words the doctor understands.
    """

    target = forms.ChoiceField(choices=Appointment.Status.choices)
    remark = forms.CharField(
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

    def clean_meeting_url(self) -> str:
        # Patients click this link from emails; plain http would leak the room to the network.
        url = self.cleaned_data["meeting_url"]
        if urlsplit(url).scheme.lower() != "https":
            raise ValidationError("Use a secure link that starts with https://.")
        return url


class SearchForm(forms.Form):
    """Find one of the doctor's own appointments by reference, patient name or email."""

    q = forms.CharField(
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


def this_month() -> tuple[date, date]:
    """The first and last day of the current month in the clinic's time zone (the default report)."""
    today = timezone.localdate(timezone=clinic_zone())
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


class ReportForm(forms.Form):
    """Two dates from the query string (``?from=…&to=…``), both days included.

    The field names are the URL's, so links and bookmarks stay readable; ``from`` is a Python
    keyword, hence the fields are added in ``__init__`` rather than declared on the class.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label="From",
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"required": "Enter the first date.", "invalid": "Enter the first date as a real date."},
        )
        self.fields["to"] = forms.DateField(
            label="To (inclusive)",
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"required": "Enter the last date.", "invalid": "Enter the last date as a real date."},
        )

    @classmethod
    def from_query(cls, query) -> ReportForm:
        """Bind to the query string; a missing or empty date falls back to this month's bound."""
        first, last = this_month()
        return cls({"from": query.get("from") or first.isoformat(), "to": query.get("to") or last.isoformat()})

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        for value in (start, end):
            if value and not EARLIEST_REPORT_DATE <= value <= LATEST_REPORT_DATE:
                raise ValidationError(
                    f"Choose dates between {EARLIEST_REPORT_DATE.year} and {LATEST_REPORT_DATE.year}."
                )
        if start and end:
            if end < start:
                raise ValidationError("The first date must not be after the last date.")
            if (end - start).days + 1 > MAX_REPORT_DAYS:
                raise ValidationError(f"Choose at most {MAX_REPORT_DAYS} days.")
        return data

    @property
    def start(self) -> date:
        return self.cleaned_data["from"]

    @property
    def end(self) -> date:
        return self.cleaned_data["to"]


# --- The doctor's own profile and weekly schedule -------------------------------------------


def profile_form_class():
    """The few profile fields a doctor keeps up to date; the fee, slot length and account stay with staff.

    Built lazily because ``booking`` must not import page classes at module level.
    """
    from django.apps import apps

    from portal.phones import normalize_phone

    doctor_model = apps.get_model("home", "DoctorPage")

    class DoctorProfileForm(forms.ModelForm):
        class Meta:
            model = doctor_model
            fields = ["job_title", "qualifications", "languages", "phone", "offers_online"]
            widgets = {"qualifications": forms.Textarea(attrs={"rows": 3})}

        def clean_phone(self) -> str:
            phone = self.cleaned_data["phone"]
            return normalize_phone(phone) if phone else ""

    return DoctorProfileForm


def schedule_formsets(doctor, data=None):
    """Working hours and time off as modelcluster formsets: edited in memory, then published."""
    from modelcluster.forms import childformset_factory

    from .models import TimeOff, WorkingHours

    time_input = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    hours_formset = childformset_factory(
        type(doctor),
        WorkingHours,
        fields=["weekday", "starts", "ends"],
        widgets={"starts": time_input, "ends": time_input},
        extra=2,
        can_delete=True,
    )
    time_off_formset = childformset_factory(
        type(doctor),
        TimeOff,
        fields=["start_date", "start_time", "end_date", "end_time", "reason"],
        widgets={"start_date": date_input, "end_date": date_input, "start_time": time_input, "end_time": time_input},
        extra=1,
        can_delete=True,
    )
    return (
        hours_formset(data, instance=doctor, prefix="hours"),
        time_off_formset(data, instance=doctor, prefix="timeoff"),
    )
