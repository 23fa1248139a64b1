"""What the patient-side entry points share: the booking page and the JSON API.

Both book through :func:`book_from_request` (the limits, in the order that keeps floods cheap,
then the booking service) and act on an appointment as :func:`patient_actor` says, so a rule
changed here changes for both.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from home.models import DoctorPage

from ..access import appointment_for_guest_proof, grant_session_access, record_appointment_audit
from ..audit.services import Origin
from ..models import Appointment, AuditEvent
from . import limits
from .checkout import get_checkout
from .forms import BookingForm, FindAppointmentForm
from .services import Actor, book_on_website


def booking_patient(user: Any) -> Any:
    """The account a booking belongs to: a signed-in patient's; None (a guest booking) otherwise."""
    return user if user.is_authenticated and user.is_patient else None


def book_from_request(
    request: Any, doctor: DoctorPage, form: BookingForm, *, pow_answer: str, attempt_counted: bool = False
) -> Appointment | None:
    """The limits, then the booking service; None when the form itself is invalid.

    The address limit and the puzzle come before validation: a flood of half-filled forms costs
    as much to answer as a flood of good ones. An entry point that parses the request before it
    gets here (the API) counts the attempt itself, before parsing, and says so with
    ``attempt_counted``. Raises the limits' :class:`TooManyAttempts` and
    :class:`ProofOfWorkRefused`, and the service's :class:`BookingError`.
    """
    patient = booking_patient(request.user)
    if not attempt_counted:
        limits.check_booking_attempt(request)
    limits.check_proof_of_work(pow_answer)
    if not form.is_valid():
        return None
    limits.check_booking_details(request, form.cleaned_data["email"], is_guest=patient is None)
    # Whether this booking is paid online first, and by when: the checkout's answer (pay at the
    # clinic by default; the payments app installs its own, see checkout.py).
    now = timezone.now()
    payment_due = get_checkout().payment_due(
        doctor, mode=form.cleaned_data["mode"], pay_online=form.chose_online_payment, now=now
    )
    return book_on_website(
        doctor_id=doctor.pk,
        starts_at=form.cleaned_data["slot"],
        details=form.details(),
        patient=patient,
        booked_from="" if patient else limits.address_key(request),
        now=now,
        origin=Origin.from_request(request),
        payment_due=payment_due,
    )


def find_guest_booking(
    request: Any, form: FindAppointmentForm, *, pow_answer: str, attempt_counted: bool = False
) -> Appointment | None:
    """A guest proves a booking's reference and email: the booking, granted to the session, or None.

    The limits first (per address, the puzzle, then per email once the form is valid), raising
    :class:`TooManyAttempts` or :class:`ProofOfWorkRefused`. None alike for an invalid form, an
    unknown reference, a wrong email and an account holder's booking (which only its account's
    password opens): callers give one answer for all, so nobody learns whether a reference
    exists. A lookup that did not open an existing appointment is a refused look in the audit
    trail. ``attempt_counted`` as for :func:`book_from_request`.
    """
    if not attempt_counted:
        limits.check_lookup_attempt(request)
    limits.check_proof_of_work(pow_answer)
    if not form.is_valid():
        return None
    limits.check_lookup_email(form.cleaned_data["email"])
    appointment = appointment_for_guest_proof(form.cleaned_data["reference"], form.cleaned_data["email"])
    if appointment is None:
        existing = Appointment.objects.filter(reference=form.cleaned_data["reference"]).first()
        if existing is not None:
            record_appointment_audit(
                request,
                existing,
                AuditEvent.Action.VIEW,
                outcome=AuditEvent.Outcome.REFUSED,
                detail="lookup by reference and email",
            )
        return None
    grant_session_access(request, appointment)
    return appointment


def patient_actor(request: Any, appointment: Appointment) -> Actor | None:
    """The actor for patient-side changes, or None if this request is not the patient's side.

    Doctors and staff may see the same appointment but change appointments from their own
    dashboards (and API endpoints), so the patient's cancel and reschedule are not theirs.
    """
    user = request.user
    origin = Origin.from_request(request)
    if user.is_authenticated:
        return Actor(Actor.PATIENT, user, origin=origin) if appointment.patient_id == user.pk else None
    return Actor(Actor.GUEST, origin=origin)
