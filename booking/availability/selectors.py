"""A doctor's free slots from the database: three queries, then the pure computation in ``slots``.

Every place that shows or checks a free time (the doctor page, the booking and reschedule
pickers, the booking service's re-check) reads it here, so they always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from home.models import DoctorPage

from ..models import Appointment, ClinicClosure, TimeOff, WorkingHours, clinic_zone
from .slots import Interval, Slot, WeeklyHours, free_slots, group_by_local_day


def earliest_bookable(now: datetime | None = None) -> datetime:
    """Now plus the clinic's minimum notice: nothing earlier can be booked."""
    now = now or timezone.now()
    return now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)


@dataclass
class _Schedule:
    """What the slot computation needs about one doctor over a range of days."""

    slot_minutes: int
    hours: list[WeeklyHours] = field(default_factory=list)
    blocked: list[Interval] = field(default_factory=list)


def _schedules(
    doctors: dict[int, int],
    first_day: date,
    last_day: date,
    *,
    ignore: Appointment | None = None,
    count_bookings: bool = True,
) -> dict[int, _Schedule]:
    """Working hours and blocked intervals of many doctors (``{pk: slot_minutes}``) in few queries.

    The one reading of the rules that take time away from a doctor: time off, clinic closures
    (unless the doctor is listed as still working), and appointments holding a slot. Four queries
    whatever the number of doctors (five when a closure falls in the range); doctors without
    working hours are left out, and with none at all only the first query runs.
    """
    tz = clinic_zone()
    range_start = datetime.combine(first_day, time.min, tzinfo=tz)
    range_end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)
    found: dict[int, _Schedule] = {}
    for doctor_id, weekday, starts, ends in WorkingHours.objects.filter(doctor_id__in=doctors).values_list(
        "doctor_id", "weekday", "starts", "ends"
    ):
        found.setdefault(doctor_id, _Schedule(doctors[doctor_id])).hours.append(WeeklyHours(weekday, starts, ends))
    if not found:
        return found
    ids = list(found)
    for time_off in TimeOff.objects.filter(
        doctor_id__in=ids, start_date__lte=last_day, end_date__gte=first_day - timedelta(days=1)
    ):
        found[time_off.doctor_id].blocked.append(time_off.interval(tz))
    closures = list(ClinicClosure.objects.filter(start_date__lte=last_day, end_date__gte=first_day))
    if closures:
        still_open: dict[int, set[int]] = {}
        for closure_id, doctor_id in ClinicClosure.open_doctors.through.objects.filter(
            clinicclosure_id__in=[c.pk for c in closures], doctorpage_id__in=ids
        ).values_list("clinicclosure_id", "doctorpage_id"):
            still_open.setdefault(closure_id, set()).add(doctor_id)
        for closure in closures:
            interval = closure.interval(tz)
            for doctor_id, schedule in found.items():
                if doctor_id not in still_open.get(closure.pk, ()):
                    schedule.blocked.append(interval)
    if not count_bookings:  # the schedule alone: is a time bookable at all (see slot_taken)
        return found
    held = Appointment.objects.holding_slots().filter(doctor_id__in=ids).overlapping(range_start, range_end)
    if ignore is not None:
        held = held.exclude(pk=ignore.pk)
    for doctor_id, starts_at, ends_at in held.values_list("doctor_id", "starts_at", "ends_at"):
        found[doctor_id].blocked.append((starts_at, ends_at))
    return found


def _free(schedule: _Schedule, first_day: date, last_day: date, earliest: datetime) -> list[Slot]:
    return free_slots(
        hours=schedule.hours,
        blocked=schedule.blocked,
        first_day=first_day,
        last_day=last_day,
        slot_length=timedelta(minutes=schedule.slot_minutes),
        tz=clinic_zone(),
        earliest=earliest,
    )


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
    schedule = _schedules({doctor.pk: doctor.slot_minutes}, first_day, last_day, ignore=ignore).get(doctor.pk)
    if schedule is None:
        return []
    return _free(schedule, first_day, last_day, earliest_bookable(now))


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
    schedule = _schedules({doctor.pk: doctor.slot_minutes}, day, day, count_bookings=False).get(doctor.pk)
    if schedule is None:
        return False
    return any(slot.start == starts_at for slot in _free(schedule, day, day, earliest_bookable(now)))


# Days laid out first when looking for a doctor's next free slots, doubling at each further
# step: most doctors have a free time within a day or two, so a listing lays out two days per
# card rather than the whole window (or a whole week, which cost several times as much).
_SEARCH_FIRST_STEP_DAYS = 2


def _steps(first: date, last: date) -> Iterator[tuple[date, date]]:
    """Consecutive [start, end] date ranges covering first..last: 2 days, then 4, 8, ..."""
    day, length = first, _SEARCH_FIRST_STEP_DAYS
    while day <= last:
        step_end = min(day + timedelta(days=length - 1), last)
        yield day, step_end
        day, length = step_end + timedelta(days=1), length * 2


