"""The doctor page's editor form: weekly hours that overlap each other are refused.

Why a page form rather than a check on each row: one row cannot see its siblings, and in the
editor the rows live in a formset until the page is saved. The rule itself,
:func:`overlapping_hours`, is plain data-in, messages-out, so the doctor's own schedule page
(in ``booking``) applies exactly the same one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from wagtail.admin.forms import WagtailAdminPageForm

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def overlapping_hours(rows: Iterable[tuple[int, time, time]]) -> list[str]:
    """Messages for every pair of intervals on the same weekday that overlap or repeat each other.

    Touching intervals (09:00–12:00 and 12:00–13:00) are fine; any shared minute is not.
    """
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, starts, ends in rows:
        by_day.setdefault(int(weekday), []).append((starts, ends))
    messages = []
    for weekday in sorted(by_day):
        intervals = sorted(by_day[weekday])
        # Compare each interval with the one reaching furthest so far, so an interval nested in
        # a long one is caught even when a shorter one lies between them.
        widest = intervals[0]
        for current in intervals[1:]:
            if current[0] < widest[1]:
                what = "appear twice" if current == widest else "overlap"
                messages.append(
                    f"{WEEKDAY_NAMES[weekday]}: {widest[0]:%H:%M}–{widest[1]:%H:%M} and "
                    f"{current[0]:%H:%M}–{current[1]:%H:%M} {what}. Merge them into one interval or change one."
                )
            if current[1] > widest[1]:
                widest = current
    return messages


def kept_rows(formset) -> list[tuple[int, time, time]]:
    """(weekday, start, end) of a working-hours formset's valid rows that are not being deleted."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("DELETE") or not all(data.get(name) is not None for name in ("weekday", "starts", "ends")):
            continue
        rows.append((data["weekday"], data["starts"], data["ends"]))
    return rows


class DoctorPageForm(WagtailAdminPageForm):
    """The doctor page editor: the usual page form plus the weekly-hours overlap rule."""

    def is_valid(self) -> bool:
        # The rows' cleaned data exist only once the child formsets are validated, which
        # modelcluster does after the page form's own clean(); so the check runs here.
        valid = super().is_valid()
        hours = self.formsets.get("working_hours")
        if hours is None or not valid:
            return valid
        messages = overlapping_hours(kept_rows(hours))
        for message in messages:
            self.add_error(None, message)
        return not messages
