"""Background delivery of the email outbox (:class:`booking.models.Notification`).

The task is safe to run more than once for the same row, and to run while another worker runs it:
before talking to SMTP it *claims* the row with one conditional UPDATE (still queued or failed,
and due) that also pushes ``next_attempt_at`` a lease into the future. Only the worker whose
UPDATE changed the row sends; a second copy finds it sent, or leased, and does nothing. No row
lock is held while the SMTP conversation runs, so a slow mail server never stalls bookings (on
SQLite a write lock would block the whole database).

A send that fails never raises out of the task: the row becomes ``failed`` with the error and a
backoff, and after :data:`MAX_ATTEMPTS` ``gave_up``, where staff can see it in the admin.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from home.models import ClinicSettings

from ..models import Notification
from .links import site_host

logger = logging.getLogger(__name__)

Status = Notification.Status

# Minutes to wait after the 1st, 2nd, … failed attempt; the last value repeats.
BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
MAX_ATTEMPTS = 8
# How long a claimed row is reserved for the worker sending it. Longer than any SMTP exchange
# (EMAIL_TIMEOUT applies per socket operation); if the worker dies, the row becomes due again.
SEND_LEASE = timedelta(minutes=10)
RETRYABLE = (Status.QUEUED, Status.FAILED)
# What an unreachable or unhappy mail server raises (ConnectionRefusedError and TimeoutError are
# OSErrors). Other exceptions are handled the same way but logged with a traceback.
EXPECTED_ERRORS = (smtplib.SMTPException, OSError)


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones (1 → 1 min, 2 → 5 min, …)."""
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return timedelta(minutes=BACKOFF_MINUTES[index])


def claim(notification_id: int, now: datetime | None = None) -> Notification | None:
    """Reserve the row for one send attempt, or return ``None`` if it is not ours to send.

    The UPDATE's WHERE clause is the whole check (status, due time), so it is atomic on every
    database: of two workers racing for the same row exactly one sees ``1`` row updated.
    """
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = Notification.objects.filter(due, pk=notification_id, status__in=RETRYABLE).update(
        attempts=F("attempts") + 1, next_attempt_at=now + SEND_LEASE
    )
    if claimed != 1:
        return None
    return Notification.objects.select_related("appointment").filter(pk=notification_id).first()


def build_message(notification: Notification) -> EmailMultiAlternatives:
    """The email for an outbox row: plain text, an HTML alternative and the calendar invite."""
    clinic = ClinicSettings.current()
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to],
        reply_to=[clinic.email] if clinic.email else None,
        headers={
            # Stable per row: if a send is ever repeated (crash after SMTP accepted it, before we
            # recorded it), mail clients can recognise the duplicate.
            "Message-ID": f"<notification-{notification.pk}@{site_host()}>",
            # Tells auto-responders (out-of-office replies) not to answer.
            "Auto-Submitted": "auto-generated",
        },
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if notification.ics:
        method = "CANCEL" if "METHOD:CANCEL" in notification.ics else "REQUEST"
        message.attach("invite.ics", notification.ics, f"text/calendar; method={method}")
    return message


def _is_permanent(exc: BaseException) -> bool:
    """A refusal that retrying cannot fix: every recipient rejected with a 5xx code."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    return False


def _record_failure(notification: Notification, exc: BaseException) -> None:
    now = timezone.now()
    notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if notification.attempts >= MAX_ATTEMPTS or _is_permanent(exc):
        notification.status = Status.GAVE_UP
        notification.next_attempt_at = None
    else:
        notification.status = Status.FAILED
        notification.next_attempt_at = now + retry_delay(notification.attempts)
    notification.save(update_fields=["status", "last_error", "next_attempt_at"])


@task()
def deliver_notification(notification_id: int) -> str:
    """Send one outbox row at most once; record the outcome instead of raising.

    Returns the row's status afterwards (``sent``, ``failed``, ``gave_up``) or ``skipped`` when
    another run already sent it, holds it, or it is not yet due.
    """
    notification = claim(notification_id)
    if notification is None:
        return "skipped"
    try:
        build_message(notification).send(fail_silently=False)
    # SMTP down, refused, timed out … or anything else: record it on the row, never raise, so the
    # row is retried rather than left leased and a task failure never reaches a booking.
    except Exception as exc:  # noqa: BLE001
        _record_failure(notification, exc)
        log = logger.error if notification.status == Status.GAVE_UP else logger.warning
        log(
            "Email %s (%s for %s) attempt %d failed, now %s: %s",
            notification.pk,
            notification.kind,
            notification.appointment.reference if notification.appointment else "an account",
            notification.attempts,
            notification.status,
            notification.last_error,
            # A mail server outage is expected and one line per attempt says enough; anything
            # else is a bug worth its traceback.
            exc_info=not isinstance(exc, EXPECTED_ERRORS),
        )
        return str(notification.status)
    notification.status = Status.SENT
    notification.sent_at = timezone.now()
    notification.next_attempt_at = None
    notification.last_error = ""
    notification.save(update_fields=["status", "sent_at", "next_attempt_at", "last_error"])
    return str(notification.status)


# A queued row that was never claimed this long after it was written has lost its task.
LOST_AFTER = timedelta(minutes=10)


def due_notifications(now: datetime | None = None) -> QuerySet[Notification]:
    """Rows that should be attempted now: failed and due, or queued and evidently stuck."""
    now = now or timezone.now()
    return Notification.objects.filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - LOST_AFTER),
        status__in=RETRYABLE,
    ).order_by("created_at")