def next_free_slots(
    doctors: Iterable[DoctorPage],
    *,
    per_doctor: int = 3,
    within_days: int | None = None,
    now: datetime | None = None,
) -> dict[int, list[Slot]]:
    """The next ``per_doctor`` free slots of each doctor, for a whole page of doctor cards at once.

    ``{doctor pk: slots}``, with an empty list for a doctor with nothing free in the booking
    window (or within ``within_days`` days from today, when given). The same slots
    :func:`doctor_free_slots` offers, read with the queries of :func:`_schedules`: a fixed number
    whatever the number of doctors, so a listing never issues one query per card.
    """
    slot_minutes = {doctor.pk: doctor.slot_minutes for doctor in doctors}
    result: dict[int, list[Slot]] = {pk: [] for pk in slot_minutes}
    if not slot_minutes or per_doctor <= 0:
        return result
    first, last = booking_window(now)
    if within_days is not None:
        last = min(last, first + timedelta(days=max(within_days, 0)))
    earliest = earliest_bookable(now)
    for doctor_id, schedule in _schedules(slot_minutes, first, last).items():
        for start, end in _steps(first, last):
            result[doctor_id] += _free(schedule, start, end, earliest)[: per_doctor - len(result[doctor_id])]
            if len(result[doctor_id]) >= per_doctor:
                break
    return result


def first_free_starts(doctors: Sequence[DoctorPage], *, within_days: int | None = None) -> dict[int, datetime | None]:
    """Each doctor's first free start (None if nothing is free): what "soonest available" sorts by."""
    found = next_free_slots(doctors, per_doctor=1, within_days=within_days)
    return {pk: slots[0].start if slots else None for pk, slots in found.items()}


def booking_window(now: datetime | None = None) -> tuple[date, date]:
    """The local dates patients may book in: today up to the booking horizon."""
    today = timezone.localtime(now or timezone.now(), clinic_zone()).date()
    return today, today + timedelta(days=settings.BOOKING_HORIZON_DAYS)


DAYS_PER_PAGE = 7


def upcoming_days(doctor: DoctorPage, *, days_with_slots: int = 3) -> list[tuple[date, list[Slot]]]:
    """The next few local days on which the doctor has free slots (for the doctor's page).

    Laid out in growing steps from today (:func:`_steps`), stopping once enough days are found,
    with the schedule read once for the whole window."""
    first, last = booking_window()
    schedule = _schedules({doctor.pk: doctor.slot_minutes}, first, last).get(doctor.pk)
    if schedule is None:
        return []
    earliest = earliest_bookable()
    days: list[tuple[date, list[Slot]]] = []
    for start, end in _steps(first, last):
        days += group_by_local_day(_free(schedule, start, end, earliest), clinic_zone())
        if len(days) >= days_with_slots:
            break
    return days[:days_with_slots]


def _parse_from(raw: str | None, first: date, last: date) -> date:
    try:
        start = date.fromisoformat(raw) if raw else first
    except ValueError:
        start = first
    return min(max(start, first), last)


# Times shown for the chosen day before "+N more": about two rows on a phone.
SLOTS_SHOWN_FIRST = 8


def _chosen_day(days: list[tuple[date, list[Slot]]], raw_day: str | None, selected_slot: str, tz) -> date | None:
    """The day whose times the picker shows: the one asked for (``?day=``), else the day of a
    preselected time, else the first day with free times. Only a day of this week with free times."""
    with_slots = [day for day, _ in days]
    if not with_slots:
        return None
    try:
        asked = date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        asked = None
    if asked in with_slots:
        return asked
    try:
        preselected = datetime.fromisoformat(selected_slot).astimezone(tz).date() if selected_slot else None
    except (ValueError, OverflowError):
        preselected = None
    if preselected in with_slots:
        return preselected
    return with_slots[0]


def slot_week(
    doctor: DoctorPage,
    from_day: str | None,
    *,
    show_slots: bool = True,
    day: str | None = None,
    selected_slot: str = "",
) -> dict:
    """A week of the doctor's free slots from ``from_day`` (ISO date; clamped to the booking window).

    Returns the slot picker's context: the days with their slots, a strip of every day of the
    week with its number of free times, the day shown (``day``, else the day of
    ``selected_slot``, else the first day with free times) split into the first
    :data:`SLOTS_SHOWN_FIRST` times and the rest, the week shown, and the ``from`` values of the
    previous and next weeks (None at the window's edges).
    """
    first, last = booking_window()
    page_start = _parse_from(from_day, first, last)
    page_end = min(page_start + timedelta(days=DAYS_PER_PAGE - 1), last)
    tz = clinic_zone()
    slots = doctor_free_slots(doctor, page_start, page_end) if show_slots else []
    days = group_by_local_day(slots, tz)
    counts = {d: len(day_slots) for d, day_slots in days}
    chosen = _chosen_day(days, day, selected_slot, tz)
    chosen_slots = dict(days).get(chosen, []) if chosen else []
    return {
        "days": days,
        "day_strip": [
            (page_start + timedelta(days=n), counts.get(page_start + timedelta(days=n), 0))
            for n in range((page_end - page_start).days + 1)
        ],
        "chosen_day": chosen,
        "chosen_slots": chosen_slots[:SLOTS_SHOWN_FIRST],
        "more_slots": chosen_slots[SLOTS_SHOWN_FIRST:],
        "page_start": page_start,
        "page_end": page_end,
        "previous_from": page_start - timedelta(days=DAYS_PER_PAGE) if page_start > first else None,
        "next_from": page_end + timedelta(days=1) if page_end < last else None,
        "clinic_tz": tz,
    }
