"""Links that work for everyone (issue 9, item 5).

A signed-out account holder following an email or calendar link (the appointment, its .ics, its
prescription pages) is sent to sign in and lands on the page afterwards. An anonymous request
without a guest grant gets that same redirect for *any* reference, existing or not, so nothing
leaks; a signed-in reader without rights still gets a 404.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from booking.appointments.claims import claim_booking
from booking.appointments.services import Actor, transition
from booking.models import Appointment
from booking.notifications.links import appointment_link, calendar_link
from booking.prescriptions.services import save_prescription, sign_prescription
from tests.factories import PASSWORD, make_appointment, totp_code

pytestmark = pytest.mark.django_db

S = Appointment.Status
MISSING = "ZZZZZ-ZZZZ9"


@pytest.fixture
def account_holder(patient):
    # Mandatory email verification: an account signs in with a verified address.
    EmailAddress.objects.create(user=patient, email=patient.email, verified=True, primary=True)
    return patient


@pytest.fixture
def appointment(doctor, doctor_user, account_holder, far_slots):
    appointment = make_appointment(doctor, slot=far_slots[0], patient=account_holder, status=S.CONFIRMED)
    save_prescription(
        appointment,
        doctor_user,
        advice="Rest and fluids.",
        follow_up_on=None,
        medications=[{"drug": "Secretol", "dose": "1", "frequency": "daily", "duration": "1 day"}],
        tests=[],
    )
    sign_prescription(appointment, doctor_user)
    return appointment


def linked_paths(reference: str) -> list[str]:
    """Every page an email or calendar file may point a patient at, for one reference."""
    return [
        reverse("appointments:detail", args=[reference]),
        reverse("appointments:ics", args=[reference]),
        reverse("appointments:reschedule", args=[reference]),
        reverse("prescriptions:detail", args=[reference]),
        reverse("prescriptions:pdf", args=[reference]),
    ]


def login_redirect(path: str) -> str:
    return f"{reverse('account_login')}?next={quote(path, safe='/')}"


def test_signed_out_holder_signs_in_and_lands_on_the_appointment(appointment, account_holder):
    browser = Client()
    email_link = appointment_link(appointment).removeprefix("http://testserver")
    assert email_link == reverse("appointments:detail", args=[appointment.reference])

    response = browser.get(email_link)
    assert response.status_code == 302
    assert response["Location"] == login_redirect(email_link)

    # The sign-in page carries ``next`` in its form; signing in through it follows the chain.
    login_page = browser.get(response["Location"])
    assert login_page.status_code == 200
    assert f'value="{email_link}"' in login_page.content.decode()
    final = browser.post(
        response["Location"], {"login": account_holder.email, "password": PASSWORD, "next": email_link}, follow=True
    )
    assert final.redirect_chain[-1][0] == email_link
    assert final.status_code == 200
    assert appointment.reference in final.content.decode()


@pytest.mark.parametrize("which", range(5))
def test_every_linked_page_goes_through_sign_in_and_back(appointment, account_holder, which):
    path = linked_paths(appointment.reference)[which]
    browser = Client()
    response = browser.get(path)
    assert (response.status_code, response["Location"]) == (302, login_redirect(path))
    final = browser.post(
        reverse("account_login"), {"login": account_holder.email, "password": PASSWORD, "next": path}, follow=True
    )
    assert final.redirect_chain[-1][0] == path
    assert final.status_code == 200


def test_calendar_link_of_an_account_holder_leads_to_sign_in(appointment):
    path = calendar_link(appointment).removeprefix("http://testserver")
    response = Client().get(path)
    assert (response.status_code, response["Location"]) == (302, login_redirect(path))


def test_an_unknown_reference_gets_the_same_sign_in_redirect(appointment):
    """Anonymous: real and made-up references answer alike, so a reference's existence never leaks."""
    browser = Client()
    for real, missing in zip(linked_paths(appointment.reference), linked_paths(MISSING), strict=True):
        real_response, missing_response = browser.get(real), browser.get(missing)
        assert real_response.status_code == missing_response.status_code == 302
        assert real_response["Location"] == login_redirect(real)
        assert missing_response["Location"] == login_redirect(missing)
        assert real_response.content == missing_response.content == b""


