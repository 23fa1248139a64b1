"""Control characters in names and remarks are refused with a field message; nothing is stored.

Names and remarks travel into pages, emails, calendar files, PDFs and CSV exports; NUL bytes,
terminal escape sequences and bidirectional overrides (text that reads differently from what is
stored) must not get in through any of the booking forms.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from booking.appointments.services import PatientDetails, book_appointment
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment, AppointmentEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NASTY = {
    "nul": "Ann\x00 Smith",
    "escape-sequence": "Ann \x1b[31mSmith",
    "bidi-override": "Ann \u202eSmith",
    "backspace": "Ann\x08 Smith",
    "c1-control": "Ann \x9b Smith",
}


@pytest.fixture
def slots(doctor):
    first, last = booking_window()
    return doctor_free_slots(doctor, first + timedelta(days=3), last)


def booking_form(slot, **changes) -> dict:
    data = {
        "slot": slot.start.isoformat(),
        "full_name": "Ann Smith",
        "email": "ann@example.com",
        "mobile": "07912 345678",
        "reason": "",
        "mode": "in_person",
    }
    return data | changes


def refused(response) -> bool:
    page = response.content.decode()
    return "control characters" in page or "Null characters are not allowed" in page


@pytest.mark.parametrize("value", NASTY.values(), ids=NASTY.keys())
@pytest.mark.parametrize("field", ["full_name", "reason"])
def test_booking_form_refuses_control_characters(client, doctor, slots, field, value):
    response = client.post(doctor.url + "book/", booking_form(slots[0], **{field: value}))
    assert response.status_code == 400
    assert refused(response)
    assert not Appointment.objects.exists()


def test_ordinary_names_and_multiline_reasons_are_fine(client, doctor, slots):
    response = client.post(
        doctor.url + "book/",
        booking_form(slots[0], full_name="Zoë O'Brien-Nguyễn", reason="Chest pain.\r\nSince\tMonday."),
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.full_name == "Zoë O'Brien-Nguyễn"
    assert appointment.reason.startswith("Chest pain.")


@pytest.fixture
def guest_booking(client, doctor, slots) -> Appointment:
    details = PatientDetails(full_name="Gus Guest", email="gus@example.com", mobile="+447912345678")
    appointment = book_appointment(doctor_id=doctor.pk, starts_at=slots[0].start, details=details)
    response = client.post(
        reverse("appointments:find"), {"reference": appointment.reference, "email": "gus@example.com"}
    )
    assert response.status_code == 302
    return appointment


@pytest.mark.parametrize("value", NASTY.values(), ids=NASTY.keys())
def test_cancel_remark_with_control_characters_changes_nothing(client, guest_booking, value):
    response = client.post(
        reverse("appointments:cancel", args=[guest_booking.reference]), {"remark": value}, follow=True
    )
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    guest_booking.refresh_from_db()
    assert guest_booking.status == Appointment.Status.PENDING


def test_cancel_with_a_plain_remark_still_works(client, guest_booking):
    client.post(reverse("appointments:cancel", args=[guest_booking.reference]), {"remark": "Feeling better."})
    guest_booking.refresh_from_db()
    assert guest_booking.status == Appointment.Status.CANCELLED
    assert AppointmentEvent.objects.filter(appointment=guest_booking, remark="Feeling better.").exists()


def test_doctor_remark_with_control_characters_changes_nothing(client, doctor_user, guest_booking):
    client.logout()
    client.login(email=doctor_user.email, password=PASSWORD)
    response = client.post(
        reverse("doctor:transition", args=[guest_booking.reference]),
        {"target": "declined", "remark": "Away\x1b[0m"},
        follow=True,
    )
    assert "Nothing was changed" in response.content.decode()
    guest_booking.refresh_from_db()
    assert guest_booking.status == Appointment.Status.PENDING


def test_staff_remark_with_control_characters_changes_nothing(client, staff_user, guest_booking):
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    response = client.post(
        reverse("booking_admin_manage", args=[guest_booking.reference]),
        {"action": "status", "target": "declined", "remark": "Doctor\x00 away."},
    )
    assert response.status_code == 400
    assert refused(response)
    guest_booking.refresh_from_db()
    assert guest_booking.status == Appointment.Status.PENDING


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "3000-01-01"])
def test_staff_move_to_an_absurd_date_is_a_field_message(client, staff_user, guest_booking, doctor, day):
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    response = client.post(
        reverse("booking_admin_manage", args=[guest_booking.reference]),
        {"action": "move", "doctor": doctor.pk, "day": day, "start": "10:00"},
    )
    assert response.status_code == 400
    assert "Enter a date between 1900 and 2999" in response.content.decode()
