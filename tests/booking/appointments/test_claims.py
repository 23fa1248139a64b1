"""Guest bookings join an account only when the account holder confirms each one (issue 7, 1 and 4).

Covers: the look-alike address takeover (MariaDB's accent-folding collation), planted
appointments, the "we found N bookings" confirmation flow, guest links and session grants after a
claim, and who the prescription access log names as the reader.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from booking.appointments.claims import claim_booking, found_bookings
from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.errors import ClaimRefused
from booking.models import Appointment, AppointmentEvent, DismissedClaim, Notification, PrescriptionAccessLog
from booking.notifications.links import guest_link_path
from booking.prescriptions.services import save_prescription, sign_prescription
from tests.factories import PASSWORD, confirm_by_email, make_user

pytestmark = pytest.mark.django_db

VERA = "vera@example.org"
LOOK_ALIKE = "vera@exámple.org"  # an accented domain the attacker registered


@pytest.fixture
def far_slots(doctor):
    first, last = booking_window()
    return doctor_free_slots(doctor, first + timedelta(days=3), last)


def book(doctor, slot, email: str, *, patient=None) -> Appointment:
    details = PatientDetails(full_name="Vera Guest", email=email, mobile="+447912345678")
    return book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details, patient=patient)


def book_in_browser(browser: Client, doctor, slot, email: str) -> Appointment:
    """A guest books through the page, so the browser holds the session grant a guest gets."""
    response = browser.post(
        reverse("appointments:book", kwargs={"page_path": "doctors/ada"}),
        {
            "slot": slot.start.isoformat(),
            "full_name": "Someone Else",
            "email": email,
            "mobile": "07912 345678",
            "mode": "in_person",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    appointment = Appointment.objects.get(starts_at=slot.start, doctor=doctor)
    confirm_by_email(browser, appointment)  # a guest's booking waits for the email's confirm link
    appointment.refresh_from_db()
    return appointment


def verified_patient(email: str):
    user = make_user(email)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def signed_in(user) -> Client:
    browser = Client()
    browser.login(email=user.email, password=PASSWORD)
    return browser


def with_signed_prescription(appointment, doctor_user) -> Appointment:
    transition(appointment, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))
    save_prescription(
        appointment,
        doctor_user,
        advice="Rest.",
        follow_up_on=None,
        medications=[{"drug": "Secretol", "dose": "1", "frequency": "daily", "duration": "1 day"}],
        tests=[],
    )
    sign_prescription(appointment, doctor_user)
    return appointment


def sign_up_and_confirm(browser: Client, email: str) -> None:
    """The real sign-up: form, verification email, confirmation link (which signs the user in)."""
    response = browser.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    # Account emails wait in the outbox like booking emails (sent by the worker after commit).
    (body,) = [
        text
        for text in Notification.objects.filter(kind=Notification.Kind.ACCOUNT).values_list("body_text", flat=True)
        if "/accounts/confirm-email/" in text
    ][-1:]
    confirm_url = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", body).group(1)
    response = browser.post(confirm_url)
    assert response.status_code == 302


# --- The look-alike address (MariaDB folds accents in its default collation) -----------------


@pytest.mark.mariadb
def test_look_alike_address_neither_sees_nor_claims_the_guests_bookings(client, doctor, doctor_user, far_slots):
    """Signing up with vera@exámple.org (a domain the attacker controls) must not reach
    vera@example.org's guest bookings. On MariaDB's accent-insensitive collation the old code
    attached them at confirmation. Runs on every database; the MariaDB pass is the one that bites."""
    guest = with_signed_prescription(book(doctor, far_slots[0], VERA), doctor_user)

    sign_up_and_confirm(client, LOOK_ALIKE)

    attacker = EmailAddress.objects.get(verified=True).user
    assert attacker.email == "vera@xn--exmple-qta.org"  # the A-label: a different address
    guest.refresh_from_db()
    assert guest.patient is None
    page = client.get(reverse("appointments:mine")).content.decode()
    assert guest.reference not in page
    assert client.get(reverse("appointments:detail", args=[guest.reference])).status_code == 404
    assert client.get(reverse("prescriptions:detail", args=[guest.reference])).status_code == 404
    assert client.post(reverse("appointments:claim", args=[guest.reference])).status_code == 404
    assert found_bookings(attacker) == []
    guest.refresh_from_db()
    assert guest.patient is None

    # The real guest still opens their booking with the address they booked with.
    real = Client()
    response = real.post(reverse("appointments:find"), {"reference": guest.reference, "email": "Vera@Example.org"})
    assert response.status_code == 302


def test_lookup_compares_the_normal_form_exactly(client, doctor, far_slots):
    guest = book(doctor, far_slots[0], "Vera@EXAMPLE.org")
    assert guest.email == VERA
    find = reverse("appointments:find")
    assert client.post(find, {"reference": guest.reference, "email": LOOK_ALIKE}).status_code == 404
    assert client.post(find, {"reference": guest.reference, "email": "vera@example.org "}).status_code == 302


def test_idn_booking_is_found_by_its_unicode_or_ascii_spelling(client, doctor, far_slots):
    guest = book(doctor, far_slots[0], "Vera@Exámple.org")
    assert guest.email == "vera@xn--exmple-qta.org"
    find = reverse("appointments:find")
    assert client.post(find, {"reference": guest.reference, "email": VERA}).status_code == 404
    assert client.post(find, {"reference": guest.reference, "email": "vera@EXÁMPLE.org"}).status_code == 302
    other = Client()
    assert other.post(find, {"reference": guest.reference, "email": "vera@xn--exmple-qta.org"}).status_code == 302


# --- Planted appointments --------------------------------------------------------------------


def test_planted_booking_is_offered_not_attached_and_ends_the_bookers_access_once_claimed(doctor, far_slots):
    owner = verified_patient("alice@example.com")
    booker = Client()
    planted = book_in_browser(booker, doctor, far_slots[0], "ALICE@example.com")
    assert planted.email == "alice@example.com"
    detail = reverse("appointments:detail", args=[planted.reference])
    assert booker.get(detail).status_code == 200  # the booker's own guest booking, for now

    owner_browser = Client()
    response = owner_browser.post(reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302
    planted.refresh_from_db()
    assert planted.patient is None  # signing in attaches nothing
    assert booker.get(detail).status_code == 200
    assert [a.pk for a in found_bookings(owner)] == [planted.pk]

    assert owner_browser.post(reverse("appointments:claim", args=[planted.reference])).status_code == 302
    planted.refresh_from_db()
    assert planted.patient == owner
    assert booker.get(detail).status_code == 302  # to sign-in: the account's password opens it now
    assert booker.post(reverse("appointments:cancel", args=[planted.reference])).status_code == 404
    assert booker.get(reverse("appointments:ics", args=[planted.reference])).status_code == 302
    assert owner_browser.get(detail).status_code == 200


def test_owner_dismisses_a_planted_booking(doctor, far_slots):
    owner = verified_patient("alice@example.com")
    booker = Client()
    planted = book_in_browser(booker, doctor, far_slots[0], "alice@example.com")
    owner_browser = signed_in(owner)

    response = owner_browser.post(reverse("appointments:dismiss", args=[planted.reference]))
    assert response.status_code == 302
    planted.refresh_from_db()
    assert planted.patient is None
    assert DismissedClaim.objects.filter(user=owner, appointment=planted).exists()
    assert found_bookings(owner) == []
    assert "We will not offer booking" in owner_browser.get(reverse("appointments:mine")).content.decode()
    assert planted.reference not in owner_browser.get(reverse("appointments:mine")).content.decode()
    # Dismissed means not offered: it can no longer be added, and the owner never sees it.
    assert owner_browser.post(reverse("appointments:claim", args=[planted.reference])).status_code == 404
    assert owner_browser.get(reverse("appointments:detail", args=[planted.reference])).status_code == 404
    # A second click (another tab) is harmless.
    assert owner_browser.post(reverse("appointments:dismiss", args=[planted.reference])).status_code == 302


# --- The confirmation flow -------------------------------------------------------------------


def test_found_bookings_are_listed_then_confirmed_or_dismissed_one_by_one(doctor, other_doctor, far_slots):
    owner = verified_patient("alice@example.com")
    mine_one = book(doctor, far_slots[0], "alice@example.com")
    not_mine = book(doctor, far_slots[1], "Alice@Example.com")
    someone_else = book(doctor, far_slots[2], "olga@example.com")
    browser = Client()

    response = browser.post(reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("appointments:mine")
    page = browser.get(response.url).content.decode()
    assert "We found 2 bookings made with your email" in page
    assert mine_one.reference in page and not_mine.reference in page
    assert someone_else.reference not in page
    assert doctor.title in page
    assert page.count('name="csrfmiddlewaretoken"') >= 4  # a form per decision, each with its token
    assert reverse("appointments:claim", args=[mine_one.reference]) in page
    assert reverse("appointments:dismiss", args=[not_mine.reference]) in page

    response = browser.post(reverse("appointments:claim", args=[mine_one.reference]), follow=True)
    assert "is now in your account" in response.content.decode()
    mine_one.refresh_from_db()
    assert mine_one.patient == owner
    assert AppointmentEvent.objects.filter(
        appointment=mine_one, actor=owner, remark="Added to the patient's account."
    ).exists()

    page = browser.post(reverse("appointments:dismiss", args=[not_mine.reference]), follow=True).content.decode()
    not_mine.refresh_from_db()
    assert not_mine.patient is None
    assert "We found" not in page
    assert mine_one.reference in page  # now one of the patient's own appointments
    # A second confirmation of the same booking (double click) is not an error.
    assert browser.post(reverse("appointments:claim", args=[mine_one.reference])).status_code == 302


def test_claiming_needs_post_a_patient_and_a_verified_exact_address(doctor, doctor_user, far_slots):
    owner = make_user("alice@example.com")
    EmailAddress.objects.create(user=owner, email=owner.email, verified=False, primary=True)
    guest = book(doctor, far_slots[0], "alice@example.com")
    browser = signed_in(owner)
    claim = reverse("appointments:claim", args=[guest.reference])

    assert browser.get(claim).status_code == 405
    assert found_bookings(owner) == []  # an unverified address proves nothing
    assert browser.post(claim).status_code == 404
    with pytest.raises(ClaimRefused):
        claim_booking(owner, guest.reference)

    EmailAddress.objects.filter(user=owner).update(verified=True)
    assert signed_in(doctor_user).post(claim).status_code == 404  # doctors do not claim bookings
    assert Client().post(claim).status_code == 302  # anonymous: to sign-in
    assert browser.post(reverse("appointments:claim", args=["NOPE0-NOPE0"])).status_code == 404
    assert browser.post(claim).status_code == 302
    guest.refresh_from_db()
    assert guest.patient == owner


def test_sign_in_elsewhere_tells_about_found_bookings(client, doctor, far_slots):
    verified_patient("alice@example.com")
    book(doctor, far_slots[0], "alice@example.com")
    response = client.post(
        reverse("account_login"),
        {"login": "alice@example.com", "password": PASSWORD, "next": "/doctors/"},
        follow=True,
    )
    assert "We found 1 booking made with your email" in response.content.decode()


# --- Guest grants end at the claim -----------------------------------------------------------


def test_guest_link_after_claim_leads_to_sign_in_and_then_to_the_appointment(doctor, far_slots):
    owner = verified_patient("alice@example.com")
    guest = book(doctor, far_slots[0], "alice@example.com")
    link = guest_link_path(guest)  # as sent in the booking email, before the claim
    claim_booking(owner, guest.reference)

    browser = Client()
    response = browser.get(link)
    detail = reverse("appointments:detail", args=[guest.reference])
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={detail}"
    assert browser.get(detail).status_code == 302  # the link granted nothing: still sign-in

    response = browser.post(response.url, {"login": "alice@example.com", "password": PASSWORD, "next": detail})
    assert response.status_code == 302 and response.url == detail
    assert browser.get(detail).status_code == 200
    # Once signed in, the old link goes straight to the appointment.
    assert browser.get(link).url == detail


def test_session_grant_stops_counting_after_the_claim(doctor, doctor_user, far_slots):
    owner = verified_patient("alice@example.com")
    guest_browser = Client()
    guest = book_in_browser(guest_browser, doctor, far_slots[0], "alice@example.com")
    with_signed_prescription(guest, doctor_user)
    urls = [
        reverse("appointments:detail", args=[guest.reference]),
        reverse("appointments:ics", args=[guest.reference]),
        reverse("prescriptions:detail", args=[guest.reference]),
        reverse("prescriptions:pdf", args=[guest.reference]),
    ]
    assert [guest_browser.get(url).status_code for url in urls] == [200, 200, 200, 200]

    claim_booking(owner, guest.reference)

    # Back to sign-in, as for any signed-out reader without a grant.
    assert [guest_browser.get(url).status_code for url in urls] == [302, 302, 302, 302]
    # Proving reference and email again does not reopen it: the account's password does.
    response = guest_browser.post(
        reverse("appointments:find"), {"reference": guest.reference, "email": "alice@example.com"}
    )
    assert response.status_code != 302
    assert guest_browser.get(urls[0]).status_code == 302


# --- The access log names who really read ----------------------------------------------------


def test_access_log_never_attributes_a_guest_sessions_reads_to_an_account(doctor, doctor_user, far_slots):
    owner = verified_patient("alice@example.com")
    bystander = verified_patient("bob@example.com")
    guest_browser = Client()
    guest = book_in_browser(guest_browser, doctor, far_slots[0], "alice@example.com")
    with_signed_prescription(guest, doctor_user)
    prescription_url = reverse("prescriptions:detail", args=[guest.reference])

    assert guest_browser.get(prescription_url).status_code == 200
    # A browser signed in to another account, which proved reference and email: still a guest read.
    bob_browser = signed_in(bystander)
    bob_browser.post(reverse("appointments:find"), {"reference": guest.reference, "email": "alice@example.com"})
    assert bob_browser.get(prescription_url).status_code == 200
    reads = PrescriptionAccessLog.objects.filter(outcome=PrescriptionAccessLog.Outcome.ALLOWED).order_by("at", "pk")
    assert [(e.actor_id, e.guest_email) for e in reads] == [(None, "alice@example.com")] * 2

    claim_booking(owner, guest.reference)
    assert guest_browser.get(prescription_url).status_code == 302  # to sign-in
    assert bob_browser.get(prescription_url).status_code == 404
    assert signed_in(owner).get(prescription_url).status_code == 200
    assert signed_in(doctor_user).get(prescription_url).status_code == 200
    assert [(e.actor_id, e.guest_email) for e in list(reads.all())[2:]] == [(owner.pk, ""), (doctor_user.pk, "")]
