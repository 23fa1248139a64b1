"""Template tags that let pages in ``home`` show booking data without importing booking.

The doctor page's template loads these; the page class itself knows nothing about slots.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django import template
from django.conf import settings

from home.models import DoctorPage
from portal import pagecache

from ..availability.selectors import next_free_slots, upcoming_days
from ..availability.slots import Slot

register = template.Library()


@register.simple_tag
def next_free_days(doctor: DoctorPage, days: int = 3) -> list[tuple[date, list[Slot]]]:
    """The next ``days`` local days with free slots: ``{% next_free_days page as next_days %}``.

    A cached page showing them depends on the doctor's free times (read before them), and is
    right only until the first one shown falls inside the minimum notice (``portal.pagecache``).
    """
    pagecache.depends_on("availability", doctor.pk)
    found = upcoming_days(doctor, days_with_slots=days)
    if found:
        pagecache.valid_until(found[0][1][0].start - timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES))
    return found


@register.filter
def lookup(mapping, key):
    """``{{ money|lookup:appointment.pk }}``: one entry of a dict a view prepared per appointment."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def next_free_times(doctors: Iterable[DoctorPage], per_doctor: int = 3) -> dict[int, list[Slot]]:
    """Every listed doctor's next free slots in one go: ``{% next_free_times doctors as free_times %}``.

    Called once per listing (not once per card), so a page of cards costs a fixed number of
    queries; each card then reads its own with ``free_times|free_times_for:doctor``. A cached
    listing depends on every doctor's free times (any booking changes it) and is right only until
    the soonest time shown falls inside the minimum notice (``portal.pagecache``).
    """
    pagecache.depends_on("availability")
    found = next_free_slots(list(doctors), per_doctor=per_doctor)
    starts = [slots[0].start for slots in found.values() if slots]
    if starts:
        pagecache.valid_until(min(starts) - timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES))
    return found


@register.filter
def free_times_for(free_times: dict[int, list[Slot]] | None, doctor: DoctorPage) -> list[Slot] | None:
    """The slots :func:`next_free_times` found for ``doctor``; None when the listing did not ask."""
    if free_times is None or not isinstance(free_times, dict):
        return None
    return free_times.get(doctor.pk, [])


@register.filter
def export_kind(value) -> str:
    """ "record", "list" or "value": how the export page renders a piece of an export section."""
    if isinstance(value, dict):
        return "record"
    if isinstance(value, list | tuple):
        return "list"
    return "value"


@register.filter
def export_label(key: str) -> str:
    """A record's key as a label: ``starts_at`` → "Starts at"."""
    return str(key).replace("_", " ").capitalize()
