"""Template tags that let pages in ``home`` show booking data without importing booking.

The doctor page's template loads these; the page class itself knows nothing about slots.
"""

from __future__ import annotations

from datetime import date

from django import template

from home.models import DoctorPage

from ..availability.selectors import upcoming_days
from ..availability.slots import Slot

register = template.Library()


@register.simple_tag
def next_free_days(doctor: DoctorPage, days: int = 3) -> list[tuple[date, list[Slot]]]:
    """The next ``days`` local days with free slots: ``{% next_free_days page as next_days %}``."""
    return upcoming_days(doctor, days_with_slots=days)


@register.filter
def lookup(mapping, key):
    """``{{ money|lookup:appointment.pk }}``: one entry of a dict a view prepared per appointment."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
