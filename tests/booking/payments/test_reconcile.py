"""reconcile_payments: what a missed webhook would have done, done later, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from booking.appointments.services import Actor, transition
from booking.models import Appointment
from booking.payments.models import Refund

from .conftest import book

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def reconcile() -> str:
    out = io.StringIO()
    call_command("reconcile_payments", stdout=out)
    return out.getvalue()


def test_a_missed_success_is_recovered(client, doctor, free_slot, stripe_on, committed, mailoutbox):
    checkout = book(client, doctor, free_slot(doctor))
    stripe_on.confirm_card(checkout.client_secret())
    # The patient closed the tab before the return page, and the webhook never arrived.
    assert checkout.refresh().status == Status.PENDING_PAYMENT

    with committed():
        out = reconcile()
    assert f"{checkout.appointment.reference}: paid" in out
    assert checkout.refresh().status == Status.PENDING and checkout.payment.is_paid
    assert len(mailoutbox) == 1

    with committed():
        again = reconcile()  # safe to run any number of times
    assert f"{checkout.appointment.reference}: duplicate: already paid" in again
    assert len(mailoutbox) == 1
    assert checkout.appointment.events.filter(to_status=Status.PENDING).count() == 1


def test_a_missed_failure_is_recovered(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    stripe_on.confirm_card(checkout.client_secret(), "4000000000000341")
    with committed():
        reconcile()
    assert checkout.payment.last_error == "Your card was declined."
    assert checkout.refresh().status == Status.PENDING_PAYMENT


def test_a_missed_policy_refund_is_recovered(client, doctor, slot_after, stripe_on, committed):
    checkout = book(client, doctor, slot_after(doctor, 72))
    stripe_on.confirm_card(checkout.client_secret())
    with committed():
        checkout.back_from_stripe()
    # Cancelled, but the process stopped before the after-commit reaction ran (no committed()).
    transition(checkout.appointment, Status.CANCELLED, Actor(Actor.GUEST))
    assert not Refund.objects.exists()

    with committed():
        out = reconcile()
    assert "policy refund recovered" in out
    assert [r["amount"] for r in stripe_on.refunds(checkout.payment.intent_id)] == [6000]
    with committed():
        reconcile()
    assert Refund.objects.count() == 1 and len(stripe_on.refunds(checkout.payment.intent_id)) == 1


def test_without_keys_there_is_nothing_to_reconcile(db):
    assert "payments are not configured" in reconcile()


def test_the_detail_page_is_unaffected_by_reconcile(client, doctor, free_slot, stripe_on, committed):
    checkout = book(client, doctor, free_slot(doctor))
    stripe_on.confirm_card(checkout.client_secret())
    with committed():
        reconcile()
    page = client.get(reverse("appointments:detail", args=[checkout.appointment.reference])).content.decode()
    assert "£60.00 by card" in page
