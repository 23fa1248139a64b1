"""A doctor's free slots from the database: three queries, then the pure computation in ``slots``.

Every place that shows or checks a free time (the doctor page, the booking and reschedule
pickers, the booking service's re-check) reads it here, so they always agree.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from home.models import DoctorPage

from ..models import Appointment, ClinicClosure, TimeOff, WorkingHours, clinic_zone
from .slots import Slot, WeeklyHours, free_slots, group_by_local_day


def earliest_bookable(now: datetime | None = None) -> datetime:
    """Now plus the clinic's minimum notice: nothing earlier can be booked."""
    now = now or timezone.now()
    return now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)


def doctor_free_slots(
    doctor: DoctorPage,
    first_day: date,
    last_day: date,
    *,
    now: datetime | None = None,
    ignore: Appointment | None = None,
) -> list[Slot]:
    """Free slots of ``doctor`` (a DoctorPage) between two local dates, inclusive.

    Reads working hours, the time off, clinic closures (unless the doctor is listed as still
    working) and the held appointments that touch the range, and hands
    them to :func:`booking.availability.slots.free_slots`. ``ignore`` leaves one appointment's own
    slot out of the busy times, for moving that appointment.
    """
    return _slots(doctor, first_day, last_day, now=now, ignore=ignore, count_bookings=True)


def slot_taken(
    doctor: DoctorPage, starts_at: datetime, *, now: datetime | None = None, ignore: Appointment | None = None
) -> bool:
    """True if ``starts_at`` would be one of the doctor's free slots but for another active booking.

    Tells the "just taken" refusal (someone booked it first: pick another time) apart from a time
    that was never bookable (outside the doctor's hours, a closed day, too soon), so both patients
    and staff get the message that fits. Only asked after a slot was refused, so the extra
    queries are spent on the refusal path alone.
    """
    held = Appointment.objects.holding_slots().filter(doctor_id=doctor.pk)
    if ignore is not None:
        held = held.exclude(pk=ignore.pk)
    if not held.overlapping(starts_at, starts_at + timedelta(minutes=doctor.slot_minutes)).exists():
        return False
    day = timezone.localtime(starts_at, clinic_zone()).date()
    unbooked = _slots(doctor, day, day, now=now, ignore=ignore, count_bookings=False)
    return any(slot.start == starts_at for slot in unbooked)


def _slots(
    doctor: DoctorPage,
    first_day: date,
    last_day: date,
    *,
    now: datetime | None,
    ignore: Appointment | None,
    count_bookings: bool,
) -> list[Slot]:
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
    blocked += [closure.interval(tz) for closure in closures_for(doctor, first_day, last_day)]
    if count_bookings:
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


def closures_for(doctor: DoctorPage, first_day: date, last_day: date) -> list[ClinicClosure]:
    """Clinic closures touching ``first_day``..``last_day`` that apply to ``doctor`` (one query)."""
    return list(
        ClinicClosure.objects.filter(start_date__lte=last_day, end_date__gte=first_day).exclude(open_doctors=doctor.pk)
    )


def booking_window(now: datetime | None = None) -> tuple[date, date]:
    """The local dates patients may book in: today up to the booking horizon."""
    today = timezone.localtime(now or timezone.now(), clinic_zone()).date()
    return today, today + timedelta(days=settings.BOOKING_HORIZON_DAYS)


DAYS_PER_PAGE = 7


def upcoming_days(doctor: DoctorPage, *, days_with_slots: int = 3) -> list[tuple[date, list[Slot]]]:
    """The next few local days on which the doctor has free slots (for the doctor's page)."""
    first, last = booking_window()
    days = group_by_local_day(doctor_free_slots(doctor, first, last), clinic_zone())
    return days[:days_with_slots]


def _parse_from(raw: str | None, first: date, last: date) -> date:
    try:
        start = date.fromisoformat(raw) if raw else first
    except ValueError:
        start = first
    return min(max(start, first), last)


def slot_week(doctor: DoctorPage, from_day: str | None, *, show_slots: bool = True) -> dict:
    """A week of the doctor's free slots from ``from_day`` (ISO date; clamped to the booking window).

    Returns the slot picker's context: the days with their slots, the week shown and the
    ``from`` values of the previous and next weeks (None at the window's edges).
    """
    first, last = booking_window()
    page_start = _parse_from(from_day, first, last)
    page_end = min(page_start + timedelta(days=DAYS_PER_PAGE - 1), last)
    tz = clinic_zone()
    slots = doctor_free_slots(doctor, page_start, page_end) if show_slots else []
    return {
        "days": group_by_local_day(slots, tz),
        "page_start": page_start,
        "page_end": page_end,
        "previous_from": page_start - timedelta(days=DAYS_PER_PAGE) if page_start > first else None,
        "next_from": page_end + timedelta(days=1) if page_end < last else None,
        "clinic_tz": tz,
    }
