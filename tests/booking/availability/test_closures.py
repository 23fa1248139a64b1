"""Clinic closures: no doctor is bookable on a closed day unless listed as still working.

Availability reads closures in one place (``doctor_free_slots``), so the doctor page, the booking
form, the reschedule picker and the service's own re-check all agree; these tests go through the
selector and the service.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from booking.appointments.selectors import affected_by_closure
from booking.appointments.services import PatientDetails, book_appointment
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.errors import SlotUnavailable
from booking.models import ClinicClosure, clinic_zone

pytestmark = pytest.mark.django_db


def details(n: int = 0) -> PatientDetails:
    return PatientDetails(full_name=f"Patient {n}", email=f"p{n}@example.com", mobile="+447700900123")


def closed(start: date, end: date | None = None, *, open_doctors=(), reason="Bank holiday") -> ClinicClosure:
    closure = ClinicClosure.objects.create(start_date=start, end_date=end or start, reason=reason)
    closure.open_doctors.set(open_doctors)
    return closure


def local_days(slots) -> set[date]:
    return {slot.start.astimezone(clinic_zone()).date() for slot in slots}


def a_day_ahead(n: int = 3) -> date:
    first, _last = booking_window()
    return first + timedelta(days=n)


def test_a_closed_day_has_no_free_slots(doctor, other_doctor):
    day = a_day_ahead()
    closed(day)
    for who in (doctor, other_doctor):
        days = local_days(doctor_free_slots(who, day - timedelta(days=1), day + timedelta(days=1)))
        assert day not in days
        assert {day - timedelta(days=1), day + timedelta(days=1)} <= days


def test_a_range_closes_every_day_in_it(doctor):
    day = a_day_ahead()
    closed(day, day + timedelta(days=2))
    days = local_days(doctor_free_slots(doctor, day - timedelta(days=1), day + timedelta(days=3)))
    assert days == {day - timedelta(days=1), day + timedelta(days=3)}


def test_a_doctor_listed_as_working_stays_bookable(doctor, other_doctor):
    day = a_day_ahead()
    closed(day, open_doctors=[other_doctor])
    assert day in local_days(doctor_free_slots(other_doctor, day, day))
    assert day not in local_days(doctor_free_slots(doctor, day, day))


def test_the_booking_service_refuses_a_closed_day(doctor):
    day = a_day_ahead()
    slot = doctor_free_slots(doctor, day, day)[0]
    closed(day)
    with pytest.raises(SlotUnavailable):
        book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details())


# Table cases on daylight-saving change days: a closure covers the whole *local* day, which is
# 23 or 25 hours long, and nothing before midnight or after the next one.
DST_CASES = [
    ("Europe/London", date(2026, 3, 29)),  # clocks go forward: 23-hour day
    ("Europe/London", date(2026, 10, 25)),  # clocks go back: 25-hour day
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
]


@pytest.mark.parametrize(("zone", "day"), DST_CASES)
def test_closures_on_daylight_saving_days(settings, doctor, zone, day):
    settings.TIME_ZONE = zone
    tz = ZoneInfo(zone)
    closure = closed(day)
    start, end = closure.interval()
    assert start == datetime.combine(day, time.min, tzinfo=tz)
    assert end == datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    # Same-zone subtraction is wall-clock arithmetic in Python; the real length needs UTC.
    assert (end.astimezone(UTC) - start.astimezone(UTC)) in (timedelta(hours=23), timedelta(hours=25))

    the_day_before = datetime.combine(day - timedelta(days=2), time.min, tzinfo=tz)
    slots = doctor_free_slots(doctor, day - timedelta(days=1), day + timedelta(days=1), now=the_day_before)
    days = {slot.start.astimezone(tz).date() for slot in slots}
    assert day not in days
    assert {day - timedelta(days=1), day + timedelta(days=1)} <= days  # the neighbours keep their slots
    assert all(not start <= slot.start < end for slot in slots)


def test_closure_lists_appointments_it_falls_on(doctor, other_doctor, free_slot):
    kept = book_appointment(doctor_id=doctor.pk, starts_at=free_slot(doctor).start, details=details(1))
    on_call = book_appointment(doctor_id=other_doctor.pk, starts_at=free_slot(other_doctor).start, details=details(2))
    day = kept.local_starts_at.date()
    assert on_call.local_starts_at.date() == day  # both first free slots are tomorrow
    closure = closed(day, open_doctors=[other_doctor])
    assert list(affected_by_closure(closure)) == [kept]


def test_staff_see_the_appointments_a_closure_falls_on(client, staff_user, doctor, free_slot):
    booked = book_appointment(doctor_id=doctor.pk, starts_at=free_slot(doctor).start, details=details(1))
    closure = closed(booked.local_starts_at.date(), reason="Burst pipe")
    client.force_login(staff_user)
    listing = client.get(reverse("booking_clinicclosure_modeladmin_index"))
    assert listing.status_code == 200
    assert "1 to move or cancel" in listing.content.decode()
    page = client.get(reverse("booking_admin_closure_appointments", args=[closure.pk]))
    assert page.status_code == 200
    assert booked.reference in page.content.decode()
    assert reverse("booking_admin_manage", args=[booked.reference]) in page.content.decode()


def test_closure_pages_are_for_staff_only(client, patient):
    closure = closed(a_day_ahead())
    client.force_login(patient)
    response = client.get(reverse("booking_admin_closure_appointments", args=[closure.pk]))
    assert response.status_code in (302, 403)


def test_staff_create_a_closure_and_a_reversed_one_is_refused(client, staff_user):
    client.force_login(staff_user)
    url = reverse("booking_clinicclosure_modeladmin_create")
    day = a_day_ahead(5)
    refused = client.post(
        url, {"start_date": day.isoformat(), "end_date": (day - timedelta(days=1)).isoformat(), "reason": "Oops"}
    )
    assert refused.status_code == 200
    assert "cannot be before the first day" in refused.content.decode()
    assert not ClinicClosure.objects.exists()
    far = client.post(url, {"start_date": "0001-01-01", "end_date": "0001-01-02", "reason": "Typo"})
    assert far.status_code == 200
    assert not ClinicClosure.objects.exists()
    created = client.post(url, {"start_date": day.isoformat(), "end_date": day.isoformat(), "reason": "Inset day"})
    assert created.status_code == 302
    assert ClinicClosure.objects.get().reason == "Inset day"


def test_the_demo_clinic_is_closed_on_christmas_day(site_tree, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    year = timezone.localdate(timezone=clinic_zone()).year
    christmas = ClinicClosure.objects.get(start_date=date(year, 12, 25))
    assert christmas.reason == "Christmas Day"
    assert ClinicClosure.objects.filter(start_date=date(year + 1, 12, 26)).exists()
