"""Every API endpoint that takes a reference, for every kind of caller.

Patient A owns the appointment, with doctor X; patient B, doctor Y, a guest (whose session holds
another booking) and an anonymous caller must get 404 — never a 403 that would confirm that the
reference exists — or 401 where the endpoint needs an account at all. Staff see and manage
through their permissions. The owner's answer is checked too, so the test cannot pass by
refusing everyone.
"""

from __future__ import annotations

import pytest
from django.test import Client

from booking.models import Appointment, AuditEvent
from booking.prescriptions.services import save_prescription, sign_prescription
from tests.factories import api_token, bearer, make_appointment, make_user

pytestmark = pytest.mark.django_db

NOT_YOURS = 404

CALLERS = ("patient_a", "patient_b", "doctor_x", "doctor_y", "guest", "anonymous", "staff")


@pytest.fixture
def world(doctor, other_doctor, patient, other_patient, staff_user, doctor_user, other_doctor_user, far_slots):
    appointment = make_appointment(doctor, slot=far_slots[0], patient=patient, status=Appointment.Status.CONFIRMED)
    save_prescription(appointment, doctor_user, advice="Rest.", follow_up_on=None, medications=[], tests=[])
    sign_prescription(appointment, doctor_user)
    guest = Client()
    booked = guest.post(
        "/api/v1/appointments",
        {
            "doctor_id": doctor.pk,
            "starts_at": far_slots[5].start.isoformat(),
            "full_name": "Gus Guest",
            "email": "gus@example.com",
            "mobile": "07912 345678",
        },
        content_type="application/json",
    )
    assert booked.status_code == 201
    headers = {
        "patient_a": bearer(api_token(Client(), patient)),
        "patient_b": bearer(api_token(Client(), other_patient)),
        "doctor_x": bearer(api_token(Client(), doctor_user)),
        "doctor_y": bearer(api_token(Client(), other_doctor_user)),
        "staff": bearer(api_token(Client(), staff_user)),
        "guest": {},
        "anonymous": {},
    }
    clients = {caller: (guest if caller == "guest" else Client()) for caller in CALLERS}
    return {"appointment": appointment, "headers": headers, "clients": clients, "slots": far_slots}


def _call(world, caller, method, path, body=None):
    client = world["clients"][caller]
    kwargs = {"headers": world["headers"][caller]}
    if method == "get":
        return client.get(path, **kwargs)
    return getattr(client, method)(path, body or {}, content_type="application/json", **kwargs)


# (method, path template, body, callers allowed, status for everyone else when signed out)
ENDPOINTS = [
    ("get", "/api/v1/appointments/{ref}", None, {"patient_a", "doctor_x", "staff"}),
    ("get", "/api/v1/appointments/{ref}/calendar.ics", None, {"patient_a", "doctor_x", "staff"}),
    ("get", "/api/v1/appointments/{ref}/prescription", None, {"patient_a", "doctor_x", "staff"}),
    ("get", "/api/v1/appointments/{ref}/prescription.pdf", None, {"patient_a", "doctor_x", "staff"}),
    ("post", "/api/v1/appointments/{ref}/cancel", {"remark": "Cannot come."}, {"patient_a"}),
    ("post", "/api/v1/appointments/{ref}/reschedule", {"starts_at": "{slot}"}, {"patient_a"}),
    ("get", "/api/v1/doctor/appointments/{ref}", None, {"doctor_x"}),
    ("post", "/api/v1/doctor/appointments/{ref}/status", {"status": "cancelled", "remark": "Ill."}, {"doctor_x"}),
    ("post", "/api/v1/doctor/appointments/{ref}/meeting-link", {"generate": True}, {"doctor_x"}),
    ("put", "/api/v1/doctor/appointments/{ref}/prescription", {"advice": "More rest."}, {"doctor_x"}),
    ("post", "/api/v1/doctor/appointments/{ref}/prescription/sign", None, {"doctor_x"}),
    ("post", "/api/v1/staff/appointments/{ref}/status", {"status": "cancelled", "remark": "Closed."}, {"staff"}),
    ("post", "/api/v1/staff/appointments/{ref}/move", {"starts_at": "{slot}"}, {"staff"}),
]
# Endpoints that need an account at all answer an anonymous caller (and a guest) 401 first.
ACCOUNT_ONLY = ("/api/v1/doctor/", "/api/v1/staff/")


@pytest.mark.parametrize(
    ("method", "template", "body", "allowed"), ENDPOINTS, ids=[e[1] + " " + e[0] for e in ENDPOINTS]
)
def test_access_matrix(world, method, template, body, allowed):
    appointment = world["appointment"]
    path = template.format(ref=appointment.reference)
    if body and body.get("starts_at") == "{slot}":
        body = {**body, "starts_at": world["slots"][2].start.isoformat()}
    refused_before = AuditEvent.objects.filter(outcome=AuditEvent.Outcome.REFUSED).count()
    for caller in CALLERS:
        if caller in allowed:
            continue
        response = _call(world, caller, method, path, body)
        expected = 401 if caller in ("guest", "anonymous") and path.startswith(ACCOUNT_ONLY) else NOT_YOURS
        assert response.status_code == expected, (caller, response.content)
        if response.status_code == 404:
            assert response.json()["code"] == "not_found"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED and appointment.meeting_url == ""
    # Refused attempts on an existing appointment are in the audit trail.
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.REFUSED).count() > refused_before
    for caller in sorted(allowed):
        response = _call(world, caller, method, path, body)
        assert response.status_code in (200, 201, 409), (caller, response.content)
        if response.status_code == 409:  # a rule refused (already signed); never an access problem
            assert response.json()["code"] == "conflict"


def test_a_doctor_reference_from_the_patient_side_of_another_account(world, other_patient):
    """A reference typed in any spelling still resolves to the same 404 for someone else's booking."""
    reference = world["appointment"].reference.lower().replace("-", " ")
    response = _call(world, "patient_b", "get", f"/api/v1/appointments/{reference}")
    assert response.status_code == 404
    assert _call(world, "patient_a", "get", f"/api/v1/appointments/{reference}").status_code == 200


def test_unknown_reference_is_the_same_404(world):
    for caller in ("patient_a", "doctor_x", "staff", "anonymous"):
        response = _call(world, caller, "get", "/api/v1/appointments/ZZZZZ-ZZZZZ")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.", "errors": []}


def test_staff_without_permission_get_404_for_changes_and_403_for_lists(world, db):
    helper = make_user("helper@example.com", "patient")
    headers = bearer(api_token(Client(), helper))
    ref = world["appointment"].reference
    client = Client()
    moved = client.post(
        f"/api/v1/staff/appointments/{ref}/move",
        {"starts_at": world["slots"][3].start.isoformat()},
        content_type="application/json",
        headers=headers,
    )
    assert moved.status_code == 404
    assert client.get("/api/v1/staff/appointments", headers=headers).status_code == 403
    assert client.get("/api/v1/staff/reports/appointments", headers=headers).status_code == 403
