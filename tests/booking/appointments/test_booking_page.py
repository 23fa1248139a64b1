"""Booking through the doctor page's ``book/`` route with the Django test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, TimeOff, clinic_zone
from tests.factories import PASSWORD, confirm_by_email, make_appointment

pytestmark = pytest.mark.django_db


def book_url(doctor) -> str:
    return doctor.url + "book/"


def form_data(chosen, **overrides) -> dict:
    data = {
        "slot": chosen.start.isoformat(),
        "full_name": "Grace Hopper",
        "email": "Grace@Example.com",
        "mobile": "07912 345678",
        "reason": "Chest pain when climbing stairs",
        "mode": "in_person",
    }
    data.update(overrides)
    return data


def test_book_page_lists_free_slots(client, doctor, free_slot):
    slot = free_slot(doctor)
    response = client.get(book_url(doctor), {"day": slot.start.astimezone(clinic_zone()).date().isoformat()})
    assert response.status_code == 200
    assert slot.start.isoformat() in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]


def test_guest_books_a_slot_and_sees_the_confirmation(client, doctor, free_slot):
    slot = free_slot(doctor)
    response = client.post(book_url(doctor), form_data(slot))
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"book/confirmed/{appointment.reference}/")
    assert appointment.patient is None
    assert appointment.email == "grace@example.com"
    assert appointment.mobile == "+447912345678"
    assert appointment.starts_at == slot.start
    assert appointment.ends_at == slot.start + timedelta(minutes=doctor.slot_minutes)
    # A guest's booking holds the time until confirmed from the email (issue 7).
    assert appointment.status == Appointment.Status.UNCONFIRMED
    assert appointment.holds_slot is True
    assert appointment.events.get().to_status == Appointment.Status.UNCONFIRMED

    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert appointment.reference in confirmation.content.decode()

    confirm_by_email(client, appointment)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.PENDING
    assert appointment.events.last().to_status == Appointment.Status.PENDING


def test_signed_in_patient_has_details_prefilled_and_owns_the_booking(client, doctor, patient, free_slot):
    client.login(email=patient.email, password=PASSWORD)
    page = client.get(book_url(doctor)).content.decode()
    assert patient.email in page
    slot = free_slot(doctor)
    client.post(book_url(doctor), form_data(slot, email=patient.email))
    assert Appointment.objects.get().patient == patient


def test_taken_slot_is_refused_with_a_clear_message(client, doctor, free_slot):
    slot = free_slot(doctor)
    client.post(book_url(doctor), form_data(slot))
    response = client.post(book_url(doctor), form_data(slot, email="someone.else@example.com"))
    assert response.status_code == 409
    assert "That time was just taken" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_past_slot_is_refused(client, doctor):
    past = timezone.localtime(timezone.now(), clinic_zone()).replace(hour=9, minute=0, second=0, microsecond=0)
    past -= timedelta(days=1)
    response = client.post(book_url(doctor), form_data(type("S", (), {"start": past})()))
    assert response.status_code == 409
    assert "past" in response.content.decode()
    assert not Appointment.objects.exists()


def test_slot_outside_working_hours_is_refused(client, doctor, free_slot):
    slot = free_slot(doctor)
    night = slot.start.astimezone(clinic_zone()).replace(hour=22, minute=0)
    response = client.post(book_url(doctor), form_data(type("S", (), {"start": night})()))
    assert response.status_code == 409
    assert not Appointment.objects.exists()


def test_slot_not_aligned_to_the_grid_is_refused(client, doctor, free_slot):
    slot = free_slot(doctor)
    tampered = slot.start + timedelta(minutes=7)
    response = client.post(book_url(doctor), form_data(type("S", (), {"start": tampered})()))
    assert response.status_code == 409
    assert not Appointment.objects.exists()


def test_slot_in_time_off_is_refused(client, doctor, free_slot):
    slot = free_slot(doctor)
    day = slot.start.astimezone(clinic_zone()).date()
    TimeOff.objects.create(doctor=doctor, start_date=day, end_date=day, reason="Conference")
    response = client.post(book_url(doctor), form_data(slot))
    assert response.status_code == 409
    assert not Appointment.objects.exists()
    assert slot.start.isoformat() not in client.get(book_url(doctor)).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slot", "", "Pick a time from the list."),
        ("slot", "not-a-date", "Pick a time from the list."),
        ("slot", "2030-01-01T09:00:00", "Pick a time from the list."),  # naive: no zone
        ("full_name", "", "Enter your full name."),
        ("email", "", "Enter your email address"),
        ("mobile", "", "Enter a mobile number"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("mobile", "12", "phone number"),
        ("mobile", "+44 1234", "phone number"),
        ("mode", "teleport", "Select a valid choice."),
        ("reason", "x" * 1001, "at most 1000 characters"),
    ],
)
def test_invalid_input_gets_a_field_message_and_saves_nothing(client, doctor, free_slot, field, value, message):
    slot = free_slot(doctor)
    response = client.post(book_url(doctor), form_data(slot, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_online_mode_refused_for_a_doctor_who_only_sees_people_in_person(client, site_tree, free_slot):
    from tests.factories import make_doctor

    doctor = make_doctor(site_tree["doctors"], "Dr In Person", offers_online=False)
    response = client.post(book_url(doctor), form_data(free_slot(doctor), mode="online"))
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_unpublished_doctor_cannot_be_booked(client, doctor, free_slot):
    slot = free_slot(doctor)
    url = book_url(doctor)
    doctor.unpublish()
    assert client.get(url).status_code == 404
    assert client.post(url, form_data(slot)).status_code == 404
    assert not Appointment.objects.exists()


def test_unknown_doctor_and_unknown_pages_are_404(client, doctor):
    assert client.get("/doctors/no-such-doctor/book/").status_code == 404
    assert client.get(doctor.url + "book/nonsense/").status_code == 404
    # An unknown reference on a real doctor's page: signed out, the same sign-in as for a real one.
    assert client.get(doctor.url + "book/confirmed/ZZZZZ-ZZZZZ/").status_code == 302
    assert client.get("/doctors/no-such-doctor/book/confirmed/ZZZZZ-ZZZZZ/").status_code == 404


def test_week_navigation_ignores_nonsense_dates(client, doctor):
    for value in ("garbage", "1999-01-01", "2999-01-01"):
        assert client.get(book_url(doctor), {"from": value}).status_code == 200


def test_a_time_chosen_on_the_doctor_page_arrives_selected(client, doctor, free_slot):
    slot = free_slot(doctor)
    page = client.get(doctor.url).content.decode()
    assert "slot=" in page
    booking = client.get(book_url(doctor), {"from": slot.start.date().isoformat(), "slot": slot.start.isoformat()})
    assert f'value="{slot.start.isoformat()}" checked' in booking.content.decode()


def test_confirmation_says_whether_the_booking_can_still_be_changed_online(client, doctor, free_slot, settings):
    slot = free_slot(doctor)
    response = client.post(book_url(doctor), form_data(slot), follow=True)
    page = response.content.decode()
    soon = slot.start - timezone.now() < timedelta(hours=settings.BOOKING_CANCEL_CUTOFF_HOURS)
    if soon:
        assert "cannot be changed or cancelled online" in page
    else:
        assert "You can change the time or cancel online until" in page
    settings.BOOKING_CANCEL_CUTOFF_HOURS = 24 * 365
    assert "cannot be changed or cancelled online" in client.get(response.redirect_chain[-1][0]).content.decode()


# Pins a review finding: this failed before its fix.
@pytest.mark.parametrize("days_ahead", [60, 3650])
def test_nobody_books_or_moves_past_the_horizon(client, doctor, patient, far_slots, days_ahead):
    slot = far_slots[0]
    far = slot.start + timedelta(days=days_ahead)
    data = {"slot": far.isoformat(), "full_name": "Gus", "email": "g@example.com", "mobile": "07912 345678"}
    data["mode"] = "in_person"
    response = client.post(doctor.url + "book/", data)
    assert response.status_code == 409
    assert "days ahead" in response.content.decode()
    assert not Appointment.objects.exists()

    mine = make_appointment(doctor, slot=slot, patient=patient)
    client.login(email=patient.email, password=PASSWORD)
    moved = client.post(reverse("appointments:reschedule", args=[mine.reference]), {"slot": far.isoformat()})
    assert moved.status_code == 409
    mine.refresh_from_db()
    assert mine.starts_at == slot.start


# Pins a review finding: this failed before its fix.
@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-12:00", "9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00+14:00"]
)
def test_times_at_the_ends_of_the_calendar_are_refused_not_500(client, doctor, value):
    data = {"slot": value, "full_name": "Gus", "email": "g@example.com", "mobile": "07912 345678", "mode": "in_person"}
    assert client.post(doctor.url + "book/", data).status_code == 409


# Pins a review finding: this failed before its fix.
def test_overlong_email_is_a_field_message(client, doctor, far_slots):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
    data = {"slot": far_slots[0].start.isoformat(), "full_name": "Gus", "email": email, "mobile": "07912 345678"}
    data["mode"] = "in_person"
    response = client.post(doctor.url + "book/", data)
    assert response.status_code == 400
    assert not Appointment.objects.exists()
