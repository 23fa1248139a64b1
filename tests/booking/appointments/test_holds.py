"""Holds: an unconfirmed or unpaid booking keeps its slot only until its deadline.

An expired hold must never block anyone: the booking service releases a doctor's stale holds
inside the doctor's lock before checking a slot, and ``manage.py expire_holds`` releases the rest.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from booking.appointments.services import (
    Actor,
    PatientDetails,
    book_appointment,
    expire_stale_holds,
    transition,
)
from booking.appointments.signals import status_changed
from booking.errors import SlotTaken, SlotUnavailable
from booking.models import Appointment

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def details(n: int = 0) -> PatientDetails:
    return PatientDetails(full_name=f"Patient {n}", email=f"p{n}@example.com", mobile="+447700900123")


def hold(doctor, slot, *, minutes: int = 15, status=Status.PENDING_PAYMENT, n: int = 0) -> Appointment:
    return book_appointment(
        doctor_id=doctor.pk,
        starts_at=slot.start,
        details=details(n),
        status=status,
        hold_until=timezone.now() + timedelta(minutes=minutes),
    )


@pytest.mark.parametrize("status", [Status.PENDING_PAYMENT, Status.UNCONFIRMED])
def test_a_live_hold_blocks_the_slot(doctor, free_slot, status):
    slot = free_slot(doctor)
    held = hold(doctor, slot, status=status)
    assert held.holds_slot and held.hold_expires_at is not None
    with pytest.raises(SlotUnavailable):
        book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details(1))


@pytest.mark.parametrize("status", [Status.PENDING_PAYMENT, Status.UNCONFIRMED])
def test_an_expired_hold_never_blocks_the_next_booking(doctor, free_slot, status):
    slot = free_slot(doctor)
    stale = hold(doctor, slot, status=status)
    Appointment.objects.filter(pk=stale.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))

    fresh = book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details(1))

    stale.refresh_from_db()
    assert fresh.status == Status.PENDING
    assert stale.status == Status.EXPIRED and stale.holds_slot is None
    assert stale.events.last().to_status == Status.EXPIRED
    assert stale.events.last().actor_role == "system"


def test_the_command_expires_stale_holds_only(doctor, free_slot):
    stale = hold(doctor, free_slot(doctor, 0))
    live = hold(doctor, free_slot(doctor, 1), n=1)
    confirmed = book_appointment(doctor_id=doctor.pk, starts_at=free_slot(doctor, 2).start, details=details(2))
    Appointment.objects.filter(pk=stale.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))

    call_command("expire_holds", stdout=io.StringIO())
    assert expire_stale_holds() == 0  # a second run finds nothing left to do

    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert statuses == {stale.pk: Status.EXPIRED, live.pk: Status.PENDING_PAYMENT, confirmed.pk: Status.PENDING}


def test_the_slot_is_bookable_again_after_expiry(doctor, free_slot):
    slot = free_slot(doctor)
    stale = hold(doctor, slot)
    Appointment.objects.filter(pk=stale.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    expire_stale_holds()
    again = book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details(3))
    assert again.holds_slot is True


def test_a_hold_needs_a_deadline(doctor, free_slot):
    with pytest.raises(ValueError, match="deadline"):
        book_appointment(
            doctor_id=doctor.pk, starts_at=free_slot(doctor).start, details=details(), status=Status.PENDING_PAYMENT
        )
    assert not Appointment.objects.exists()


def test_moving_on_from_a_hold_clears_the_deadline(doctor, free_slot):
    held = hold(doctor, free_slot(doctor))
    transition(held, Status.PENDING, Actor(Actor.SYSTEM))
    held.refresh_from_db()
    assert held.status == Status.PENDING and held.hold_expires_at is None
    # A pending appointment never lapses, however old its former deadline.
    assert expire_stale_holds(now=timezone.now() + timedelta(days=1)) == 0


def test_status_changes_are_announced_after_commit(doctor, free_slot, django_capture_on_commit_callbacks):
    seen = []

    def listener(sender, **kwargs):
        seen.append((kwargs["from_status"], kwargs["to_status"], kwargs["actor_role"]))

    status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            held = hold(doctor, free_slot(doctor))
        assert seen == []  # nothing is announced before the booking commits
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            transition(held, Status.CANCELLED, Actor(Actor.GUEST), remark="changed my mind")
    finally:
        status_changed.disconnect(listener)
    assert seen == [("", Status.PENDING_PAYMENT, "guest"), (Status.PENDING_PAYMENT, Status.CANCELLED, "guest")]


def test_unique_slot_constraint_still_backs_up_the_hold(doctor, free_slot, monkeypatch):
    slot = free_slot(doctor)
    hold(doctor, slot)
    monkeypatch.setattr("booking.appointments.services._check_slot", lambda *args, **kwargs: None)
    with pytest.raises(SlotTaken):
        book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details(1))
