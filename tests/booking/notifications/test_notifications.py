"""Patient emails: one per event, to the right person, with the facts and links they need.

Email goes through Django's locmem backend (``mail.outbox``) and tasks run immediately, so the
full path (outbox row → on_commit → task → backend) runs in each test. on_commit callbacks fire
through ``django_capture_on_commit_callbacks(execute=True)``; one transactional test checks the
real commit path without it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar
from wagtail.models import Site

from booking.access import appointment_from_token
from booking.appointments.services import Actor, move_appointment, transition
from booking.models import Appointment, MedicationLine, Notification, Prescription
from booking.notifications.emails import queue_notification
from booking.notifications.tasks import MAX_ATTEMPTS, deliver_notification, retry_delay
from home.models import ClinicSettings
from tests.factories import make_appointment

pytestmark = pytest.mark.django_db

S = Appointment.Status
ADDRESS = "1 River Road\nLondon SE1 9AA"
PHONE = "+442079460000"


@pytest.fixture
def clinic(site_tree):
    settings_row = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    settings_row.name = "Riverside Clinic"
    settings_row.address = ADDRESS
    settings_row.phone = PHONE
    settings_row.email = "hello@clinic.example"
    settings_row.save()
    return settings_row


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on_commit hooks registered inside the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def book(doctor, commit, clinic):
    """Gus Guest's booking (see ``make_appointment``), committed so its email goes out."""

    def _book(**kwargs):
        with commit():
            return make_appointment(doctor, **kwargs)

    return _book


@pytest.fixture
def act(commit):
    def _act(appointment, target, actor, remark=""):
        with commit():
            return transition(appointment, target, actor, remark=remark)

    return _act


@pytest.fixture
def as_doctor(doctor_user):
    return Actor(Actor.DOCTOR, doctor_user)


def last_email(kind_subject: str):
    matching = [m for m in mail.outbox if kind_subject in m.subject]
    assert len(matching) == 1, [m.subject for m in mail.outbox]
    return matching[0]


def html_of(message) -> str:
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return html


def calendar_of(message) -> tuple[Calendar, str]:
    """The invite as a calendar client sees it: from the MIME message, with its content type."""
    parsed = message_from_bytes(message.message().as_bytes())
    parts = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_filename() == "invite.ics"
    return Calendar.from_ical(parts[0].get_payload(decode=True)), parts[0].get_param("method")


def event_of(message):
    calendar, method = calendar_of(message)
    return calendar, method, calendar.walk("VEVENT")[0]


def assert_common_facts(text: str, appointment: Appointment) -> None:
    local = appointment.local_starts_at
    assert appointment.doctor.title in text
    assert appointment.reference in text
    assert f"{local:%H:%M}" in text
    assert local.strftime("%B %Y") in text
    assert local.tzname() in text and "Europe/London" in text
    assert appointment.get_mode_display() in text
    assert "1 River Road" in text and "+44 20 7946 0000" in text  # PHONE, formatted for people


# --- Each kind ------------------------------------------------------------------------------


def test_booking_sends_received_email_to_the_guest(book):
    appointment = book(reason="Chest pain since Tuesday")

    message = last_email("received")
    assert message.to == ["gus@example.com"]
    assert appointment.reference in message.subject
    assert_common_facts(message.body, appointment)
    assert_common_facts(html_of(message), appointment)
    assert message.attachments == []  # nothing to put in a calendar until it is confirmed
    # The reason for the visit is medical information: it never leaves the site by email.
    assert "Chest pain" not in message.body and "Chest pain" not in html_of(message)


def test_the_outbox_row_is_marked_sent(book):
    appointment = book()
    row = Notification.objects.get(appointment=appointment)
    assert row.kind == Notification.Kind.RECEIVED
    assert row.to == "gus@example.com"
    assert row.status == Notification.Status.SENT
    assert row.attempts == 1 and row.sent_at is not None and row.last_error == ""


