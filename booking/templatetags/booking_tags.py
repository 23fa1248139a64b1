"""Template tags that let pages in ``home`` show booking data without importing booking.

The doctor page's template loads these; the page class itself knows nothing about slots.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import template
from django.conf import settings

from home.models import DoctorPage
from portal import pagecache

from ..availability.selectors import upcoming_days
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
