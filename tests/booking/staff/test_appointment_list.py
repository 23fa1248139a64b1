"""The staff appointment list (booking/staff/listing.py): what it shows by default, how it
searches, and that odd parameters never reach the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.appointments.selectors import phone_prefix, staff_search
from booking.models import Appointment
from booking.scale import ScaleSeeder
from booking.staff.listing import MAX_LISTED, BoundedPaginator

pytestmark = pytest.mark.django_db

LIST = "booking_appointment_modeladmin_index"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def make(doctor, *, days: int, name: str = "Alice Tester", email: str = "alice@example.com", **extra) -> Appointment:
    """An appointment ``days`` from now (negative: in the past), written directly."""
    status = extra.pop("status", Appointment.Status.CONFIRMED)
    start = timezone.now().replace(microsecond=0) + timedelta(days=days)
    appointment = Appointment(
        doctor=doctor,
        full_name=name,
        email=email,
        mobile=extra.pop("mobile", "+447912345678"),
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        **extra,
    )
    appointment.set_status(status)
    appointment.save()
    return appointment


def listed(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_default_view_is_today_and_upcoming_with_all_dates_a_click_away(staff_client, doctor):
    past = make(doctor, days=-3, status=Appointment.Status.COMPLETED)
    soon = make(doctor, days=2)
    later = make(doctor, days=9)

    page = listed(staff_client.get(reverse(LIST)))
    assert soon.reference in page and later.reference in page
    assert past.reference not in page
    assert page.index(soon.reference) < page.index(later.reference)  # soonest first
    assert "Today and upcoming" in page

    page = listed(staff_client.get(reverse(LIST), {"when": "all"}))
    assert past.reference in page
    assert page.index(later.reference) < page.index(soon.reference) < page.index(past.reference)  # latest first

    page = listed(staff_client.get(reverse(LIST), {"when": "past"}))
    assert past.reference in page and soon.reference not in page


def test_search_looks_through_all_dates_and_finds_by_each_field(staff_client, doctor):
    past = make(doctor, days=-40, name="Zebedee Quill", email="zq@example.com", mobile="+447912000111")
    make(doctor, days=5, name="Other Person", email="other@example.com", mobile="+447912999888")

    typed = past.reference.lower().replace("-", " ")
    for term in (past.reference, typed, "zebedee", "Zebedee Q", "zq@ex", "07912 000"):
        page = listed(staff_client.get(reverse(LIST), {"q": term}))
        assert past.reference in page, term
        assert "Other Person" not in page, term


def test_search_is_by_prefix_not_substring(doctor):
    wanted = make(doctor, days=1, name="Zebedee Quill")
    base = Appointment.objects.all()
    assert list(staff_search(base, "Zeb")) == [wanted]
    assert list(staff_search(base, "Quill")) == []  # inside the name: not a prefix
    assert list(staff_search(base, "   ")) == [wanted]  # blank: no filter


def test_phone_prefix_reads_the_usual_ways_of_typing_a_number():
    assert phone_prefix("07912 345") == "+447912345"
    assert phone_prefix("+44 7912") == "+447912"
    assert phone_prefix("0044 7912") == "+447912"
    assert phone_prefix("079") is None  # too short to mean anything
    assert phone_prefix("Ada") is None


def test_parameters_other_than_the_filters_are_ignored_not_applied(staff_client, doctor, patient):
    appointment = make(doctor, days=1, patient=patient)
    for params in ({"foo": "1"}, {"patient__password__startswith": "x"}, {"doctor": "not-a-number"}, {"when": "x"}):
        page = listed(staff_client.get(reverse(LIST), params))
        assert appointment.reference in page, params


def test_filters_by_status_and_doctor(staff_client, doctor, other_doctor):
    confirmed = make(doctor, days=1)
    pending = make(doctor, days=2, status=Appointment.Status.PENDING)
    elsewhere = make(other_doctor, days=3)

    page = listed(staff_client.get(reverse(LIST), {"status__exact": "pending"}))
    assert pending.reference in page and confirmed.reference not in page

    page = listed(staff_client.get(reverse(LIST), {"doctor": other_doctor.pk}))
    assert elsewhere.reference in page and confirmed.reference not in page
    assert f'<option value="{other_doctor.pk}" selected>' in page


def test_count_is_capped_and_pages_past_the_end_show_the_last_one(staff_client, site_tree, monkeypatch):
    seeder = ScaleSeeder(lambda line: None)
    doctors = seeder.seed_doctors(3)
    seeder.seed_appointments(doctors, 180, [])
    monkeypatch.setattr("booking.staff.listing.MAX_LISTED", 120)

    page = listed(staff_client.get(reverse(LIST), {"when": "all", "p": "99"}))
    assert "More than 120 appointments" in page
    assert "Page 3 of 3" in page  # 120 rows at 50 a page; page 99 shows the last
    assert "Only the first 120 matches are listed" in page


def test_paginator_reads_ids_then_rows_in_order(doctor):
    rows = [make(doctor, days=day) for day in (3, 1, 2)]
    paginator = BoundedPaginator(Appointment.objects.order_by("starts_at", "pk"), 2)
    assert paginator.count == 3 and not paginator.capped
    assert [a.pk for a in paginator.page(1).object_list] == [rows[1].pk, rows[2].pk]
    assert [a.pk for a in paginator.page(2).object_list] == [rows[0].pk]
    assert MAX_LISTED == 10_000
