"""Table-driven unit tests of the pure availability functions (no database).

:func:`booking.availability.free_slots` and :func:`booking.availability.group_by_local_day`
are exercised through small tables whose rows read like a calendar: working hours as
``"Mon 09:00-12:00"``, blocked intervals as ``"Tue 11:00-Thu 10:00"``, expected slots as local
``"09:00 09:30"`` strings per day. The tables cover:

* ordinary days (a summer week, run in Europe/London and America/New_York): one interval, several
  intervals, intervals overlapping each other (no duplicate slots), an interval that is not a
  multiple of the slot length (the partial slot is not offered), weekdays without hours, ranges
  of several days (days come out in order);
* blocked intervals: an appointment exactly on a slot, one partly overlapping two slots,
  back-to-back appointments and touching boundaries (which do not block), time off spanning
  several days, a whole day off;
* ``earliest`` (now + minimum notice): slots starting before it are dropped, a slot starting
  exactly at it is kept;
* exact UTC starts for both zones in summer and winter;
* daylight-saving change days: Europe/London 2026-03-29 and 2026-10-25, America/New_York
  2026-03-08 and 2026-11-01 (skipped wall-clock times are not offered, repeated ones are offered
  once, 09:00 local moves by an hour in UTC across the change, slots never overlap in real time);
* :func:`group_by_local_day` grouping by the *local* date;
* a non-positive slot length raising ``ValueError``; aware inputs given in any zone;
* the shape of every result: aware UTC datetimes, sorted, no duplicates, end = start + length.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from booking.availability.slots import Slot, WeeklyHours, free_slots, group_by_local_day

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# A summer week with no clock change anywhere: Monday 2026-06-01 .. Sunday 2026-06-07.
WEEK = {name: date(2026, 6, 1) + timedelta(days=i) for i, name in enumerate(DAY_NAMES)}
NAME_OF = {day: name for name, day in WEEK.items()}
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

PLAIN = "09:00 09:30 10:00 10:30 11:00 11:30"  # 09:00-12:00 in 30-minute slots
AFTERNOON = "13:00 13:30 14:00 14:30 15:00 15:30 16:00 16:30"  # 13:00-17:00 in 30-minute slots


# --- helpers that turn readable strings into values -------------------------------------------


def hm(text: str) -> time:
    """``"09:30"`` -> ``time(9, 30)``."""
    return time.fromisoformat(text)


def week_hours(*specs: str) -> list[WeeklyHours]:
    """``"Mon 09:00-12:00"`` -> ``WeeklyHours(0, 09:00, 12:00)``; one spec per interval."""
    result = []
    for spec in specs:
        name, span = spec.split()
        start, end = span.split("-")
        result.append(WeeklyHours(DAY_NAMES.index(name), hm(start), hm(end)))
    return result


def every_day(span: str) -> list[WeeklyHours]:
    """The same ``"HH:MM-HH:MM"`` interval on all seven weekdays."""
    return week_hours(*(f"{name} {span}" for name in DAY_NAMES))


def at(tz: ZoneInfo, day: str, clock: str) -> datetime:
    """An aware local datetime in ``tz``: ``day`` is a WEEK name ("Mon") or an ISO date."""
    the_date = WEEK[day] if day in WEEK else date.fromisoformat(day)
    return datetime.combine(the_date, hm(clock), tzinfo=tz)


def when(tz: ZoneInfo, text: str) -> datetime:
    """``"Mon 10:15"`` -> that local moment in ``tz``."""
    day, clock = text.split()
    return at(tz, day, clock)


def span(tz: ZoneInfo, text: str) -> tuple[datetime, datetime]:
    """``"Mon 09:30-10:00"`` or ``"Tue 11:00-Thu 10:00"`` -> an aware local [start, end)."""
    left, right = text.split("-")
    start = when(tz, left)
    end = when(tz, right) if " " in right else at(tz, left.split()[0], right)
    return start, end


def utc(text: str) -> datetime:
    """``"2026-03-29 01:00"`` -> that moment in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def expected_slots(tz: ZoneInfo, per_day: dict[str, str], minutes: int) -> list[Slot]:
    """``{"Mon": "09:00 09:30"}`` -> the Slots those local starts stand for, in UTC."""
    length = timedelta(minutes=minutes)
    slots = []
    for day, clocks in per_day.items():
        for clock in clocks.split():
            start = at(tz, day, clock).astimezone(UTC)
            slots.append(Slot(start, start + length))
    return slots


