"""The doctor's profile and hours page refuses tampered rows, absurd dates and control characters.

The page is a form of modelcluster formsets: each existing row is posted with its id. An id that
is not one of this page's rows (a colleague's row, a made-up number, one row twice) used to be
treated as a new row, so the page gained copies of working hours. Time off from year 0001 was
accepted, and control characters went into the profile shown to patients.
"""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from booking.models import TimeOff, WorkingHours
from home.models import DoctorPage
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/doctor/schedule/"


@pytest.fixture
def doctor_client(client, doctor_user, doctor):
    client.login(email=doctor_user.email, password=PASSWORD)
    return client


def hours_rows(doctor) -> list[dict]:
    return [
        {"id": h.pk, "weekday": h.weekday, "starts": h.starts.strftime("%H:%M"), "ends": h.ends.strftime("%H:%M")}
        for h in doctor.working_hours.all()
    ]


def post_data(rows: list[dict], *, new_rows: int = 0, time_off=(), **profile) -> dict:
    """The page's form as a browser sends it, with ``rows`` as the hours formset."""
    data = {
        "job_title": "Consultant",
        "qualifications": "MBBS",
        "languages": "English",
        "phone": "",
        "offers_online": "on",
        "hours-TOTAL_FORMS": len(rows),
        "hours-INITIAL_FORMS": len(rows) - new_rows,
        "hours-MIN_NUM_FORMS": 0,
        "hours-MAX_NUM_FORMS": 1000,
        "timeoff-TOTAL_FORMS": len(time_off),
        "timeoff-INITIAL_FORMS": 0,
        "timeoff-MIN_NUM_FORMS": 0,
        "timeoff-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data.update({f"hours-{i}-{k}": v for k, v in row.items()})
    for i, row in enumerate(time_off):
        data.update({f"timeoff-{i}-{k}": v for k, v in row.items()})
    return data | profile


def snapshot(*doctors) -> list:
    return [
        sorted(WorkingHours.objects.filter(doctor=d).values_list("pk", "weekday", "starts", "ends")) for d in doctors
    ] + [d.revisions.count() for d in doctors]


def tamper(rows: list[dict], how: str, other_doctor) -> list[dict]:
    rows = [dict(row) for row in rows]
    if how == "colleagues-row":
        rows[0]["id"] = other_doctor.working_hours.first().pk
    elif how == "made-up-id":
        rows[0]["id"] = 987654
    elif how == "same-row-twice":
        rows[1]["id"] = rows[0]["id"]
    elif how == "not-a-number":
        rows[0]["id"] = "abc"
    elif how == "huge-number":
        rows[0]["id"] = "9" * 30
    elif how == "blank-ids":
        for row in rows:
            row["id"] = ""
    return rows


@pytest.mark.parametrize(
    "how", ["colleagues-row", "made-up-id", "same-row-twice", "not-a-number", "huge-number", "blank-ids"]
)
def test_tampered_row_ids_are_refused_and_duplicate_nothing(doctor_client, doctor, other_doctor, how):
    before = snapshot(doctor, other_doctor)
    rows = tamper(hours_rows(doctor), how, other_doctor)
    for row in rows:
        row["ends"] = "18:00"  # a real change, so a silently accepted form would show
    response = doctor_client.post(URL, post_data(rows), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert snapshot(DoctorPage.objects.get(pk=doctor.pk), DoctorPage.objects.get(pk=other_doctor.pk)) == before


def test_untampered_rows_still_save(doctor_client, doctor):
    rows = hours_rows(doctor)
    for row in rows:
        row["ends"] = "18:00"
    response = doctor_client.post(URL, post_data(rows))
    assert response.status_code == 302
    assert set(WorkingHours.objects.filter(doctor_id=doctor.pk).values_list("ends", flat=True)) == {time(18, 0)}
    assert WorkingHours.objects.filter(doctor_id=doctor.pk).count() == len(rows)
    # A new row (the form's extra rows come without an id) is added, and the next save from the
    # revision just published changes the rows it shows without copying them.
    rows.append({"id": "", "weekday": 0, "starts": "19:00", "ends": "20:00"})
    assert doctor_client.post(URL, post_data(rows, new_rows=1)).status_code == 302
    again = hours_rows(DoctorPage.objects.get(pk=doctor.pk))
    assert len(again) == len(rows)
    assert doctor_client.post(URL, post_data(again)).status_code == 302
    assert WorkingHours.objects.filter(doctor_id=doctor.pk).count() == len(rows)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01", "0001-01-02"),
        ("0001-01-01", "2030-01-01"),
        ("1899-12-31", "1900-01-01"),
        ("2030-01-01", "3000-01-01"),
    ],
)
def test_time_off_outside_1900_to_2999_is_refused(doctor_client, doctor, start, end):
    response = doctor_client.post(URL, post_data(hours_rows(doctor), time_off=[{"start_date": start, "end_date": end}]))
    assert response.status_code == 400
    assert "Enter a date between 1900 and 2999" in response.content.decode()
    assert not TimeOff.objects.exists()


def test_time_off_range_is_a_model_rule_for_the_page_editor_too(doctor):
    with pytest.raises(ValidationError) as refused:
        TimeOff(doctor=doctor, start_date=date(1, 1, 1), end_date=date(2030, 1, 1)).full_clean()
    assert "start_date" in refused.value.message_dict
    TimeOff(doctor=doctor, start_date=date(2030, 1, 1), end_date=date(2030, 1, 2)).full_clean()


@pytest.mark.parametrize(
    "change",
    [
        {"job_title": "Consultant\x00"},
        {"qualifications": "MBBS\x1b[2J"},
        {"languages": "English\u202e"},
        {"time_off": [{"start_date": "2030-01-01", "end_date": "2030-01-02", "reason": "Course\x07"}]},
    ],
    ids=["nul", "escape-sequence", "bidi-override", "bell-in-time-off-reason"],
)
def test_control_characters_in_the_profile_are_refused(doctor_client, doctor, change):
    before = snapshot(doctor)
    response = doctor_client.post(URL, post_data(hours_rows(doctor), **change))
    assert response.status_code == 400
    page = response.content.decode()
    assert "control characters" in page or "Null characters are not allowed" in page
    live = DoctorPage.objects.get(pk=doctor.pk)
    assert snapshot(live) == before
    assert live.job_title == "Consultant" and not TimeOff.objects.exists()
