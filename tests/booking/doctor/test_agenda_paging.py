"""The doctor's agenda pages by week (``/doctor/?week=``) and by day (``/doctor/day/?date=``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, clinic_zone
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
S = Appointment.Status


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=clinic_zone())


def saved(doctor, starts_at: datetime, status=S.CONFIRMED, name="Patient Person") -> Appointment:
    appointment = Appointment(
        doctor=doctor,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        full_name=name,
        email="p@example.com",
        mobile="+447912345678",
    )
    appointment.set_status(status)
    appointment.save()
    return appointment


@pytest.fixture
def as_doctor(client, doctor, doctor_user):
    client.login(email=doctor_user.email, password=PASSWORD)
    return client


@pytest.fixture
def today():
    return timezone.localdate(timezone=clinic_zone())


def test_next_week_shows_its_own_appointments(as_doctor, doctor, other_doctor, today):
    next_monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    mine = saved(doctor, at(next_monday + timedelta(days=2), 10), name="Next Week Patient")
    saved(other_doctor, at(next_monday + timedelta(days=2), 11), name="Someone Elses Patient")
    saved(doctor, at(next_monday + timedelta(days=9), 10), name="Week After Patient")

    page = as_doctor.get(reverse("doctor:dashboard"), {"week": (next_monday + timedelta(days=3)).isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Week of {next_monday:%-d %B %Y}" in html
    assert mine.full_name in html
    assert "Someone Elses Patient" not in html
    assert "Week After Patient" not in html
    assert f"?week={next_monday - timedelta(days=7):%Y-%m-%d}" in html  # previous week
    assert f"?week={next_monday + timedelta(days=7):%Y-%m-%d}" in html  # next week
    assert page.context["counts"]["week"] == 1


def test_this_week_is_the_default_and_today_stays_today(as_doctor, doctor, today):
    saved(doctor, at(today, 23) if at(today, 23) > timezone.now() else at(today, 0), name="Today Patient")
    page = as_doctor.get(reverse("doctor:dashboard"), {"week": (today + timedelta(days=14)).isoformat()})
    # Paging the week never hides today's list at the top.
    assert [row[0].full_name for row in page.context["today_rows"]] == ["Today Patient"]
    assert page.context["counts"]["today"] == 1
    default = as_doctor.get(reverse("doctor:dashboard"))
    assert default.context["is_this_week"] is True
    assert "This week" in default.content.decode()


@pytest.mark.parametrize("bad", ["garbage", "0001-01-01", "9999-12-31", "2026-02-30"])
def test_an_unreadable_week_falls_back_to_this_week(as_doctor, today, bad):
    page = as_doctor.get(reverse("doctor:dashboard"), {"week": bad}, follow=True)
    assert page.status_code == 200
    assert page.context["week_start"] == today - timedelta(days=today.weekday())
    assert "could not be read" in page.content.decode()


def test_day_list_shows_one_day_with_actions(as_doctor, doctor, today):
    day = today + timedelta(days=3)
    first = saved(doctor, at(day, 9), S.PENDING, name="Morning Patient")
    saved(doctor, at(day, 14), name="Afternoon Patient")
    saved(doctor, at(day + timedelta(days=1), 9), name="Tomorrow Patient")
    saved(doctor, at(day, 11), S.CANCELLED, name="Cancelled Patient")

    page = as_doctor.get(reverse("doctor:day"), {"date": day.isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    assert [row[0].full_name for row in page.context["rows"]] == ["Morning Patient", "Afternoon Patient"]
    assert "Tomorrow Patient" not in html and "Cancelled Patient" not in html
    assert reverse("doctor:appointment", args=[first.reference]) in html
    assert f"?date={day + timedelta(days=1):%Y-%m-%d}" in html
    assert "Print" in html


def test_day_list_defaults_to_today_and_says_when_empty(as_doctor, today):
    page = as_doctor.get(reverse("doctor:day"))
    assert page.context["day"] == today
    assert "No appointments on this day." in page.content.decode()


def test_day_list_is_the_doctors_own(client, patient, doctor, other_doctor_user, today):
    saved(doctor, at(today + timedelta(days=2), 10), name="Private Patient")
    assert client.get(reverse("doctor:day")).status_code == 302  # anonymous: sign in first
    client.force_login(patient)
    assert client.get(reverse("doctor:day")).status_code == 404
    client.force_login(other_doctor_user)
    page = client.get(reverse("doctor:day"), {"date": (today + timedelta(days=2)).isoformat()})
    assert "Private Patient" not in page.content.decode()


def test_week_pages_take_the_same_queries_however_full(as_doctor, doctor, today):
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert as_doctor.get(reverse("doctor:dashboard"), {"week": monday.isoformat()}).status_code == 200
        return len(captured)

    queries()  # warm the per-process caches (site root paths, content types)
    empty = queries()
    for n in range(12):
        saved(doctor, at(monday + timedelta(days=n % 7), 8 + n // 7), name=f"Patient {n}")
    assert queries() == empty
