"""Calendar files (RFC 5545) for appointments, attached to emails and offered as a download.

One function builds them so that every copy a patient ever receives describes the same event: the
UID is derived from the reference (stable for the appointment's life) and SEQUENCE comes from
``Appointment.ics_sequence``, which the booking service bumps on every change. Calendar apps
therefore *replace* the earlier event on a reschedule and *remove* it on a ``METHOD:CANCEL``
instead of adding duplicates. Times are written in UTC (``...Z``), which every client reads the
same way and which sidesteps shipping a VTIMEZONE for the clinic's zone and its DST rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from home.models import ClinicSettings
from portal.phones import display_phone

from ..models import Appointment
from .links import calendar_link, organizer_email, site_host

PRODID = "-//Clinic Portal//Appointments//EN"
METHODS = frozenset({"PUBLISH", "REQUEST", "CANCEL"})

_TENTATIVE = {Appointment.Status.PENDING_PAYMENT, Appointment.Status.PENDING}
_CANCELLED = {Appointment.Status.CANCELLED, Appointment.Status.DECLINED, Appointment.Status.EXPIRED}


def event_uid(appointment: Appointment) -> str:
    """``<reference>@<host>``: globally unique and identical in every file for this appointment."""
    return f"{appointment.reference}@{site_host()}"


def event_status(appointment: Appointment, method: str = "REQUEST") -> str:
    """The VEVENT STATUS: a cancellation always says CANCELLED; otherwise follow the appointment."""
    if method == "CANCEL" or appointment.status in _CANCELLED:
        return "CANCELLED"
    if appointment.status in _TENTATIVE:
        return "TENTATIVE"
    return "CONFIRMED"  # confirmed, and also completed / no-show: the event did take place


def event_location(appointment: Appointment, clinic: ClinicSettings) -> str:
    """The clinic's address in person; online, a pointer to the appointment page.

    The meeting link itself is not put in calendar files: patients see it only from shortly
    before the start (ONLINE_LINK_VISIBLE_MINUTES), on the appointment page and in the reminder.
    """
    if appointment.mode == Appointment.Mode.ONLINE:
        return "Online consultation (the link will be on your appointment page)"
    return ", ".join([clinic.name, *clinic.address_lines]) if clinic.name else ", ".join(clinic.address_lines)


def appointment_ics(
    appointment: Appointment,
    *,
    method: str = "REQUEST",
    clinic: ClinicSettings | None = None,
    stamp: datetime | None = None,
) -> str:
    """Return the appointment as an iCalendar document (text, CRLF line endings).

    ``method`` is the iTIP method: ``REQUEST`` for an invite or update sent by email, ``CANCEL``
    to withdraw it, ``PUBLISH`` for a plain download that should not look like a meeting request.
    The function only reads (the appointment, its doctor, clinic settings) and never saves, so
    the download view and the email outbox can both call it. ``clinic`` and ``stamp`` (DTSTAMP,
    by default the appointment's last change) may be passed to avoid a query or pin the output.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"Unsupported iTIP method: {method!r}")
    clinic = clinic if clinic is not None else ClinicSettings.current()
    link = calendar_link(appointment)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("dtstamp", (stamp or appointment.updated_at or timezone.now()).astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("sequence", appointment.ics_sequence)
    event.add("summary", f"Appointment with {appointment.doctor.title}")
    event.add("location", event_location(appointment, clinic))
    description = [
        f"Reference: {appointment.reference}",
        f"Mode: {appointment.get_mode_display()}",
        f"Manage your appointment: {link}",
    ]
    if clinic.phone:
        description.append(f"Clinic phone: {display_phone(clinic.phone)}")
    event.add("description", "\n".join(description))
    event.add("url", link)
    event.add("status", event_status(appointment, method))
    event.add("transp", "OPAQUE")
    event.add("class", "PRIVATE")  # shared calendars show "busy", not a medical appointment

    organizer = vCalAddress(f"mailto:{organizer_email(clinic)}")
    if clinic.name:
        organizer.params["cn"] = clinic.name
    event.add("organizer", organizer)
    if method != "PUBLISH":  # RFC 5546: PUBLISH carries no attendees; REQUEST/CANCEL name them
        attendee = vCalAddress(f"mailto:{appointment.email}")
        attendee.params["cn"] = appointment.full_name
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["partstat"] = "ACCEPTED"  # they booked it; no reply expected
        attendee.params["rsvp"] = "FALSE"
        event.add("attendee", attendee)

    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
