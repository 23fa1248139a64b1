"""Guest bookings join a patient's account once the patient proves they own the email.

Only a *verified* address counts: otherwise anyone could sign up with someone else's email and
read their appointments.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress

from ..models import Appointment


def claim_guest_appointments(user) -> int:
    """Attach guest appointments booked with any of ``user``'s verified emails; return how many."""
    if not user.is_authenticated or not user.is_patient:
        return 0
    emails = [e.lower() for e in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)]
    if not emails:
        return 0
    return Appointment.objects.filter(patient__isnull=True, email__in=emails).update(patient=user)


def on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    claim_guest_appointments(email_address.user)


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    claim_guest_appointments(user)
