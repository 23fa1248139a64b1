"""Patient endpoints: own list, detail, cancel and reschedule within the cutoff, .ics, prescriptions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking.models import Appointment, AuditEvent, Notification
from booking.prescriptions.services import save_prescription, sign_prescription
from tests.factories import api_token, bearer, make_appointment, save_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(patient):
    """A mobile app signed in as the patient: a cookie-less client and its bearer header."""
    return Client(), bearer(api_token(Client(), patient))


def _post(client, path, body, headers):
    return client.post(path, body, content_type="application/json", headers=headers)


def test_own_list_upcoming_and_past(app, patient, other_patient, doctor, far_slots, django_assert_max_num_queries):
    client, headers = app
    mine = [make_appointment(doctor, slot=far_slots[i], patient=patient) for i in (2, 0)]
    make_appointment(doctor, slot=far_slots[4], patient=other_patient)
    past = save_appointment(doctor, timezone.now() - timedelta(days=3), patient=patient, email=patient.email)
    with django_assert_max_num_queries(12):
        upcoming = client.get("/api/v1/appointments", headers=headers).json()
    assert [a["reference"] for a in upcoming["items"]] == [mine[1].reference, mine[0].reference]
    assert upcoming["items"][0]["doctor"] == {"id": doctor.pk, "name": doctor.title}
    earlier = client.get("/api/v1/appointments", {"past": "true"}, headers=headers).json()
    assert [a["reference"] for a in earlier["items"]] == [past.reference]
    for i in range(5, 15):
        make_appointment(doctor, slot=far_slots[i], patient=patient)
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/appointments", headers=headers).json()["count"] == 12


def test_detail_has_timeline_and_change_rights(app, patient, doctor, far_slots):
    client, headers = app
    appointment = make_appointment(doctor, slot=far_slots[0], patient=patient, status=Appointment.Status.CONFIRMED)
    body = client.get(f"/api/v1/appointments/{appointment.reference}", headers=headers).json()
    assert body["status"] == "confirmed" and body["can_change"] is True
    assert [(e["from_status"], e["to_status"]) for e in body["events"]] == [("", "pending"), ("pending", "confirmed")]
    assert body["meeting_url"] == ""


def test_cancel_and_reschedule_within_the_cutoff(app, patient, doctor, far_slots):
    client, headers = app
    appointment = make_appointment(doctor, slot=far_slots[0], patient=patient)
    moved = _post(
        client,
        f"/api/v1/appointments/{appointment.reference}/reschedule",
        {"starts_at": far_slots[3].start.isoformat()},
        headers,
    )
    assert moved.status_code == 200, moved.content
    appointment.refresh_from_db()
    assert appointment.starts_at == far_slots[3].start
    assert Notification.objects.filter(appointment=appointment, kind=Notification.Kind.RESCHEDULED).exists()
    taken = make_appointment(doctor, slot=far_slots[6])
    clash = _post(
        client,
        f"/api/v1/appointments/{appointment.reference}/reschedule",
        {"starts_at": taken.starts_at.isoformat()},
        headers,
    )
    assert clash.status_code == 409 and clash.json()["code"] == "slot_taken"
    cancelled = _post(client, f"/api/v1/appointments/{appointment.reference}/cancel", {"remark": "Better."}, headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = _post(client, f"/api/v1/appointments/{appointment.reference}/cancel", {}, headers)
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_no_cancel_after_the_cutoff(app, patient, doctor):
    client, headers = app
    soon = save_appointment(
        doctor, timezone.now() + timedelta(hours=3), patient=patient, email=patient.email, status="confirmed"
    )
    response = _post(client, f"/api/v1/appointments/{soon.reference}/cancel", {}, headers)
    assert response.status_code == 409
    assert "hours before" in response.json()["message"]
    soon.refresh_from_db()
    assert soon.status == Appointment.Status.CONFIRMED


def test_calendar_file(app, patient, doctor, far_slots):
    client, headers = app
    appointment = make_appointment(doctor, slot=far_slots[0], patient=patient)
    response = client.get(f"/api/v1/appointments/{appointment.reference}/calendar.ics", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in response.content and appointment.reference.encode() in response.content


def test_prescriptions_signed_only_logged_and_as_pdf(app, patient, doctor, doctor_user, far_slots):
    client, headers = app
    appointment = make_appointment(doctor, slot=far_slots[0], patient=patient, status=Appointment.Status.CONFIRMED)
    path = f"/api/v1/appointments/{appointment.reference}/prescription"
    save_prescription(appointment, doctor_user, advice="Draft only.", follow_up_on=None, medications=[], tests=[])
    assert client.get(path, headers=headers).status_code == 404  # nothing signed yet
    sign_prescription(appointment, doctor_user)
    save_prescription(appointment, doctor_user, advice="Second draft.", follow_up_on=None, medications=[], tests=[])
    body = client.get(path, headers=headers).json()
    assert body["advice"] == "Draft only." and body["is_signed"] is True and body["version"] == 1
    pdf = client.get(f"{path}.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reads = AuditEvent.objects.filter(
        object_type=AuditEvent.ObjectType.PRESCRIPTION, object_ref=appointment.reference, actor=patient
    )
    assert set(reads.values_list("action", flat=True)) == {AuditEvent.Action.VIEW, AuditEvent.Action.DOWNLOAD}


def test_guest_opens_a_booking_with_reference_and_email(doctor, patient, far_slots, settings):
    guest_booking = make_appointment(doctor, slot=far_slots[0], email="gus@example.com")
    accounts = make_appointment(doctor, slot=far_slots[1], patient=patient)
    browser = Client()
    detail = f"/api/v1/appointments/{guest_booking.reference}"
    assert browser.get(detail).status_code == 404
    wrong = _post(
        browser, "/api/v1/appointments/lookup", {"reference": guest_booking.reference, "email": "x@example.com"}, {}
    )
    assert wrong.status_code == 404 and wrong.json()["code"] == "not_found"
    # An account's booking never opens by reference and email: the same 404.
    theirs = _post(
        browser, "/api/v1/appointments/lookup", {"reference": accounts.reference, "email": patient.email}, {}
    )
    assert theirs.status_code == 404
    found = _post(
        browser,
        "/api/v1/appointments/lookup",
        {"reference": guest_booking.reference.lower(), "email": "GUS@example.com"},
        {},
    )
    assert found.status_code == 200 and found.json()["reference"] == guest_booking.reference
    assert browser.get(detail).status_code == 200  # the session now holds the grant
    assert AuditEvent.objects.filter(object_ref=accounts.reference, outcome=AuditEvent.Outcome.REFUSED).exists()
    settings.LOOKUP_ATTEMPTS_PER_ADDRESS = 3
    limited = _post(browser, "/api/v1/appointments/lookup", {"reference": "x"}, {})
    assert limited.status_code == 429 and limited["Retry-After"]
