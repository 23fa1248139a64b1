"""The forms of a doctor's weekly hours and time off, shared by every place that edits them.

The doctor's dashboard (``booking.doctor``) and the "Join as a doctor" profile step
(``booking.onboarding``) edit the same rows with the same rules: intervals of one weekday must not
overlap or repeat (:func:`home.forms.overlapping_hours`, the rule the page editor applies too).
The formsets are modelcluster child formsets: rows are edited in memory on a page object and only
written when that page is saved or a revision of it is published.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from modelcluster.forms import BaseChildFormSet, childformset_factory

from home.forms import kept_rows, overlapping_hours
from home.models import DoctorPage

from ..models import TimeOff, WorkingHours

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorkingHoursFormSet(BaseChildFormSet):
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
        fields=["weekday", "starts", "ends"],
        widgets={"starts": TIME_INPUT, "ends": TIME_INPUT},
        formset=WorkingHoursFormSet,
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
        fields=["start_date", "start_time", "end_date", "end_time", "reason"],
        widgets={"start_date": DATE_INPUT, "end_date": DATE_INPUT, "start_time": TIME_INPUT, "end_time": TIME_INPUT},
        extra=1,
        can_delete=True,
    )
    return formset_class(data, instance=doctor, prefix="timeoff")


def schedule_formsets(doctor: DoctorPage, data=None):
    """Working hours and time off as modelcluster formsets: edited in memory, then published."""
    return working_hours_formset(doctor, data), time_off_formset(doctor, data)