def by_day(slots: list[Slot], tz: ZoneInfo) -> dict[str, str]:
    """The inverse of :func:`expected_slots` (for readable failure diffs); WEEK days only."""
    out: dict[str, list[str]] = {}
    for slot in slots:
        local = slot.start.astimezone(tz)
        out.setdefault(NAME_OF[local.date()], []).append(local.strftime("%H:%M"))
    return {day: " ".join(clocks) for day, clocks in out.items()}


def local_labels(slots: list[Slot], tz: ZoneInfo) -> list[str]:
    """``"03-29 02:00 BST"``: the wall clock with its zone abbreviation (shows which occurrence)."""
    return [slot.start.astimezone(tz).strftime("%m-%d %H:%M %Z") for slot in slots]


def utc_labels(slots: list[Slot]) -> list[str]:
    return [slot.start.strftime("%m-%d %H:%M") for slot in slots]


def assert_well_formed(slots: list[Slot], minutes: int) -> None:
    """Aware UTC datetimes, strictly sorted (so no duplicates), each exactly ``minutes`` long."""
    for slot in slots:
        assert isinstance(slot, Slot)
        assert slot.start.tzinfo is UTC and slot.end.tzinfo is UTC
        assert slot.end - slot.start == timedelta(minutes=minutes)
    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))


def run(
    tz: ZoneInfo,
    hours: list[WeeklyHours],
    first: date,
    last: date,
    minutes: int = 30,
    blocked: list[tuple[datetime, datetime]] | None = None,
    earliest: datetime = LONG_AGO,
) -> list[Slot]:
    return free_slots(
        hours=hours,
        blocked=blocked or [],
        first_day=first,
        last_day=last,
        slot_length=timedelta(minutes=minutes),
        tz=tz,
        earliest=earliest,
    )


# --- the ordinary-week table -------------------------------------------------------------------
# Columns: working hours, blocked intervals, day range "First..Last", slot minutes, earliest
# (None = long ago), expected local starts per day. Every row runs in London and in New York.

MON_TO_FRI_MORNINGS = ("Mon 09:00-12:00", "Tue 09:00-12:00", "Wed 09:00-12:00", "Thu 09:00-12:00", "Fri 09:00-12:00")

