"""Staff endpoints: search across doctors, move/reassign, change status, reports as JSON."""

from __future__ import annotations

import pytest
from django.test import Client

from booking.models import Appointment
from tests.factories import api_token, bearer, make_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(staff_user):
    return Client(), bearer(api_token(Client(), staff_user))


def test_search_across_doctors(app, doctor, other_doctor, far_slots):
    client, headers = app
    ada = make_appointment(doctor, slot=far_slots[0], full_name="Quentin Blake")
    alan = make_appointment(other_doctor, n=0, full_name="Quentin Crisp")
    both = client.get("/api/v1/staff/appointments", {"q": "quentin"}, headers=headers).json()
    assert {a["reference"] for a in both["items"]} == {ada.reference, alan.reference}
    one = client.get("/api/v1/staff/appointments", {"q": "quentin", "doctor_id": other_doctor.pk}, headers=headers)
    assert [a["reference"] for a in one.json()["items"]] == [alan.reference]
    by_ref = client.get("/api/v1/staff/appointments", {"q": ada.reference.lower()}, headers=headers).json()
    assert [a["reference"] for a in by_ref["items"]] == [ada.reference]


def test_move_to_another_doctor(app, doctor, other_doctor, far_slots):
    client, headers = app
    appointment = make_appointment(doctor, slot=far_slots[0])
    response = client.post(
        f"/api/v1/staff/appointments/{appointment.reference}/move",
        {"starts_at": far_slots[1].start.isoformat(), "doctor_id": other_doctor.pk},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200, response.content
    assert response.json()["doctor"]["id"] == other_doctor.pk
    appointment.refresh_from_db()
    assert appointment.doctor_id == other_doctor.pk and appointment.starts_at == far_slots[1].start


def test_staff_status_change(app, doctor, far_slots):
    client, headers = app
    appointment = make_appointment(doctor, slot=far_slots[0])
    response = client.post(
        f"/api/v1/staff/appointments/{appointment.reference}/status",
        {"status": "cancelled", "remark": "Clinic closed."},
        content_type="application/json",
        headers=headers,
    )
    assert response.json()["status"] == "cancelled"
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.CANCELLED


def test_report_as_json(app, doctor, other_doctor, far_slots):
    client, headers = app
    first = make_appointment(doctor, slot=far_slots[0], status=Appointment.Status.CONFIRMED)
    make_appointment(other_doctor, n=0)
    day = first.local_starts_at.date().isoformat()
    body = client.get("/api/v1/staff/reports/appointments", {"start": day, "end": day}, headers=headers).json()
    assert body["total"] >= 1
    row = next(r for r in body["rows"] if r["doctor_id"] == doctor.pk)
    assert row["counts"]["confirmed"] == 1
    long = client.get(
        "/api/v1/staff/reports/appointments", {"start": "2020-01-01", "end": "2022-01-01"}, headers=headers
    )
    assert long.status_code == 400 and "366" in long.json()["message"]
    bad = client.get("/api/v1/staff/reports/appointments", {"start": "0001-01-01"}, headers=headers)
    assert bad.status_code == 400


def test_staff_search_issues_a_bounded_number_of_queries(
    app, doctor, other_doctor, far_slots, django_assert_max_num_queries
):
    client, headers = app
    for i in range(2):
        make_appointment(doctor, slot=far_slots[i])
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/staff/appointments", headers=headers).json()["count"] == 2
    for i in range(2, 14):
        make_appointment(doctor, slot=far_slots[i])
        make_appointment(other_doctor, n=i)
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/staff/appointments", headers=headers).json()["count"] == 26
