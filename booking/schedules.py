"""A doctor's free slots from the database: three queries, then the pure computation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from .availability import Slot, WeeklyHours, free_slots
from .models import Appointment, TimeOff, WorkingHours, clinic_zone


def earliest_bookable(now: datetime | None = None) -> datetime:
    """Now plus the clinic's minimum notice: nothing earlier can be booked."""
    now = now or timezone.now()
    return now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)


def doctor_free_slots(
    doctor, first_day: date, last_day: date, *, now: datetime | None = None, ignore: Appointment | None = None
) -> list[Slot]:
    """Free slots of ``doctor`` (a DoctorPage) between two local dates, inclusive.

    Reads working hours, the time off and the held appointments that touch the range, and hands
    them to :func:`booking.availability.free_slots`. ``ignore`` leaves one appointment's own
    slot out of the busy times, for moving that appointment.
    """
    tz = clinic_zone()
    range_start = datetime.combine(first_day, time.min, tzinfo=tz)
    range_end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)

    hours = [
        WeeklyHours(h.weekday, h.starts, h.ends)
        for h in WorkingHours.objects.filter(doctor_id=doctor.pk).only("weekday", "starts", "ends")
    ]
    if not hours:
        return []
    blocked = [
        t.interval(tz)
        for t in TimeOff.objects.filter(
            doctor_id=doctor.pk, start_date__lte=last_day, end_date__gte=first_day - timedelta(days=1)
        )
    ]
    held = Appointment.objects.holding_slots().filter(doctor_id=doctor.pk).overlapping(range_start, range_end)
    if ignore is not None:
        held = held.exclude(pk=ignore.pk)
    blocked += list(held.values_list("starts_at", "ends_at"))
    return free_slots(
        hours=hours,
        blocked=blocked,
        first_day=first_day,
        last_day=last_day,
        slot_length=timedelta(minutes=doctor.slot_minutes),
        tz=tz,
        earliest=earliest_bookable(now),
    )


def booking_window(now: datetime | None = None) -> tuple[date, date]:
    """The local dates patients may book in: today up to the booking horizon."""
    today = timezone.localtime(now or timezone.now(), clinic_zone()).date()
    return today, today + timedelta(days=settings.BOOKING_HORIZON_DAYS)
