"""Emails about a doctor's account: the clinic's layout, the reviewer's words, the outbox's retries."""

from __future__ import annotations

import pytest

from booking.models import Notification
from booking.notifications.emails import ACCOUNT_SUBJECTS, queue_account_notification, render_account_notification
from booking.notifications.tasks import deliver_notification

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", sorted(ACCOUNT_SUBJECTS))
def test_every_account_email_renders_with_the_note_and_the_dashboard_link(kind, site_tree):
    rendered = render_account_notification(
        kind, name="Dr Grace Hopper", link_path="/doctor/", remark="A note <b>from</b> staff."
    )
    assert rendered.subject and "\n" not in rendered.subject
    assert "Dear Dr Grace Hopper" in rendered.body_text
    assert "http://testserver/doctor/" in rendered.body_text and "http://testserver/doctor/" in rendered.body_html
    assert "A note <b>from</b> staff." in rendered.body_text
    assert "A note &lt;b&gt;from&lt;/b&gt; staff." in rendered.body_html  # escaped in HTML
    assert "doctor's account" in rendered.body_text
    assert "appointment booked with this address" not in rendered.body_text
    assert rendered.ics == ""


def test_account_emails_go_through_the_outbox_and_survive_a_mail_outage(site_tree, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    row = queue_account_notification(
        "grace@example.com", Notification.Kind.DOCTOR_APPROVED, name="Dr Grace Hopper", link_path="/doctor/"
    )
    assert row.appointment is None
    assert deliver_notification.call(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED and row.next_attempt_at is not None


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="Unknown account notification kind"):
        render_account_notification("received", name="x", link_path="/")


def test_staff_see_account_emails_in_the_outbox_list(client, site_tree, staff_user):
    from django.urls import reverse

    from tests.factories import PASSWORD

    row = queue_account_notification(
        "grace@example.com", Notification.Kind.DOCTOR_REJECTED, name="Dr Grace Hopper", link_path="/doctor/"
    )
    client.login(email=staff_user.email, password=PASSWORD)
    listing = client.get(reverse("booking_notification_modeladmin_index"))
    assert listing.status_code == 200 and "grace@example.com" in listing.content.decode()
    inspect = client.get(reverse("booking_notification_modeladmin_inspect", args=[row.pk]))
    assert inspect.status_code == 200
