"""Booking and lookup floods are cut off with a clear message; real patients still get through.

The probe behind issue 7 booked 60 of a doctor's 60 weekly slots from one client in 2.6 s, and
each booking emailed whatever address was typed. These pin the limits that now stop that.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from booking.appointments.services import PatientDetails, book_appointment
from booking.models import Appointment
from home.models import ClinicSettings
from tests.factories import PASSWORD, confirm_by_email

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def form_data(slot, n: int = 0, **overrides) -> dict:
    data = {
        "slot": slot.start.isoformat(),
        "full_name": f"Patient {n}",
        "email": f"patient{n}@example.com",
        "mobile": "07912 345678",
        "mode": "in_person",
    }
    data.update(overrides)
    return data


@pytest.fixture
def book(client, doctor, free_slot):
    """Post the booking form for the doctor's ``n``-th free slot from ``address``."""

    def _book(n: int, *, address: str = "203.0.113.5", http=client, **overrides):
        return http.post(doctor.url + "book/", form_data(free_slot(doctor, n), n, **overrides), REMOTE_ADDR=address)

    return _book


def test_a_flood_from_one_address_is_cut_off_while_another_address_still_books(book, settings):
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 4
    settings.GUEST_UNCONFIRMED_PER_ADDRESS = 100  # this test is about the rate limit alone

    statuses = [book(n).status_code for n in range(10)]

    assert statuses == [302] * 4 + [429] * 6
    assert Appointment.objects.count() == 4
    blocked = book(10)
    page = blocked.content.decode()
    assert "online booking from it is paused for a while. Please try again in an hour" in page
    assert blocked["Retry-After"] == "3600"
    assert book(11, address="198.51.100.7").status_code == 302
    assert Appointment.objects.count() == 5


def test_the_default_limits_stop_the_probes_flood(book, settings):
    """Sixty bookings from one client, as in the probe: a handful get through, none after."""
    responses = [book(n) for n in range(60)]

    held = Appointment.objects.filter(holds_slot=True).count()
    assert held == settings.GUEST_UNCONFIRMED_PER_ADDRESS == 5
    assert [r.status_code for r in responses] == [302] * held + [429] * (60 - held)
    # First the cap on unconfirmed bookings answers, then the rate limit on every post.
    assert "still waiting to be confirmed" in responses[held].content.decode()
    assert "paused" in responses[settings.BOOKING_ATTEMPTS_PER_ADDRESS].content.decode()


def test_the_limit_message_names_the_clinics_phone(book, settings, site_tree):
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 1
    clinic = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    clinic.phone = "+44 20 7946 0000"
    clinic.save()
    book(0)
    assert "phone the clinic on +44 20 7946 0000" in book(1).content.decode()


def test_the_per_email_limit(client, book, settings, patient):
    settings.BOOKING_ATTEMPTS_PER_EMAIL = 3
    client.login(email=patient.email, password=PASSWORD)

    # From three different addresses: only the email ties them together.
    statuses = [book(n, address=f"192.0.2.{n + 1}", email=patient.email).status_code for n in range(5)]

    assert statuses == [302, 302, 302, 429, 429]
    assert "several booking attempts with this email address" in book(5, email=patient.email).content.decode()
    assert book(6, email="someone.else@example.com").status_code == 302


def test_the_cap_on_unconfirmed_bookings_per_email(client, book, settings):
    settings.GUEST_UNCONFIRMED_PER_EMAIL = 2
    same = {"email": "vera@example.org"}

    first, second = book(0, address="192.0.2.1", **same), book(1, address="192.0.2.2", **same)
    third = book(2, address="192.0.2.3", **same)

    assert (first.status_code, second.status_code, third.status_code) == (302, 302, 429)
    assert "still waiting to be confirmed" in third.content.decode()
    assert Appointment.objects.filter(status=Status.UNCONFIRMED).count() == 2
    # Confirming one from the email frees a place under the cap.
    confirm_by_email(client, Appointment.objects.order_by("pk").first())
    assert book(3, address="192.0.2.4", **same).status_code == 302


def test_the_cap_on_unconfirmed_bookings_per_address(client, book, settings, patient):
    settings.GUEST_UNCONFIRMED_PER_ADDRESS = 3
    statuses = [book(n).status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert "made from your network are still waiting" in book(4).content.decode()
    # Signed-in patients are not capped: their bookings need no email confirmation.
    client.login(email=patient.email, password=PASSWORD)
    assert book(5, email=patient.email).status_code == 302
    assert Appointment.objects.get(patient=patient).status == Status.PENDING


def test_unconfirmed_bookings_that_lapsed_do_not_count(book, settings):
    settings.GUEST_UNCONFIRMED_PER_ADDRESS = 1
    assert book(0).status_code == 302
    assert book(1).status_code == 429
    Appointment.objects.update(hold_expires_at=timezone.now())
    assert book(2).status_code == 302


def test_ipv6_clients_are_counted_by_their_64_network(book, settings):
    settings.GUEST_UNCONFIRMED_PER_ADDRESS = 2
    assert book(0, address="2001:db8:1:2::1").status_code == 302
    assert book(1, address="2001:db8:1:2::ffff").status_code == 302
    assert book(2, address="2001:db8:1:2:abcd::9").status_code == 429  # same /64
    assert book(3, address="2001:db8:1:3::1").status_code == 302  # another /64


def test_the_booking_client_is_stored_only_as_a_hash_and_only_while_unconfirmed(client, book):
    book(0, address="203.0.113.77")
    appointment = Appointment.objects.get()
    assert len(appointment.booked_from) == 32
    assert "203.0.113.77" not in appointment.booked_from
    confirm_by_email(client, appointment)
    appointment.refresh_from_db()
    assert appointment.booked_from == ""


# --- The lookup --------------------------------------------------------------------------------


@pytest.fixture
def guest_appointment(doctor, free_slot):
    return book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor, 20).start,
        details=PatientDetails(full_name="Gus Guest", email="gus@example.com", mobile="+447700900123"),
    )


def test_the_lookup_is_limited_per_email_across_addresses(client, settings, guest_appointment):
    settings.LOOKUP_ATTEMPTS_PER_EMAIL = 3
    url = reverse("appointments:find")
    guesses = [
        client.post(url, {"reference": f"0000{n}-00000", "email": "gus@example.com"}, REMOTE_ADDR=f"192.0.2.{n + 1}")
        for n in range(3)
    ]
    assert [r.status_code for r in guesses] == [404] * 3

    blocked = client.post(
        url, {"reference": guest_appointment.reference, "email": "gus@example.com"}, REMOTE_ADDR="192.0.2.99"
    )
    assert blocked.status_code == 429
    assert "Too many attempts. Please wait ten minutes" in blocked.content.decode()
    assert blocked["Retry-After"] == "600"
    other = client.post(url, {"reference": "00000-00000", "email": "x@example.com"}, REMOTE_ADDR="192.0.2.99")
    assert other.status_code == 404


def test_the_lookup_is_limited_per_address(client, settings, guest_appointment):
    settings.LOOKUP_ATTEMPTS_PER_ADDRESS = 2
    url = reverse("appointments:find")
    for n in range(2):
        client.post(url, {"reference": "00000-00000", "email": f"x{n}@example.com"})
    assert client.post(url, {"reference": guest_appointment.reference, "email": "gus@example.com"}).status_code == 429
    right = client.post(
        url, {"reference": guest_appointment.reference, "email": "gus@example.com"}, REMOTE_ADDR="198.51.100.1"
    )
    assert right.status_code == 302