def test_confirmed_email_carries_an_invite_at_the_appointments_time(book, act, as_doctor):
    appointment = book()
    act(appointment, S.CONFIRMED, as_doctor)

    message = last_email("Confirmed")
    assert message.to == [appointment.email]
    assert_common_facts(message.body, appointment)
    calendar, method, event = event_of(message)
    assert method == "REQUEST" and str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == appointment.starts_at
    assert event.decoded("DTEND") == appointment.ends_at
    assert str(event["UID"]) == f"{appointment.reference}@testserver"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == appointment.ics_sequence == 1


def test_declined_email_includes_the_doctors_remark(book, act, as_doctor):
    appointment = book()
    act(appointment, S.DECLINED, as_doctor, remark="Please see your GP <first> for a referral.")

    message = last_email("could not be accepted")
    assert "Please see your GP <first> for a referral." in message.body
    assert "Please see your GP &lt;first&gt; for a referral." in html_of(message)  # escaped in HTML
    assert_common_facts(message.body, appointment)
    assert message.attachments == []


def test_cancelled_email_withdraws_the_invite(book, act, as_doctor):
    appointment = book()
    act(appointment, S.CONFIRMED, as_doctor)
    act(appointment, S.CANCELLED, as_doctor, remark="The doctor is unwell.")

    message = last_email("Cancelled")
    assert "The doctor is unwell." in message.body and "Reason given" in message.body
    calendar, method, event = event_of(message)
    assert method == "CANCEL" and str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"{appointment.reference}@testserver"
    assert event["SEQUENCE"] == 2  # higher than the invite's, so calendars apply it


def test_patient_cancellation_without_remark_has_no_reason_block(book, act, patient):
    appointment = book(patient=patient, email=patient.email, n=30)  # a day later: before the cutoff
    act(appointment, S.CANCELLED, Actor(Actor.PATIENT, patient))
    message = last_email("Cancelled")
    assert "Reason given" not in message.body
    assert "Reason given" not in html_of(message)


def test_rescheduled_email_updates_the_same_event(book, act, as_doctor, staff_user, doctor, free_slot, commit):
    appointment = book()
    act(appointment, S.CONFIRMED, as_doctor)
    _, _, first = event_of(last_email("Confirmed"))

    new_start = free_slot(doctor, 5).start
    with commit():
        move_appointment(appointment, new_start, Actor(Actor.STAFF, staff_user))

    message = last_email("Moved")
    _, method, moved = event_of(message)
    assert method == "REQUEST"
    assert str(moved["UID"]) == str(first["UID"])
    assert moved["SEQUENCE"] > first["SEQUENCE"]
    assert moved.decoded("DTSTART") == new_start
    appointment.refresh_from_db()
    assert_common_facts(message.body, appointment)
    assert "Moved from" in message.body  # the old time, from the service's remark


def test_reminder_of_an_online_appointment_contains_the_meeting_link(book, act, as_doctor, commit):
    appointment = book(mode=Appointment.Mode.ONLINE)
    act(appointment, S.CONFIRMED, as_doctor)
    appointment.refresh_from_db()
    assert appointment.meeting_url

    confirmation = last_email("onfirmed")
    assert appointment.meeting_url not in confirmation.body + html_of(confirmation)
    assert all(appointment.meeting_url not in a[1] for a in confirmation.attachments if isinstance(a, tuple))

    with commit():
        queue_notification(appointment, Notification.Kind.REMINDER)

    message = last_email("Reminder")
    assert appointment.meeting_url in message.body
    assert f'href="{appointment.meeting_url}"' in html_of(message)
    assert "Join the video consultation" in html_of(message)
    assert "1 River Road" in message.body  # the clinic's address is in the footer of every email


