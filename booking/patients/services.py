"""A patient deletes their account: the clinic keeps its records, the person's details go.

Decided here rather than by deleting the user row:

* **The user row stays, deactivated and scrubbed.** Appointments keep pointing at it, so they
  remain *account* bookings, which ``booking.access`` opens only to that account's password: an
  anonymised appointment can never be opened with a reference and a guessed email, nor by a
  signed link from an old email. Audit rows keep their link too (they also keep the email the
  account had when it acted, on purpose: the trail must still say who read what).
* **Personal fields are replaced, clinical ones kept.** Name, email, mobile and reason on the
  appointments; the bodies and calendar files of the emails sent (they carry the name and signed
  links; subjects carry only a reference and a time); the patient's own remarks in the timelines.
  The doctor, times, statuses, fees and prescriptions stay: the clinic must keep medical records.
* **Signed out everywhere** without scanning the session table: an inactive user with an unusable
  password fails both the backend's ``is_active`` check and the session's password hash on the
  next request of every browser signed in as them.
* **Upcoming appointments are the patient's choice**: cancelled through :func:`transition` (the
  usual rules, cutoff included, and the usual emails), or kept as guest bookings with their
  details, managed from the links in the emails, until they are over.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..access import manages_own_patient_data
from ..appointments.services import Actor, allowed_targets, transition
from ..audit.services import Origin, record_audit
from ..errors import BookingError
from ..models import Appointment, AppointmentEvent, AuditEvent, DismissedClaim, Notification
from .selectors import user_emails

ANONYMISED_NAME = "Deleted patient"
CANCEL_REMARK = "The patient deleted their account."


class UpcomingChoice:
    CANCEL = "cancel"
    KEEP = "keep"
    CHOICES = (
        (CANCEL, "Cancel them (you get the usual cancellation emails)"),
        (KEEP, "Keep them as guest bookings: the clinic keeps your name and contact on those only"),
    )


class AccountDeletionRefused(BookingError):
    """Deleting the account would break a rule (an appointment past its cancel cutoff); nothing changed."""


@dataclass(frozen=True)
class DeletionResult:
    cancelled: list[str]
    kept: list[str]
    anonymised: int


def upcoming_appointments(user, *, now=None) -> list[Appointment]:
    """The patient's active appointments that have not started: those deletion must ask about."""
    now = now or timezone.now()
    rows = Appointment.objects.for_patient(user).filter(status__in=Appointment.ACTIVE_STATUSES, starts_at__gt=now)
    return list(rows.select_related("doctor").order_by("starts_at"))


def _anonymised_email(user) -> str:
    # Unique (the login column is) and unguessable; ``.invalid`` can never receive mail (RFC 2606).
    return f"deleted-{user.pk}-{secrets.token_hex(8)}@deleted.invalid"


def delete_patient_account(user, *, upcoming: str, origin: Origin | None = None, now=None) -> DeletionResult:
    """Delete ``user``'s account as described in the module docstring, or raise and change nothing.

    ``upcoming`` is :attr:`UpcomingChoice.CANCEL` or :attr:`UpcomingChoice.KEEP`. Only patients
    delete their own accounts here; doctors' and staff accounts belong to the clinic.
    """
    if not manages_own_patient_data(user):
        raise AccountDeletionRefused("Only a patient can delete their own account here.")
    if upcoming not in (UpcomingChoice.CANCEL, UpcomingChoice.KEEP):
        raise AccountDeletionRefused("Choose what to do with your upcoming appointments.")
    now = now or timezone.now()
    actor = Actor(Actor.PATIENT, user, origin=origin)
    with transaction.atomic():
        pending = upcoming_appointments(user, now=now)
        cancelled: list[str] = []
        kept: list[str] = []
        if upcoming == UpcomingChoice.CANCEL:
            too_late = [a for a in pending if Appointment.Status.CANCELLED not in allowed_targets(a, actor, now=now)]
            if too_late:
                references = ", ".join(a.reference for a in too_late)
                raise AccountDeletionRefused(
                    f"These appointments can no longer be cancelled online: {references}. "
                    "Phone the clinic to cancel them, or choose to keep them as guest bookings."
                )
            for appointment in pending:
                transition(appointment, Appointment.Status.CANCELLED, actor, remark=CANCEL_REMARK, now=now)
                cancelled.append(appointment.reference)
        else:
            kept = [a.reference for a in pending]
            Appointment.objects.filter(pk__in=[a.pk for a in pending]).update(patient=None)

        # Recorded while the account still has its email: the trail says who deleted what.
        record_audit(
            AuditEvent.Action.CHANGE,
            AuditEvent.ObjectType.PATIENT,
            f"user:{user.pk}",
            user=user,
            role=Actor.PATIENT,
            origin=origin,
            detail=f"account deleted; upcoming cancelled: {len(cancelled)}, kept as guest bookings: {len(kept)}",
        )
        anonymised = _anonymise(user, now=now)
    return DeletionResult(cancelled=cancelled, kept=kept, anonymised=anonymised)


def _anonymise(user, *, now) -> int:
    """Scrub the account and every appointment still linked to it; return how many appointments."""
    email = _anonymised_email(user)
    appointments = Appointment.objects.for_patient(user)
    count = appointments.update(
        full_name=ANONYMISED_NAME, email=email, mobile="", reason="", booked_from="", updated_at=now
    )
    # Emails still waiting to go (the cancellations just queued) keep their address until sent:
    # they are what the patient asked for. Everything already sent or given up is scrubbed.
    done = (Notification.Status.SENT, Notification.Status.GAVE_UP)
    about_them = Q(appointment__patient=user) | Q(kind=Notification.Kind.ACCOUNT, to__in=user_emails(user))
    Notification.objects.filter(about_them, status__in=done).update(
        to=email, body_text="", body_html="", ics="", last_error=""
    )
    AppointmentEvent.objects.filter(actor=user).exclude(remark=CANCEL_REMARK).update(remark="")
    DismissedClaim.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()

    user.email = email
    user.first_name = user.last_name = ""
    user.mobile = ""
    user.date_of_birth = None
    user.reminder_emails = False
    user.is_active = False
    user.set_unusable_password()
    user.save()
    return count
