"""Absolute links in emails, calendar files and PDFs: read outside any request, so never relative.

Which link a reader gets is a privacy decision: guests get a signed link (they have no account),
account holders the plain page that asks them to sign in, and calendar files (synced, shared)
never a signed link at all.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from home.models import ClinicSettings

from ..access import guest_confirm_token, guest_link_token
from ..models import Appointment


def site_host() -> str:
    """The public host name (from ``WAGTAILADMIN_BASE_URL``), used in calendar UIDs and Message-IDs."""
    return urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "clinic.invalid"


def absolute_url(path: str) -> str:
    """``path`` on the public site; emails are read outside any request, so links must be absolute."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def guest_link_path(appointment: Appointment) -> str:
    """The site-relative path of the appointment's signed guest link."""
    return reverse("appointments:guest_link", args=[appointment.reference, guest_link_token(appointment)])


def confirm_link(appointment: Appointment) -> str:
    """The link in the "confirm your booking" email (a guest's booking awaiting confirmation)."""
    return absolute_url(
        reverse("appointments:confirm_email", args=[appointment.reference, guest_confirm_token(appointment)])
    )


def appointment_link(appointment: Appointment) -> str:
    """Where the patient manages the appointment.

    Guests have no account to log in to, so they get the signed link that opens the appointment
    directly; account holders get the plain page, which asks them to log in (a forwarded email
    then gives nobody else access).
    """
    if appointment.patient_id is None:
        return absolute_url(guest_link_path(appointment))
    return absolute_url(reverse("appointments:detail", args=[appointment.reference]))


def calendar_link(appointment: Appointment) -> str:
    """A link safe to put in calendar files, which get synced and shared: never a signed one.

    Account holders get their appointment page; guests get the lookup page, where the reference
    (in the event's description) and their email open the appointment.
    """
    if appointment.patient_id is None:
        return absolute_url(reverse("appointments:find"))
    return absolute_url(reverse("appointments:detail", args=[appointment.reference]))


def organizer_email(clinic: ClinicSettings) -> str:
    """The clinic's public address, or the sender address when the clinic has none set."""
    return clinic.email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
