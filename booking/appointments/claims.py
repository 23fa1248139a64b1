"""Guest bookings join a patient's account only when the patient confirms each one.

Anyone can book as a guest with any address, including a registered patient's. Attaching such
bookings silently at sign-in (as this module once did) let a stranger *plant* an appointment in
someone's account while their own browser kept reading it. So:

* A booking is **offered** to an account (:func:`found_bookings`) when it is a guest booking
  whose address equals one of the account's *verified* addresses, exactly, in the normal form of
  ``portal.emails`` (no case or accent folding by a database collation: ``vera@exámple.org`` is
  not ``vera@example.org``). An unverified address proves nothing.
* The patient **confirms** each booking (:func:`claim_booking`) or says it is **not theirs**
  (:func:`dismiss_booking`, which stops offering it to that account).
* Confirming sets the booking's patient. From then on every guest grant ends: sessions that
  booked or proved the reference stop opening it and the signed link in earlier emails leads to
  sign-in (``booking.access.guest_grant_applies``).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from portal.emails import comparable_email

from ..errors import ClaimRefused
from ..models import Appointment, DismissedClaim, normalize_reference
from .services import Actor, lock_appointment, record_event

# How many found bookings one page lists; more than this for one address is not a real patient.
FOUND_LIMIT = 50

NOT_OFFERED_MESSAGE = "That booking is not waiting to be added to your account."


def verified_addresses(user) -> list[str]:
    """The account's verified addresses in the stored form (looked up by account, never by email)."""
    emails = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return sorted({comparable_email(email) for email in emails})


def _may_claim(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_patient)


def _offered(user, addresses: list[str]):
    """Guest bookings made with one of ``addresses`` that ``user`` has not dismissed."""
    return (
        Appointment.objects.filter(patient__isnull=True, email__in=addresses)
        .exclude(dismissed_claims__user=user)
        .select_related("doctor")
    )


def found_bookings(user, *, limit: int = FOUND_LIMIT) -> list[Appointment]:
    """Guest bookings waiting for ``user`` to confirm or dismiss them, in date order."""
    if not _may_claim(user):
        return []
    addresses = verified_addresses(user)
    if not addresses:
        return []
    return list(_offered(user, addresses).order_by("starts_at", "pk")[:limit])


@transaction.atomic
def claim_booking(user, reference: str) -> Appointment:
    """Add the offered guest booking ``reference`` to ``user``'s account; raise ClaimRefused if not offered.

    Re-checked under the appointment's row lock, so two accounts (or two clicks) cannot both
    take it. Confirming twice is not an error: the second click finds it already in the account.
    """
    if not _may_claim(user):
        raise ClaimRefused(NOT_OFFERED_MESSAGE)
    found = Appointment.objects.filter(reference=normalize_reference(reference)).first()
    if found is None:
        raise ClaimRefused(NOT_OFFERED_MESSAGE)
    appointment = lock_appointment(found)
    if appointment.patient_id == user.pk:
        return appointment
    if (
        appointment.patient_id is not None
        or appointment.email not in verified_addresses(user)
        or DismissedClaim.objects.filter(user=user, appointment=appointment).exists()
    ):
        raise ClaimRefused(NOT_OFFERED_MESSAGE)
    appointment.patient = user
    appointment.save(update_fields=["patient", "updated_at"])
    record_event(appointment, Actor(Actor.PATIENT, user), remark="Added to the patient's account.")
    return appointment


def dismiss_booking(user, reference: str) -> Appointment:
    """``user`` says the offered booking is not theirs: stop offering it to them; it stays a guest booking.

    Dismissing twice is not an error (a second click, a second tab).
    """
    if not _may_claim(user):
        raise ClaimRefused(NOT_OFFERED_MESSAGE)
    appointment = Appointment.objects.filter(
        reference=normalize_reference(reference), patient__isnull=True, email__in=verified_addresses(user)
    ).first()
    if appointment is None:
        raise ClaimRefused(NOT_OFFERED_MESSAGE)
    DismissedClaim.objects.get_or_create(user=user, appointment=appointment)
    return appointment
