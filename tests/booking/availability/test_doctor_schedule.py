"""Doctors keep their own profile, weekly hours and time off; changes publish a page revision."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import TimeOff, WorkingHours, clinic_zone
from home.models import DoctorPage
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/doctor/schedule/"


@pytest.fixture
def doctor_client(client, doctor_user, doctor):
    client.login(email=doctor_user.email, password=PASSWORD)
    return client


def post_data(doctor, *, hours=None, time_off=(), **profile) -> dict:
    """The form as the browser would send it: existing rows first, then new ones."""
    existing = list(doctor.working_hours.all())
    rows = (
        hours
        if hours is not None
        else [
            {"id": h.pk, "weekday": h.weekday, "starts": h.starts.strftime("%H:%M"), "ends": h.ends.strftime("%H:%M")}
            for h in existing
        ]
    )
    data = {
        "job_title": "Consultant",
        "qualifications": "MBBS",
        "languages": "English",
        "phone": "",
        "offers_online": "on",
        "hours-TOTAL_FORMS": len(rows),
        "hours-INITIAL_FORMS": len(existing) if hours is None else sum("id" in row for row in rows),
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
    data.update(profile)
    return data


def test_doctor_sees_own_schedule(doctor_client, doctor):
    response = doctor_client.get(URL)
    assert response.status_code == 200
    assert response.context["hours"].total_form_count() == doctor.working_hours.count() + 2


def test_doctor_changes_hours_and_adds_time_off_which_publishes_a_revision(doctor_client, doctor, doctor_user):
    doctor_id = doctor.pk
    rows = [
        {"id": h.pk, "weekday": h.weekday, "starts": "09:00", "ends": "12:00", "DELETE": "on" if h.weekday == 6 else ""}
        for h in doctor.working_hours.all()
    ]
    off_day = timezone.localdate(timezone=clinic_zone()) + timedelta(days=5)
    response = doctor_client.post(
        URL,
        post_data(
            doctor,
            hours=rows,
            time_off=[{"start_date": off_day, "end_date": off_day, "reason": "Course"}],
            languages="English, Yoruba",
            consultation_fee="1.00",  # not the doctor's to change: ignored
        ),
    )
    assert response.status_code == 302
    doctor = DoctorPage.objects.get(pk=doctor_id)
    assert doctor.languages == "English, Yoruba"
    assert doctor.consultation_fee == Decimal("60.00")
    assert WorkingHours.objects.filter(doctor_id=doctor_id).count() == 6
    assert not WorkingHours.objects.filter(doctor_id=doctor_id, weekday=6).exists()
    assert set(WorkingHours.objects.filter(doctor_id=doctor_id).values_list("ends", flat=True)) == {
        WorkingHours.objects.first().ends
    }
    assert TimeOff.objects.filter(doctor_id=doctor_id, start_date=off_day).exists()
    assert doctor.live and not doctor.has_unpublished_changes
    assert doctor.latest_revision.user == doctor_user


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": [{"weekday": 0, "starts": "12:00", "ends": "09:00"}]}, "The end must be after the start"),
        ({"hours": [{"weekday": 9, "starts": "09:00", "ends": "12:00"}]}, "Select a valid choice"),
        ({"hours": [{"weekday": 0, "starts": "nine", "ends": "12:00"}]}, "Enter a valid time"),
        ({"time_off": [{"start_date": "2030-05-02", "end_date": "2030-05-01"}]}, "end after it starts"),
        ({"phone": "12"}, "phone number"),
    ],
)
def test_bad_input_is_a_message_and_changes_nothing(doctor_client, doctor, change, message):
    before = sorted(WorkingHours.objects.filter(doctor=doctor).values_list("weekday", "starts", "ends"))
    revisions = doctor.revisions.count()
    response = doctor_client.post(URL, post_data(doctor, **change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert sorted(WorkingHours.objects.filter(doctor=doctor).values_list("weekday", "starts", "ends")) == before
    assert not TimeOff.objects.filter(doctor=doctor).exists()
    assert doctor.revisions.count() == revisions


def test_only_doctors_with_a_page_reach_it(client, patient, staff_user, doctor):
    assert client.get(URL).status_code == 302
    for user in (patient, staff_user):
        client.login(email=user.email, password=PASSWORD)
        assert client.get(URL).status_code == 404
        client.logout()


def test_a_doctor_edits_only_their_own_page(client, doctor, other_doctor, other_doctor_user):
    client.login(email=other_doctor_user.email, password=PASSWORD)
    response = client.post(URL, post_data(other_doctor, languages="French"))
    assert response.status_code == 302
    assert DoctorPage.objects.get(pk=other_doctor.pk).languages == "French"
    assert DoctorPage.objects.get(pk=doctor.pk).languages != "French"


def test_dashboard_links_to_it(client, doctor_user, doctor):
    client.login(email=doctor_user.email, password=PASSWORD)
    assert reverse("doctor:schedule") in client.get(reverse("doctor:dashboard")).content.decode()


def test_a_stale_or_forged_form_is_a_message_not_an_error(doctor_client, doctor):
    data = post_data(doctor)
    # Three more "existing" rows than the page has, posted without their ids.
    data["hours-INITIAL_FORMS"] = data["hours-TOTAL_FORMS"] = len(doctor.working_hours.all()) + 3
    response = doctor_client.post(URL, data, follow=True)
    assert response.status_code == 200
    assert "out of date" in response.content.decode()


# Pins a review finding: this failed before its fix.
@pytest.mark.parametrize("state", ["unpublished", "draft"])
def test_doctor_cannot_publish_over_a_withdrawn_page_or_a_staff_draft(client, doctor, doctor_user, state):
    if state == "unpublished":
        doctor.unpublish()
    else:
        draft = doctor.get_latest_revision_as_object()
        draft.consultation_fee = 999
        draft.save_revision()
    client.login(email=doctor_user.email, password=PASSWORD)
    assert "cannot publish changes here" in client.get("/doctor/schedule/").content.decode()
    response = client.post("/doctor/schedule/", {"languages": "French"}, follow=True)
    assert "Nothing was saved" in response.content.decode()
    live = DoctorPage.objects.get(pk=doctor.pk)
    assert live.live == (state == "draft")
    assert live.consultation_fee != 999
    assert live.languages != "French"


# Pins a review finding: this failed before its fix.
def test_time_off_ending_in_year_9999_is_a_message(client, doctor, doctor_user):
    client.login(email=doctor_user.email, password=PASSWORD)
    data = post_data(doctor, time_off=[{"start_date": "9999-12-30", "end_date": "9999-12-31"}])
    response = client.post("/doctor/schedule/", data)
    assert response.status_code == 400
    assert not TimeOff.objects.exists()
