"""Doctor endpoints: agenda, requests, confirm/decline with remark, outcomes, meeting link, prescriptions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from booking.models import Appointment, Notification
from tests.factories import api_token, bearer, make_appointment, started_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(doctor, doctor_user):
    return Client(), bearer(api_token(Client(), doctor_user))


def _post(client, path, body, headers, method="post"):
    return getattr(client, method)(path, body, content_type="application/json", headers=headers)


def test_agenda_by_day_and_week_and_bounded(app, doctor, other_doctor, far_slots, django_assert_max_num_queries):
    client, headers = app
    mine = make_appointment(doctor, slot=far_slots[0], status=Appointment.Status.CONFIRMED)
    make_appointment(other_doctor, n=0)
    day = mine.local_starts_at.date()
    with django_assert_max_num_queries(10):
        body = client.get("/api/v1/doctor/agenda", {"start": day, "end": day}, headers=headers).json()
    assert [a["reference"] for a in body["items"]] == [mine.reference]
    assert set(body["items"][0]["actions"]) == {"cancelled"}  # not started: no outcome yet
    week = client.get("/api/v1/doctor/agenda", {"start": day - timedelta(days=3)}, headers=headers).json()
    assert week["count"] == 1
    for i in range(1, 12):
        make_appointment(doctor, slot=far_slots[i], status=Appointment.Status.CONFIRMED)
    with django_assert_max_num_queries(10):
        client.get("/api/v1/doctor/agenda", {"start": day, "end": day + timedelta(days=6)}, headers=headers)
    too_long = client.get("/api/v1/doctor/agenda", {"start": day, "end": day + timedelta(days=40)}, headers=headers)
    assert too_long.status_code == 400


def test_requests_confirm_and_decline_with_remark(app, doctor, far_slots):
    client, headers = app
    first, second = (make_appointment(doctor, slot=far_slots[i]) for i in (0, 1))
    waiting = client.get("/api/v1/doctor/requests", headers=headers).json()
    assert waiting["count"] == 2 and [a["reference"] for a in waiting["items"]] == [first.reference, second.reference]
    ok = _post(client, f"/api/v1/doctor/appointments/{first.reference}/status", {"status": "confirmed"}, headers)
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    bare = _post(client, f"/api/v1/doctor/appointments/{second.reference}/status", {"status": "declined"}, headers)
    assert bare.status_code == 409 and "remark" in bare.json()["message"]
    declined = _post(
        client,
        f"/api/v1/doctor/appointments/{second.reference}/status",
        {"status": "declined", "remark": "Away that week."},
        headers,
    )
    assert declined.json()["status"] == "declined"
    assert Notification.objects.filter(appointment=second, kind=Notification.Kind.DECLINED).exists()


def test_outcomes_only_after_the_start(app, doctor, far_slots):
    client, headers = app
    future = make_appointment(doctor, slot=far_slots[0], status=Appointment.Status.CONFIRMED)
    early = _post(client, f"/api/v1/doctor/appointments/{future.reference}/status", {"status": "completed"}, headers)
    assert early.status_code == 409
    past = started_appointment(doctor)
    done = _post(client, f"/api/v1/doctor/appointments/{past.reference}/status", {"status": "no_show"}, headers)
    assert done.status_code == 200 and done.json()["status"] == "no_show"


def test_meeting_link_typed_or_generated(app, doctor, far_slots):
    client, headers = app
    online = make_appointment(doctor, slot=far_slots[0], mode=Appointment.Mode.ONLINE)
    path = f"/api/v1/doctor/appointments/{online.reference}/meeting-link"
    insecure = _post(client, path, {"meeting_url": "http://example.com/room"}, headers)
    assert insecure.status_code == 400 and insecure.json()["errors"][0]["field"] == "meeting_url"
    typed = _post(client, path, {"meeting_url": "https://video.example.com/room-1"}, headers)
    assert typed.json()["meeting_url"] == "https://video.example.com/room-1"
    generated = _post(client, path, {"generate": True}, headers)
    assert generated.json()["meeting_url"].startswith("https://")
    in_person = make_appointment(doctor, slot=far_slots[1])
    refused = _post(
        client, f"/api/v1/doctor/appointments/{in_person.reference}/meeting-link", {"generate": True}, headers
    )
    assert refused.status_code == 409


def test_prescription_draft_sign_and_patient_sees_signed(app, doctor, patient, far_slots):
    client, headers = app
    appointment = make_appointment(doctor, slot=far_slots[0], patient=patient, status=Appointment.Status.CONFIRMED)
    path = f"/api/v1/doctor/appointments/{appointment.reference}/prescription"
    draft = _post(
        client,
        path,
        {
            "advice": "Drink water.",
            "follow_up_on": "2030-01-15",
            "medications": [{"drug": "Paracetamol", "dose": "500 mg", "frequency": "4x daily", "duration": "5 days"}],
            "tests": [{"name": "Blood count"}],
        },
        headers,
        method="put",
    )
    assert draft.status_code == 200, draft.content
    assert draft.json()["is_signed"] is False and draft.json()["medications"][0]["drug"] == "Paracetamol"
    patient_headers = bearer(api_token(Client(), patient))
    patient_path = f"/api/v1/appointments/{appointment.reference}/prescription"
    assert Client().get(patient_path, headers=patient_headers).status_code == 404
    # The doctor reads the live draft through the same endpoint the patient uses.
    assert client.get(patient_path, headers=headers).json()["advice"] == "Drink water."
    signed = _post(client, f"{path}/sign", {}, headers)
    assert signed.status_code == 200 and signed.json()["is_signed"] is True
    assert _post(client, f"{path}/sign", {}, headers).status_code == 409
    assert Client().get(patient_path, headers=patient_headers).json()["version"] == 1
    empty_line = _post(client, path, {"medications": [{"drug": "", "dose": "1"}]}, headers, method="put")
    assert empty_line.status_code == 409 and empty_line.json()["code"] == "conflict"


def test_prescription_refused_for_a_pending_appointment(app, doctor, far_slots):
    client, headers = app
    pending = make_appointment(doctor, slot=far_slots[0])
    response = _post(
        client, f"/api/v1/doctor/appointments/{pending.reference}/prescription", {"advice": "x"}, headers, method="put"
    )
    assert response.status_code == 409
    assert not hasattr(Appointment.objects.get(pk=pending.pk), "prescription")


def test_doctor_search(app, doctor, far_slots):
    client, headers = app
    appointment = make_appointment(doctor, slot=far_slots[0], full_name="Zelda Quest")
    found = client.get("/api/v1/doctor/appointments", {"q": "zelda"}, headers=headers).json()
    assert [a["reference"] for a in found["items"]] == [appointment.reference]
    assert client.get("/api/v1/doctor/appointments", {"status": "bogus"}, headers=headers).status_code == 400


def test_accounts_without_a_doctor_page_get_404(client, patient):
    headers = bearer(api_token(Client(), patient))
    assert client.get("/api/v1/doctor/agenda", headers=headers).status_code == 404
