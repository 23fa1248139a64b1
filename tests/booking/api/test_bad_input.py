"""The issue's bad-input list: every case answers the error shape, changes nothing, never 500."""

from __future__ import annotations

import pytest
from django.test import Client

from booking.models import Appointment
from tests.factories import api_token, bearer, make_appointment

pytestmark = pytest.mark.django_db


def _booking(doctor, starts_at: str, **extra) -> dict:
    return {
        "doctor_id": doctor.pk,
        "starts_at": starts_at,
        "full_name": "Gus Guest",
        "email": "gus@example.com",
        "mobile": "07912 345678",
        **extra,
    }


def _assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message"]
    assert isinstance(body["errors"], list)
    return body


def test_malformed_json(client, doctor):
    for raw in ("{", "[1, 2", "null", '"text"', "\x00\x01"):
        response = client.post("/api/v1/appointments", raw, content_type="application/json")
        assert response.status_code == 400, raw
        assert response.json()["code"] == "invalid"
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("doctor_id", "one"),
        ("doctor_id", None),
        ("starts_at", 12345),
        ("full_name", ["Gus"]),
        ("email", {"a": 1}),
        ("mode", "teleport"),
    ],
)
def test_wrong_types(client, doctor, far_slots, field, value):
    body = {**_booking(doctor, far_slots[0].start.isoformat()), field: value}
    errors = _assert_error(client.post("/api/v1/appointments", body, content_type="application/json"), 400, "invalid")
    assert field in {e["field"] for e in errors["errors"]}
    assert Appointment.objects.count() == 0


def test_unknown_fields_are_refused(client, doctor, far_slots):
    body = _booking(doctor, far_slots[0].start.isoformat(), status="confirmed")
    errors = _assert_error(client.post("/api/v1/appointments", body, content_type="application/json"), 400, "invalid")
    assert errors["errors"][0]["field"] == "status"
    assert Appointment.objects.count() == 0


def test_huge_bodies_are_refused_before_parsing(client, doctor, far_slots, settings):
    body = _booking(doctor, far_slots[0].start.isoformat(), message="x" * (settings.API_MAX_BODY_BYTES + 1))
    _assert_error(client.post("/api/v1/appointments", body, content_type="application/json"), 413, "too_large")
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    "when", ["{naive}", "0001-01-01T10:00:00+00:00", "9999-12-31T23:30:00+00:00", "2026-13-01T10:00:00Z", "soon"]
)
def test_naive_or_absurd_datetimes(client, doctor, far_slots, when):
    naive = far_slots[0].start.replace(tzinfo=None).isoformat()
    body = _booking(doctor, when.format(naive=naive))
    errors = _assert_error(client.post("/api/v1/appointments", body, content_type="application/json"), 400, "invalid")
    assert errors["errors"][0]["field"] == "starts_at"
    assert Appointment.objects.count() == 0


def test_a_time_that_is_not_a_slot_is_409(client, doctor, far_slots):
    off_grid = far_slots[0].start.replace(minute=7).isoformat()
    _assert_error(
        client.post("/api/v1/appointments", _booking(doctor, off_grid), content_type="application/json"),
        409,
        "slot_taken",
    )


def test_another_patients_reference(client, doctor, patient, other_patient, far_slots):
    theirs = make_appointment(doctor, slot=far_slots[0], patient=other_patient)
    headers = bearer(api_token(Client(), patient))
    for path in (f"/api/v1/appointments/{theirs.reference}/cancel", f"/api/v1/appointments/{theirs.reference}"):
        response = client.post(path, {}, content_type="application/json", headers=headers)
        assert response.status_code in (404, 405)
    _assert_error(client.get(f"/api/v1/appointments/{theirs.reference}", headers=headers), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.PENDING


def test_a_doctor_acting_on_another_doctors_appointment(client, doctor, other_doctor, other_doctor_user, far_slots):
    appointment = make_appointment(doctor, slot=far_slots[0])
    headers = bearer(api_token(Client(), other_doctor_user))
    response = client.post(
        f"/api/v1/doctor/appointments/{appointment.reference}/status",
        {"status": "confirmed"},
        content_type="application/json",
        headers=headers,
    )
    _assert_error(response, 404, "not_found")
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.PENDING


def test_control_characters_in_text(client, doctor, far_slots):
    body = _booking(doctor, far_slots[0].start.isoformat(), full_name="Gus\x00Guest")
    errors = _assert_error(client.post("/api/v1/appointments", body, content_type="application/json"), 400, "invalid")
    assert errors["errors"][0]["field"] == "full_name"


def test_rate_limits_answer_429_with_retry_after(client, doctor, far_slots, settings):
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 2
    for _ in range(2):
        client.post("/api/v1/appointments", {}, content_type="application/json")
    response = client.post(
        "/api/v1/appointments", _booking(doctor, far_slots[0].start.isoformat()), content_type="application/json"
    )
    _assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert Appointment.objects.count() == 0


def test_api_wide_limit_per_address_and_per_account(client, patient, settings):
    settings.API_REQUESTS_PER_ADDRESS = 3
    for _ in range(3):
        assert client.get("/api/v1/clinic").status_code == 200
    limited = client.get("/api/v1/clinic")
    _assert_error(limited, 429, "rate_limited")
    assert limited["Retry-After"] == "60"

    settings.API_REQUESTS_PER_ADDRESS = 1000
    settings.API_REQUESTS_PER_ACCOUNT = 2
    headers = bearer(api_token(Client(), patient))
    for _ in range(2):
        assert client.get("/api/v1/appointments", headers=headers).status_code == 200
    # Another network, the same account: still limited (counted per account).
    elsewhere = client.get("/api/v1/appointments", headers=headers, REMOTE_ADDR="198.51.100.7")
    _assert_error(elsewhere, 429, "rate_limited")


def test_guest_caps_on_unconfirmed_bookings(client, doctor, far_slots, settings):
    settings.GUEST_UNCONFIRMED_PER_EMAIL = 1
    first = client.post(
        "/api/v1/appointments", _booking(doctor, far_slots[0].start.isoformat()), content_type="application/json"
    )
    assert first.status_code == 201
    second = client.post(
        "/api/v1/appointments", _booking(doctor, far_slots[1].start.isoformat()), content_type="application/json"
    )
    _assert_error(second, 429, "rate_limited")
    assert Appointment.objects.count() == 1
