"""Doctors' weekly working hours and time off, and clinic-wide closures, in the clinic's local time.

They are inline rows of ``home.DoctorPage`` (edited in the page editor and from the doctor's own
dashboard) but belong to booking: availability is computed from them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import Orderable

from portal.validation import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE

# Schedules use the project's one sane date range: dates near date.min/date.max are typos, and
# they would overflow when turned into aware datetimes.
EARLIEST_SCHEDULE_DATE = EARLIEST_DATE
LATEST_SCHEDULE_DATE = LATEST_DATE


def clinic_zone() -> ZoneInfo:
    """The clinic's time zone: every wall-clock time (hours, time off) is read in it."""
    return ZoneInfo(settings.TIME_ZONE)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(Orderable):
    """One interval of a doctor's week, in the clinic's local time. A day may have several."""

    doctor = ParentalKey("home.DoctorPage", on_delete=models.CASCADE, related_name="working_hours")
    weekday: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts: models.TimeField[time, time] = models.TimeField("from")
    ends: models.TimeField[time, time] = models.TimeField("until")

    panels = [FieldRowPanel([FieldPanel("weekday"), FieldPanel("starts"), FieldPanel("ends")])]

    class Meta(Orderable.Meta):
        verbose_name = "working hours"
        verbose_name_plural = "working hours"
        constraints = [models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="hours_end_after_start")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"

    def clean(self):
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ValidationError({"ends": "The end must be after the start (intervals cannot cross midnight)."})


class TimeOff(Orderable):
    """A period the doctor does not see patients: whole days, or a time range when times are given."""

    doctor = ParentalKey("home.DoctorPage", on_delete=models.CASCADE, related_name="time_off")
    start_date: models.DateField[date, date] = models.DateField()
    start_time: models.TimeField[time | None, time | None] = models.TimeField(
        null=True, blank=True, help_text="Leave empty for the whole day."
    )
    end_date: models.DateField[date, date] = models.DateField()
    end_time: models.TimeField[time | None, time | None] = models.TimeField(
        null=True, blank=True, help_text="Leave empty for the whole day."
    )
    reason: models.CharField[str, str] = models.CharField(max_length=120, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("start_time")]),
        FieldRowPanel([FieldPanel("end_date"), FieldPanel("end_time")]),
        FieldPanel("reason"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "time off"
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="time_off_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.start_date} – {self.end_date}"

    def clean(self):
        # Year 0001 or 9999 is a typo, and near those ends the interval overflows; the range is
        # the one every date input of the portal shares.
        errors = {
            name: DATE_RANGE_MESSAGE
            for name in ("start_date", "end_date")
            if getattr(self, name) and not EARLIEST_DATE <= getattr(self, name) <= LATEST_DATE
        }
        if errors:
            raise ValidationError(errors)
        if self.start_date and self.end_date:
            start, end = self.interval()
            if end <= start:
                raise ValidationError({"end_date": "Time off must end after it starts."})

    def interval(self, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
        """The aware [start, end) this time off covers; empty times mean start and end of day."""
        tz = tz or clinic_zone()
        start = datetime.combine(self.start_date, self.start_time or time.min, tzinfo=tz)
        if self.end_time is None:
            end = datetime.combine(self.end_date + timedelta(days=1), time.min, tzinfo=tz)
        else:
            end = datetime.combine(self.end_date, self.end_time, tzinfo=tz)
        return start, end


class ClinicClosure(models.Model):
    """Days the whole clinic is closed (bank holidays, a refurbishment): nobody can be booked.

    Doctors listed in ``open_doctors`` still see patients on those days (say, the GP on call on
    Boxing Day). Closures cover whole local days; a doctor's own shorter absences are time off.
    """

    start_date = models.DateField("first day")
    end_date = models.DateField("last day", help_text="The same as the first day for a single day.")
    reason = models.CharField(max_length=120, help_text="Shown to staff, e.g. 'Christmas Day'.")
    open_doctors = models.ManyToManyField(
        "home.DoctorPage",
        blank=True,
        related_name="+",
        verbose_name="doctors still seeing patients",
        help_text="Optional: doctors who work on these days despite the closure.",
    )

    panels = [
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
        FieldPanel("reason"),
        FieldPanel("open_doctors"),
    ]

    class Meta:
        ordering = ["start_date"]
        verbose_name = "clinic closure"
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="closure_end_after_start")
        ]

    def __str__(self) -> str:
        if self.start_date == self.end_date:
            return f"{self.reason} ({self.start_date:%d %b %Y})"
        return f"{self.reason} ({self.start_date:%d %b %Y} – {self.end_date:%d %b %Y})"

    def clean(self):
        for name in ("start_date", "end_date"):
            value = getattr(self, name)
            if value is not None and not EARLIEST_SCHEDULE_DATE <= value <= LATEST_SCHEDULE_DATE:
                raise ValidationError(
                    {name: f"Pick a date between {EARLIEST_SCHEDULE_DATE.year} and {LATEST_SCHEDULE_DATE.year}."}
                )
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The last day cannot be before the first day."})

    def interval(self, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
        """The aware [start of the first day, start of the day after the last) in the clinic's zone."""
        tz = tz or clinic_zone()
        return (
            datetime.combine(self.start_date, time.min, tzinfo=tz),
            datetime.combine(self.end_date + timedelta(days=1), time.min, tzinfo=tz),
        )
