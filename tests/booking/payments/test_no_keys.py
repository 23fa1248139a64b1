"""No Stripe keys (the default, and what ``make run`` uses): booking works as "pay at the clinic"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from booking.models import Appointment
from booking.payments.models import Payment
from home.models import DoctorPage
from portal.money import currency_symbol, format_amount, format_minor, to_minor

from .conftest import WEBHOOK_URL, booking_data

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def test_the_booking_page_says_pay_at_the_clinic(client, doctor, settings):
    assert not settings.STRIPE_SECRET_KEY
    page = client.get(f"{doctor.url}book/").content.decode()
    assert "You pay at the clinic, by card or cash on the day. Nothing is charged online." in page
    assert "£60" in page and "Book this time" in page and "Continue to payment" not in page


def test_booking_works_as_before(client, doctor, free_slot, committed, mailoutbox):
    """A guest's booking waits for its email confirmation, as without payments; nothing is paid."""
    with committed():
        response = client.post(f"{doctor.url}book/", booking_data(free_slot(doctor)))
    assert response.status_code == 302 and "/book/confirmed/" in response["Location"]
    appointment = Appointment.objects.get()
    assert appointment.status == Status.UNCONFIRMED
    assert not Payment.objects.exists()
    assert [m.subject.split(" (")[0] for m in mailoutbox] == ["Please confirm your appointment request"]
    # There is nothing to pay online.
    pay = client.get(reverse("payments:pay", args=[appointment.reference]))
    assert pay.status_code == 409 and "not waiting for a payment" in pay.content.decode()


def test_a_doctor_who_takes_no_online_payment_books_as_before_even_with_keys(
    client, doctor, free_slot, stripe_on, committed
):
    DoctorPage.objects.filter(pk=doctor.pk).update(online_payment="off")
    page = client.get(f"{doctor.url}book/").content.decode()
    assert "You pay at the clinic" in page
    with committed():
        client.post(f"{doctor.url}book/", booking_data(free_slot(doctor)))
    assert Appointment.objects.get().status == Status.UNCONFIRMED  # a guest confirms by email
    assert not Payment.objects.exists()


def test_a_free_consultation_is_never_paid_online(client, doctor, free_slot, stripe_on):
    DoctorPage.objects.filter(pk=doctor.pk).update(consultation_fee=0)
    assert "There is no fee for this consultation." in client.get(f"{doctor.url}book/").content.decode()
    client.post(f"{doctor.url}book/", booking_data(free_slot(doctor)))
    assert Appointment.objects.get().status == Status.UNCONFIRMED
    assert not Payment.objects.exists()


def test_webhooks_are_refused_without_a_secret(client):
    assert client.post(WEBHOOK_URL, data=b"{}", content_type="application/json").status_code == 400


def test_the_currency_symbol_follows_the_currency(client, doctor, settings):
    settings.CLINIC_CURRENCY = "EUR"
    assert "€60" in client.get(f"{doctor.url}book/").content.decode()
    assert (currency_symbol("GBP"), currency_symbol("USD"), currency_symbol("CHF")) == ("£", "$", "CHF ")
    assert (to_minor("45.505", "GBP"), to_minor(1500, "JPY"), to_minor("1.2345", "KWD")) == (4551, 1500, 1235)
    assert (format_minor(4550, "GBP"), format_minor(1500, "JPY"), format_amount("60.00", "CHF")) == (
        "£45.50",
        "¥1,500",
        "CHF 60",
    )
