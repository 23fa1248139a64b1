"""Every transition, allowed and forbidden, for every role; remarks, timing and the timeline.

The expectation table below is written out by hand on purpose: it is the specification, and the
test fails if ``booking.appointments.services.TRANSITIONS`` drifts from it.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest

from booking.appointments.services import Actor, transition
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.errors import BookingError, TransitionRefused
from booking.models import Appointment
from tests.factories import make_user, save_appointment

pytestmark = pytest.mark.django_db

S = Appointment.Status
ALL_STATUSES = list(S)

ALLOWED: dict[tuple[str, str], set[str]] = {
    (S.UNCONFIRMED, S.PENDING): {"patient", "guest", "system"},
    (S.UNCONFIRMED, S.PENDING_PAYMENT): {"patient", "guest", "system"},
    (S.UNCONFIRMED, S.EXPIRED): {"system"},
    (S.UNCONFIRMED, S.CANCELLED): {"patient", "guest", "staff", "system"},
    (S.PENDING_PAYMENT, S.PENDING): {"system"},
    (S.PENDING_PAYMENT, S.CONFIRMED): {"system"},
    # Paying at the clinic instead: a guest's booking goes on to the email confirmation.
    (S.PENDING_PAYMENT, S.UNCONFIRMED): {"system"},
    (S.PENDING_PAYMENT, S.EXPIRED): {"system"},
    (S.PENDING_PAYMENT, S.CANCELLED): {"patient", "guest", "staff", "system"},
    (S.PENDING, S.CONFIRMED): {"doctor", "staff"},
    (S.PENDING, S.DECLINED): {"doctor", "staff"},
    (S.PENDING, S.CANCELLED): {"patient", "guest", "doctor", "staff"},
    (S.CONFIRMED, S.CANCELLED): {"patient", "guest", "doctor", "staff"},
    (S.CONFIRMED, S.COMPLETED): {"doctor", "staff"},
    (S.CONFIRMED, S.NO_SHOW): {"doctor", "staff"},
}

ROLES = ["patient", "other_patient", "guest", "doctor", "other_doctor", "staff", "system"]


@pytest.fixture
def cast(doctor, doctor_user, other_doctor, other_doctor_user, patient, other_patient, staff_user):
    return {
        "patient": Actor(Actor.PATIENT, patient),
        "other_patient": Actor(Actor.PATIENT, other_patient),
        "guest": Actor(Actor.GUEST),
        "doctor": Actor(Actor.DOCTOR, doctor_user),
        "other_doctor": Actor(Actor.DOCTOR, other_doctor_user),
        "staff": Actor(Actor.STAFF, staff_user),
        "system": Actor(Actor.SYSTEM),
    }


def expected_allowed(source: str, target: str, role: str) -> bool:
    return role in ALLOWED.get((source, target), set())


@pytest.mark.parametrize("role", ROLES)
def test_transition_matrix(role, cast, doctor, patient, far_slots):
    actor = cast[role]
    wrong = []
    pairs = [(s, t) for s, t in product(ALL_STATUSES, ALL_STATUSES) if s != t]
    for i, (source, target) in enumerate(pairs):
        appointment = save_appointment(doctor, far_slots[i].start, source, patient=patient)
        # Outcomes need a started appointment; everything else is tried well before the cutoff.
        at_start = target in (S.COMPLETED, S.NO_SHOW)
        now = appointment.starts_at + timedelta(minutes=5) if at_start else appointment.starts_at - timedelta(days=2)
        try:
            transition(appointment, target, actor, remark="Because.", now=now, hold_until=now + timedelta(minutes=15))
            allowed = True
        except TransitionRefused:
            allowed = False
        appointment.refresh_from_db()
        if allowed != expected_allowed(source, target, role):
            wrong.append(f"{role}: {source} → {target} {'allowed' if allowed else 'refused'}")
        if not allowed and appointment.status != source:
            wrong.append(f"{role}: refused {source} → {target} still changed the status")
    assert wrong == []


def test_every_transition_is_recorded_on_the_timeline(cast, doctor, patient, far_slots):
    appointment = save_appointment(doctor, far_slots[0].start, S.PENDING, patient=patient)
    transition(appointment, S.CONFIRMED, cast["doctor"], now=appointment.starts_at - timedelta(days=2))
    transition(appointment, S.COMPLETED, cast["doctor"], now=appointment.starts_at + timedelta(minutes=1))
    events = list(appointment.events.values_list("from_status", "to_status", "actor_role", "actor"))
    assert events == [
        (S.PENDING, S.CONFIRMED, "doctor", cast["doctor"].user.pk),
        (S.CONFIRMED, S.COMPLETED, "doctor", cast["doctor"].user.pk),
    ]


@pytest.mark.parametrize(
    ("source", "target"), [(S.PENDING, S.DECLINED), (S.PENDING, S.CANCELLED), (S.CONFIRMED, S.CANCELLED)]
)
def test_clinic_must_give_a_remark(cast, doctor, patient, far_slots, source, target):
    appointment = save_appointment(doctor, far_slots[0].start, source, patient=patient)
    with pytest.raises(TransitionRefused, match="remark"):
        transition(appointment, target, cast["doctor"], remark="   ")
    appointment.refresh_from_db()
    assert appointment.status == source
    transition(appointment, target, cast["doctor"], remark="Doctor is unwell.")
    assert appointment.events.get().remark == "Doctor is unwell."


def test_declined_and_cancelled_release_the_slot(cast, doctor, patient, far_slots):
    appointment = save_appointment(doctor, far_slots[0].start, S.PENDING, patient=patient)
    transition(appointment, S.DECLINED, cast["doctor"], remark="Fully booked that day.")
    appointment.refresh_from_db()
    assert appointment.holds_slot is None
    assert far_slots[0] in doctor_free_slots(doctor, *booking_window())


def test_patient_cannot_cancel_after_the_cutoff(cast, doctor, patient, far_slots):
    appointment = save_appointment(doctor, far_slots[0].start, S.CONFIRMED, patient=patient)
    late = appointment.starts_at - timedelta(hours=23)
    with pytest.raises(TransitionRefused, match="24 hours"):
        transition(appointment, S.CANCELLED, cast["patient"], now=late)
    # The clinic still can, with a remark.
    transition(appointment, S.CANCELLED, cast["staff"], remark="Patient phoned.", now=late)


def test_outcomes_only_after_the_start(cast, doctor, patient, far_slots):
    appointment = save_appointment(doctor, far_slots[0].start, S.CONFIRMED, patient=patient)
    with pytest.raises(TransitionRefused, match="started"):
        transition(appointment, S.COMPLETED, cast["doctor"], now=appointment.starts_at - timedelta(minutes=1))


def test_refusals_read_well(cast, doctor, patient, far_slots):
    appointment = save_appointment(doctor, far_slots[0].start, S.DECLINED, patient=patient)
    with pytest.raises(BookingError) as exc:
        transition(appointment, S.COMPLETED, cast["doctor"], now=appointment.starts_at + timedelta(minutes=1))
    assert exc.value.message == "A declined appointment cannot be completed."


def test_confirming_an_online_appointment_creates_a_meeting_room(cast, doctor, patient, far_slots, settings):
    settings.ONLINE_MEETING_BASE_URL = "https://meet.example/room-"
    online = Appointment.Mode.ONLINE
    appointment = save_appointment(doctor, far_slots[0].start, S.PENDING, patient=patient, mode=online)
    other = save_appointment(doctor, far_slots[1].start, S.PENDING, patient=make_user("carol@example.com"), mode=online)
    transition(appointment, S.CONFIRMED, cast["doctor"])
    transition(other, S.CONFIRMED, cast["doctor"])
    assert appointment.meeting_url.startswith("https://meet.example/room-")
    assert appointment.meeting_url != other.meeting_url