WEEK_CASES = [
    # working hours
    pytest.param(["Mon 09:00-12:00"], [], "Mon..Mon", 30, None, {"Mon": PLAIN}, id="plain-day"),
    pytest.param(
        ["Mon 09:00-12:00"], [], "Mon..Mon", 45, None, {"Mon": "09:00 09:45 10:30 11:15"}, id="45min-exact-fit"
    ),
    pytest.param(
        ["Mon 09:00-12:00", "Mon 13:00-17:00"],
        [],
        "Mon..Mon",
        30,
        None,
        {"Mon": f"{PLAIN} {AFTERNOON}"},
        id="two-intervals-with-lunch",
    ),
    pytest.param(
        ["Mon 13:00-17:00", "Mon 09:00-12:00"],
        [],
        "Mon..Mon",
        30,
        None,
        {"Mon": f"{PLAIN} {AFTERNOON}"},
        id="intervals-given-out-of-order",
    ),
    pytest.param(
        ["Mon 09:00-12:00", "Mon 10:00-13:00"],
        [],
        "Mon..Mon",
        30,
        None,
        {"Mon": f"{PLAIN} 12:00 12:30"},
        id="overlapping-intervals-no-duplicates",
    ),
    pytest.param(
        ["Mon 09:00-12:00", "Mon 10:00-11:00", "Mon 09:00-12:00"],
        [],
        "Mon..Mon",
        30,
        None,
        {"Mon": PLAIN},
        id="nested-and-repeated-intervals",
    ),
    pytest.param(
        ["Mon 09:00-10:45"], [], "Mon..Mon", 30, None, {"Mon": "09:00 09:30 10:00"}, id="partial-last-slot-dropped"
    ),
    pytest.param(["Mon 09:00-09:20"], [], "Mon..Mon", 30, None, {}, id="interval-shorter-than-slot"),
    pytest.param(
        ["Mon 22:00-23:59"], [], "Mon..Mon", 30, None, {"Mon": "22:00 22:30 23:00"}, id="late-evening-to-23:59"
    ),
    pytest.param(["Mon 09:00-12:00"], [], "Tue..Tue", 30, None, {}, id="weekday-without-hours"),
    pytest.param([], [], "Mon..Sun", 30, None, {}, id="no-hours-at-all"),
    pytest.param(["Mon 09:00-12:00"], [], "Tue..Mon", 30, None, {}, id="first-day-after-last-day"),
    pytest.param(
        ["Mon 09:00-10:00", "Wed 14:00-15:00", "Fri 09:00-09:30", "Sun 10:00-10:30"],
        [],
        "Mon..Sun",
        30,
        None,
        {"Mon": "09:00 09:30", "Wed": "14:00 14:30", "Fri": "09:00", "Sun": "10:00"},
        id="week-days-in-order-gaps-skipped",
    ),
    pytest.param(
        list(MON_TO_FRI_MORNINGS),
        [],
        "Tue..Thu",
        60,
        None,
        {"Tue": "09:00 10:00 11:00", "Wed": "09:00 10:00 11:00", "Thu": "09:00 10:00 11:00"},
        id="range-inside-week",
    ),
    # blocked intervals (appointments and time off)
    pytest.param(
        ["Mon 09:00-12:00"],
        ["Mon 09:30-10:00"],
        "Mon..Mon",
        30,
        None,
        {"Mon": "09:00 10:00 10:30 11:00 11:30"},
        id="appointment-exactly-on-slot",
    ),
    pytest.param(
        ["Mon 09:00-12:00"],
        ["Mon 09:45-10:15"],
        "Mon..Mon",
        30,
        None,
        {"Mon": "09:00 10:30 11:00 11:30"},
        id="appointment-overlapping-two-slots",
    ),
    pytest.param(
        ["Mon 09:00-12:00"],
        ["Mon 09:30-10:00", "Mon 10:00-10:30"],
        "Mon..Mon",
        30,
        None,
        {"Mon": "09:00 10:30 11:00 11:30"},
        id="back-to-back-appointments",
    ),
    pytest.param(
        ["Mon 09:00-12:00"],
        ["Mon 08:00-09:00", "Mon 12:00-13:00"],
        "Mon..Mon",
        30,
        None,
        {"Mon": PLAIN},
        id="touching-boundaries-do-not-block",
    ),
    pytest.param(
        ["Mon 09:00-12:00"],
        ["Mon 10:59-11:00"],
        "Mon..Mon",
        30,
        None,
        {"Mon": "09:00 09:30 10:00 11:00 11:30"},
        id="one-minute-block",
    ),
    pytest.param(
        ["Mon 09:00-12:00"],
        ["Tue 09:00-12:00", "Sun 09:00-12:00"],
        "Mon..Mon",
        30,
        None,
        {"Mon": PLAIN},
        id="same-clock-other-day-does-not-block",
    ),
    pytest.param(
        list(MON_TO_FRI_MORNINGS),
        ["Tue 11:00-Thu 10:00"],
        "Mon..Fri",
        30,
        None,
        {"Mon": PLAIN, "Tue": "09:00 09:30 10:00 10:30", "Thu": "10:00 10:30 11:00 11:30", "Fri": PLAIN},
        id="time-off-spanning-several-days",
    ),
    pytest.param(
        list(MON_TO_FRI_MORNINGS),
        ["Wed 00:00-Thu 00:00"],
        "Tue..Thu",
        30,
        None,
        {"Tue": PLAIN, "Thu": PLAIN},
        id="whole-day-off",
    ),
    # earliest = now + minimum notice
    pytest.param(
        ["Mon 09:00-12:00"], [], "Mon..Mon", 30, "Mon 10:15", {"Mon": "10:30 11:00 11:30"}, id="earliest-mid-morning"
    ),
    pytest.param(
        ["Mon 09:00-12:00"],
        [],
        "Mon..Mon",
        30,
        "Mon 10:00",
        {"Mon": "10:00 10:30 11:00 11:30"},
        id="earliest-equal-to-slot-start-kept",
    ),
    pytest.param(
        ["Mon 09:00-12:00"],
        [],
        "Mon..Mon",
        30,
        "Mon 10:01",
        {"Mon": "10:30 11:00 11:30"},
        id="earliest-one-minute-after-slot-start",
    ),
    pytest.param(["Mon 09:00-12:00"], [], "Mon..Mon", 30, "Mon 00:00", {"Mon": PLAIN}, id="earliest-before-hours"),
    pytest.param(
        list(MON_TO_FRI_MORNINGS),
        [],
        "Mon..Fri",
        30,
        "Wed 11:00",
        {"Wed": "11:00 11:30", "Thu": PLAIN, "Fri": PLAIN},
        id="earliest-skips-whole-days",
    ),
    pytest.param(list(MON_TO_FRI_MORNINGS), [], "Mon..Fri", 30, "Sat 00:00", {}, id="earliest-after-range"),
    pytest.param(
        ["Mon 09:00-12:00"],
        ["Mon 10:30-11:00"],
        "Mon..Mon",
        30,
        "Mon 10:00",
        {"Mon": "10:00 11:00 11:30"},
        id="earliest-and-appointment-together",
    ),
]