def test_signed_in_strangers_get_404_for_real_and_unknown_references(appointment, other_patient, other_doctor_user):
    for user in (other_patient, other_doctor_user):
        browser = Client()
        browser.login(email=user.email, password=PASSWORD)
        for path in linked_paths(appointment.reference) + linked_paths(MISSING):
            assert browser.get(path).status_code == 404, (user, path)


def test_a_stranger_who_signs_in_from_the_link_gets_404(appointment, other_patient):
    EmailAddress.objects.create(user=other_patient, email=other_patient.email, verified=True, primary=True)
    path = reverse("appointments:detail", args=[appointment.reference])
    final = Client().post(
        login_redirect(path), {"login": other_patient.email, "password": PASSWORD, "next": path}, follow=True
    )
    assert final.status_code == 404
    assert appointment.full_name not in final.content.decode()


def test_a_guest_with_a_grant_still_opens_a_guest_booking_without_signing_in(client, doctor, far_slots):
    guest = make_appointment(doctor, slot=far_slots[0])
    client.post(reverse("appointments:find"), {"reference": guest.reference, "email": guest.email})
    assert client.get(reverse("appointments:detail", args=[guest.reference])).status_code == 200
    # A grant for one reference does not turn others into a 404 that would tell them apart.
    other = reverse("appointments:detail", args=[MISSING])
    assert client.get(other)["Location"] == login_redirect(other)


def test_a_claimed_guest_booking_sends_its_old_session_to_sign_in(doctor, far_slots, account_holder):
    browser = Client()
    guest = make_appointment(doctor, slot=far_slots[0], email=account_holder.email)
    browser.post(reverse("appointments:find"), {"reference": guest.reference, "email": guest.email})
    detail = reverse("appointments:detail", args=[guest.reference])
    assert browser.get(detail).status_code == 200

    claim_booking(account_holder, guest.reference)

    response = browser.get(detail)
    assert (response.status_code, response["Location"]) == (302, login_redirect(detail))
    final = browser.post(
        response["Location"], {"login": account_holder.email, "password": PASSWORD, "next": detail}, follow=True
    )
    assert final.redirect_chain[-1][0] == detail and final.status_code == 200


def test_a_doctor_following_the_patients_link_signs_in_and_reaches_the_dashboard_page(appointment, doctor_user):
    EmailAddress.objects.create(user=doctor_user, email=doctor_user.email, verified=True, primary=True)
    path = reverse("appointments:detail", args=[appointment.reference])
    browser = Client()
    response = browser.post(login_redirect(path), {"login": doctor_user.email, "password": PASSWORD, "next": path})
    # Doctors have a second factor: the code comes next, and then the page the link pointed at.
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    final = browser.post(reverse("mfa_authenticate"), {"code": totp_code()}, follow=True)
    assert final.status_code == 200
    assert final.redirect_chain[-1][0] == reverse("doctor:appointment", args=[appointment.reference])


def test_posts_without_rights_stay_404_and_change_nothing(appointment):
    response = Client().post(reverse("appointments:cancel", args=[appointment.reference]))
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == S.CONFIRMED


def test_the_sign_in_page_shows_guests_the_way_to_their_booking(client):
    page = client.get(reverse("account_login")).content.decode()
    assert "Booked without an account?" in page
    assert f'href="{reverse("appointments:find")}"' in page


def test_cancelled_appointments_still_lead_through_sign_in(appointment, doctor_user, account_holder):
    transition(appointment, S.CANCELLED, Actor(Actor.DOCTOR, doctor_user), remark="Doctor away.")
    path = reverse("appointments:detail", args=[appointment.reference])
    final = Client().post(
        login_redirect(path), {"login": account_holder.email, "password": PASSWORD, "next": path}, follow=True
    )
    assert final.status_code == 200 and "Cancelled" in final.content.decode()
