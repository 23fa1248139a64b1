"""Changing a doctor's profile, weekly hours and time off from the doctor's own dashboard.

Changes are published as a new revision of the doctor's page, exactly as if staff had made them
in the Wagtail admin, so the page history shows who changed what. Existing appointments are kept:
moving or cancelling them stays a deliberate step.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from home.models import DoctorPage

from ..errors import BookingError


class ScheduleLocked(BookingError):
    """The page is withdrawn or has a draft waiting for staff: the doctor may not publish over it."""

    MESSAGE = (
        "Nothing was saved: your page is unpublished or has changes waiting for the clinic's staff. "
        "Please ask them to publish or discard those first."
    )

    def __init__(self, message: str = MESSAGE):
        super().__init__(message)


@transaction.atomic
def publish_profile_and_schedule(doctor: DoctorPage, form: Any, hours: Any, time_off: Any, *, user: Any) -> None:
    """Publish the validated profile form and hours/time-off formsets as a new page revision.

    Publishing from here must never publish something staff have not: a withdrawn page or a
    draft waiting in the admin (a new fee, another linked account) stays for staff to decide, so
    both are refused with :class:`ScheduleLocked` (re-checked on the locked row).
    """
    current = DoctorPage.objects.select_for_update().get(pk=doctor.pk)
    if not current.live or current.has_unpublished_changes:
        raise ScheduleLocked()
    page = form.save(commit=False)
    hours.save(commit=False)
    time_off.save(commit=False)
    # The doctor has no Wagtail page permissions; being the page's own doctor is the permission
    # here (checked by the dashboard's access decorator), so Wagtail's check is skipped.
    revision = page.save_revision(user=user, log_action=True)
    revision.publish(user=user, skip_permission_checks=True)