@pytest.mark.parametrize("tz", [LONDON, NEW_YORK], ids=["london", "new-york"])
@pytest.mark.parametrize(("hours", "blocked", "days", "minutes", "earliest", "expected"), WEEK_CASES)
def test_week_table(tz, hours, blocked, days, minutes, earliest, expected):
    first, last = days.split("..")
    result = run(
        tz,
        week_hours(*hours),
        WEEK[first],
        WEEK[last],
        minutes,
        blocked=[span(tz, text) for text in blocked],
        earliest=when(tz, earliest) if earliest else LONG_AGO,
    )
    assert list(by_day(result, tz).items()) == list(expected.items())
    assert result == expected_slots(tz, expected, minutes)
    assert_well_formed(result, minutes)


# --- exact UTC starts of a plain day ---------------------------------------------------------

UTC_CASES = [
    pytest.param(LONDON, "2026-06-01", "08:00 08:30 09:00 09:30 10:00 10:30", id="london-summer-bst"),
    pytest.param(LONDON, "2026-01-05", "09:00 09:30 10:00 10:30 11:00 11:30", id="london-winter-gmt"),
    pytest.param(NEW_YORK, "2026-06-01", "13:00 13:30 14:00 14:30 15:00 15:30", id="new-york-summer-edt"),
    pytest.param(NEW_YORK, "2026-01-05", "14:00 14:30 15:00 15:30 16:00 16:30", id="new-york-winter-est"),
]


@pytest.mark.parametrize(("tz", "day", "utc_starts"), UTC_CASES)
def test_plain_day_utc_starts(tz, day, utc_starts):
    """Mon 09:00-12:00 local in 30-minute slots: six slots at these UTC times."""
    the_day = date.fromisoformat(day)
    result = run(tz, week_hours("Mon 09:00-12:00"), the_day, the_day)
    assert [slot.start for slot in result] == [utc(f"{day} {clock}") for clock in utc_starts.split()]
    assert [slot.local_start(tz).strftime("%H:%M") for slot in result] == PLAIN.split()
    assert_well_formed(result, 30)


# --- daylight-saving change days -------------------------------------------------------------
# Columns: zone, "first..last" ISO dates, working hours every day, slot minutes, expected UTC
# starts ("MM-DD HH:MM", year 2026), expected local starts with the zone abbreviation.

