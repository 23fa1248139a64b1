"""Refunds follow the policy shown before paying, go through one service, and never exceed what was paid."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.errors import RefundRefused
from booking.models import Appointment
from booking.payments.models import Payment, Refund
from booking.payments.services import record_desk_payment, request_refund, staff_refund
from tests import payments_server
from tests.factories import PASSWORD

from .conftest import book

pytestmark = pytest.mark.django_db

Status = Appointment.Status


@pytest.fixture
def pay(client, stripe_on, committed):
    """``pay(doctor, slot)``: a booking paid by card and known to the portal."""

    def _pay(doctor, slot, **extra):
        checkout = book(client, doctor, slot, **extra)
        stripe_on.confirm_card(checkout.client_secret())
        with committed():
            checkout.back_from_stripe()
        assert checkout.payment.is_paid
        return checkout

    return _pay


def refunds_at_stripe(stripe_on, payment) -> list[int]:
    return [r["amount"] for r in stripe_on.refunds(payment.intent_id)]


def test_patient_cancelling_before_the_refund_cutoff_gets_everything_back(
    client, doctor, slot_after, pay, stripe_on, committed, mailoutbox
):
    checkout = pay(doctor, slot_after(doctor, 72))
    detail = client.get(reverse("appointments:detail", args=[checkout.appointment.reference])).content.decode()
    assert "If you cancel now you will get £60.00 back (a full refund" in detail

    with committed():
        response = client.post(reverse("appointments:cancel", args=[checkout.appointment.reference]), follow=True)
    assert "£60.00 is being refunded to your card" in response.content.decode()
    payment = checkout.payment
    refund = payment.refunds.get()
    assert (refund.amount, refund.reason, refund.status) == (
        6000,
        Refund.Reason.PATIENT_CANCELLED,
        Refund.Status.SUCCEEDED,
    )
    assert refunds_at_stripe(stripe_on, payment) == [6000]
    assert payment.amount_refunded == 6000
    refund_mail = [m for m in mailoutbox if m.subject.startswith("Refund")]
    assert len(refund_mail) == 1 and "We are refunding £60.00 of the £60.00" in refund_mail[0].body
    # The patient sees it on the appointment page.
    detail = client.get(reverse("appointments:detail", args=[checkout.appointment.reference])).content.decode()
    assert "Refunded" in detail and "£60.00 on" in detail


@pytest.mark.parametrize(("late_percent", "expected"), [(0, []), (50, [3000])])
def test_patient_cancelling_after_the_refund_cutoff_gets_the_policy_share(
    client, doctor, slot_after, pay, stripe_on, committed, settings, late_percent, expected
):
    settings.PAYMENT_REFUND_AFTER_CUTOFF_PERCENT = late_percent
    # Between the refund cutoff (48 hours) and the online-change cutoff (24 hours).
    checkout = pay(doctor, slot_after(doctor, 30))
    detail = client.get(reverse("appointments:detail", args=[checkout.appointment.reference])).content.decode()
    if late_percent:
        assert "If you cancel now you will get £30.00 back (50% back when cancelling less than 48 hours" in detail
    else:
        assert "If you cancel now you will not get any money back" in detail
    with committed():
        client.post(reverse("appointments:cancel", args=[checkout.appointment.reference]))
    assert checkout.refresh().status == Status.CANCELLED
    assert refunds_at_stripe(stripe_on, checkout.payment) == expected
    assert checkout.payment.amount_refunded == sum(expected)


def test_a_doctor_declining_a_paid_request_refunds_it_in_full(
    client, doctor, doctor_user, free_slot, pay, stripe_on, committed, mailoutbox
):
    checkout = pay(doctor, free_slot(doctor))
    doctor_client = Client()
    doctor_client.login(email=doctor_user.email, password=PASSWORD)
    with committed():
        doctor_client.post(
            reverse("doctor:transition", args=[checkout.appointment.reference]),
            {"target": Status.DECLINED, "remark": "I am away that day."},
        )
    assert checkout.refresh().status == Status.DECLINED
    refund = checkout.payment.refunds.get()
    assert (refund.amount, refund.reason) == (6000, Refund.Reason.CLINIC_DECLINED)
    assert refunds_at_stripe(stripe_on, checkout.payment) == [6000]
    subjects = [m.subject.split(" (")[0].split(" for ")[0] for m in mailoutbox]
    assert "Your appointment request could not be accepted" in subjects and "Refund" in subjects
    # …and the patient sees it in /me/ (signed-in patients) or on the appointment page (guests).
    page = client.get(reverse("appointments:detail", args=[checkout.appointment.reference])).content.decode()
    assert "Refunded" in page


def test_the_clinic_cancelling_refunds_in_full_even_late(
    client, doctor, staff_user, free_slot, pay, stripe_on, committed
):
    checkout = pay(doctor, free_slot(doctor))  # tomorrow: well after the patient's refund cutoff
    with committed():
        transition(checkout.appointment, Status.CANCELLED, Actor(Actor.STAFF, staff_user), remark="Clinic closed.")
    assert refunds_at_stripe(stripe_on, checkout.payment) == [6000]
    assert checkout.payment.refunds.get().reason == Refund.Reason.CLINIC_CANCELLED


def test_staff_refund_partly_from_the_admin_and_never_more_than_paid(
    client, doctor, staff_user, free_slot, pay, stripe_on, committed
):
    checkout = pay(doctor, free_slot(doctor))
    payment = checkout.payment
    admin = Client()
    admin.login(email=staff_user.email, password=PASSWORD)
    url = reverse("booking_admin_manage", args=[checkout.appointment.reference])
    page = admin.get(url)
    assert page.status_code == 200 and "Refund" in page.content.decode()
    token = str(page.context["refund_form"]["token"].value())

    with committed():
        response = admin.post(
            url, {"action": "refund", "payment": payment.pk, "amount": "20.00", "reason": "Short visit", "token": token}
        )
    assert response.status_code == 302
    # The same form submitted twice refunds once.
    with committed():
        admin.post(
            url, {"action": "refund", "payment": payment.pk, "amount": "20.00", "reason": "Short visit", "token": token}
        )
    assert refunds_at_stripe(stripe_on, payment) == [2000]

    page = admin.get(url)
    too_much = admin.post(
        url,
        {
            "action": "refund",
            "payment": payment.pk,
            "amount": "40.01",
            "reason": "More",
            "token": str(page.context["refund_form"]["token"].value()),
        },
    )
    assert too_much.status_code == 400
    assert "At most £40.00 can be refunded: £20.00 of £60.00 has been refunded already." in too_much.content.decode()
    no_reason = admin.post(
        url, {"action": "refund", "payment": payment.pk, "amount": "5", "reason": " ", "token": token + "x"}
    )
    assert no_reason.status_code == 400
    payment.refresh_from_db()
    assert payment.amount_refunded == 2000 and refunds_at_stripe(stripe_on, payment) == [2000]

    with committed():
        staff_refund(payment, 4000, user=staff_user, reason="The rest", key="rest")
    payment.refresh_from_db()
    assert payment.amount_refunded == 6000 and sorted(refunds_at_stripe(stripe_on, payment)) == [2000, 4000]
    assert "refund_form" not in admin.get(url).context  # nothing left to refund
    with pytest.raises(RefundRefused, match=r"At most £0\.00"):
        staff_refund(payment, 1, user=staff_user, reason="One more penny", key="penny")


def test_the_refund_service_refuses_nonsense(doctor, free_slot, pay, staff_user):
    payment = pay(doctor, free_slot(doctor)).payment
    actor = Actor(Actor.STAFF, staff_user)
    for amount in (0, -100, 6001):
        with pytest.raises(RefundRefused):
            request_refund(payment, amount, reason=Refund.Reason.STAFF, note="x", actor=actor, key=f"bad-{amount}")
    pending = Payment.objects.create(
        appointment=payment.appointment, method=Payment.Method.DESK, amount=100, currency="GBP", idempotency_key="p"
    )
    with pytest.raises(RefundRefused, match="Only a completed payment"):
        request_refund(pending, 50, reason=Refund.Reason.STAFF, note="x", actor=actor, key="unpaid")
    assert not Refund.objects.exists()


def test_a_refund_while_stripe_is_down_is_sent_later_exactly_once(
    doctor, staff_user, free_slot, pay, stripe_on, committed, settings, mailoutbox
):
    payment = pay(doctor, free_slot(doctor)).payment
    settings.STRIPE_API_BASE = payments_server.closed_port_url()
    with committed():
        refund = staff_refund(payment, 1000, user=staff_user, reason="Goodwill", key="down")
    refund.refresh_from_db()
    assert (
        refund.status == Refund.Status.PENDING and refund.refund_id is None and "could not reach" in refund.last_error
    )
    assert refunds_at_stripe(stripe_on, payment) == []

    settings.STRIPE_API_BASE = stripe_on.url
    for _ in range(2):
        with committed():
            call_command("reconcile_payments", stdout=io.StringIO())
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.refund_id
    assert refunds_at_stripe(stripe_on, payment) == [1000]
    assert len([m for m in mailoutbox if m.subject.startswith("Refund")]) == 1


def test_desk_payments_and_desk_refunds_without_stripe(doctor, staff_user, free_slot, committed, mailoutbox):
    """No keys: staff take the fee at the desk, and hand money back there."""
    appointment = book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor).start,
        details=PatientDetails(full_name="Desk Patient", email="desk@example.com", mobile="+447912345678"),
    )
    with committed():
        payment = record_desk_payment(appointment, 6000, user=staff_user, note="card machine", key="k1")
        again = record_desk_payment(appointment, 6000, user=staff_user, note="card machine", key="k1")
    assert again.pk == payment.pk and payment.is_paid and payment.method == Payment.Method.DESK
    with committed():
        refund = staff_refund(payment, 1000, user=staff_user, reason="Overcharged", key="r1")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.refund_id is None
    kinds = [n.kind for n in appointment.notifications.order_by("created_at", "pk")]
    assert kinds[-2:] == ["receipt", "refund"]
    assert "The clinic returns it to you directly." in mailoutbox[-1].body
