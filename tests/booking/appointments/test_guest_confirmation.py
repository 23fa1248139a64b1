"""A guest's booking holds its time only until the guest confirms it from the email (issue 7).

Without this step one client could fill a diary with made-up addresses and make the clinic email
each of them. An account holder proved their email when signing up, so their booking needs none.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.access import guest_confirm_token, guest_link_token
from booking.appointments.selectors import doctor_counts, pending_requests
from booking.models import Appointment, Notification
from tests.factories import PASSWORD, confirm_by_email, confirm_link_path, sent_to_sign_in

pytestmark = pytest.mark.django_db

Status = Appointment.Status
Kind = Notification.Kind


def form_data(slot, **overrides) -> dict:
    data = {
        "slot": slot.start.isoformat(),
        "full_name": "Grace Hopper",
        "email": "grace@example.com",
        "mobile": "07912 345678",
        "mode": "in_person",
    }
    data.update(overrides)
    return data


@pytest.fixture
def guest_booking(client, doctor, far_slots):
    """A guest books through the page; returns the appointment and the confirmation page.

    Days ahead, so the 24-hour change cutoff never decides a test, whatever the time of day.
    """
    response = client.post(doctor.url + "book/", form_data(far_slots[0]), follow=True)
    assert response.status_code == 200
    return Appointment.objects.get(), response.content.decode()


def kinds(appointment) -> list[str]:
    return list(appointment.notifications.order_by("pk").values_list("kind", flat=True))


def test_a_guest_booking_starts_unconfirmed_with_a_deadline_and_a_confirm_email(guest_booking, settings):
    before = timezone.now()
    appointment, page = guest_booking
    assert appointment.status == Status.UNCONFIRMED and appointment.holds_slot
    deadline = before + timedelta(minutes=settings.GUEST_CONFIRMATION_MINUTES)
    assert abs((appointment.hold_expires_at - deadline).total_seconds()) < 60
    assert kinds(appointment) == [Kind.CONFIRM_EMAIL]  # no "received" email yet
    assert "Check your email within 30 minutes to confirm, or the time is released" in page

    email = appointment.notifications.get()
    assert email.to == "grace@example.com"
    assert email.subject.startswith("Please confirm your appointment request")
    assert confirm_link_path(appointment) in email.body_text
    assert confirm_link_path(appointment) in email.body_html
    assert "Confirm my appointment request" in email.body_html
    assert "within 30 minutes" in email.body_text
    # The confirm email carries the confirm link only, not the guest's access link.
    assert guest_link_token(appointment) not in email.body_text


def test_the_confirm_email_is_delivered(client, doctor, free_slot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(doctor.url + "book/", form_data(free_slot(doctor)))
    [email] = mail.outbox
    assert email.to == ["grace@example.com"]
    assert email.subject.startswith("Please confirm your appointment request")
    assert confirm_link_path(Appointment.objects.get()) in email.body


def test_following_the_link_confirms_and_sends_the_received_email(client, guest_booking):
    appointment, _ = guest_booking
    path = confirm_link_path(appointment)

    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my appointment request" in page.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.UNCONFIRMED  # opening the link (a mail scanner) changes nothing

    response = client.post(path, {"action": "confirm"}, follow=True)
    appointment.refresh_from_db()
    assert appointment.status == Status.PENDING
    assert appointment.hold_expires_at is None
    event = appointment.events.last()
    assert (event.from_status, event.to_status, event.actor_role) == (Status.UNCONFIRMED, Status.PENDING, "guest")
    assert kinds(appointment) == [Kind.CONFIRM_EMAIL, Kind.RECEIVED]
    assert appointment.notifications.get(kind=Kind.RECEIVED).subject.startswith(
        "We have received your appointment request"
    )
    assert response.redirect_chain[-1][0] == reverse("appointments:detail", args=[appointment.reference])
    assert "Thank you for confirming" in response.content.decode()


def test_a_reused_link_changes_nothing(client, guest_booking):
    appointment, _ = guest_booking
    confirm_by_email(client, appointment)
    events = appointment.events.count()

    again = client.post(confirm_link_path(appointment), {"action": "confirm"}, follow=True)

    assert again.status_code == 200
    assert "already confirmed" in again.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.PENDING
    assert appointment.events.count() == events
    assert kinds(appointment) == [Kind.CONFIRM_EMAIL, Kind.RECEIVED]


@pytest.mark.parametrize("tamper", ["forged", "guest_link", "other_reference"])
def test_a_forged_link_does_not_confirm(client, guest_booking, doctor, free_slot, tamper):
    appointment, _ = guest_booking
    token = guest_confirm_token(appointment)
    reference = appointment.reference
    if tamper == "forged":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif tamper == "guest_link":  # the access link's token is signed for another purpose
        token = guest_link_token(appointment)
    else:
        reference = "ZZZZZ-ZZZZZ"
    url = reverse("appointments:confirm_email", args=[reference, token])

    for response in (client.get(url), client.post(url, {"action": "confirm"})):
        assert response.status_code == 404
        assert "not valid or has expired" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.UNCONFIRMED


def test_an_expired_link_does_not_confirm(client, guest_booking, monkeypatch, settings):
    appointment, _ = guest_booking
    issued = time.time() - (settings.GUEST_CONFIRMATION_MINUTES + 1) * 60
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: issued)
        token = guest_confirm_token(appointment)

    response = client.post(reverse("appointments:confirm_email", args=[appointment.reference, token]))

    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == Status.UNCONFIRMED


def test_a_link_followed_after_the_deadline_releases_the_time(client, guest_booking, doctor):
    appointment, _ = guest_booking
    path = confirm_link_path(appointment)
    Appointment.objects.filter(pk=appointment.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))

    page = client.get(path)
    assert page.status_code == 409
    assert "not confirmed within 30 minutes" in page.content.decode()

    response = client.post(path, {"action": "confirm"})
    assert response.status_code == 409
    assert "the time was released" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.EXPIRED and appointment.holds_slot is None
    assert kinds(appointment) == [Kind.CONFIRM_EMAIL]


def test_expiry_releases_an_unconfirmed_booking_and_its_link_stops_working(client, guest_booking, doctor):
    appointment, _ = guest_booking
    path = confirm_link_path(appointment)
    Appointment.objects.filter(pk=appointment.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))

    call_command("expire_holds", stdout=io.StringIO())

    appointment.refresh_from_db()
    assert appointment.status == Status.EXPIRED and appointment.holds_slot is None
    assert appointment.booked_from == ""  # the network's hash is not kept
    assert client.post(path, {"action": "confirm"}).status_code == 409
    # The time is free for the next patient.
    other = client.post(
        doctor.url + "book/", form_data(type("S", (), {"start": appointment.starts_at})(), email="next@example.com")
    )
    assert other.status_code == 302


def test_the_mailbox_owner_can_say_not_me(client, guest_booking):
    appointment, _ = guest_booking

    response = client.post(confirm_link_path(appointment), {"action": "cancel"})

    assert response.status_code == 200
    assert "Booking cancelled" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED and appointment.holds_slot is None
    assert kinds(appointment) == [Kind.CONFIRM_EMAIL]  # an unproven address gets nothing more


def test_a_signed_in_patient_booking_starts_pending(client, doctor, patient, free_slot):
    client.login(email=patient.email, password=PASSWORD)
    page = client.get(doctor.url + "book/").content.decode()
    assert "held for 30 minutes" not in page

    response = client.post(doctor.url + "book/", form_data(free_slot(doctor), email=patient.email), follow=True)

    appointment = Appointment.objects.get()
    assert appointment.patient == patient
    assert appointment.status == Status.PENDING and appointment.hold_expires_at is None
    assert appointment.booked_from == ""
    assert kinds(appointment) == [Kind.RECEIVED]
    assert "Check your email within" not in response.content.decode()


def test_the_doctor_is_not_asked_to_confirm_what_the_patient_has_not(client, guest_booking, doctor, doctor_user):
    appointment, _ = guest_booking
    now = timezone.now()
    assert pending_requests(doctor, now, limit=20) == []
    assert doctor_counts(doctor, now)["pending"] == 0

    client.login(email=doctor_user.email, password=PASSWORD)
    dashboard = client.get(reverse("doctor:dashboard")).content.decode()
    assert appointment.reference not in dashboard
    detail = client.get(reverse("doctor:appointment", args=[appointment.reference])).content.decode()
    assert "Awaiting email confirmation" in detail
    assert 'name="target" value="confirmed"' not in detail  # no Confirm button

    client.logout()
    confirm_by_email(client, appointment)
    assert [a.pk for a in pending_requests(doctor, now, limit=20)] == [appointment.pk]


def test_an_unconfirmed_booking_cannot_be_moved_by_the_guest(client, guest_booking, doctor, free_slot):
    """Each move emails the address: an unproven one must not be mailed again and again."""
    appointment, _ = guest_booking
    detail = client.get(reverse("appointments:detail", args=[appointment.reference])).content.decode()
    assert "Check your email to confirm this booking" in detail
    assert reverse("appointments:reschedule", args=[appointment.reference]) not in detail

    response = client.post(
        reverse("appointments:reschedule", args=[appointment.reference]), {"slot": free_slot(doctor, 3).start}
    )

    assert response.status_code == 409
    assert "confirm this booking from the email we sent you first" in response.content.decode()
    appointment.refresh_from_db()
    assert kinds(appointment) == [Kind.CONFIRM_EMAIL]


def test_a_booking_that_joined_an_account_can_still_be_confirmed(client, doctor, free_slot, patient):
    """The guest signed in within the half hour: the link still confirms, but opens nothing."""
    client.post(doctor.url + "book/", form_data(free_slot(doctor), email=patient.email))
    appointment = Appointment.objects.get()
    path = confirm_link_path(appointment)
    Appointment.objects.filter(pk=appointment.pk).update(patient=patient)  # as the claim on sign-in does

    other_browser = Client()
    assert other_browser.post(path, {"action": "confirm"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Status.PENDING
    # An account holder's appointment opens after signing in, never through an emailed link.
    assert sent_to_sign_in(other_browser.get(reverse("appointments:detail", args=[appointment.reference])))
