"""Paying for a booking against localstripe: book → hold → pay → the return page → paid.

The browser's part (the Payment Element confirming with Stripe) is played by the same route the
Stripe.js test double uses (``LocalStripe.confirm_card``); everything else is the portal's own
code, talking to a real Stripe-compatible server.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment
from booking.payments.models import Payment
from home.models import DoctorPage
from tests.factories import PASSWORD

from .conftest import book, booking_data, deliver, event_for

pytestmark = pytest.mark.django_db

Status = Appointment.Status
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"
THREE_D_SECURE_CARD = "4000002500003155"
THREE_D_SECURE_THEN_DECLINED = "4000008260003178"


def test_a_paid_booking_from_form_to_receipt(client, doctor, doctor_user, free_slot, stripe_on, committed, mailoutbox):
    slot = free_slot(doctor)
    with committed():
        # A hand-made field naming another amount is ignored: amounts come from the doctor's fee.
        checkout = book(client, doctor, slot, amount="1", currency="usd")
    assert checkout.response["Location"] == checkout.pay_url
    held = checkout.refresh()
    assert held.status == Status.PENDING_PAYMENT and held.holds_slot
    due = held.hold_expires_at - timezone.now()
    assert timedelta(minutes=14) < due <= timedelta(minutes=15)
    assert mailoutbox == []  # nothing to tell the patient until it is paid

    page = checkout.open_pay_page()
    content = page.content.decode()
    assert page.status_code == 200
    assert "Pay £60.00" in content and "full refund" in content and "js/payments.js" in content
    secret = page.context["client_secret"]
    intent = stripe_on.intent(secret.split("_secret_")[0])
    assert (intent["amount"], intent["currency"]) == (6000, "gbp")
    assert intent["metadata"] == {"appointment": held.reference, "payment": str(checkout.payment.pk)}
    assert checkout.client_secret() == secret  # a reload meets the same intent

    status, body = stripe_on.confirm_card(secret, GOOD_CARD)
    assert (status, body["status"]) == (200, "succeeded")
    with committed():
        response = checkout.back_from_stripe()
    assert response.status_code == 302 and response["Location"].endswith(f"/book/confirmed/{held.reference}/")

    appointment = checkout.refresh()
    payment = checkout.payment
    assert appointment.status == Status.PENDING and appointment.hold_expires_at is None
    assert payment.is_paid and payment.amount == 6000 and payment.currency == "GBP"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("Payment received for your appointment on ")
    assert mailoutbox[0].subject.endswith(f"({held.reference})")
    assert "£60.00" in mailoutbox[0].body and payment.intent_id in mailoutbox[0].body
    assert "waiting for Dr Ada Lovelace to confirm" in " ".join(mailoutbox[0].body.split())

    confirmation = client.get(response["Location"]).content.decode()
    assert "Paid" in confirmation and "£60.00 by card" in confirmation

    # Stripe's own webhook arrives afterwards: it finds the work done.
    with committed():
        late = deliver(client, event_for(stripe_on, "payment_intent.succeeded", payment.intent_id))
    assert late.status_code == 200 and late.json()["outcome"] == "duplicate: already paid"
    assert len(mailoutbox) == 1

    # The doctor sees a paid request.
    client.logout()
    client.login(email=doctor_user.email, password=PASSWORD)
    dashboard = client.get(reverse("doctor:dashboard")).content.decode()
    assert "Pat Payer" in dashboard and "Paid £60.00" in dashboard


def test_a_declined_card_then_another_card(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    secret = checkout.client_secret()

    status, body = stripe_on.confirm_card(secret, DECLINED_CARD)
    assert status == 402 and body["error"]["code"] == "card_declined"
    with committed():
        failed = deliver(client, event_for(stripe_on, "payment_intent.payment_failed", checkout.payment.intent_id))
    assert failed.json()["outcome"] == "failed attempt noted"
    assert checkout.refresh().status == Status.PENDING_PAYMENT  # the hold lasts: try again
    page = checkout.open_pay_page()
    assert "Your card was declined." in page.content.decode()
    assert page.context["client_secret"] == secret

    status, body = stripe_on.confirm_card(secret, GOOD_CARD)
    assert body["status"] == "succeeded"
    with committed():
        deliver(client, event_for(stripe_on, "payment_intent.succeeded", checkout.payment.intent_id))
    assert checkout.refresh().status == Status.PENDING
    assert checkout.payment.is_paid and checkout.payment.last_error == ""
    assert len(stripe_on.intents_for(checkout.appointment.reference)) == 1


def test_three_d_secure_completed(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    secret = checkout.client_secret()
    _status, body = stripe_on.confirm_card(secret, THREE_D_SECURE_CARD)
    assert body["status"] == "requires_action"
    # The patient has not authenticated yet: the return page (if reached) does not call it paid.
    checkout.back_from_stripe()
    assert checkout.refresh().status == Status.PENDING_PAYMENT

    _status, body = stripe_on.authenticate(secret, success=True)
    assert body["status"] == "succeeded"
    with committed():
        checkout.back_from_stripe()
    assert checkout.refresh().status == Status.PENDING and checkout.payment.is_paid


def test_three_d_secure_failed_then_retried(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    secret = checkout.client_secret()
    stripe_on.confirm_card(secret, THREE_D_SECURE_CARD)
    status, body = stripe_on.authenticate(secret, success=False)
    assert body["status"] == "requires_payment_method"

    # Stripe sends no event for this; the pay page, reloaded, reads the intent and says why.
    page = checkout.open_pay_page()
    assert "failed authentication" in page.content.decode()
    assert checkout.payment.is_pending and checkout.refresh().status == Status.PENDING_PAYMENT

    # A card that authenticates but is then declined, and finally a good one.
    stripe_on.confirm_card(secret, THREE_D_SECURE_THEN_DECLINED)
    status, _ = stripe_on.authenticate(secret, success=True)
    assert status == 402
    assert checkout.refresh().status == Status.PENDING_PAYMENT
    stripe_on.confirm_card(secret, GOOD_CARD)
    with committed():
        checkout.back_from_stripe()
    assert checkout.payment.is_paid and checkout.refresh().status == Status.PENDING


def test_double_submit_of_the_pay_button_charges_once(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    secret = checkout.client_secret()
    first = stripe_on.confirm_card(secret, GOOD_CARD)
    second = stripe_on.confirm_card(secret, GOOD_CARD)
    assert first[0] == 200 and second[0] == 400  # Stripe refuses to confirm a paid intent again
    with committed():
        checkout.back_from_stripe()
        checkout.back_from_stripe()
        deliver(client, event_for(stripe_on, "payment_intent.succeeded", checkout.payment.intent_id))
    intents = stripe_on.intents_for(checkout.appointment.reference)
    assert len(intents) == 1 and intents[0]["amount"] == 6000
    assert Payment.objects.filter(appointment=checkout.appointment).count() == 1
    assert checkout.appointment.events.filter(to_status=Status.PENDING, from_status=Status.PENDING_PAYMENT).count() == 1
    # A paid booking's pay page sends the patient to the confirmation instead of charging again.
    again = checkout.open_pay_page()
    assert again.status_code == 302 and "/book/confirmed/" in again["Location"]


def test_auto_confirm_confirms_paid_bookings(client, doctor, free_slot, stripe_on, committed, settings, mailoutbox):
    settings.PAYMENT_AUTO_CONFIRM = True
    checkout = book(client, doctor, free_slot(doctor))
    stripe_on.confirm_card(checkout.client_secret(), GOOD_CARD)
    with committed():
        checkout.back_from_stripe()
    assert checkout.refresh().status == Status.CONFIRMED
    kinds = sorted(n.kind for n in checkout.appointment.notifications.all())
    assert kinds == ["confirmed", "receipt"]


def test_online_consultations_cost_their_own_fee(client, doctor, free_slot, stripe_on):
    DoctorPage.objects.filter(pk=doctor.pk).update(online_consultation_fee=Decimal("45.50"))
    checkout = book(client, doctor, free_slot(doctor), mode=Appointment.Mode.ONLINE)
    assert checkout.appointment.fee == Decimal("45.50")
    secret = checkout.client_secret()
    assert stripe_on.intent(secret.split("_secret_")[0])["amount"] == 4550


def test_optional_payment_lets_the_patient_choose(client, doctor, free_slot, stripe_on, committed, mailoutbox):
    DoctorPage.objects.filter(pk=doctor.pk).update(online_payment="optional")
    page = client.get(f"{doctor.url}book/").content.decode()
    assert "Pay online now, by card" in page and "Pay at the clinic on the day" in page

    with committed():
        at_clinic = book(client, doctor, free_slot(doctor, 0), payment="clinic")
    # Not paid online: a guest's booking waits for its emailed confirmation, as any other.
    assert at_clinic.appointment.status == Status.UNCONFIRMED
    assert not Payment.objects.filter(appointment=at_clinic.appointment).exists()
    assert [m.subject.split(" (")[0] for m in mailoutbox] == ["Please confirm your appointment request"]

    online = book(client, doctor, free_slot(doctor, 1), payment="online", email="second@example.com")
    assert online.appointment.status == Status.PENDING_PAYMENT
    assert len(mailoutbox) == 1  # paying confirms it: no email before the payment
    secret = online.client_secret()
    with committed():
        switched = client.post(online.pay_url, {"action": "clinic"})
    assert switched.status_code == 302
    # Switching to the clinic: now it needs the email confirmation after all.
    assert online.refresh().status == Status.UNCONFIRMED and online.appointment.hold_expires_at
    assert mailoutbox[-1].subject.startswith("Please confirm your appointment request") and len(mailoutbox) == 2
    assert stripe_on.intent(secret.split("_secret_")[0])["status"] == "canceled"
    assert online.payment.status == Payment.Status.CANCELED


def test_a_signed_in_patient_switching_to_the_clinic_goes_to_the_doctor(
    client, patient, doctor, free_slot, stripe_on, committed, mailoutbox
):
    DoctorPage.objects.filter(pk=doctor.pk).update(online_payment="optional")
    client.login(email=patient.email, password=PASSWORD)
    checkout = book(client, doctor, free_slot(doctor), payment="online", email=patient.email)
    checkout.client_secret()
    with committed():
        client.post(checkout.pay_url, {"action": "clinic"})
    assert checkout.refresh().status == Status.PENDING
    assert [m.subject.split(" (")[0] for m in mailoutbox] == ["We have received your appointment request"]


def test_pay_at_clinic_instead_is_refused_where_payment_is_required(client, doctor, free_slot, stripe_on):
    checkout = book(client, doctor, free_slot(doctor))
    response = client.post(checkout.pay_url, {"action": "clinic"}, follow=True)
    assert "not possible" in response.content.decode()
    assert checkout.refresh().status == Status.PENDING_PAYMENT


def test_only_the_patient_side_can_pay(client, doctor, doctor_user, other_patient, free_slot, stripe_on):
    checkout = book(client, doctor, free_slot(doctor))
    url = checkout.pay_url
    stranger = Client()
    assert stranger.get(url).status_code == 404
    assert stranger.get(reverse("payments:return", args=[checkout.appointment.reference])).status_code == 404
    stranger.login(email=other_patient.email, password=PASSWORD)
    assert stranger.get(url).status_code == 404
    doctor_client = Client()
    doctor_client.login(email=doctor_user.email, password=PASSWORD)
    assert doctor_client.get(url).status_code == 404
    assert Payment.objects.count() == 0  # nobody but the patient even opened a payment


def test_an_expired_or_cancelled_booking_cannot_be_paid(client, doctor, free_slot, stripe_on, committed):
    expired = book(client, doctor, free_slot(doctor, 0))
    Appointment.objects.filter(pk=expired.appointment.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    page = expired.open_pay_page()
    assert page.status_code == 409 and "has now been released" in page.content.decode()
    assert "client_secret" not in page.context

    cancelled = book(client, doctor, free_slot(doctor, 1), email="c@example.com")
    with committed():
        client.post(reverse("appointments:cancel", args=[cancelled.appointment.reference]))
    assert cancelled.refresh().status == Status.CANCELLED
    page = cancelled.open_pay_page()
    assert page.status_code == 409 and "cancelled, so there is nothing to pay" in page.content.decode()
    assert stripe_on.intents_for(cancelled.appointment.reference) == []


def test_a_signed_in_patient_pays_and_sees_it_in_me(client, patient, doctor, slot_after, stripe_on, committed):
    client.login(email=patient.email, password=PASSWORD)
    checkout = book(client, doctor, slot_after(doctor, 72), email=patient.email)
    assert checkout.appointment.patient == patient
    mine = client.get(reverse("appointments:mine")).content.decode()
    assert "Pay now" in mine
    stripe_on.confirm_card(checkout.client_secret(), GOOD_CARD)
    with committed():
        checkout.back_from_stripe()
    mine = client.get(reverse("appointments:mine")).content.decode()
    assert "Paid £60.00" in mine
    detail = client.get(reverse("appointments:detail", args=[checkout.appointment.reference])).content.decode()
    assert "£60.00 by card" in detail
    assert "If you cancel now you will get £60.00 back" in detail


def test_the_booking_form_sent_twice_continues_to_the_same_payment(client, doctor, free_slot, stripe_on):
    slot = free_slot(doctor)
    first = book(client, doctor, slot)
    again = book(client, doctor, slot)  # the same browser sends the form again
    assert again.appointment == first.appointment
    assert again.response["Location"] == first.pay_url
    assert Appointment.objects.count() == 1


def test_a_taken_slot_is_refused_before_any_payment(client, doctor, free_slot, stripe_on):
    slot = free_slot(doctor)
    book(client, doctor, slot)
    other = Client()
    response = other.post(f"{doctor.url}book/", booking_data(slot, email="late@example.com"))
    # The time is held by the first booking, awaiting its payment: "just taken", as for any hold.
    assert response.status_code == 409 and "just taken" in response.content.decode()
    assert Appointment.objects.count() == 1 and Payment.objects.count() == 0
    assert stripe_on.intents_for("late@example.com") == []


def test_the_pay_page_allows_stripe_in_its_content_security_policy(client, doctor, free_slot, stripe_on):
    checkout = book(client, doctor, free_slot(doctor))
    policy = checkout.open_pay_page()["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert "https://js.stripe.com" in directives["script-src"] and "'unsafe-inline'" not in directives["script-src"]
    # Pointed at a local Stripe-compatible server, this page (and only this page) may reach it.
    assert stripe_on.url in directives["connect-src"]
    assert stripe_on.url not in client.get(f"{doctor.url}book/")["Content-Security-Policy"]


def test_unpaid_holds_count_against_the_guest_caps(client, doctor, free_slot, stripe_on, settings):
    """A guest's paid booking skips the email confirmation, not the cap on unproven holds."""
    settings.GUEST_UNCONFIRMED_PER_EMAIL = 1
    book(client, doctor, free_slot(doctor, 0))
    response = client.post(f"{doctor.url}book/", booking_data(free_slot(doctor, 1)))
    assert response.status_code == 429
    assert "still waiting to be confirmed or paid" in response.content.decode()
    assert Appointment.objects.count() == 1