DST_CASES = [
    pytest.param(
        LONDON,
        "2026-03-29..2026-03-29",
        "00:00-03:00",
        30,
        ["03-29 00:00", "03-29 00:30", "03-29 01:00", "03-29 01:30"],
        ["03-29 00:00 GMT", "03-29 00:30 GMT", "03-29 02:00 BST", "03-29 02:30 BST"],
        id="london-spring-forward-night-skips-01:00-01:30",
    ),
    pytest.param(
        LONDON,
        "2026-03-28..2026-03-29",
        "09:00-10:00",
        30,
        ["03-28 09:00", "03-28 09:30", "03-29 08:00", "03-29 08:30"],
        ["03-28 09:00 GMT", "03-28 09:30 GMT", "03-29 09:00 BST", "03-29 09:30 BST"],
        id="london-spring-forward-0900-is-0800-utc",
    ),
    pytest.param(
        LONDON,
        "2026-03-29..2026-03-29",
        "01:00-02:00",
        30,
        [],
        [],
        id="london-spring-forward-hours-inside-gap",
    ),
    pytest.param(
        LONDON,
        "2026-03-29..2026-03-29",
        "00:30-02:30",
        60,
        ["03-29 00:30"],
        ["03-29 00:30 GMT"],
        id="london-spring-forward-slot-across-gap",
    ),
    pytest.param(
        LONDON,
        "2026-10-25..2026-10-25",
        "00:00-03:00",
        30,
        ["10-24 23:00", "10-24 23:30", "10-25 00:00", "10-25 00:30", "10-25 02:00", "10-25 02:30"],
        [
            "10-25 00:00 BST",
            "10-25 00:30 BST",
            "10-25 01:00 BST",
            "10-25 01:30 BST",
            "10-25 02:00 GMT",
            "10-25 02:30 GMT",
        ],
        id="london-fall-back-night-repeated-hour-once",
    ),
    pytest.param(
        LONDON,
        "2026-10-25..2026-10-25",
        "01:00-02:00",
        30,
        ["10-25 00:00", "10-25 00:30"],
        ["10-25 01:00 BST", "10-25 01:30 BST"],
        id="london-fall-back-hours-inside-repeated-hour",
    ),
    pytest.param(
        LONDON,
        "2026-10-24..2026-10-25",
        "09:00-10:00",
        30,
        ["10-24 08:00", "10-24 08:30", "10-25 09:00", "10-25 09:30"],
        ["10-24 09:00 BST", "10-24 09:30 BST", "10-25 09:00 GMT", "10-25 09:30 GMT"],
        id="london-fall-back-0900-is-0900-utc",
    ),
    pytest.param(
        NEW_YORK,
        "2026-03-08..2026-03-08",
        "01:00-04:00",
        30,
        ["03-08 06:00", "03-08 06:30", "03-08 07:00", "03-08 07:30"],
        ["03-08 01:00 EST", "03-08 01:30 EST", "03-08 03:00 EDT", "03-08 03:30 EDT"],
        id="new-york-spring-forward-night-skips-02:00-02:30",
    ),
    pytest.param(
        NEW_YORK,
        "2026-03-07..2026-03-08",
        "09:00-10:00",
        30,
        ["03-07 14:00", "03-07 14:30", "03-08 13:00", "03-08 13:30"],
        ["03-07 09:00 EST", "03-07 09:30 EST", "03-08 09:00 EDT", "03-08 09:30 EDT"],
        id="new-york-spring-forward-0900-is-1300-utc",
    ),
    pytest.param(
        NEW_YORK,
        "2026-11-01..2026-11-01",
        "00:00-03:00",
        30,
        ["11-01 04:00", "11-01 04:30", "11-01 05:00", "11-01 05:30", "11-01 07:00", "11-01 07:30"],
        [
            "11-01 00:00 EDT",
            "11-01 00:30 EDT",
            "11-01 01:00 EDT",
            "11-01 01:30 EDT",
            "11-01 02:00 EST",
            "11-01 02:30 EST",
        ],
        id="new-york-fall-back-night-repeated-hour-once",
    ),
    pytest.param(
        NEW_YORK,
        "2026-10-31..2026-11-01",
        "09:00-10:00",
        30,
        ["10-31 13:00", "10-31 13:30", "11-01 14:00", "11-01 14:30"],
        ["10-31 09:00 EDT", "10-31 09:30 EDT", "11-01 09:00 EST", "11-01 09:30 EST"],
        id="new-york-fall-back-0900-is-1400-utc",
    ),
]


@pytest.mark.parametrize(("tz", "days", "hours", "minutes", "utc_starts", "local_starts"), DST_CASES)
def test_dst_table(tz, days, hours, minutes, utc_starts, local_starts):
    first, last = (date.fromisoformat(d) for d in days.split(".."))
    result = run(tz, every_day(hours), first, last, minutes)
    assert utc_labels(result) == utc_starts
    assert [slot.start for slot in result] == [utc(f"2026-{label}") for label in utc_starts]
    assert local_labels(result, tz) == local_starts
    assert_well_formed(result, minutes)
    # Each wall-clock start is offered at most once, and every slot is on its local day.
    walls = [slot.local_start(tz).replace(tzinfo=None) for slot in result]
    assert len(walls) == len(set(walls))
    grouped = group_by_local_day(result, tz)
    assert [day for day, _ in grouped] == sorted({wall.date() for wall in walls})


