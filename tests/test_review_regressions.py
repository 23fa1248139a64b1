"""Regressions for holes found in review: each test failed before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment, TimeOff
from booking.notifications.links import guest_link_path
from home.models import DoctorPage

from .factories import PASSWORD

pytestmark = pytest.mark.django_db


def book(doctor, slot, *, patient=None, email="gus@example.com") -> Appointment:
    details = PatientDetails(full_name="Gus Guest", email=email, mobile="+447912345678")
    return book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details, patient=patient)


@pytest.fixture
def far_slots(doctor):
    first, last = booking_window()
    return doctor_free_slots(doctor, first + timedelta(days=3), last)


def test_reference_and_email_do_not_open_an_account_holders_appointment(client, doctor, patient, far_slots):
    mine = book(doctor, far_slots[0], patient=patient, email=patient.email)
    response = client.post(reverse("appointments:find"), {"reference": mine.reference, "email": patient.email})
    assert response.status_code == 404  # the same answer as any miss: no account is revealed
    assert "sign in" in response.content.decode()
    assert client.get(reverse("appointments:detail", args=[mine.reference])).status_code == 404
    assert client.post(reverse("appointments:cancel", args=[mine.reference])).status_code == 404


def test_guest_link_stops_once_the_booking_joins_an_account(client, doctor, patient, far_slots):
    guest = book(doctor, far_slots[0], email=patient.email)
    path = guest_link_path(guest)
    Appointment.objects.filter(pk=guest.pk).update(patient=patient)
    assert client.get(path).status_code == 404


def test_guest_grants_do_not_widen_staff_rights(client, doctor, doctor_user, staff_user, far_slots):
    from booking.prescriptions.services import save_prescription, sign_prescription

    guest = book(doctor, far_slots[0])
    transition(guest, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))
    save_prescription(
        guest,
        doctor_user,
        advice="Rest.",
        follow_up_on=None,
        medications=[{"drug": "Secretol", "dose": "1", "frequency": "daily", "duration": "1 day"}],
        tests=[],
    )
    sign_prescription(guest, doctor_user)
    staff_user.groups.first().permissions.remove(Permission.objects.get(codename="view_prescription"))
    client.login(email=staff_user.email, password=PASSWORD)
    client.get(guest_link_path(guest))  # a forwarded guest email reaching staff
    response = client.get(reverse("prescriptions:detail", args=[guest.reference]))
    assert response.status_code == 404
    assert b"Secretol" not in response.content


def test_calendar_download_carries_no_signed_link(client, doctor, far_slots):
    guest = book(doctor, far_slots[0])
    client.get(guest_link_path(guest))
    body = client.get(reverse("appointments:ics", args=[guest.reference])).content.decode()
    assert "/access/" not in body
    assert "/appointments/find/" in body


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

    mine = book(doctor, slot, patient=patient, email=patient.email)
    client.login(email=patient.email, password=PASSWORD)
    moved = client.post(reverse("appointments:reschedule", args=[mine.reference]), {"slot": far.isoformat()})
    assert moved.status_code == 409
    mine.refresh_from_db()
    assert mine.starts_at == slot.start


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-12:00", "9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00+14:00"]
)
def test_times_at_the_ends_of_the_calendar_are_refused_not_500(client, doctor, value):
    data = {"slot": value, "full_name": "Gus", "email": "g@example.com", "mobile": "07912 345678", "mode": "in_person"}
    assert client.post(doctor.url + "book/", data).status_code == 409


def test_overlong_email_is_a_field_message(client, doctor, far_slots):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
    data = {"slot": far_slots[0].start.isoformat(), "full_name": "Gus", "email": email, "mobile": "07912 345678"}
    data["mode"] = "in_person"
    response = client.post(doctor.url + "book/", data)
    assert response.status_code == 400
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("state", ["unpublished", "draft"])
def test_doctor_cannot_publish_over_a_withdrawn_page_or_a_staff_draft(client, doctor, doctor_user, state):
    if state == "unpublished":
        doctor.unpublish()
    else:
        draft = doctor.get_latest_revision_as_object()
        draft.consultation_fee = 999
        draft.save_revision()
    client.login(email=doctor_user.email, password=PASSWORD)
    assert "cannot publish changes here" in client.get("/doctor/schedule/").content.decode()
    response = client.post("/doctor/schedule/", {"languages": "French"}, follow=True)
    assert "Nothing was saved" in response.content.decode()
    live = DoctorPage.objects.get(pk=doctor.pk)
    assert live.live == (state == "draft")
    assert live.consultation_fee != 999
    assert live.languages != "French"


def test_time_off_ending_in_year_9999_is_a_message(client, doctor, doctor_user):
    from .test_doctor_schedule import post_data

    client.login(email=doctor_user.email, password=PASSWORD)
    data = post_data(doctor, time_off=[{"start_date": "9999-12-30", "end_date": "9999-12-31"}])
    response = client.post("/doctor/schedule/", data)
    assert response.status_code == 400
    assert not TimeOff.objects.exists()


def test_staff_report_and_move_with_extreme_dates(client, staff_user, doctor, far_slots):
    client.login(email=staff_user.email, password=PASSWORD)
    for params in (
        {"start": "9999-12-31", "end": "9999-12-31"},
        {"start": "9999-12-31", "end": "9999-12-31", "format": "csv"},
    ):
        assert client.get(reverse("booking_admin_report"), params).status_code == 200
    appointment = book(doctor, far_slots[0])
    response = client.post(
        reverse("booking_admin_manage", args=[appointment.reference]),
        {"action": "move", "doctor": doctor.pk, "day": "9999-12-31", "start": "23:30"},
    )
    assert response.status_code == 400


def test_production_refuses_a_local_base_url():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.production", "SECRET_KEY": "x" * 50}
    env.pop("WAGTAILADMIN_BASE_URL", None)
    code = "import django; django.setup()"
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        check=False,
    )
    assert result.returncode != 0
    assert "WAGTAILADMIN_BASE_URL" in result.stderr
