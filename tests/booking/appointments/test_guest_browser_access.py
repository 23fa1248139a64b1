"""A guest's browser access to their appointment lapses after a few hours and can be ended at once."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from booking.access import SESSION_KEY, guest_link_token
from booking.appointments.services import PatientDetails, book_appointment
from tests.factories import sent_to_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest_appointment(doctor, free_slot):
    return book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor).start,
        details=PatientDetails(full_name="Gus Guest", email="gus@example.com", mobile="+447700900123"),
    )


def prove(client, appointment) -> None:
    response = client.post(
        reverse("appointments:find"), {"reference": appointment.reference, "email": appointment.email}
    )
    assert response.status_code == 302


def test_guest_can_end_access_on_this_browser(client, guest_appointment):
    detail = reverse("appointments:detail", args=[guest_appointment.reference])
    prove(client, guest_appointment)
    page = client.get(detail).content.decode()
    assert "End access on this browser" in page
    old_session = client.cookies["sessionid"].value

    response = client.post(reverse("appointments:end_browser_access"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("appointments:find")
    assert "no longer shows your appointment" in response.content.decode()
    assert sent_to_sign_in(client.get(detail))
    assert client.cookies["sessionid"].value != old_session  # the old cookie opens nothing either
    # Proving the booking again opens it again.
    prove(client, guest_appointment)
    assert client.get(detail).status_code == 200


def test_ending_access_needs_a_post_with_the_csrf_token(guest_appointment):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.get(reverse("appointments:end_browser_access")).status_code == 405
    assert client.post(reverse("appointments:end_browser_access")).status_code == 403


def test_guest_access_lapses_after_the_configured_time(client, guest_appointment, settings):
    settings.GUEST_SESSION_ACCESS_MINUTES = 120
    detail = reverse("appointments:detail", args=[guest_appointment.reference])
    prove(client, guest_appointment)
    session = client.session
    session[SESSION_KEY] = {guest_appointment.reference: int(time.time()) - 119 * 60}
    session.save()
    assert client.get(detail).status_code == 200
    session[SESSION_KEY] = {guest_appointment.reference: int(time.time()) - 121 * 60}
    session.save()
    assert sent_to_sign_in(client.get(detail))


def test_grants_from_before_they_had_a_time_count_as_lapsed(client, guest_appointment):
    prove(client, guest_appointment)
    session = client.session
    session[SESSION_KEY] = [guest_appointment.reference]  # the old format: a list kept for 14 days
    session.save()
    assert sent_to_sign_in(client.get(reverse("appointments:detail", args=[guest_appointment.reference])))


def test_signed_link_opens_for_the_same_limited_time(client, guest_appointment):
    token = guest_link_token(guest_appointment)
    client.get(reverse("appointments:guest_link", args=[guest_appointment.reference, token]))
    granted_at = client.session[SESSION_KEY][guest_appointment.reference]
    assert abs(granted_at - time.time()) < 5
    page = client.get(reverse("appointments:detail", args=[guest_appointment.reference])).content.decode()
    assert "End access on this browser" in page


def test_account_holders_see_no_end_access_button(client, doctor, patient, free_slot):
    from ...factories import sign_in

    appointment = book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor).start,
        details=PatientDetails(full_name="Alice", email=patient.email, mobile="+447700900123"),
        patient=patient,
    )
    sign_in(client, patient)
    page = client.get(reverse("appointments:detail", args=[appointment.reference])).content.decode()
    assert "End access on this browser" not in page