# The nights around each change, with several slot lengths: the offered slots must never overlap
# each other in real time and must lie inside the working hours (00:00-06:00 local).
CHANGE_DAYS = [
    pytest.param(LONDON, "2026-03-29", id="london-spring-forward"),
    pytest.param(LONDON, "2026-10-25", id="london-fall-back"),
    pytest.param(NEW_YORK, "2026-03-08", id="new-york-spring-forward"),
    pytest.param(NEW_YORK, "2026-11-01", id="new-york-fall-back"),
    pytest.param(LONDON, "2026-06-07", id="london-ordinary-sunday"),
]


@pytest.mark.parametrize("minutes", [20, 30, 45, 60, 90], ids=lambda m: f"{m}min")
@pytest.mark.parametrize(("tz", "day"), CHANGE_DAYS)
def test_change_day_slots_do_not_overlap_in_real_time(tz, day, minutes):
    the_day = date.fromisoformat(day)
    result = run(tz, every_day("00:00-06:00"), the_day, the_day, minutes)
    assert result, "the night should offer some slots"
    assert_well_formed(result, minutes)
    overlapping = [
        (f"{a.local_start(tz):%H:%M %Z}", f"{b.local_start(tz):%H:%M %Z}")
        for a, b in pairwise(result)
        if b.start < a.end
    ]
    assert overlapping == [], f"slots overlap in real time: {overlapping}"
    opens = at(tz, day, "00:00").astimezone(UTC)
    closes = at(tz, day, "06:00").astimezone(UTC)
    assert all(opens <= slot.start and slot.end <= closes for slot in result)


@pytest.mark.parametrize(
    ("blocked_utc", "expected_local"),
    [
        pytest.param(
            ("2026-10-25 00:00", "2026-10-25 01:00"),
            ["10-25 00:00 BST", "10-25 00:30 BST", "10-25 02:00 GMT", "10-25 02:30 GMT"],
            id="first-0100-0200-bst-blocks-its-slots",
        ),
        pytest.param(
            ("2026-10-25 01:00", "2026-10-25 02:00"),
            [
                "10-25 00:00 BST",
                "10-25 00:30 BST",
                "10-25 01:00 BST",
                "10-25 01:30 BST",
                "10-25 02:00 GMT",
                "10-25 02:30 GMT",
            ],
            id="second-0100-0200-gmt-blocks-nothing-offered",
        ),
    ],
)
def test_fall_back_blocked_by_real_time(blocked_utc, expected_local):
    """The two 01:00-02:00 hours of 2026-10-25 in London are different instants."""
    day = date(2026, 10, 25)
    blocked = [(utc(blocked_utc[0]), utc(blocked_utc[1]))]
    result = run(LONDON, every_day("00:00-03:00"), day, day, blocked=blocked)
    assert local_labels(result, LONDON) == expected_local


# --- group_by_local_day -------------------------------------------------------------------------

GROUP_CASES = [
    pytest.param(
        NEW_YORK,
        ["Mon 23:00-23:59", "Tue 09:00-09:30"],
        "Mon..Tue",
        [("Mon", "23:00 23:15 23:30"), ("Tue", "09:00 09:15")],
        "Tue",  # 23:30 EDT on Monday is 03:30 UTC on Tuesday
        id="new-york-late-evening-stays-on-local-day",
    ),
    pytest.param(
        LONDON,
        ["Mon 09:00-09:30", "Tue 00:00-00:45"],
        "Mon..Tue",
        [("Mon", "09:00 09:15"), ("Tue", "00:00 00:15 00:30")],
        "Mon",  # 00:00 BST on Tuesday is 23:00 UTC on Monday
        id="london-after-midnight-stays-on-local-day",
    ),
    pytest.param(
        LONDON,
        ["Fri 10:00-10:30", "Mon 09:00-09:15", "Wed 12:00-12:15"],
        "Mon..Sun",
        [("Mon", "09:00"), ("Wed", "12:00"), ("Fri", "10:00 10:15")],
        None,
        id="days-in-order",
    ),
    pytest.param(LONDON, [], "Mon..Sun", [], None, id="no-slots-no-days"),
]


