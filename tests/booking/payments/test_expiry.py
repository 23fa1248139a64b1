"""Holds while paying: an abandoned payment never blocks the slot, and a late payment is never lost.

When a hold lapses its PaymentIntent is cancelled (``cancellation_reason="abandoned"``) and the
slot is free again. A payment that succeeds after its hold lapsed takes the slot back through the
booking service if it is still free; if someone else has it, the money goes straight back.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment
from booking.payments.models import Payment, Refund
from tests import payments_server

from .conftest import book, deliver, event_for

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def lapse(checkout) -> None:
    """Let the hold's deadline pass (as fifteen minutes of doing nothing would)."""
    Appointment.objects.filter(pk=checkout.appointment.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))


def expire_holds() -> str:
    out = io.StringIO()
    call_command("expire_holds", stdout=out)
    return out.getvalue()


def test_an_abandoned_payment_expires_and_its_slot_is_free_again(client, doctor, free_slot, stripe_on, committed):
    slot = free_slot(doctor)
    checkout = book(client, doctor, slot)
    secret = checkout.client_secret()
    intent_id = checkout.payment.intent_id

    lapse(checkout)
    with committed():
        assert "Expired 1 hold(s)." in expire_holds()
    assert checkout.refresh().status == Status.EXPIRED and checkout.appointment.holds_slot is None
    intent = stripe_on.intent(intent_id)
    assert intent["status"] == "canceled" and intent["cancellation_reason"] == "abandoned"
    assert checkout.payment.status == Payment.Status.CANCELED

    # The old tab can no longer pay; the slot is somebody else's to book.
    status, _ = stripe_on.confirm_card(secret)
    assert status == 400
    page = checkout.open_pay_page()
    assert page.status_code == 409 and "released" in page.content.decode()
    other = book(Client(), doctor, slot, email="next@example.com")
    assert other.appointment.status == Status.PENDING_PAYMENT and other.appointment.starts_at == slot.start


def test_the_next_booking_releases_a_stale_hold_before_any_command_runs(
    client, doctor, free_slot, stripe_on, committed
):
    slot = free_slot(doctor)
    checkout = book(client, doctor, slot)
    checkout.client_secret()
    intent_id = checkout.payment.intent_id
    lapse(checkout)
    with committed():
        other = book(Client(), doctor, slot, email="next@example.com")
    assert checkout.refresh().status == Status.EXPIRED
    assert other.appointment.holds_slot is True
    assert stripe_on.intent(intent_id)["status"] == "canceled"


def test_a_patient_who_cancels_the_hold_cancels_the_intent(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    checkout.client_secret()
    with committed():
        client.post(reverse("appointments:cancel", args=[checkout.appointment.reference]))
    assert checkout.refresh().status == Status.CANCELLED
    assert stripe_on.intent(checkout.payment.intent_id)["status"] == "canceled"
    assert checkout.payment.status == Payment.Status.CANCELED


def test_paid_just_before_the_deadline_but_noticed_after_it(
    client, doctor, free_slot, stripe_on, committed, mailoutbox
):
    """The expiry's own attempt to cancel the intent finds it paid, and the booking stands."""
    checkout = book(client, doctor, free_slot(doctor))
    stripe_on.confirm_card(checkout.client_secret())
    lapse(checkout)
    with committed():
        expire_holds()
    appointment = checkout.refresh()
    assert appointment.status == Status.PENDING and checkout.payment.is_paid
    assert (
        "the time was still free" in appointment.events.get(from_status=Status.EXPIRED, to_status=Status.PENDING).remark
    )
    assert [m.subject.split(" for ")[0] for m in mailoutbox] == ["Payment received"]


def test_success_after_expiry_with_the_slot_still_free(client, doctor, free_slot, stripe_on, committed, settings):
    checkout = book(client, doctor, free_slot(doctor))
    stripe_on.confirm_card(checkout.client_secret())
    lapse(checkout)
    settings.STRIPE_API_BASE = payments_server.closed_port_url()  # the expiry cannot reach Stripe
    with committed():
        expire_holds()
    assert checkout.refresh().status == Status.EXPIRED

    settings.STRIPE_API_BASE = stripe_on.url
    with committed():
        response = deliver(client, event_for(stripe_on, "payment_intent.succeeded", checkout.payment.intent_id))
    assert response.json()["outcome"] == "paid after expiry: the time was still free and is booked again"
    assert checkout.refresh().status == Status.PENDING and checkout.appointment.holds_slot
    assert not Refund.objects.exists()


def test_success_after_expiry_with_the_slot_taken_is_refunded_in_full(
    client, doctor, free_slot, stripe_on, committed, settings, mailoutbox
):
    slot = free_slot(doctor)
    checkout = book(client, doctor, slot)
    stripe_on.confirm_card(checkout.client_secret())
    lapse(checkout)
    settings.STRIPE_API_BASE = payments_server.closed_port_url()
    with committed():
        expire_holds()
        taker = book(Client(), doctor, slot, email="taker@example.com", mode=Appointment.Mode.IN_PERSON)
    settings.STRIPE_API_BASE = stripe_on.url

    with committed():
        response = deliver(client, event_for(stripe_on, "payment_intent.succeeded", checkout.payment.intent_id))
    assert response.json()["outcome"] == "refunded in full: paid after the hold ran out and the time was taken"
    assert checkout.refresh().status == Status.EXPIRED
    assert taker.refresh().holds_slot is True
    payment = checkout.payment
    assert payment.is_paid and payment.amount_refunded == 6000
    refund = payment.refunds.get()
    assert (refund.reason, refund.status, refund.amount) == (Refund.Reason.LATE_PAYMENT, Refund.Status.SUCCEEDED, 6000)
    assert [r["amount"] for r in stripe_on.refunds(payment.intent_id)] == [6000]
    refund_mail = [m for m in mailoutbox if m.subject.startswith("Refund for your appointment")]
    assert len(refund_mail) == 1 and "has since been taken" in " ".join(refund_mail[0].body.split())


def test_success_for_a_booking_cancelled_meanwhile_is_refunded(
    client, doctor, free_slot, stripe_on, committed, settings
):
    checkout = book(client, doctor, free_slot(doctor))
    secret = checkout.client_secret()
    stripe_on.confirm_card(secret, "4000002500003155")  # 3-D Secure: the patient is in the dialog…
    settings.STRIPE_API_BASE = payments_server.closed_port_url()
    with committed():  # …and cancels from another tab while Stripe is unreachable
        client.post(reverse("appointments:cancel", args=[checkout.appointment.reference]))
    settings.STRIPE_API_BASE = stripe_on.url
    stripe_on.authenticate(secret, success=True)
    with committed():
        response = deliver(client, event_for(stripe_on, "payment_intent.succeeded", checkout.payment.intent_id))
    assert response.json()["outcome"] == "refunded in full: booking cancelled"
    assert checkout.refresh().status == Status.CANCELLED
    assert [r["amount"] for r in stripe_on.refunds(checkout.payment.intent_id)] == [6000]
