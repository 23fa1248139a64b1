"""Patient and doctor emails: rendered and stored with the change they announce, sent after it commits.

Why an outbox rather than ``send_mail`` in the service: the booking services run inside a
transaction and hold the doctor's row lock. Talking to an SMTP server there would make a slow or
dead mail server block (or fail) bookings, and an email sent from a transaction that then rolls
back would announce something that never happened. So :func:`queue_notification` only renders
the email and writes a :class:`~booking.models.Notification` row in the caller's transaction,
and registers an ``on_commit`` hook that enqueues :func:`booking.notifications.tasks.deliver_notification`.
If the booking rolls back, the row and the hook go with it; if SMTP is down, the row stays
``failed`` and ``manage.py retry_notifications`` sends it later.

Privacy: emails carry when, with whom and where, never medical content (no reason for the visit,
no prescription lines). The patient follows the link to read anything clinical.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import dateformat, timezone

from home.models import ClinicSettings
from portal.phones import display_phone

from ..models import Appointment, Notification, clinic_zone
from .calendar import appointment_ics
from .links import absolute_url, appointment_link, confirm_link
from .tasks import deliver_notification

logger = logging.getLogger(__name__)

Kind = Notification.Kind

# Subjects stay short and free of anything clinical: they show in lock screens and inbox lists.
SUBJECTS: dict[str, str] = {
    Kind.CONFIRM_EMAIL: "Please confirm your appointment request ({reference})",
    Kind.RECEIVED: "We have received your appointment request ({reference})",
    Kind.CONFIRMED: "Confirmed: your appointment on {short_when} ({reference})",
    Kind.DECLINED: "Your appointment request could not be accepted ({reference})",
    Kind.CANCELLED: "Cancelled: your appointment on {short_when} ({reference})",
    Kind.RESCHEDULED: "Moved: your appointment is now on {short_when} ({reference})",
    Kind.PRESCRIPTION: "Your prescription is ready to view ({reference})",
    Kind.REMINDER: "Reminder: your appointment on {short_when} ({reference})",
    Kind.RECEIPT: "Payment received for your appointment on {short_when} ({reference})",
    Kind.REFUND: "Refund for your appointment on {short_when} ({reference})",
}

# Which kinds carry a calendar file, and with which iTIP method. A confirmation adds the event,
# a move updates it (same UID, higher SEQUENCE), a cancellation removes it.
ICS_METHODS: dict[str, str] = {
    Kind.CONFIRMED: "REQUEST",
    Kind.RESCHEDULED: "REQUEST",
    Kind.CANCELLED: "CANCEL",
}

# The video link travels only in the reminder: patients see it from shortly before the start,
# not in the confirmation that may sit in an inbox (or a forwarded calendar) for weeks.
MEETING_LINK_KINDS = frozenset({Kind.REMINDER})


@dataclass(frozen=True)
class RenderedEmail:
    """Everything a Notification row stores about one email, before it is saved."""

    subject: str
    body_text: str
    body_html: str
    ics: str


def format_when(local: datetime) -> str:
    """``Tuesday 14 October 2025, 09:30 BST`` — unambiguous for a reader in any time zone."""
    return f"{dateformat.format(local, 'l j F Y, H:i')} {local.tzname()}"


def _tidy_text(text: str) -> str:
    """Drop the blank runs template tags leave behind, keeping single empty lines as paragraphs."""
    lines = ["" if not line.strip() else line for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _one_line(text: str) -> str:
    # Headers must not contain line breaks (Django refuses them); titles come from editors.
    return " ".join(text.split())


def email_context(
    appointment: Appointment, kind: str, *, remark: str = "", clinic: ClinicSettings, facts: dict | None = None
) -> dict:
    """The template context shared by every kind: the facts a patient needs to act on the email.

    ``facts`` are extra values the sending feature knows and this module does not (the amounts
    in a receipt or a refund); they are added as they are, never overriding the common ones.
    """
    local_start = appointment.local_starts_at
    local_end = appointment.local_ends_at
    is_online = appointment.is_online
    return {
        **(facts or {}),
        "kind": kind,
        "appointment": appointment,
        "clinic": clinic,
        "clinic_name": clinic.name or settings.WAGTAIL_SITE_NAME,
        "clinic_address_lines": clinic.address_lines,
        "clinic_phone": display_phone(clinic.phone),  # for reading: "+44 20 7946 0000"
        "clinic_email": clinic.email,
        "patient_name": appointment.full_name,
        "doctor_name": appointment.doctor.title,
        "reference": appointment.reference,
        "mode": appointment.get_mode_display(),
        "is_online": is_online,
        "meeting_url": appointment.meeting_url if is_online else "",
        # The video link exists once the doctor confirms; it is then also the calendar invite's
        # LOCATION, so the emails that carry or follow the invite show it too.
        "show_meeting_link": bool(is_online and appointment.meeting_url and kind in MEETING_LINK_KINDS),
        "when": format_when(local_start),
        "date": dateformat.format(local_start, "l j F Y"),
        "start_time": dateformat.format(local_start, "H:i"),
        "end_time": dateformat.format(local_end, "H:i"),
        "tz_abbreviation": local_start.tzname(),
        "zone_name": settings.TIME_ZONE,
        "link": appointment_link(appointment),
        "is_guest": appointment.patient_id is None,
        "is_pending": appointment.is_pending,
        "site_url": absolute_url("/"),
        "cancel_cutoff_hours": settings.BOOKING_CANCEL_CUTOFF_HOURS,
        "remark": remark.strip(),
        "has_invite": kind in ICS_METHODS,
        **_confirmation_context(appointment, kind),
    }


def _confirmation_context(appointment: Appointment, kind: str) -> dict:
    """The confirm link and its deadline, only in the email that asks a guest to confirm."""
    if kind != Kind.CONFIRM_EMAIL or appointment.hold_expires_at is None:
        return {}
    deadline = timezone.localtime(appointment.hold_expires_at, clinic_zone())
    return {
        "confirm_link": confirm_link(appointment),
        "confirm_minutes": settings.GUEST_CONFIRMATION_MINUTES,
        "confirm_by": f"{dateformat.format(deadline, 'H:i')} {deadline.tzname()}",
    }


def render_notification(
    appointment: Appointment,
    kind: str,
    *,
    remark: str = "",
    clinic: ClinicSettings | None = None,
    facts: dict | None = None,
) -> RenderedEmail:
    """Render subject, text, HTML and calendar file for ``kind`` without saving anything.

    Separate from :func:`queue_notification` so previews and tests can look at an email without
    creating an outbox row.
    """
    if kind not in SUBJECTS:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    clinic = clinic if clinic is not None else ClinicSettings.current()
    context = email_context(appointment, kind, remark=remark, clinic=clinic, facts=facts)
    short_when = f"{dateformat.format(appointment.local_starts_at, 'D j M, H:i')}"
    subject = _one_line(SUBJECTS[kind].format(short_when=short_when, reference=appointment.reference))
    context["subject"] = subject
    method = ICS_METHODS.get(kind)
    return RenderedEmail(
        subject=subject[:200],
        body_text=_tidy_text(render_to_string(f"booking/notifications/emails/{kind}.txt", context)),
        body_html=render_to_string(f"booking/notifications/emails/{kind}.html", context),
        ics=appointment_ics(appointment, method=method, clinic=clinic) if method else "",
    )


def queue_notification(
    appointment: Appointment, kind: str, *, remark: str = "", facts: dict | None = None
) -> Notification | None:
    """Record the email for ``kind`` in the current transaction; send it once that commits.

    Returns the saved row, or ``None`` when the appointment has no address to write to. The send
    is registered with ``robust=True`` so that a failure to *enqueue* (say, the task table is
    unavailable) is logged instead of turning a committed booking into an error page; the row
    stays ``queued`` and ``retry_notifications`` picks it up.
    """
    if not appointment.email:
        logger.warning("Appointment %s has no email address; %s email not queued.", appointment.reference, kind)
        return None
    rendered = render_notification(appointment, kind, remark=remark, facts=facts)
    return queue_email(kind, appointment.email, rendered, appointment=appointment)


def queue_email(kind: str, to: str, rendered: RenderedEmail, *, appointment: Appointment | None = None) -> Notification:
    """Write one outbox row in the current transaction and enqueue its delivery after commit.

    The one way an email enters the outbox, for booking emails and account emails alike.
    """
    notification = Notification.objects.create(
        appointment=appointment,
        kind=kind,
        to=to,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        ics=rendered.ics,
    )
    transaction.on_commit(lambda: _enqueue_delivery(notification.pk), robust=True)
    return notification


# --- Emails about a doctor's account (no appointment) -------------------------------------------

ACCOUNT_SUBJECTS: dict[str, str] = {
    Kind.DOCTOR_APPLIED: "We have received your application to join {clinic_name}",
    Kind.DOCTOR_APPROVED: "Welcome to {clinic_name}: your profile is live",
    Kind.DOCTOR_REJECTED: "Your application to {clinic_name}: changes requested",
    Kind.DOCTOR_SUSPENDED: "Your profile at {clinic_name} is suspended",
    Kind.DOCTOR_REINSTATED: "Your profile at {clinic_name} is live again",
    Kind.EDITS_PUBLISHED: "Your profile changes are published",
    Kind.EDITS_REJECTED: "Your profile changes: changes requested",
}


def render_account_notification(
    kind: str, *, name: str, link_path: str, remark: str = "", clinic: ClinicSettings | None = None
) -> RenderedEmail:
    """Subject, text and HTML of an email about a doctor's account, without saving anything.

    ``remark`` is what staff wrote (a reviewer's comment, the reason for a suspension); it is
    shown as the clinic's note. The link goes to a page that asks the doctor to sign in.
    """
    if kind not in ACCOUNT_SUBJECTS:
        raise ValueError(f"Unknown account notification kind: {kind!r}")
    clinic = clinic if clinic is not None else ClinicSettings.current()
    clinic_name = clinic.name or settings.WAGTAIL_SITE_NAME
    subject = _one_line(ACCOUNT_SUBJECTS[kind].format(clinic_name=clinic_name))
    context = {
        "kind": kind,
        "subject": subject,
        "clinic": clinic,
        "clinic_name": clinic_name,
        "clinic_address_lines": clinic.address_lines,
        "clinic_phone": clinic.phone,
        "clinic_email": clinic.email,
        # The shared layout greets "patient_name"; here it is the doctor.
        "patient_name": name,
        "link": absolute_url(link_path),
        "is_guest": False,
        "site_url": absolute_url("/"),
        "remark": remark.strip(),
    }
    return RenderedEmail(
        subject=subject[:200],
        body_text=_tidy_text(render_to_string(f"booking/notifications/emails/account/{kind}.txt", context)),
        body_html=render_to_string(f"booking/notifications/emails/account/{kind}.html", context),
        ics="",
    )


def queue_account_notification(
    to: str, kind: str, *, name: str, link_path: str, remark: str = ""
) -> Notification | None:
    """Record an email about a doctor's account in the current transaction; send it after commit.

    The same outbox as appointment emails (retried, listed for staff), without an appointment.
    """
    if not to:
        logger.warning("No address for the %s email; not queued.", kind)
        return None
    rendered = render_account_notification(kind, name=name, link_path=link_path, remark=remark)
    notification = Notification.objects.create(
        kind=kind,
        to=to,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
    )
    transaction.on_commit(lambda: _enqueue_delivery(notification.pk), robust=True)
    return notification


def _enqueue_delivery(notification_id: int) -> None:
    deliver_notification.enqueue(notification_id)
