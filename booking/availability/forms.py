"""The forms of a doctor's weekly hours and time off, shared by every place that edits them.

The doctor's dashboard (``booking.doctor``) and the "Join as a doctor" profile step
(``booking.onboarding``) edit the same rows with the same rules: intervals of one weekday must not
overlap or repeat (:func:`home.forms.overlapping_hours`, the rule the page editor applies too),
free text carries no control characters and dates stay in range, and a posted row must be one of
this page's own rows. The formsets are modelcluster child formsets: rows are edited in memory on a
page object and only written when that page is saved or a revision of it is published.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from modelcluster.forms import BaseChildFormSet, childformset_factory

from home.forms import kept_rows, overlapping_hours
from home.models import DoctorPage
from portal.validation import protect_text_fields

from ..models import TimeOff, WorkingHours

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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

    # Set by working_hours_formset(): a doctor who has just joined must say when they work.
    require_one = False

    def clean(self):
        super().clean()
        rows = kept_rows(self)
        messages = overlapping_hours(rows)
        if messages:
            raise ValidationError(messages)
        if self.require_one and not rows and not any(form.errors for form in self.forms):
            raise ValidationError("Add at least one interval of your week, so that patients can book you.")


def working_hours_formset(doctor: DoctorPage, data=None, *, extra: int = 2, require_one: bool = False):
    """The weekly-hours formset of ``doctor`` (prefix ``hours``), bound to ``data`` if given."""
    formset_class = childformset_factory(
        type(doctor),
        WorkingHours,
        form=ScheduleRowForm,
        formset=WorkingHoursFormSet,
        fields=["weekday", "starts", "ends"],
        widgets={"starts": TIME_INPUT, "ends": TIME_INPUT},
        extra=extra,
        can_delete=True,
    )
    formset = formset_class(data, instance=doctor, prefix="hours")
    formset.require_one = require_one
    return formset


def time_off_formset(doctor: DoctorPage, data=None):
    """The time-off formset of ``doctor`` (prefix ``timeoff``), bound to ``data`` if given."""
    formset_class = childformset_factory(
        type(doctor),
        TimeOff,
        form=ScheduleRowForm,
        formset=OwnRowsFormSet,
        fields=["start_date", "start_time", "end_date", "end_time", "reason"],
        widgets={"start_date": DATE_INPUT, "end_date": DATE_INPUT, "start_time": TIME_INPUT, "end_time": TIME_INPUT},
        extra=1,
        can_delete=True,
    )
    return formset_class(data, instance=doctor, prefix="timeoff")


def schedule_formsets(doctor: DoctorPage, data=None):
    """Working hours and time off as modelcluster formsets: edited in memory, then published."""
    return working_hours_formset(doctor, data), time_off_formset(doctor, data)
