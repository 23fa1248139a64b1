"""The booking service tells "just taken" from "never bookable", and records who booked.

``_check_slot`` refuses a time someone else holds with :class:`SlotTaken` (pick another: the
picker was out of date) and a time outside the doctor's hours, on a closed day or too soon with
:class:`SlotUnavailable`; patients, staff and moves all get the message that fits.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail

from booking.appointments.services import Actor, PatientDetails, book_appointment, move_appointment
from booking.errors import (
    SLOT_TAKEN_MESSAGE,
    SLOT_UNAVAILABLE_MESSAGE,
    SlotTaken,
    SlotUnavailable,
    TransitionRefused,
)
from booking.models import Appointment, ClinicClosure, TimeOff, clinic_zone
from tests.factories import make_appointment

pytestmark = pytest.mark.django_db

S = Appointment.Status
DETAILS = PatientDetails(full_name="Nora Caller", email="nora@example.com", mobile="+447912345678")


def book(doctor, starts_at, **kwargs) -> Appointment:
    return book_appointment(doctor_id=doctor.pk, starts_at=starts_at, details=DETAILS, **kwargs)


def local_day(slot):
    return slot.start.astimezone(clinic_zone()).date()


def test_a_held_slot_is_just_taken(doctor, far_slots):
    make_appointment(doctor, slot=far_slots[0])
    with pytest.raises(SlotTaken) as refused:
        book(doctor, far_slots[0].start)
    assert refused.value.message == SLOT_TAKEN_MESSAGE


def test_a_slot_overlapped_by_a_longer_booking_is_just_taken(doctor, far_slots):
    """A booking made when the doctor's slots were an hour long still holds the half-hour after it."""
    first = make_appointment(doctor, slot=far_slots[0])
    Appointment.objects.filter(pk=first.pk).update(ends_at=first.starts_at + timedelta(hours=1))
    with pytest.raises(SlotTaken):
        book(doctor, far_slots[1].start)


@pytest.mark.parametrize(
    "why",
    ["outside hours", "closed day", "time off", "off the grid"],
)
def test_never_bookable_times_are_unavailable_not_taken(doctor, far_slots, why):
    slot = far_slots[0]
    starts_at = slot.start
    if why == "outside hours":
        starts_at = datetime.combine(local_day(slot), time(3, 0), tzinfo=clinic_zone())
    elif why == "closed day":
        ClinicClosure.objects.create(start_date=local_day(slot), end_date=local_day(slot), reason="Bank holiday")
    elif why == "time off":
        TimeOff.objects.create(doctor=doctor, start_date=local_day(slot), end_date=local_day(slot))
    else:
        starts_at = slot.start + timedelta(minutes=10)
    with pytest.raises(SlotUnavailable) as refused:
        book(doctor, starts_at)
    assert not isinstance(refused.value, SlotTaken)
    assert refused.value.message == SLOT_UNAVAILABLE_MESSAGE


def test_a_booked_time_on_a_day_closed_since_is_unavailable(doctor, far_slots):
    """Closed days are not "taken": nobody should go looking for another time that day."""
    make_appointment(doctor, slot=far_slots[0])
    ClinicClosure.objects.create(start_date=local_day(far_slots[0]), end_date=local_day(far_slots[0]), reason="Strike")
    with pytest.raises(SlotUnavailable) as refused:
        book(doctor, far_slots[0].start)
    assert not isinstance(refused.value, SlotTaken)


def test_moving_onto_a_taken_slot_is_just_taken(doctor, far_slots, patient):
    mine = make_appointment(doctor, slot=far_slots[0], patient=patient)
    make_appointment(doctor, slot=far_slots[1], email="other@example.com")
    with pytest.raises(SlotTaken):
        move_appointment(mine, far_slots[1].start, Actor(Actor.PATIENT, patient))
    # Its own current slot is not "taken" by itself: that is a different refusal.
    with pytest.raises(SlotUnavailable) as refused:
        move_appointment(mine, far_slots[0].start, Actor(Actor.PATIENT, patient))
    assert not isinstance(refused.value, SlotTaken)


def test_a_cancelled_booking_does_not_make_a_slot_taken(doctor, far_slots):
    make_appointment(doctor, slot=far_slots[0], status=S.CANCELLED)
    assert book(doctor, far_slots[0].start).status == S.PENDING


# --- Who booked -----------------------------------------------------------------------------


def test_the_timeline_names_the_patient_or_guest_by_default(doctor, far_slots, patient):
    guest = book(doctor, far_slots[0].start)
    mine = book(doctor, far_slots[1].start, patient=patient)
    assert guest.events.get().actor_role == "guest"
    assert (mine.events.get().actor_role, mine.events.get().actor) == ("patient", patient)


def test_staff_bookings_start_confirmed_with_staff_on_the_timeline(
    doctor, far_slots, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(doctor, far_slots[0].start, status=S.CONFIRMED, actor=Actor(Actor.STAFF, staff_user))
    event = appointment.events.get()
    assert (event.actor, event.actor_role, event.to_status) == (staff_user, "staff", S.CONFIRMED)
    assert appointment.holds_slot is True and appointment.hold_expires_at is None
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Confirmed"]
    assert "invite.ics" in mail.outbox[0].body


@pytest.mark.parametrize("role", [Actor.PATIENT, Actor.GUEST, Actor.SYSTEM])
def test_only_the_clinic_books_straight_to_confirmed(doctor, far_slots, patient, role):
    with pytest.raises(TransitionRefused):
        book(doctor, far_slots[0].start, status=S.CONFIRMED, actor=Actor(role, patient if role == "patient" else None))
    with pytest.raises(TransitionRefused):
        book(doctor, far_slots[0].start, status=S.CONFIRMED, patient=patient)  # default actor: the patient
    assert not Appointment.objects.exists()
