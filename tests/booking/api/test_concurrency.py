"""Sixteen API clients book the same slot at once: exactly one 201, fifteen 409 (MariaDB only).

Each thread is a separate client with its own database connection, so the booking service's row
lock on the doctor is what decides, as with sixteen phones at once.
"""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from booking.models import Appointment

THREADS = 16


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_api_bookings_of_one_slot(doctor, far_slots):
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: SQLite's test database is in memory and has no row locks")
    slot = far_slots[0]
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    codes: list[str] = []
    crashed: list[BaseException] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        close_old_connections()
        try:
            client = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")  # sixteen different phones
            body = {
                "doctor_id": doctor.pk,
                "starts_at": slot.start.isoformat(),
                "full_name": f"Patient {n}",
                "email": f"patient{n}@example.com",
                "mobile": "07912 345678",
            }
            barrier.wait(timeout=30)
            response = client.post("/api/v1/appointments", body, content_type="application/json")
            with lock:
                statuses.append(response.status_code)
                codes.append(response.json()["code"] if response.status_code != 201 else "")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted empty below
            with lock:
                crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert crashed == []
    assert sorted(statuses) == [201] + [409] * (THREADS - 1)
    assert set(codes) == {"", "slot_taken"}
    assert Appointment.objects.filter(doctor=doctor, starts_at=slot.start, holds_slot=True).count() == 1
