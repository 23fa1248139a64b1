"""No double booking: the database constraint, and the service under real concurrency.

The concurrency test needs a server that takes row locks from separate connections, so it runs on
MariaDB/MySQL only (``.ci/run`` runs the suite there). The constraint tests run everywhere.
"""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from booking.appointments.services import PatientDetails, book_appointment
from booking.errors import BookingError, SlotTaken, SlotUnavailable
from booking.models import Appointment
from tests.factories import appointment_row

THREADS = 16


def details(n: int = 0) -> PatientDetails:
    return PatientDetails(full_name=f"Patient {n}", email=f"p{n}@example.com", mobile="+447700900123")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_database_refuses_a_second_active_appointment_in_a_slot(doctor, free_slot):
    slot = free_slot(doctor)
    appointment_row(doctor, slot.start).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment_row(doctor, slot.start).save()
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_released_appointments_do_not_hold_the_slot(doctor, free_slot):
    slot = free_slot(doctor)
    for status in (Appointment.Status.CANCELLED, Appointment.Status.DECLINED, Appointment.Status.EXPIRED):
        old = appointment_row(doctor, slot.start)
        old.set_status(status)
        old.save()
    appointment_row(doctor, slot.start).save()  # the one active appointment
    assert Appointment.objects.filter(holds_slot=True).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_database_refuses_holds_slot_out_of_step_with_status(doctor, free_slot):
    slot = free_slot(doctor)
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment_row(doctor, slot.start, status=Appointment.Status.CANCELLED, holds_slot=True).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        appointment_row(doctor, slot.start, status=Appointment.Status.CONFIRMED, holds_slot=None).save()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_integrity_error_becomes_slot_taken(doctor, free_slot, monkeypatch):
    """Even if the overlap check were fooled, the constraint turns a race into a clean refusal."""
    slot = free_slot(doctor)
    book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details())
    monkeypatch.setattr("booking.appointments.services._check_slot", lambda *args, **kwargs: None)
    with pytest.raises(SlotTaken, match="just taken"):
        book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details(1))
    assert Appointment.objects.count() == 1


def _book_concurrently(doctor_id: int, starts_at, n: int) -> tuple[list[Appointment], list[BookingError], list]:
    barrier = threading.Barrier(n)
    booked: list[Appointment] = []
    refused: list[BookingError] = []
    crashed: list = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        close_old_connections()
        try:
            barrier.wait(timeout=30)
            appointment = book_appointment(doctor_id=doctor_id, starts_at=starts_at, details=details(i))
            with lock:
                booked.append(appointment)
        except BookingError as exc:
            with lock:
                refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - collected and asserted empty below
            with lock:
                crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return booked, refused, crashed


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_threads_one_slot_exactly_one_booking(doctor, free_slot):
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: SQLite's test database is in memory and has no row locks")
    slot = free_slot(doctor)

    booked, refused, crashed = _book_concurrently(doctor.pk, slot.start, THREADS)

    assert crashed == []
    assert len(booked) == 1
    assert len(refused) == THREADS - 1
    assert all(isinstance(exc, SlotUnavailable) for exc in refused)
    assert Appointment.objects.filter(doctor=doctor, starts_at=slot.start, holds_slot=True).count() == 1

    # Once cancelled, the slot is free again, and again exactly one of many wins it.
    winner = booked[0]
    winner.set_status(Appointment.Status.CANCELLED)
    winner.save()
    booked, refused, crashed = _book_concurrently(doctor.pk, slot.start, THREADS)
    assert crashed == []
    assert len(booked) == 1
    assert Appointment.objects.filter(doctor=doctor, starts_at=slot.start).count() == 2