@pytest.mark.parametrize(("tz", "hours", "days", "expected", "utc_day_of_last"), GROUP_CASES)
def test_group_by_local_day(tz, hours, days, expected, utc_day_of_last):
    first, last = days.split("..")
    slots = run(tz, week_hours(*hours), WEEK[first], WEEK[last], 15)
    grouped = group_by_local_day(slots, tz)
    readable = [(NAME_OF[day], " ".join(f"{s.local_start(tz):%H:%M}" for s in day_slots)) for day, day_slots in grouped]
    assert readable == expected
    assert all(isinstance(day, date) for day, _ in grouped)
    assert [slot for _, day_slots in grouped for slot in day_slots] == slots  # nothing lost or reordered
    if utc_day_of_last:
        # The boundary slot really is on a different UTC date than its local one.
        boundary = grouped[0][1][-1] if utc_day_of_last == "Tue" else grouped[1][1][0]
        assert boundary.start.date() == WEEK[utc_day_of_last]


# --- argument handling -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slot_length",
    [timedelta(0), timedelta(minutes=-30), timedelta(microseconds=-1)],
    ids=["zero", "minus-30min", "minus-1us"],
)
def test_non_positive_slot_length_raises(slot_length):
    with pytest.raises(ValueError, match="slot_length must be positive"):
        free_slots(
            hours=week_hours("Mon 09:00-12:00"),
            blocked=[],
            first_day=WEEK["Mon"],
            last_day=WEEK["Mon"],
            slot_length=slot_length,
            tz=LONDON,
            earliest=LONG_AGO,
        )


@pytest.mark.parametrize(
    ("clinic", "given_in"),
    [
        pytest.param(LONDON, LONDON, id="london-clinic-inputs-in-london"),
        pytest.param(LONDON, UTC, id="london-clinic-inputs-in-utc"),
        pytest.param(LONDON, TOKYO, id="london-clinic-inputs-in-tokyo"),
        pytest.param(LONDON, NEW_YORK, id="london-clinic-inputs-in-new-york"),
        pytest.param(NEW_YORK, NEW_YORK, id="new-york-clinic-inputs-in-new-york"),
        pytest.param(NEW_YORK, LONDON, id="new-york-clinic-inputs-in-london"),
        pytest.param(NEW_YORK, TOKYO, id="new-york-clinic-inputs-in-tokyo"),
    ],
)
def test_aware_inputs_in_any_zone(clinic, given_in):
    """Blocked intervals and ``earliest`` are instants: the zone they are written in is irrelevant."""
    start, end = span(clinic, "Mon 09:30-10:30")
    blocked = [(start.astimezone(given_in), end.astimezone(given_in))]
    earliest = when(clinic, "Mon 09:15").astimezone(given_in)
    # Hours and blocked given as one-shot generators: any iterable will do.
    result = free_slots(
        hours=(h for h in week_hours("Mon 09:00-12:00")),
        blocked=(b for b in blocked),
        first_day=WEEK["Mon"],
        last_day=WEEK["Mon"],
        slot_length=timedelta(minutes=30),
        tz=clinic,
        earliest=earliest,
    )
    assert by_day(result, clinic) == {"Mon": "10:30 11:00 11:30"}
    assert result == expected_slots(clinic, {"Mon": "10:30 11:00 11:30"}, 30)
    assert_well_formed(result, 30)


# --- Busy times looked up by bisection -----------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_merged_busy_times_answer_as_checking_each_one(seed):
    """The bisection over merged intervals agrees with testing every interval, for random
    overlapping, touching, nested and empty intervals (half-open everywhere)."""
    import random

    from booking.availability.slots import _merged, _overlaps

    rng = random.Random(seed)
    base = datetime(2026, 3, 2, tzinfo=UTC)
    minute = timedelta(minutes=1)
    intervals = []
    for _ in range(rng.randint(0, 30)):
        start = base + rng.randint(0, 600) * minute
        intervals.append((start, start + rng.choice([0, 5, 15, 30, 90]) * minute))
    starts, ends = _merged(intervals)
    assert starts == sorted(starts) and all(a < b for a, b in zip(ends, starts[1:], strict=False))
    for offset in range(-20, 640, 5):
        start = base + offset * minute
        for length in (1, 15, 30):
            end = start + length * minute
            brute = any(start < b_end and b_start < end for b_start, b_end in intervals)
            assert _overlaps(start, end, starts, ends) == brute, (start, end)
