"""Account emails go through the outbox: an SMTP outage never shows a 500 and loses nothing.

Django's real SMTP backend talks to a loopback port: first nothing listens there (connection
refused, the mail server is "down"), then an aiosmtpd server does. Sign-up, password reset and
adding an address all answer normally while SMTP is down; the email waits in the outbox and
``retry_notifications`` delivers it exactly once when the server is back.
"""

from __future__ import annotations

import re
import socket
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes, policy
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from booking.models import Notification
from booking.notifications.tasks import deliver_notification
from portal.models import User
from tests.factories import PASSWORD, make_user, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "correct-horse-battery-staple-9"


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
    """Django's SMTP backend pointed at a free loopback port where nothing listens yet."""
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


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit hooks (the outbox's enqueue, which the test backend runs at once)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _site(site_tree):
    return site_tree


def make_due(row: Notification) -> None:
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def retry() -> str:
    out = StringIO()
    call_command("retry_notifications", "--inline", stdout=out)
    return out.getvalue()


def link_in(text: str) -> str:
    (url,) = re.findall(r"http://testserver(/accounts/\S+)", text)
    return url


def test_sign_up_with_smtp_down_creates_the_account_and_delivers_the_email_later(client, smtp_port, commit):
    with commit():
        response = client.post(
            reverse("account_signup"),
            {"email": "nina@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="nina@example.com")
    assert user.is_patient
    assert not EmailAddress.objects.get(user=user).verified

    row = Notification.objects.get()
    assert row.kind == Notification.Kind.ACCOUNT and row.appointment is None
    assert row.to == "nina@example.com"
    assert row.status == Notification.Status.FAILED
    assert "ConnectionRefusedError" in row.last_error
    stored_link = link_in(row.body_text)
    assert "/accounts/confirm-email/" in stored_link

    with smtp_server(smtp_port) as server:
        assert retry().endswith(" 0 notification(s).\n")  # still backing off
        assert server.envelopes == []
        make_due(row)
        assert retry().endswith(" 1 notification(s).\n")
        # Again, or the task run twice: nothing more is sent.
        retry()
        assert deliver_notification.call(row.pk) == "skipped"

    assert len(server.envelopes) == 1
    envelope = server.envelopes[0]
    assert envelope.rcpt_tos == ["nina@example.com"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert "Confirm" in message["Subject"]
    delivered_link = link_in(message.get_body(("plain",)).get_content())
    assert delivered_link == stored_link

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT and row.attempts == 2
    assert row.body_text == "" and row.body_html == ""  # the link does not stay in the database

    # The delivered link verifies the address.
    client.post(delivered_link)
    assert EmailAddress.objects.get(user=user).verified


def test_password_reset_with_smtp_down_is_not_an_error(client, smtp_port, commit):
    user = make_user("olga@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with commit():
        response = client.post(reverse("account_reset_password"), {"email": "olga@example.com"})
    assert response.status_code == 302
    row = Notification.objects.get(to="olga@example.com")
    assert row.kind == Notification.Kind.ACCOUNT
    assert row.status == Notification.Status.FAILED
    assert "/accounts/password/reset/key/" in row.body_text

    with smtp_server(smtp_port) as server:
        make_due(row)
        retry()
    assert [envelope.rcpt_tos for envelope in server.envelopes] == [["olga@example.com"]]


def test_adding_an_email_with_smtp_down_is_not_an_error(client, smtp_port, commit):
    user = make_user("pia@example.com")
    sign_in(client, user)
    reauthenticate = client.post(reverse("account_email"), {"action_add": "", "email": "pia.new@example.com"})
    with commit():  # adding an address asks for the password again; then the request goes through
        response = client.post(reauthenticate["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=user, email="pia.new@example.com", verified=False).exists()
    row = Notification.objects.get(to="pia.new@example.com")
    assert row.status == Notification.Status.FAILED

    with smtp_server(smtp_port) as server:
        make_due(row)
        retry()
    assert len(server.envelopes) == 1


def test_staff_see_account_emails_without_their_links(client, smtp_port, commit, staff_user):
    with commit():
        client.post(
            reverse("account_signup"),
            {"email": "nina@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    row = Notification.objects.get()
    link = link_in(row.body_text)
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    listing = client.get(reverse("booking_notification_modeladmin_index")).content.decode()
    assert "nina@example.com" in listing and "Account email" in listing
    page = client.get(reverse("booking_notification_modeladmin_inspect", args=[row.pk])).content.decode()
    assert "nina@example.com" in page
    assert "Not shown" in page
    assert link.split("/")[-2] not in page  # the confirmation key
