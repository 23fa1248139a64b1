"""The webhook: only genuine, recent Stripe events count; each counts once; state only moves forward.

Events are the ones localstripe generated for real payments, replayed to the portal signed with
``stripe.WebhookSignature.generate_signature_header`` — or forged, tampered, stale and reordered
copies of them.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests

from booking.appointments.services import Actor
from booking.models import Appointment
from booking.payments.models import Payment, Refund, StripeEvent
from booking.payments.services import request_refund, staff_refund
from tests import payments_server

from .conftest import WEBHOOK_URL, book, deliver, event_for, forged_event

pytestmark = pytest.mark.django_db

Status = Appointment.Status


@pytest.fixture
def paid(client, doctor, free_slot, stripe_on):
    """A booking whose card payment succeeded at Stripe, not yet known to the portal."""
    checkout = book(client, doctor, free_slot(doctor))
    secret = checkout.client_secret()
    status, _ = stripe_on.confirm_card(secret, "4242424242424242")
    assert status == 200
    return checkout


def succeeded_event(stripe_on, checkout) -> dict:
    return event_for(stripe_on, "payment_intent.succeeded", checkout.payment.intent_id)


def assert_unchanged(checkout) -> None:
    assert checkout.refresh().status == Status.PENDING_PAYMENT
    assert checkout.payment.is_pending
    assert not StripeEvent.objects.exists()


def test_a_genuine_event_is_applied(client, paid, stripe_on, committed, mailoutbox):
    with committed():
        response = deliver(client, succeeded_event(stripe_on, paid))
    assert response.status_code == 200 and response.json()["outcome"] == "paid"
    assert paid.refresh().status == Status.PENDING
    stored = StripeEvent.objects.get()
    assert stored.type == "payment_intent.succeeded" and stored.payment == paid.payment and stored.outcome == "paid"
    assert len(mailoutbox) == 1


def test_a_forged_signature_changes_nothing(client, paid, stripe_on):
    response = deliver(client, succeeded_event(stripe_on, paid), secret="whsec_someone_else")
    assert response.status_code == 400
    assert_unchanged(paid)


def test_a_missing_signature_changes_nothing(client, paid, stripe_on):
    body = json.dumps(succeeded_event(stripe_on, paid))
    assert client.post(WEBHOOK_URL, data=body, content_type="application/json").status_code == 400
    assert_unchanged(paid)


def test_a_stale_replay_changes_nothing(client, paid, stripe_on):
    response = deliver(client, succeeded_event(stripe_on, paid), timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    assert_unchanged(paid)


def test_a_tampered_body_changes_nothing(client, paid, stripe_on):
    body, header = payments_server.signed(succeeded_event(stripe_on, paid))
    tampered = body.replace(b'"amount": 6000', b'"amount": 1')
    assert tampered != body
    response = client.post(WEBHOOK_URL, data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400
    assert_unchanged(paid)


@pytest.mark.parametrize("body", [b"not json at all", b"\xff\xfe\x00 not utf-8", b"[]", b"{}"])
def test_garbage_is_refused_even_when_signed(client, paid, body):
    header = payments_server.stripe.WebhookSignature.generate_signature_header(
        body.decode("utf-8", "replace"), payments_server.WEBHOOK_SECRET
    )
    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400
    assert_unchanged(paid)


def test_only_post(client, stripe_on):
    assert client.get(WEBHOOK_URL).status_code == 405


def test_without_a_webhook_secret_nothing_is_accepted(client, paid, stripe_on, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = deliver(client, succeeded_event(stripe_on, paid), secret=payments_server.WEBHOOK_SECRET)
    assert response.status_code == 400
    assert_unchanged(paid)


def test_a_duplicate_delivery_is_a_no_op(client, paid, stripe_on, committed, mailoutbox):
    event = succeeded_event(stripe_on, paid)
    with committed():
        first = deliver(client, event)
    with committed():
        second = deliver(client, event)
    assert first.json()["outcome"] == "paid"
    assert second.status_code == 200 and second.json()["outcome"] == "duplicate delivery: already handled"
    assert StripeEvent.objects.count() == 1
    assert paid.appointment.events.filter(to_status=Status.PENDING).count() == 1
    assert len(mailoutbox) == 1


def test_a_late_failure_never_unpays(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    secret = checkout.client_secret()
    stripe_on.confirm_card(secret, "4000000000000341")  # declined first…
    stripe_on.confirm_card(secret, "4242424242424242")  # …then paid
    failed = event_for(stripe_on, "payment_intent.payment_failed", checkout.payment.intent_id)
    succeeded = event_for(stripe_on, "payment_intent.succeeded", checkout.payment.intent_id)

    with committed():
        assert deliver(client, succeeded).json()["outcome"] == "paid"
        # The older failure arrives after the success (Stripe does not promise order).
        assert deliver(client, failed).json()["outcome"] == "ignored: payment already paid"
    assert checkout.payment.is_paid and checkout.payment.last_error == ""
    assert checkout.refresh().status == Status.PENDING


def test_in_order_failure_then_success(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    secret = checkout.client_secret()
    stripe_on.confirm_card(secret, "4000000000000341")
    with committed():
        deliver(client, event_for(stripe_on, "payment_intent.payment_failed", checkout.payment.intent_id))
    assert checkout.payment.last_error == "Your card was declined."
    stripe_on.confirm_card(secret, "4242424242424242")
    with committed():
        deliver(client, event_for(stripe_on, "payment_intent.succeeded", checkout.payment.intent_id))
    assert checkout.payment.is_paid and checkout.refresh().status == Status.PENDING


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("amount", 1, "amount 1 in the intent, 6000 here"),
        ("currency", "usd", "currency USD in the intent, GBP here"),
        ("metadata", {"appointment": "ZZZZZ-ZZZZZ", "payment": "1"}, "appointment 'ZZZZZ-ZZZZZ' in the intent"),
    ],
)
def test_a_mismatched_event_is_logged_and_refused(client, paid, stripe_on, committed, caplog, field, value, why):
    event = succeeded_event(stripe_on, paid)
    event["data"]["object"][field] = value
    event["id"] = f"evt_mismatch_{field}"
    with caplog.at_level(logging.ERROR, logger="booking.payments.services"), committed():
        response = deliver(client, event)
    assert response.status_code == 200  # acknowledged, so Stripe stops retrying, but refused
    assert response.json()["outcome"].startswith("refused:") and why in response.json()["outcome"]
    assert why in caplog.text
    assert paid.refresh().status == Status.PENDING_PAYMENT
    assert paid.payment.is_pending and "Refused an update from Stripe" in paid.payment.last_error


def test_unknown_types_and_unknown_intents_are_acknowledged_and_ignored(client, stripe_on, paid):
    other = forged_event("customer.created", {"id": "cus_123", "object": "customer"}, event_id="evt_other")
    response = deliver(client, other)
    assert response.status_code == 200 and response.json()["outcome"].startswith("ignored")

    stranger = forged_event(
        "payment_intent.succeeded",
        {"id": "pi_not_ours", "object": "payment_intent", "status": "succeeded", "amount": 6000, "currency": "gbp"},
        event_id="evt_stranger",
    )
    response = deliver(client, stranger)
    assert response.status_code == 200 and response.json()["outcome"] == "ignored: not one of our payments"
    assert paid.payment.is_pending
    assert StripeEvent.objects.count() == 2


def test_refund_events_move_a_refund_forward_only(client, paid, stripe_on, committed, staff_user):
    with committed():
        deliver(client, succeeded_event(stripe_on, paid))
    payment = paid.payment
    with committed():
        refund = staff_refund(payment, 2000, user=staff_user, reason="Goodwill", key="evt-test")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.refund_id  # localstripe refunds at once
    stripe_refund = stripe_on.refunds(payment.intent_id)[0]

    # A later "failed" for a refund already succeeded changes nothing (state only moves forward).
    failed = dict(stripe_refund, status="failed", failure_reason="expired_or_canceled_card")
    response = deliver(client, forged_event("refund.updated", failed, event_id="evt_refund_failed_late"))
    assert response.json()["outcome"] == "duplicate: refund already succeeded"
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED


def test_a_failed_refund_gives_the_amount_back(client, paid, stripe_on, committed, staff_user):
    with committed():
        deliver(client, succeeded_event(stripe_on, paid))
    payment = paid.payment
    # Recorded but not yet accepted by Stripe (as if Stripe had not answered yet).
    refund = request_refund(
        payment, 6000, reason=Refund.Reason.STAFF, note="x", actor=Actor(Actor.STAFF, staff_user), key="pending-one"
    )
    payment.refresh_from_db()
    assert payment.amount_refunded == 6000 and payment.refundable == 0
    event = forged_event(
        "refund.failed",
        {
            "id": "re_failed_1",
            "object": "refund",
            "status": "failed",
            "amount": 6000,
            "currency": "gbp",
            "payment_intent": payment.intent_id,
            "metadata": {"refund": "pending-one"},
            "failure_reason": "lost_or_stolen_card",
        },
        event_id="evt_refund_failed",
    )
    response = deliver(client, event)
    assert response.json()["outcome"] == "refund failed"
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == Refund.Status.FAILED and refund.refund_id == "re_failed_1"
    assert payment.amount_refunded == 0 and payment.refundable == 6000


def test_a_refund_made_in_stripes_dashboard_is_recorded(client, paid, stripe_on, committed):
    with committed():
        deliver(client, succeeded_event(stripe_on, paid))
    payment = paid.payment
    made = requests.post(
        f"{stripe_on.url}/v1/refunds",
        data={"payment_intent": payment.intent_id, "amount": 1500},
        auth=(payments_server.SECRET_KEY, ""),
        timeout=10,
    ).json()
    charge = {"id": "ch_x", "object": "charge", "payment_intent": payment.intent_id, "amount_refunded": 1500}
    with committed():
        response = deliver(client, forged_event("charge.refunded", charge, event_id="evt_charge_refunded"))
    assert response.json()["outcome"] == "refund made in Stripe recorded"
    refund = Refund.objects.get(refund_id=made["id"])
    assert refund.reason == Refund.Reason.STRIPE and refund.amount == 1500
    payment.refresh_from_db()
    assert payment.amount_refunded == 1500
    # The same refund announced again by its own event is not counted twice.
    response = deliver(client, forged_event("refund.updated", made, event_id="evt_refund_updated"))
    assert response.json()["outcome"] == "duplicate: refund already succeeded"
    payment.refresh_from_db()
    assert payment.amount_refunded == 1500 and Payment.objects.count() == 1


def test_an_intent_whose_create_response_was_lost_is_adopted(client, paid, stripe_on, committed):
    """Stripe made the intent but our record never got its id (a timeout after Stripe acted):
    the metadata naming our payment and appointment ties them together again."""
    intent_id = paid.payment.intent_id
    event = succeeded_event(stripe_on, paid)
    Payment.objects.filter(pk=paid.payment.pk).update(intent_id=None)
    with committed():
        response = deliver(client, event)
    assert response.json()["outcome"] == "paid"
    assert paid.payment.intent_id == intent_id and paid.payment.is_paid
