"""The patient's side of an appointment: cancel, reschedule, calendar file, guest links, claiming."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import signing
from django.urls import reverse
from icalendar import Calendar

from booking.appointments.services import Actor, transition
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment
from booking.notifications.links import guest_link_path
from tests.factories import PASSWORD, make_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(doctor, patient, far_slots):
    return make_appointment(doctor, slot=far_slots[0], patient=patient)


@pytest.fixture
def signed_in(client, patient):
    client.login(email=patient.email, password=PASSWORD)
    return client


def test_patient_cancels_own_appointment(signed_in, mine, far_slots, doctor):
    response = signed_in.post(reverse("appointments:cancel", args=[mine.reference]))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Appointment.Status.CANCELLED
    assert mine.holds_slot is None
    assert far_slots[0] in doctor_free_slots(doctor, *booking_window())


def test_cancel_needs_post(signed_in, mine):
    assert signed_in.get(reverse("appointments:cancel", args=[mine.reference])).status_code == 405


def test_cancel_after_cutoff_is_refused_with_the_reason(signed_in, mine, settings):
    settings.BOOKING_CANCEL_CUTOFF_HOURS = 24 * 60  # every appointment is now inside the cutoff
    response = signed_in.post(reverse("appointments:cancel", args=[mine.reference]), follow=True)
    mine.refresh_from_db()
    assert mine.status == Appointment.Status.PENDING
    assert "Please phone the clinic" in response.content.decode()
    page = signed_in.get(reverse("appointments:detail", args=[mine.reference])).content.decode()
    assert "Please phone the clinic" in page or "hours before" in page


def test_patient_reschedules_to_another_free_slot(signed_in, mine, far_slots):
    new = far_slots[5]
    page = signed_in.get(reverse("appointments:reschedule", args=[mine.reference]), {"from": new.start.date()})
    assert page.status_code == 200
    response = signed_in.post(
        reverse("appointments:reschedule", args=[mine.reference]), {"slot": new.start.isoformat()}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.starts_at == new.start
    assert mine.ics_sequence == 1
    assert "Moved from" in mine.events.last().remark


def test_reschedule_into_a_taken_slot_is_refused(signed_in, mine, doctor, far_slots):
    taken = make_appointment(doctor, slot=far_slots[3], email="other@example.com")
    response = signed_in.post(
        reverse("appointments:reschedule", args=[mine.reference]), {"slot": taken.starts_at.isoformat()}
    )
    assert response.status_code == 409
    assert "That time was just taken" in response.content.decode()
    mine.refresh_from_db()
    assert mine.starts_at == far_slots[0].start


@pytest.mark.parametrize("value", ["", "yesterday", "2030-01-01T09:00:00"])
def test_reschedule_with_nonsense_is_a_message(signed_in, mine, value):
    response = signed_in.post(reverse("appointments:reschedule", args=[mine.reference]), {"slot": value})
    assert response.status_code == 400
    assert "Pick a new time" in response.content.decode()


def test_reschedule_after_cutoff_says_why(signed_in, mine, far_slots, settings):
    settings.BOOKING_CANCEL_CUTOFF_HOURS = 24 * 60
    page = signed_in.get(reverse("appointments:reschedule", args=[mine.reference])).content.decode()
    assert "can no longer be moved online" in page
    response = signed_in.post(
        reverse("appointments:reschedule", args=[mine.reference]), {"slot": far_slots[4].start.isoformat()}
    )
    assert response.status_code == 409
    mine.refresh_from_db()
    assert mine.starts_at == far_slots[0].start


def test_calendar_file(signed_in, mine):
    response = signed_in.get(reverse("appointments:ics", args=[mine.reference]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == mine.starts_at


def test_doctor_cannot_use_the_patient_buttons(client, mine, doctor_user):
    client.login(email=doctor_user.email, password=PASSWORD)
    assert client.post(reverse("appointments:cancel", args=[mine.reference])).status_code == 404
    assert client.get(reverse("appointments:reschedule", args=[mine.reference])).status_code == 404


def test_guest_signed_link_opens_the_appointment(client, doctor, far_slots):
    guest = make_appointment(doctor, slot=far_slots[1], email="gus@example.com")
    response = client.get(guest_link_path(guest))
    assert response.status_code == 302
    assert client.get(reverse("appointments:detail", args=[guest.reference])).status_code == 200
    assert client.post(reverse("appointments:cancel", args=[guest.reference])).status_code == 302
    guest.refresh_from_db()
    assert guest.status == Appointment.Status.CANCELLED
    assert guest.events.last().actor_role == "guest"


def test_guest_link_tampered_or_for_another_appointment_is_404(client, doctor, far_slots):
    guest = make_appointment(doctor, slot=far_slots[1], email="gus@example.com")
    other = make_appointment(doctor, slot=far_slots[2], email="olga@example.com")
    token = guest_link_path(guest).rstrip("/").split("/")[-1]
    assert client.get(reverse("appointments:guest_link", args=[other.reference, token])).status_code == 404
    assert client.get(reverse("appointments:guest_link", args=[guest.reference, token + "x"])).status_code == 404
    assert client.get(reverse("appointments:detail", args=[other.reference])).status_code == 302  # sign-in


def test_expired_guest_link_is_404(client, doctor, far_slots, settings, monkeypatch):
    guest = make_appointment(doctor, slot=far_slots[1], email="gus@example.com")
    path = guest_link_path(guest)
    settings.GUEST_LINK_MAX_AGE_DAYS = 1
    real_loads = signing.loads
    monkeypatch.setattr(signing, "loads", lambda *a, **kw: real_loads(*a, **{**kw, "max_age": -1}))
    assert client.get(path).status_code == 404


def test_guest_link_stops_working_if_the_email_changes(client, doctor, far_slots):
    guest = make_appointment(doctor, slot=far_slots[1], email="gus@example.com")
    path = guest_link_path(guest)
    Appointment.objects.filter(pk=guest.pk).update(email="new@example.com")
    assert client.get(path).status_code == 404


def test_guest_bookings_join_the_account_once_the_email_is_verified(client, doctor, far_slots, patient):
    earlier = make_appointment(doctor, slot=far_slots[1], email=patient.email.upper())
    stranger = make_appointment(doctor, slot=far_slots[2], email="stranger@example.com")
    EmailAddress.objects.create(user=patient, email=patient.email, verified=False, primary=True)
    client.login(email=patient.email, password=PASSWORD)
    earlier.refresh_from_db()
    assert earlier.patient is None  # an unverified address proves nothing

    client.logout()
    EmailAddress.objects.filter(user=patient).update(verified=True)
    client.login(email=patient.email, password=PASSWORD)
    page = client.get(reverse("appointments:mine")).content.decode()
    assert earlier.reference in page  # offered, joining only once the patient confirms it
    assert stranger.reference not in page
    client.post(reverse("appointments:claim", args=[earlier.reference]))
    earlier.refresh_from_db()
    assert earlier.patient == patient


def test_online_link_shown_only_shortly_before_the_start(signed_in, mine, doctor_user, settings):
    Appointment.objects.filter(pk=mine.pk).update(mode=Appointment.Mode.ONLINE)
    mine.refresh_from_db()
    transition(mine, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))
    assert mine.meeting_url
    page = signed_in.get(reverse("appointments:detail", args=[mine.reference])).content.decode()
    assert mine.meeting_url not in page
    assert not mine.online_link_visible(
        now=mine.starts_at - timedelta(minutes=settings.ONLINE_LINK_VISIBLE_MINUTES + 1)
    )
    assert mine.online_link_visible(now=mine.starts_at - timedelta(minutes=settings.ONLINE_LINK_VISIBLE_MINUTES - 1))
    assert not mine.online_link_visible(now=mine.ends_at + timedelta(minutes=1))


# Pins a review finding: this failed before its fix.
def test_guest_link_stops_once_the_booking_joins_an_account(client, doctor, patient, far_slots):
    guest = make_appointment(doctor, slot=far_slots[0], email=patient.email)
    path = guest_link_path(guest)
    Appointment.objects.filter(pk=guest.pk).update(patient=patient)
    detail = reverse("appointments:detail", args=[guest.reference])
    response = client.get(path)  # leads to sign-in, never straight to the appointment
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert client.get(detail).status_code == 302  # sign-in again: the link granted nothing


def test_my_appointments_lists_a_bounded_number_and_says_where_the_rest_are(
    signed_in, patient, doctor, far_slots, monkeypatch
):
    monkeypatch.setattr("booking.appointments.selectors.LISTED_PER_SECTION", 2)
    booked = [make_appointment(doctor, slot=slot, patient=patient) for slot in far_slots[:3]]
    html = signed_in.get(reverse("appointments:mine")).content.decode()
    assert booked[0].reference in html and booked[1].reference in html
    assert booked[2].reference not in html  # the soonest two are listed
    assert "These are your next 2 appointments" in html
    assert reverse("patients:export") in html
    monkeypatch.setattr("booking.appointments.selectors.LISTED_PER_SECTION", 3)
    html = signed_in.get(reverse("appointments:mine")).content.decode()
    assert booked[2].reference in html
    assert "These are your next" not in html
