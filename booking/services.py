"""The booking service: the one place that creates appointments and moves them between states.

Every entry point (the doctor page's booking form, dashboards, the Wagtail admin, the API) calls
these functions, so the rules are checked once. Two defences stop a double booking:

1. :func:`book_appointment` locks the doctor's row (``SELECT … FOR UPDATE``) and re-computes the
   doctor's free slots inside the same transaction, so concurrent bookings of one doctor queue
   up and each sees the appointments committed before it. On SQLite the IMMEDIATE transaction
   mode gives the same serialisation.
2. The unique constraint on (doctor, starts_at, holds_slot) catches anything that slips past
   (a slot booked through another path, a different slot length); the IntegrityError becomes the
   same clear "just taken" refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Appointment, AppointmentEvent, clinic_zone
from .schedules import doctor_free_slots


class BookingError(Exception):
    """A booking or change was refused; ``message`` is safe to show to the person who asked."""

    code = "refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DoctorUnavailable(BookingError):
    code = "doctor_unavailable"


class SlotUnavailable(BookingError):
    code = "slot_unavailable"


class SlotTaken(SlotUnavailable):
    code = "slot_taken"


SLOT_TAKEN_MESSAGE = "That time was just taken — please pick another."


@dataclass(frozen=True)
class PatientDetails:
    full_name: str
    email: str
    mobile: str
    reason: str = ""
    mode: str = Appointment.Mode.IN_PERSON


def _lock_doctor(doctor_id: int):
    """Lock and return the live doctor page; the lock serialises bookings of this doctor."""
    doctor_model = apps.get_model("home", "DoctorPage")
    try:
        return doctor_model.objects.select_for_update().live().get(pk=doctor_id)
    except doctor_model.DoesNotExist:
        raise DoctorUnavailable("This doctor is not taking bookings.") from None


def _check_slot(doctor, starts_at: datetime, *, now: datetime | None, ignore: Appointment | None = None) -> None:
    """Raise SlotUnavailable unless ``starts_at`` is one of the doctor's free slot starts."""
    if timezone.is_naive(starts_at):
        raise SlotUnavailable("That time is not valid.")
    if starts_at <= (now or timezone.now()):
        raise SlotUnavailable("That time is in the past — please pick a later one.")
    day = timezone.localtime(starts_at, clinic_zone()).date()
    slots = doctor_free_slots(doctor, day, day, now=now, ignore=ignore)
    if not any(slot.start == starts_at for slot in slots):
        raise SlotUnavailable(
            "That time is not available: it is outside the doctor's hours, too soon, or already taken."
        )


@transaction.atomic
def book_appointment(
    *,
    doctor_id: int,
    starts_at: datetime,
    details: PatientDetails,
    patient=None,
    now: datetime | None = None,
) -> Appointment:
    """Book ``starts_at`` with the doctor, or raise a :class:`BookingError` and save nothing.

    ``patient`` is the signed-in patient's account, or ``None`` for a guest.
    """
    doctor = _lock_doctor(doctor_id)
    _check_slot(doctor, starts_at, now=now)
    if details.mode == Appointment.Mode.ONLINE and not doctor.offers_online:
        raise BookingError("This doctor does not offer online consultations.")
    appointment = Appointment(
        doctor=doctor,
        patient=patient,
        full_name=details.full_name,
        email=details.email.lower(),
        mobile=details.mobile,
        reason=details.reason,
        mode=details.mode,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=doctor.slot_minutes),
        fee=doctor.consultation_fee,
    )
    appointment.set_status(Appointment.Status.PENDING)
    try:
        # A savepoint, so the outer transaction stays usable after a constraint violation.
        with transaction.atomic():
            appointment.save()
    except IntegrityError:
        raise SlotTaken(SLOT_TAKEN_MESSAGE) from None
    AppointmentEvent.objects.create(
        appointment=appointment,
        actor=patient,
        actor_role="patient" if patient else "guest",
        to_status=appointment.status,
    )
    return appointment
