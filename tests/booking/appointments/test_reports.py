"""The one appointment report (``booking.appointments.reports``), as doctors and staff open it.

Doctors see their own appointments on /doctor/report/; staff see every doctor's in the Wagtail
admin. Both go through the same form (at most 366 days, real dates) and the same aggregation.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, clinic_zone
from tests.factories import PASSWORD, make_appointment, save_appointment, started_appointment

pytestmark = pytest.mark.django_db

S = Appointment.Status


def messages_of(response) -> list[str]:
    """Messages waiting after ``response``; unfollowed redirects leave earlier ones queued too."""
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def as_doctor(client, doctor, doctor_user):
    client.login(email=doctor_user.email, password=PASSWORD)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client


# --- The doctor's report (/doctor/report/) -----------------------------------------------------------------


@pytest.fixture
def report_data(doctor, other_doctor, free_slot):
    """Three of the doctor's appointments (pending, confirmed, declined) and one of a colleague's."""
    slots = [free_slot(doctor, n) for n in range(3)]
    first = make_appointment(doctor, slot=slots[0], full_name="Patient 0")
    second = make_appointment(doctor, slot=slots[1], full_name="Patient 1", status=S.CONFIRMED)
    third = make_appointment(doctor, slot=slots[2], full_name="Patient 2", status=S.DECLINED, remark="Full.")
    make_appointment(other_doctor, full_name="Zed Elsewhere")
    day = slots[0].start.astimezone(clinic_zone()).date()
    return {"appointments": [first, second, third], "from": day.isoformat(), "to": day.isoformat()}


def test_report_counts_per_status(as_doctor, report_data):
    response = as_doctor.get(reverse("doctor:report"), {"from": report_data["from"], "to": report_data["to"]})
    assert response.status_code == 200
    counts = {status.value: n for status, n in response.context["counts"]}
    assert counts[S.PENDING] == 1 and counts[S.CONFIRMED] == 1 and counts[S.DECLINED] == 1
    assert counts[S.CANCELLED] == 0
    assert response.context["total"] == 3
    assert "Zed Elsewhere" not in response.content.decode()


def test_report_csv(as_doctor, report_data):
    response = as_doctor.get(reverse("doctor:report_csv"), {"from": report_data["from"], "to": report_data["to"]})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="appointments-{report_data["from"]}-{report_data["to"]}.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["reference", "date", "time", "patient", "status", "mode"]
    expected = []
    for appointment in report_data["appointments"]:
        appointment.refresh_from_db()
        local = appointment.local_starts_at
        expected.append(
            [
                appointment.reference,
                local.date().isoformat(),
                local.strftime("%H:%M"),
                appointment.full_name,
                appointment.status,
                "in_person",
            ]
        )
    assert rows[1:] == expected


def test_report_csv_neutralises_formulas(as_doctor, doctor):
    appointment = started_appointment(doctor, S.COMPLETED, full_name='=HYPERLINK("http://x")')
    day = appointment.local_starts_at.date().isoformat()
    response = as_doctor.get(reverse("doctor:report_csv"), {"from": day, "to": day})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][3] == '\'=HYPERLINK("http://x")'


def test_report_defaults_to_this_month(as_doctor):
    response = as_doctor.get(reverse("doctor:report"))
    assert response.status_code == 200
    today = timezone.localdate(timezone=clinic_zone())
    assert response.context["start"] == today.replace(day=1)
    assert response.context["end"].month == today.month and (response.context["end"] + timedelta(days=1)).day == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2025-03-10", "to": "2025-03-01"}, "must not be after"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "at most 366 days"),
        ({"from": "2025-02-30", "to": "2025-03-01"}, "real date"),
        ({"from": "yesterday", "to": "2025-03-01"}, "real date"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "between"),
        ({"from": "9999-12-30", "to": "9999-12-31"}, "between"),
    ],
)
def test_report_bad_dates_give_a_message(as_doctor, params, message):
    response = as_doctor.get(reverse("doctor:report"), params)
    assert response.status_code == 400
    assert any(message in m for m in messages_of(response))
    assert "start" not in response.context
    csv_response = as_doctor.get(reverse("doctor:report_csv"), params)
    assert csv_response.status_code == 302
    assert csv_response["Location"].startswith(reverse("doctor:report") + "?")


def test_report_allows_a_whole_leap_year(as_doctor):
    response = as_doctor.get(reverse("doctor:report"), {"from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    assert response.context["start"] == date(2024, 1, 1)


def test_report_lists_only_own_appointments_in_range(as_doctor, doctor, other_doctor):
    mine = started_appointment(doctor, S.NO_SHOW, full_name="Mine Only")
    started_appointment(other_doctor, S.NO_SHOW, full_name="Not Mine")
    outside = save_appointment(doctor, mine.starts_at - timedelta(days=40), S.COMPLETED, full_name="Long Ago")
    day = mine.local_starts_at.date().isoformat()
    response = as_doctor.get(reverse("doctor:report"), {"from": day, "to": day})
    assert [a.pk for a in response.context["page"].object_list] == [mine.pk]
    assert outside.full_name not in response.content.decode()


# --- The staff report (Wagtail admin) -------------------------------------------------------------


def test_report_counts_by_doctor_and_status_and_exports_csv(staff_client, doctor, other_doctor, far_slots):
    a = make_appointment(doctor, slot=far_slots[0])
    make_appointment(doctor, slot=far_slots[1], full_name='=HYPERLINK("http://evil")')
    day = a.local_starts_at.date()
    url = reverse("booking_admin_report")
    page = staff_client.get(url, {"from": day, "to": day + timedelta(days=1)}).content.decode()
    assert doctor.title in page
    assert "2 appointments" in page

    response = staff_client.get(url, {"from": day, "to": day + timedelta(days=1), "format": "csv"})
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["reference", "date", "time"]
    assert {r[0] for r in rows[1:]} >= {a.reference}
    assert any(r[4].startswith("'=") for r in rows[1:])  # formula neutralised


def test_staff_report_shows_a_page_of_doctors_with_the_clinics_totals(
    staff_client, doctor, other_doctor, far_slots, monkeypatch
):
    monkeypatch.setattr("booking.staff.views.REPORT_DOCTORS_PER_PAGE", 1)
    mine = make_appointment(doctor, slot=far_slots[0])
    make_appointment(other_doctor, slot=far_slots[0])
    day = mine.local_starts_at.date()
    url = reverse("booking_admin_report")

    def shown(**extra) -> tuple[list[str], str]:
        html = staff_client.get(url, {"from": day, "to": day, **extra}).content.decode()
        return [name for name in (doctor.title, other_doctor.title) if f'<th scope="row">{name}</th>' in html], html

    first, html = shown()
    assert len(first) == 1
    assert "2 appointments" in html  # the heading and totals count every doctor
    assert "Doctors 1–1 of 2" in html and 'rel="next"' in html and "format=csv" in html
    second, html = shown(p=2)
    assert len(second) == 1 and second != first
    assert 'rel="prev"' in html and 'rel="next"' not in html
    assert shown(p="bogus")[0] == first
    assert shown(p="99")[0] == second  # past the end: the last page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-05-10", "to": "2026-05-01"}, "must not be after"),
        ({"from": "nonsense", "to": "2026-05-01"}, "Enter the first date as a real date"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "at most 366 days"),
        # One form for staff and doctors: 367 days (first and last included) is one too many.
        ({"from": "2024-01-01", "to": "2025-01-01"}, "at most 366 days"),
    ],
)
def test_report_bad_dates_are_messages(staff_client, params, message):
    response = staff_client.get(reverse("booking_admin_report"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_report_accepts_a_whole_leap_year(staff_client):
    response = staff_client.get(reverse("booking_admin_report"), {"from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    assert "366 days" not in response.content.decode()


def test_staff_report_with_extreme_dates(staff_client):
    """Pins a review finding: dates at the end of the calendar gave a 500 (moving there: test_staff_admin)."""
    for params in (
        {"start": "9999-12-31", "end": "9999-12-31"},
        {"start": "9999-12-31", "end": "9999-12-31", "format": "csv"},
    ):
        assert staff_client.get(reverse("booking_admin_report"), params).status_code == 200
    # The report's own parameters are from/to (start/end above are ignored): the same dates there.
    for params in (
        {"from": "9999-12-31", "to": "9999-12-31"},
        {"from": "9999-12-31", "to": "9999-12-31", "format": "csv"},
    ):
        response = staff_client.get(reverse("booking_admin_report"), params)
        assert response.status_code == 400
        assert "between" in response.content.decode()


def test_patients_and_doctors_cannot_open_the_report(client, patient, doctor_user):
    for user in (patient, doctor_user):
        client.login(email=user.email, password=PASSWORD)
        assert client.get(reverse("booking_admin_report")).status_code in (302, 403)
        client.logout()
