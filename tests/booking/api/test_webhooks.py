"""Outgoing webhooks: signed deliveries to a real receiver on loopback, retries, staff's view."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from booking.api.webhooks import SIGNATURE_HEADER, signature, verify_signature
from booking.appointments.services import Actor, move_appointment
from booking.models import Appointment, WebhookDelivery, WebhookEndpoint, WebhookEvent, clinic_zone
from booking.prescriptions.services import save_prescription, sign_prescription
from tests.factories import api_token, bearer, make_appointment

from .receiver import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(
        name="CRM", url=receiver.url, secret=SECRET, events=",".join(e.value for e in WebhookEvent)
    )


def test_signed_deliveries_for_the_lifecycle(
    receiver, endpoint, doctor, doctor_user, patient, far_slots, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = make_appointment(doctor, slot=far_slots[0], patient=patient, reason="Embarrassing symptom")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            f"/api/v1/doctor/appointments/{appointment.reference}/status",
            {"status": "confirmed"},
            content_type="application/json",
            headers=bearer(api_token(Client(), doctor_user)),
        )
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        save_prescription(appointment, doctor_user, advice="Take rest", follow_up_on=None, medications=[], tests=[])
        sign_prescription(appointment, doctor_user)
        move_appointment(appointment, far_slots[4].start, Actor(Actor.STAFF))
    assert receiver.events() == ["appointment.created", "appointment.confirmed", "appointment.moved"]
    for request in receiver.requests:
        header = request["headers"][SIGNATURE_HEADER]
        assert verify_signature(SECRET, header, request["body"])
        assert not verify_signature("another-secret", header, request["body"])
        assert not verify_signature(SECRET, header, request["body"] + b" ")
        # Never clinical content: no reason, no remark, no prescription.
        text = request["body"].decode()
        assert "Embarrassing" not in text and "Take rest" not in text and "prescription" not in text
    moved = json.loads(receiver.requests[-1]["body"])["data"]
    assert moved["reference"] == appointment.reference
    assert moved["previous_starts_at"] == timezone.localtime(far_slots[0].start, clinic_zone()).isoformat()
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENT).count() == 3


def test_an_old_signature_is_refused_by_the_receiver():
    body = b'{"event":"appointment.created"}'
    stale = signature(SECRET, int(timezone.now().timestamp()) - 3600, body)
    assert not verify_signature(SECRET, stale, body)
    assert not verify_signature(SECRET, "garbage", body)


def test_a_failed_delivery_is_retried_with_back_off(
    receiver, endpoint, doctor, patient, far_slots, django_capture_on_commit_callbacks
):
    receiver.statuses = [503]
    with django_capture_on_commit_callbacks(execute=True):
        make_appointment(doctor, slot=far_slots[0], patient=patient)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_status_code == 503 and delivery.last_response == "busy, try later"
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=30)
    call_command("retry_webhooks", "--inline")  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    call_command("retry_webhooks", "--inline")
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT and delivery.attempts == 2
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]  # the same event, signed afresh
    assert verify_signature(SECRET, receiver.requests[1]["headers"][SIGNATURE_HEADER], receiver.requests[1]["body"])


def test_an_unreachable_receiver_is_recorded(endpoint, doctor, patient, far_slots, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:9/nothing-listens")
    with django_capture_on_commit_callbacks(execute=True):
        make_appointment(doctor, slot=far_slots[0], patient=patient)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.last_status_code is None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()


def test_only_wanted_events_and_no_event_for_an_unconfirmed_guest_hold(
    receiver, doctor, far_slots, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(name="Calendar", url=receiver.url, events="appointment.cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        guest = Client().post(
            "/api/v1/appointments",
            {
                "doctor_id": doctor.pk,
                "starts_at": far_slots[0].start.isoformat(),
                "full_name": "Gus Guest",
                "email": "gus@example.com",
                "mobile": "07912 345678",
            },
            content_type="application/json",
        )
    assert guest.status_code == 201
    assert WebhookDelivery.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        make_appointment(doctor, slot=far_slots[2], status=Appointment.Status.CANCELLED)
    assert receiver.events() == ["appointment.cancelled"]


def test_staff_register_endpoints_and_see_deliveries(
    client, staff_user, receiver, endpoint, doctor, patient, far_slots, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    form = client.get("/admin/booking/webhookendpoint/create/")
    assert form.status_code == 200 and b"appointment.confirmed" in form.content
    created = client.post(
        "/admin/booking/webhookendpoint/create/",
        {"name": "Call centre", "url": "http://example.com/hook", "events": ["appointment.created"], "secret": "s"},
    )
    assert created.status_code == 200  # refused: plain http off loopback
    assert not WebhookEndpoint.objects.filter(name="Call centre").exists()
    client.post(
        "/admin/booking/webhookendpoint/create/",
        {
            "name": "Call centre",
            "url": "https://calls.example.com/hook",
            "events": ["appointment.created", "appointment.moved"],
            "secret": "s3cret",
            "is_active": "on",
        },
    )
    assert WebhookEndpoint.objects.get(name="Call centre").event_list == ["appointment.created", "appointment.moved"]
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        make_appointment(doctor, slot=far_slots[0], patient=patient)
    failed = WebhookDelivery.objects.get(endpoint=endpoint)
    listing = client.get("/admin/booking/webhookdelivery/")
    assert listing.status_code == 200 and b"Failed, will retry" in listing.content
    inspect = client.get(f"/admin/booking/webhookdelivery/inspect/{failed.pk}/")
    assert inspect.status_code == 200 and b"busy, try later" in inspect.content
