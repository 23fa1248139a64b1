"""The calendar file: the fields calendar apps rely on, UTC times across DST, and cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from icalendar import Calendar
from wagtail.models import Site

from booking.models import Appointment
from booking.notifications.calendar import appointment_ics
from booking.notifications.links import guest_link_path
from home.models import ClinicSettings
from tests.factories import appointment_row, make_appointment

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def clinic(site_tree):
    row = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    row.name = "Riverside Clinic"
    row.address = "1 River Road\nLondon SE1 9AA"
    row.phone = "+442079460000"
    row.email = "hello@clinic.example"
    row.save()
    return row


def appointment_at(doctor, local: datetime, **fields) -> Appointment:
    """Gus Guest's appointment, unsaved: the function must not need (or make) a database row."""
    fields.setdefault("status", Appointment.Status.CONFIRMED)
    return appointment_row(doctor, local, reference="K7M2Q-X9PR4", ics_sequence=3, **fields)


def parse(text: str):
    calendar = Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_fields(doctor, clinic):
    appointment = appointment_at(doctor, datetime(2027, 7, 1, 9, 0, tzinfo=LONDON))
    stamp = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    text = appointment_ics(appointment, stamp=stamp)
    calendar, event = parse(text)

    assert str(calendar["PRODID"]).startswith("-//")
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "K7M2Q-X9PR4@testserver"
    assert event.decoded("DTSTAMP") == stamp
    assert event["SEQUENCE"] == 3
    assert str(event["SUMMARY"]) == f"Appointment with {doctor.title}"
    assert str(event["LOCATION"]) == "Riverside Clinic, 1 River Road, London SE1 9AA"
    description = str(event["DESCRIPTION"])
    assert "K7M2Q-X9PR4" in description
    # A guest: the lookup page, never the signed link (calendar files get synced and shared).
    assert "http://testserver/appointments/find/" in description
    assert "/access/" not in text
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:hello@clinic.example"
    assert event["ORGANIZER"].params["CN"] == "Riverside Clinic"
    assert str(event["ATTENDEE"]) == "mailto:gus@example.com"
    assert str(event["CLASS"]) == "PRIVATE"
    assert "\r\n" in text  # RFC 5545 line endings
    assert appointment.pk is None  # pure: nothing was saved


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2027, 1, 15, 9, 0), "20270115T090000Z"),  # GMT = UTC
        (datetime(2027, 7, 1, 9, 0), "20270701T080000Z"),  # BST = UTC+1
        (datetime(2027, 3, 28, 9, 0), "20270328T080000Z"),  # the morning clocks go forward
        (datetime(2027, 10, 31, 9, 0), "20271031T090000Z"),  # the morning clocks go back
    ],
)
def test_times_are_utc_and_dst_correct(doctor, clinic, local, utc):
    appointment = appointment_at(doctor, local.replace(tzinfo=LONDON))
    text = appointment_ics(appointment)
    assert f"DTSTART:{utc}" in text
    _, event = parse(text)
    assert event.decoded("DTSTART") == appointment.starts_at
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Appointment.Status.PENDING, "TENTATIVE"),
        (Appointment.Status.CONFIRMED, "CONFIRMED"),
        (Appointment.Status.CANCELLED, "CANCELLED"),
        (Appointment.Status.DECLINED, "CANCELLED"),
    ],
)
def test_status_follows_the_appointment(doctor, clinic, status, expected):
    appointment = appointment_at(doctor, datetime(2027, 7, 1, 9, 0, tzinfo=LONDON), status=status)
    _, event = parse(appointment_ics(appointment))
    assert str(event["STATUS"]) == expected


def test_cancel_method(doctor, clinic):
    appointment = appointment_at(doctor, datetime(2027, 7, 1, 9, 0, tzinfo=LONDON))
    invite = parse(appointment_ics(appointment))[1]
    calendar, cancel = parse(appointment_ics(appointment, method="CANCEL"))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert str(cancel["UID"]) == str(invite["UID"])  # names the same event
    assert cancel.decoded("DTSTART") == invite.decoded("DTSTART")


def test_publish_for_downloads_has_no_attendee(doctor, clinic):
    appointment = appointment_at(doctor, datetime(2027, 7, 1, 9, 0, tzinfo=LONDON))
    calendar, event = parse(appointment_ics(appointment, method="publish"))
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert "ATTENDEE" not in event


def test_online_calendar_file_never_carries_the_meeting_link(doctor, clinic):
    """The link is shown only shortly before the start; a calendar file would leak it early."""
    appointment = appointment_at(
        doctor,
        datetime(2027, 7, 1, 9, 0, tzinfo=LONDON),
        mode=Appointment.Mode.ONLINE,
        meeting_url="https://meet.example/room-42",
    )
    ics = appointment_ics(appointment)
    _, event = parse(ics)
    assert "meet.example" not in ics
    assert "appointment page" in str(event["LOCATION"])


def test_account_holders_get_the_page_link(doctor, clinic, patient):
    appointment = appointment_at(doctor, datetime(2027, 7, 1, 9, 0, tzinfo=LONDON), patient=patient)
    _, event = parse(appointment_ics(appointment))
    assert str(event["URL"]) == "http://testserver/appointments/K7M2Q-X9PR4/"


def test_unknown_method_is_refused(doctor, clinic):
    appointment = appointment_at(doctor, datetime(2027, 7, 1, 9, 0, tzinfo=LONDON))
    with pytest.raises(ValueError, match="method"):
        appointment_ics(appointment, method="REPLY")


def test_without_clinic_settings_nothing_is_created(doctor):
    appointment = appointment_at(doctor, datetime(2027, 7, 1, 9, 0, tzinfo=LONDON))
    _, event = parse(appointment_ics(appointment))
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert str(event["ORGANIZER"]) == f"mailto:{sender}"  # falls back to the sender address
    assert not ClinicSettings.objects.exists()


# Pins a review finding: this failed before its fix.
def test_calendar_download_carries_no_signed_link(client, doctor, far_slots):
    guest = make_appointment(doctor, slot=far_slots[0])
    client.get(guest_link_path(guest))
    body = client.get(reverse("appointments:ics", args=[guest.reference])).content.decode()
    assert "/access/" not in body
    assert "/appointments/find/" in body
