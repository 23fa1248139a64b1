"""Paying through the API against localstripe, the refund preview, and the payment webhooks.

An app books (as a guest with its session, or as a signed-in patient with a bearer token), asks
for the PaymentIntent's client secret, confirms it with Stripe the way the Stripe SDK does
(``LocalStripe.confirm_card``), and the booking is paid once Stripe's webhook — or the next API
call, which reads the intent back — arrives. Everything else is the portal's own code.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking.api.webhooks import SIGNATURE_HEADER, verify_signature
from booking.models import Appointment, WebhookEndpoint, WebhookEvent, clinic_zone
from booking.payments.models import Payment, Refund
from tests import payments_server
from tests.booking.payments.conftest import deliver, event_for
from tests.factories import api_token, bearer

from .receiver import SECRET

pytestmark = pytest.mark.django_db

Status = Appointment.Status
GOOD_CARD = "4242424242424242"


def book(client: Client, doctor, slot, *, headers=None, email="pat@example.com", **fields) -> dict:
    response = client.post(
        "/api/v1/appointments",
        {
            "doctor_id": doctor.pk,
            "starts_at": slot.start.isoformat(),
            "full_name": "Pat Payer",
            "email": email,
            "mobile": "07912 345678",
            **fields,
        },
        content_type="application/json",
        headers=headers or {},
    )
    assert response.status_code == 201, response.content
    return response.json()


def start_payment(client: Client, reference: str, headers=None):
    path = f"/api/v1/appointments/{reference}/payment"
    return client.post(path, content_type="application/json", headers=headers or {})


def preview(client: Client, reference: str, headers=None):
    return client.get(f"/api/v1/appointments/{reference}/refund-preview", headers=headers or {})


@pytest.fixture
def api_headers():
    return lambda user: bearer(api_token(Client(), user))


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(
        name="Accounts",
        url=receiver.url,
        secret=SECRET,
        events=",".join([WebhookEvent.PAYMENT_SUCCEEDED, WebhookEvent.PAYMENT_REFUNDED]),
    )


def test_a_guest_books_pays_and_the_webhook_goes_out(doctor, far_slots, stripe_on, committed, receiver, endpoint):
    app = Client()  # a guest's app keeps the session cookie the booking granted
    with committed():
        booked = book(app, doctor, far_slots[0])
    reference = booked["reference"]
    assert booked["status"] == "pending_payment"
    assert booked["payment_url"] == f"/api/v1/appointments/{reference}/payment"
    held = Appointment.objects.get(reference=reference)

    response = start_payment(app, reference)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["publishable_key"] == payments_server.PUBLISHABLE_KEY
    assert (body["amount"], body["currency"], body["amount_display"]) == (6000, "GBP", "£60.00")
    assert body["pay_by"] == timezone.localtime(held.hold_expires_at, clinic_zone()).isoformat()
    intent_id = body["client_secret"].split("_secret_")[0]
    assert stripe_on.intent(intent_id)["metadata"]["appointment"] == reference
    assert start_payment(app, reference).json()["client_secret"] == body["client_secret"]  # a retry: same intent

    status, confirmed = stripe_on.confirm_card(body["client_secret"], GOOD_CARD)
    assert (status, confirmed["status"]) == (200, "succeeded")
    with committed():
        assert deliver(Client(), event_for(stripe_on, "payment_intent.succeeded", intent_id)).status_code == 200

    held.refresh_from_db()
    assert held.status == Status.PENDING and Payment.objects.get(appointment=held).is_paid
    detail = app.get(f"/api/v1/appointments/{reference}").json()
    assert detail["status"] == "pending" and detail["payment_url"] is None
    again = start_payment(app, reference)
    assert again.status_code == 409 and again.json()["code"] == "conflict"

    assert receiver.events() == ["payment.succeeded"]
    delivered = receiver.requests[0]
    assert verify_signature(SECRET, delivered["headers"][SIGNATURE_HEADER], delivered["body"])
    data = json.loads(delivered["body"])["data"]
    assert data["reference"] == reference
    assert data["payment"] == {
        "reference": intent_id,
        "method": "online",
        "amount": 6000,
        "currency": "GBP",
        "amount_refunded": 0,
        "paid_at": data["payment"]["paid_at"],
    }
    assert "4242" not in delivered["body"].decode() and "secret" not in delivered["body"].decode()


def test_a_patient_with_a_token_pays_and_the_next_call_reads_the_result(
    doctor, patient, far_slots, stripe_on, committed, api_headers
):
    headers = api_headers(patient)
    booked = book(Client(), doctor, far_slots[1], headers=headers, email=patient.email)
    assert booked["status"] == "pending_payment"
    body = start_payment(Client(), booked["reference"], headers).json()
    stripe_on.confirm_card(body["client_secret"], GOOD_CARD)
    with committed():
        # No webhook yet: asking again reads the intent back from Stripe, as the pay page does.
        response = start_payment(Client(), booked["reference"], headers)
    assert response.status_code == 409 and response.json()["message"] == "This booking is already paid."
    appointment = Appointment.objects.get(reference=booked["reference"])
    assert appointment.status == Status.PENDING and appointment.patient == patient


def test_only_the_payer_may_start_a_payment_or_see_the_preview(
    doctor, doctor_user, other_doctor_user, patient, other_patient, staff_user, far_slots, stripe_on, api_headers
):
    booked = book(Client(), doctor, far_slots[0], headers=api_headers(patient), email=patient.email)
    reference = booked["reference"]
    guest = Client()
    book(guest, doctor, far_slots[1], email="gus@example.com")  # a guest session holding another booking
    callers = {
        "other patient": (Client(), api_headers(other_patient)),
        "its doctor": (Client(), api_headers(doctor_user)),
        "another doctor": (Client(), api_headers(other_doctor_user)),
        "staff": (Client(), api_headers(staff_user)),
        "another guest": (guest, {}),
        "anonymous": (Client(), {}),
    }
    for caller, (client, headers) in callers.items():
        for response in (start_payment(client, reference, headers), preview(client, reference, headers)):
            assert response.status_code == 404, (caller, response.content)
            assert response.json()["code"] == "not_found"
    assert Payment.objects.count() == 0 and stripe_on.intents_for(reference) == []
    owner = api_headers(patient)
    assert start_payment(Client(), reference, owner).status_code == 200
    assert preview(Client(), reference, owner).status_code == 200
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert start_payment(Client(), reference, bad_token).status_code == 401


def test_nothing_due_is_a_conflict(doctor, patient, far_slots, api_headers):
    """Without Stripe keys the clinic takes payment at the desk: bookings never wait for one."""
    headers = api_headers(patient)
    booked = book(Client(), doctor, far_slots[0], headers=headers, email=patient.email)
    assert booked["status"] == "pending" and booked["payment_url"] is None
    response = start_payment(Client(), booked["reference"], headers)
    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "message": "This booking is not waiting for a payment.",
        "errors": [],
    }


def test_a_lapsed_hold_is_a_conflict(doctor, far_slots, stripe_on):
    app = Client()
    reference = book(app, doctor, far_slots[0])["reference"]
    Appointment.objects.filter(reference=reference).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    response = start_payment(app, reference)
    assert response.status_code == 409 and "released" in response.json()["message"]
    assert stripe_on.intents_for(reference) == []


def test_stripe_down_is_a_503_and_the_hold_stays(doctor, far_slots, stripe_on, settings):
    app = Client()
    reference = book(app, doctor, far_slots[0])["reference"]
    settings.STRIPE_API_BASE = payments_server.closed_port_url()
    response = start_payment(app, reference)
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["code"] == "payment_unavailable" and response.json()["message"]
    assert Appointment.objects.get(reference=reference).status == Status.PENDING_PAYMENT
    settings.STRIPE_API_BASE = stripe_on.url  # back up: the same call now works, with one intent
    assert start_payment(app, reference).status_code == 200
    assert len(stripe_on.intents_for(reference)) == 1


def _paid_booking(app, doctor, slot, stripe_on, committed) -> str:
    reference = book(app, doctor, slot)["reference"]
    secret = start_payment(app, reference).json()["client_secret"]
    stripe_on.confirm_card(secret, GOOD_CARD)
    with committed():
        assert start_payment(app, reference).status_code == 409  # reads the success back
    return reference


def test_refund_preview_before_the_cutoff_matches_the_refund(
    doctor, far_slots, stripe_on, committed, settings, receiver, endpoint
):
    settings.PAYMENT_REFUND_BEFORE_CUTOFF_PERCENT = 100
    app = Client()
    reference = _paid_booking(app, doctor, far_slots[0], stripe_on, committed)
    appointment = Appointment.objects.get(reference=reference)
    body = preview(app, reference).json()
    cutoff = appointment.starts_at - timedelta(hours=settings.PAYMENT_REFUND_CUTOFF_HOURS)
    assert body == {
        "amount": 6000,
        "currency": "GBP",
        "amount_display": "£60.00",
        "percent": 100,
        "cutoff": timezone.localtime(cutoff, clinic_zone()).isoformat(),
        "paid": 6000,
        "refundable": 6000,
        "can_cancel": True,
        "explanation": body["explanation"],
    }
    assert "at least 48 hours before the start" in body["explanation"]

    with committed():
        cancelled = app.post(f"/api/v1/appointments/{reference}/cancel", {}, content_type="application/json")
    assert cancelled.status_code == 200
    refund = Refund.objects.get(payment__appointment=appointment)
    assert refund.amount == body["amount"] and refund.status == Refund.Status.SUCCEEDED
    after = preview(app, reference).json()
    assert (after["amount"], after["refundable"], after["can_cancel"]) == (0, 0, False)
    assert receiver.events() == ["payment.succeeded", "payment.refunded"]
    refunded = json.loads(receiver.requests[1]["body"])["data"]
    assert refunded["refund"]["amount"] == 6000 and refunded["payment"]["amount_refunded"] == 6000
    assert verify_signature(SECRET, receiver.requests[1]["headers"][SIGNATURE_HEADER], receiver.requests[1]["body"])


def test_refund_preview_after_the_cutoff(doctor, far_slots, stripe_on, committed, settings):
    settings.PAYMENT_REFUND_AFTER_CUTOFF_PERCENT = 25
    app = Client()
    reference = _paid_booking(app, doctor, far_slots[0], stripe_on, committed)
    appointment = Appointment.objects.get(reference=reference)
    # The cutoff a whole year before the start: this booking is now past it.
    settings.PAYMENT_REFUND_CUTOFF_HOURS = 24 * 365
    body = preview(app, reference).json()
    assert (body["amount"], body["percent"], body["amount_display"]) == (1500, 25, "£15.00")
    assert (
        body["cutoff"]
        == timezone.localtime(appointment.starts_at - timedelta(hours=24 * 365), clinic_zone()).isoformat()
    )
    assert "less than" in body["explanation"]
    with committed():
        app.post(f"/api/v1/appointments/{reference}/cancel", {}, content_type="application/json")
    assert Refund.objects.get(payment__appointment=appointment).amount == body["amount"]


def test_refund_preview_of_an_unpaid_booking(doctor, patient, far_slots, api_headers):
    headers = api_headers(patient)
    reference = book(Client(), doctor, far_slots[0], headers=headers, email=patient.email)["reference"]
    body = preview(Client(), reference, headers).json()
    assert (body["amount"], body["paid"], body["percent"], body["can_cancel"]) == (0, 0, 100, True)


def test_where_paying_online_is_optional_the_app_chooses(doctor, far_slots, stripe_on, settings):
    settings.PAYMENT_ONLINE_DEFAULT = "optional"
    online = book(Client(), doctor, far_slots[0], payment="online")
    at_clinic = book(Client(), doctor, far_slots[1], payment="clinic")
    assert (online["status"], at_clinic["status"]) == ("pending_payment", "unconfirmed")
    assert online["payment_url"] and at_clinic["payment_url"] is None
