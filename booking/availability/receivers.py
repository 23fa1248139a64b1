"""Free times changed: tell the page cache (``portal.pagecache``), which cannot import booking.

Receivers of ``post_save``/``post_delete`` on the rows free times are computed from, rather than
calls in each service: every way an appointment, working hours, time off or a closure changes
(booking, cancellation, decline, hold expiry, a move, the page editor saving a doctor's hours,
the staff closure form, the admin) goes through a save or a delete, so none can be forgotten.
The page cache bumps after the transaction commits, and not at all if it rolls back. The one
change a save does not show is where a moved appointment came from; the move service bumps that
doctor itself.
"""

from __future__ import annotations

from portal import pagecache

from ..models import Appointment, ClinicClosure, TimeOff, WorkingHours


def on_doctor_schedule_saved(sender, instance, **kwargs) -> None:
    """An appointment, working hours or time off of one doctor: that doctor's free times."""
    pagecache.bump("availability", instance.doctor_id)


def on_closure_saved(sender, instance=None, **kwargs) -> None:
    """A clinic closure (or the doctors still working through it): everyone's free times."""
    pagecache.bump("availability")


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in (Appointment, WorkingHours, TimeOff):
        post_save.connect(on_doctor_schedule_saved, sender=model, dispatch_uid=f"pagecache.saved.{model.__name__}")
        post_delete.connect(on_doctor_schedule_saved, sender=model, dispatch_uid=f"pagecache.deleted.{model.__name__}")
    post_save.connect(on_closure_saved, sender=ClinicClosure, dispatch_uid="pagecache.saved.closure")
    post_delete.connect(on_closure_saved, sender=ClinicClosure, dispatch_uid="pagecache.deleted.closure")
    m2m_changed.connect(
        on_closure_saved, sender=ClinicClosure.open_doctors.through, dispatch_uid="pagecache.closure_doctors"
    )