def test_prescription_email_links_to_the_appointment_but_never_shows_the_prescription(book, act, as_doctor, commit):
    appointment = book()
    act(appointment, S.CONFIRMED, as_doctor)
    prescription = Prescription.objects.create(
        appointment=appointment, advice="Rest and fluids", signed_at=timezone.now()
    )
    MedicationLine.objects.create(
        prescription=prescription, drug="Amoxicillin", dose="500 mg", frequency="3x a day", duration="7 days"
    )

    with commit():
        queue_notification(appointment, Notification.Kind.PRESCRIPTION)

    message = last_email("prescription")
    for secret in ("Rest and fluids", "Amoxicillin", "500 mg"):
        assert secret not in message.body
        assert secret not in html_of(message)
    assert "/appointments/" in message.body
    assert message.attachments == []


# --- Links ----------------------------------------------------------------------------------


def test_guests_get_a_working_signed_link(book, client):
    appointment = book()
    message = last_email("received")

    links = re.findall(r"http://testserver(/appointments/\S+/access/\S+/)", message.body)
    assert len(set(links)) == 1
    path = links[0]
    assert path in html_of(message)
    reference, token = path.strip("/").split("/")[1], path.strip("/").split("/")[3]
    assert appointment_from_token(reference, token) == appointment
    # The link opens the appointment in a fresh browser with no login.
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert appointment.reference in response.content.decode()


def test_account_holders_get_the_plain_appointment_page(book, patient):
    appointment = book(patient=patient)
    message = last_email("received")
    page = f"http://testserver/appointments/{appointment.reference}/"
    assert page in message.body and f'href="{page}"' in html_of(message)
    assert "/access/" not in message.body and "/access/" not in html_of(message)


# --- Transactions ---------------------------------------------------------------------------


def test_a_rolled_back_booking_sends_nothing(doctor, commit, clinic):
    with commit(), pytest.raises(RuntimeError), transaction.atomic():
        make_appointment(doctor)
        raise RuntimeError("something later in the request failed")

    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert not Appointment.objects.exists()


def test_nothing_is_sent_before_the_commit(book, doctor, clinic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_appointment(doctor)
        assert mail.outbox == []
    # Three hooks wait for the commit: the email's delivery, the "status changed" announcement and
    # the cached public pages' availability bump.
    assert len(callbacks) == 3
    assert Notification.objects.get().status == Notification.Status.QUEUED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_commit_sends_the_email(doctor, clinic):
    appointment = make_appointment(doctor)
    assert [m.to for m in mail.outbox] == [["gus@example.com"]]
    assert Notification.objects.get(appointment=appointment).status == Notification.Status.SENT


# --- Delivery bookkeeping -------------------------------------------------------------------


class RefusingBackend:
    """An email backend whose server is always down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


REFUSING = f"{__name__}.RefusingBackend"


def test_a_row_is_sent_at_most_once_even_if_the_task_runs_again(book):
    appointment = book()
    row = Notification.objects.get(appointment=appointment)
    assert deliver_notification.call(row.pk) == "skipped"
    assert deliver_notification.call(row.pk) == "skipped"
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_a_row_another_worker_is_sending_is_left_alone(doctor, clinic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # booked, not yet delivered
        appointment = make_appointment(doctor)
    row = Notification.objects.get(appointment=appointment)
    # Another worker has claimed the row and is talking to SMTP right now.
    Notification.objects.filter(pk=row.pk).update(attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert deliver_notification.call(row.pk) == "skipped"
    assert mail.outbox == []


def test_failures_back_off_then_give_up(book, settings):
    settings.EMAIL_BACKEND = REFUSING
    appointment = book()  # the task must not raise: the booking went through
    row = Notification.objects.get(appointment=appointment)
    assert row.status == Notification.Status.FAILED
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert abs(row.next_attempt_at - (timezone.now() + retry_delay(1))) < timedelta(seconds=30)

    # Not due yet: a second run does nothing.
    assert deliver_notification.call(row.pk) == "skipped"
    for attempt in range(2, MAX_ATTEMPTS + 1):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        status = deliver_notification.call(row.pk)
        row.refresh_from_db()
        assert row.attempts == attempt
        assert status == row.status
    assert row.status == Notification.Status.GAVE_UP
    assert row.next_attempt_at is None
    assert retry_delay(2) < retry_delay(3) < retry_delay(4)
