"""Delivery through a real SMTP server on loopback, and what happens while it is down.

aiosmtpd runs an SMTP server in a thread on 127.0.0.1; Django's SMTP backend talks to it over a
socket, so the message a mail server would see is parsed back with the stdlib ``email`` package.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes, policy
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from icalendar import Calendar
from wagtail.models import Site

from booking.appointments.services import Actor, transition
from booking.models import Appointment, Notification
from booking.notifications.tasks import deliver_notification
from home.models import ClinicSettings
from tests.factories import make_appointment

pytestmark = pytest.mark.django_db


class Collector:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(port: int):
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_port(settings) -> int:
    """Point Django's SMTP backend at a free loopback port (nothing listens there yet)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return port


@pytest.fixture(autouse=True)
def clinic(site_tree):
    row = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    row.address = "1 River Road\nLondon SE1 9AA"
    row.email = "hello@clinic.example"
    row.save()
    return row


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def parsed(envelope):
    return message_from_bytes(envelope.content, policy=policy.default)


def test_confirmed_email_arrives_with_a_parseable_invite(doctor, doctor_user, smtp_port, commit):
    with smtp_server(smtp_port) as server:
        with commit():
            appointment = make_appointment(doctor)
        with commit():
            transition(appointment, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))

    assert len(server.envelopes) == 2  # received, then confirmed
    envelope = server.envelopes[1]
    assert envelope.rcpt_tos == ["gus@example.com"]
    assert envelope.mail_from == "no-reply@clinic.example"
    message = parsed(envelope)
    assert message["Subject"].startswith("Confirmed")
    assert message["Reply-To"] == "hello@clinic.example"
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html", "text/calendar"}

    (invite,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert invite.get_filename() == "invite.ics"
    assert invite.get_param("method") == "REQUEST"
    event = Calendar.from_ical(invite.get_content()).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == appointment.starts_at
    assert str(event["UID"]) == f"{appointment.reference}@testserver"
    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.SENT}


@pytest.mark.parametrize("inline", [False, True], ids=["enqueue", "inline"])
def test_smtp_down_keeps_the_booking_and_retries_later(doctor, smtp_port, commit, inline):
    # Nothing listens on the port: the connection is refused.
    with commit():
        appointment = make_appointment(doctor)  # no exception reaches the caller

    assert Appointment.objects.filter(pk=appointment.pk).exists()
    row = Notification.objects.get(appointment=appointment)
    assert row.status == Notification.Status.FAILED
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert row.sent_at is None

    options = ["--inline"] if inline else []
    with smtp_server(smtp_port) as server:
        out = StringIO()
        call_command("retry_notifications", *options, stdout=out)
        assert out.getvalue().endswith(" 0 notification(s).\n")  # backoff not over yet
        assert server.envelopes == []

        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        out = StringIO()
        call_command("retry_notifications", *options, stdout=out)
        assert out.getvalue().endswith(" 1 notification(s).\n")

        # Running it again, or the task running twice, sends nothing more.
        call_command("retry_notifications", *options, stdout=StringIO())
        assert deliver_notification.call(row.pk) == "skipped"

    assert len(server.envelopes) == 1
    assert parsed(server.envelopes[0])["Subject"].startswith("We have received")
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.attempts == 2
    assert row.last_error == ""
    assert row.sent_at is not None
