""" "Find my appointment" answers every miss the same way: 404, one message, no hint of accounts.

It used to answer 403 "This appointment belongs to an account" for an account holder's booking,
which told anyone holding a reference and an email that the email has an account here.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from booking.appointments.services import PatientDetails, book_appointment
from booking.availability.selectors import booking_window, doctor_free_slots
from tests.factories import sent_to_sign_in

pytestmark = pytest.mark.django_db

URL = "/appointments/find/"


@pytest.fixture
def bookings(doctor, patient):
    first, last = booking_window()
    slots = doctor_free_slots(doctor, first + timedelta(days=3), last)
    guest = book_appointment(
        doctor_id=doctor.pk,
        starts_at=slots[0].start,
        details=PatientDetails(full_name="Gus Guest", email="gus@example.com", mobile="+447912345678"),
    )
    account = book_appointment(
        doctor_id=doctor.pk,
        starts_at=slots[1].start,
        details=PatientDetails(full_name="Alice Tester", email=patient.email, mobile="+447912345678"),
        patient=patient,
    )
    return guest, account


def body_without_form(response) -> str:
    """The page minus the echoed form values (they differ by what was typed) and the response's CSP nonce."""
    page = re.sub(r'nonce="[^"]*"', 'nonce=""', response.content.decode())
    return page[: page.find("<form")] if "<form" in page else page


def test_the_url_is_the_lookup():
    assert reverse("appointments:find") == URL


def test_every_miss_and_an_account_holders_booking_get_the_same_answer(client, bookings, patient):
    guest, account = bookings
    answers = [
        client.post(URL, {"reference": "00000-00000", "email": "gus@example.com"}),  # unknown reference
        client.post(URL, {"reference": guest.reference, "email": "mallory@example.com"}),  # wrong email
        client.post(URL, {"reference": account.reference, "email": "mallory@example.com"}),  # wrong email
        client.post(URL, {"reference": account.reference, "email": patient.email}),  # right, but an account's
    ]
    assert [answer.status_code for answer in answers] == [404] * 4
    pages = {body_without_form(answer) for answer in answers}
    assert len(pages) == 1
    (page,) = pages
    assert "No appointment matches that reference and email" in page
    assert "sign in" in page  # the hint for account holders, shown to everyone alike
    assert "belongs to an account" not in page
    assert account.reference not in page
    # And the account holder's appointment stays closed to this browser.
    assert sent_to_sign_in(client.get(reverse("appointments:detail", args=[account.reference])))


def test_a_guest_booking_still_opens(client, bookings):
    guest, _ = bookings
    response = client.post(URL, {"reference": guest.reference.lower(), "email": "GUS@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("appointments:detail", args=[guest.reference])
