"""Weekly hours that overlap or repeat each other are refused, in the page editor and on /doctor/."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from home.forms import overlapping_hours
from home.models import DoctorPage
from tests.factories import PASSWORD, make_doctor, make_site, make_user

T = time


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        ([], 0),
        ([(0, T(9), T(12)), (0, T(12), T(17))], 0),  # touching is fine
        ([(0, T(9), T(12)), (1, T(9), T(12))], 0),  # different days
        ([(0, T(9), T(12)), (0, T(11), T(13))], 1),
        ([(0, T(9), T(12)), (0, T(9), T(12))], 1),  # a repeated row
        ([(0, T(9), T(17)), (0, T(10), T(11)), (0, T(12), T(13))], 2),  # both nested in the long one
        ([(2, T(8), T(9)), (2, T(13), T(14)), (2, T(8, 30), T(13, 30))], 2),
    ],
)
def test_overlap_rule(rows, problems):
    assert len(overlapping_hours(rows)) == problems


def test_messages_name_the_day_and_times():
    (message,) = overlapping_hours([(4, T(9), T(12)), (4, T(11), T(13))])
    assert message.startswith("Friday: 09:00–12:00 and 11:00–13:00 overlap")


class PageEditorOverlapTest(WagtailPageTestCase):
    def setUp(self):
        self.tree = make_site()
        self.client.force_login(make_user("editor@example.com", "staff", is_superuser=True))

    def test_editor_refuses_overlapping_hours(self):
        url = reverse("wagtailadmin_pages:add", args=("home", "doctorpage", self.tree["doctors"].pk))
        data = {
            "title": "Dr Overlap",
            "slug": "dr-overlap",
            "job_title": "GP",
            "biography": rich_text("<p>Hello</p>"),
            "qualifications": "",
            "languages": "English",
            "address": "",
            "phone": "",
            "consultation_fee": "45.00",
            "slot_minutes": "20",
            "specialization_links": inline_formset([{"specialization": self.tree["cardiology"].pk}]),
            "working_hours": inline_formset(
                [
                    {"weekday": "0", "starts": "09:00", "ends": "12:00"},
                    {"weekday": "0", "starts": "11:00", "ends": "13:00"},
                ]
            ),
            "time_off": inline_formset([]),
        }
        response = self.client.post(url, nested_form_data(data))
        assert response.status_code == 200
        assert "09:00–12:00 and 11:00–13:00 overlap" in response.content.decode()
        assert not DoctorPage.objects.filter(slug="dr-overlap").exists()


@pytest.mark.django_db
def test_doctor_schedule_refuses_overlapping_hours(client, site_tree, doctor_user):
    doctor = make_doctor(site_tree["doctors"], "Dr Own Hours", user=doctor_user, slug="own-hours")
    client.login(email=doctor_user.email, password=PASSWORD)
    before = list(doctor.working_hours.values_list("weekday", "starts", "ends"))
    data = {
        "job_title": "Consultant",
        "qualifications": "MBBS",
        "languages": "English",
        "phone": "",
        "offers_online": "on",
        "hours-TOTAL_FORMS": 2,
        "hours-INITIAL_FORMS": 0,
        "hours-MIN_NUM_FORMS": 0,
        "hours-MAX_NUM_FORMS": 1000,
        "hours-0-weekday": 2,
        "hours-0-starts": "09:00",
        "hours-0-ends": "12:00",
        "hours-1-weekday": 2,
        "hours-1-starts": "09:00",
        "hours-1-ends": "12:00",
        "timeoff-TOTAL_FORMS": 0,
        "timeoff-INITIAL_FORMS": 0,
        "timeoff-MIN_NUM_FORMS": 0,
        "timeoff-MAX_NUM_FORMS": 1000,
    }
    response = client.post("/doctor/schedule/", data)
    assert response.status_code == 400
    assert "Wednesday: 09:00–12:00 and 09:00–12:00 appear twice" in response.content.decode()
    doctor.refresh_from_db()
    assert list(DoctorPage.objects.get(pk=doctor.pk).working_hours.values_list("weekday", "starts", "ends")) == before
