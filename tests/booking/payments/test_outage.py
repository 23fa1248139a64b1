"""Stripe unreachable (a closed port): a clear message, no 500, nothing half-saved.

Design, as documented in the README: the hold is *kept* until its deadline. The booking itself
never calls Stripe; the pay page says the payment service is not answering, when the time is held
until and offers to try again; the payment record exists without an intent, and the first page
load once Stripe answers creates exactly one. If Stripe stays down the hold lapses as any other
and the slot is free again.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from booking.models import Appointment
from booking.payments.models import Payment, StripeEvent
from tests import payments_server

from .conftest import book, deliver, forged_event

pytestmark = pytest.mark.django_db

Status = Appointment.Status


@pytest.fixture
def stripe_down(settings, stripe_on):
    settings.STRIPE_API_BASE = payments_server.closed_port_url()

    def back_up() -> None:
        settings.STRIPE_API_BASE = stripe_on.url

    return back_up


def test_the_pay_page_says_so_and_keeps_the_hold(client, doctor, free_slot, stripe_on, stripe_down):
    checkout = book(client, doctor, free_slot(doctor))  # booking needs no Stripe
    page = checkout.open_pay_page()
    content = page.content.decode()
    assert page.status_code == 503
    assert "Payment is not available right now" in content and "could not reach the payment service" in content
    due = timezone.localtime(checkout.refresh().hold_expires_at, timezone.get_default_timezone())
    assert f"Your time stays held until {due:%H:%M}" in content and "Try again" in content
    assert checkout.appointment.status == Status.PENDING_PAYMENT
    payment = checkout.payment
    assert payment.intent_id is None and payment.is_pending
    assert stripe_on.intents_for(checkout.appointment.reference) == []

    stripe_down()  # Stripe answers again: "Try again" works, with one intent
    assert checkout.open_pay_page().status_code == 200
    assert checkout.open_pay_page().status_code == 200
    assert len(stripe_on.intents_for(checkout.appointment.reference)) == 1


def test_the_return_page_never_fails(client, doctor, free_slot, stripe_on, settings):
    checkout = book(client, doctor, free_slot(doctor))
    stripe_on.confirm_card(checkout.client_secret())
    settings.STRIPE_API_BASE = payments_server.closed_port_url()
    response = checkout.back_from_stripe()
    assert response.status_code == 302 and response["Location"] == checkout.pay_url
    follow = client.get(response["Location"])
    assert "could not check your payment" in follow.content.decode()
    assert checkout.refresh().status == Status.PENDING_PAYMENT  # nothing decided without Stripe


def test_a_webhook_that_needs_stripe_is_retried_later(client, doctor, free_slot, stripe_on, committed, settings):
    checkout = book(client, doctor, free_slot(doctor))
    stripe_on.confirm_card(checkout.client_secret())
    with committed():
        checkout.back_from_stripe()
    charge = {"id": "ch_y", "object": "charge", "payment_intent": checkout.payment.intent_id}
    event = forged_event("charge.refunded", charge, event_id="evt_needs_stripe")
    settings.STRIPE_API_BASE = payments_server.closed_port_url()
    response = deliver(client, event)
    assert response.status_code == 503  # Stripe will deliver it again
    assert not StripeEvent.objects.filter(event_id="evt_needs_stripe").exists()
    settings.STRIPE_API_BASE = stripe_on.url
    assert deliver(client, event).status_code == 200


def test_an_expiry_while_stripe_is_down_is_finished_by_reconcile(
    client, doctor, free_slot, stripe_on, committed, settings
):
    checkout = book(client, doctor, free_slot(doctor))
    checkout.client_secret()
    Appointment.objects.filter(pk=checkout.appointment.pk).update(hold_expires_at=timezone.now())
    settings.STRIPE_API_BASE = payments_server.closed_port_url()
    with committed():
        call_command("expire_holds", stdout=io.StringIO())
    assert checkout.refresh().status == Status.EXPIRED  # the slot is free whatever Stripe does
    assert stripe_on.intent(checkout.payment.intent_id)["status"] == "requires_payment_method"

    settings.STRIPE_API_BASE = stripe_on.url
    out = io.StringIO()
    with committed():
        call_command("reconcile_payments", stdout=out)
    intent = stripe_on.intent(checkout.payment.intent_id)
    assert intent["status"] == "canceled" and intent["cancellation_reason"] == "abandoned"
    assert checkout.payment.status == Payment.Status.CANCELED
    assert "cancelled" in out.getvalue()
