"""Free slots: working hours − time off − held appointments − the past (and minimum notice).

:func:`free_slots` is pure: it takes plain values and returns plain values, so it can be tested
table-style without a database. :mod:`booking.schedules` gathers a doctor's data and calls it.

Working hours are *wall-clock* times in the clinic's zone: a doctor who works 09:00–12:00 does so
on a daylight-saving change day too. Slots are laid out on the wall clock, converted to UTC, and
any start that does not exist locally (the hour skipped when clocks go forward) is dropped. On the
day clocks go back, a wall-clock time that occurs twice is offered once, at its first occurrence.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class WeeklyHours:
    """One working interval: ``weekday`` 0 = Monday, ``start``/``end`` local wall-clock times."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True, order=True)
class Slot:
    """A bookable slot as an aware UTC [start, end)."""

    start: datetime
    end: datetime

    def local_start(self, tz: ZoneInfo) -> datetime:
        return self.start.astimezone(tz)


Interval = tuple[datetime, datetime]


def _exists_locally(naive: datetime, tz: ZoneInfo) -> bool:
    """False for wall-clock times inside a spring-forward gap (they round-trip to another time)."""
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def _merged(intervals: Iterable[Interval]) -> tuple[list[datetime], list[datetime]]:
    """The union of ``intervals`` as disjoint sorted intervals, split into starts and ends.

    Both lists are then sorted, so :func:`_overlaps` finds the one or two candidates by bisection:
    a busy doctor has hundreds of held slots in the booking window, and testing every slot of a
    week against each of them was most of the time spent on a listing's free times.
    """
    starts: list[datetime] = []
    ends: list[datetime] = []
    for start, end in sorted(intervals):
        if starts and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _overlaps(start: datetime, end: datetime, starts: list[datetime], ends: list[datetime]) -> bool:
    """True if [start, end) meets one of the merged intervals (half-open, as everywhere here)."""
    i = bisect_right(starts, start)  # intervals [0, i) begin at or before ``start``
    if i and ends[i - 1] > start:
        return True
    return i < len(starts) and starts[i] < end


def free_slots(
    *,
    hours: Iterable[WeeklyHours],
    blocked: Iterable[Interval],
    first_day: date,
    last_day: date,
    slot_length: timedelta,
    tz: ZoneInfo,
    earliest: datetime,
) -> list[Slot]:
    """Return the free slots between ``first_day`` and ``last_day`` (local dates, inclusive).

    ``blocked`` holds aware intervals that no slot may overlap: time off and the slots held by
    active appointments. ``earliest`` is "now + minimum notice": slots starting before it are
    dropped. The result is sorted, and no two slots overlap in real time even if working
    intervals overlap or a daylight-saving change falls inside one.
    """
    if slot_length <= timedelta(0):
        raise ValueError("slot_length must be positive")
    by_weekday: dict[int, list[WeeklyHours]] = {}
    for interval in hours:
        by_weekday.setdefault(interval.weekday, []).append(interval)
    blocked_starts, blocked_ends = _merged((start.astimezone(UTC), end.astimezone(UTC)) for start, end in blocked)
    earliest = earliest.astimezone(UTC)

    found: set[Slot] = set()
    day = first_day
    while day <= last_day:
        for interval in by_weekday.get(day.weekday(), ()):
            wall = datetime.combine(day, interval.start)
            wall_end = datetime.combine(day, interval.end)
            while wall + slot_length <= wall_end:
                if _exists_locally(wall, tz):
                    start = wall.replace(tzinfo=tz).astimezone(UTC)
                    end = start + slot_length
                    if start >= earliest and not _overlaps(start, end, blocked_starts, blocked_ends):
                        found.add(Slot(start, end))
                wall += slot_length
        day += timedelta(days=1)
    return _without_overlaps(sorted(found))


def _without_overlaps(slots: list[Slot]) -> list[Slot]:
    """Drop any slot that starts before the previous kept one ends, in real time.

    Wall-clock layout can produce such overlaps on a spring-forward day when the slot length does
    not divide the jump (a 45-minute slot at 00:45 runs into the first slot after the gap), and
    when two working intervals of one day sit on different grids. One person cannot be in two
    appointments, so the earlier slot wins.
    """
    kept: list[Slot] = []
    for slot in slots:
        if not kept or slot.start >= kept[-1].end:
            kept.append(slot)
    return kept


def group_by_local_day(slots: Iterable[Slot], tz: ZoneInfo) -> list[tuple[date, list[Slot]]]:
    """Group sorted slots by their local date, keeping order: what a day-by-day picker shows."""
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.local_start(tz).date(), []).append(slot)
    return list(days.items())
