"""Next free times for a whole page of doctor cards: the same slots as the booking picker, in bulk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.availability.selectors import booking_window, doctor_free_slots, next_free_slots
from booking.models import ClinicClosure, TimeOff, clinic_zone
from tests.factories import bulk_doctors, make_appointment, make_doctor

pytestmark = pytest.mark.django_db


def test_the_same_slots_as_the_booking_picker(site_tree, doctor, other_doctor):
    make_appointment(doctor, slot=doctor_free_slots(doctor, *booking_window())[0])
    found = next_free_slots([doctor, other_doctor], per_doctor=5)
    for who in (doctor, other_doctor):
        assert found[who.pk] == doctor_free_slots(who, *booking_window())[:5]


def test_time_off_closures_and_doctors_still_working(site_tree, doctor, other_doctor):
    first, last = booking_window()
    TimeOff.objects.create(doctor=doctor, start_date=first, end_date=first + timedelta(days=9))
    closure = ClinicClosure.objects.create(start_date=first, end_date=first + timedelta(days=2), reason="Refit")
    closure.open_doctors.add(doctor)
    found = next_free_slots([doctor, other_doctor], per_doctor=200)
    tz = clinic_zone()
    assert found[doctor.pk][0].local_start(tz).date() == first + timedelta(days=10)
    assert {s.local_start(tz).date() for s in found[other_doctor.pk]}.isdisjoint({first, first + timedelta(days=1)})
    for who in (doctor, other_doctor):
        assert found[who.pk] == doctor_free_slots(who, first, last)[:200]


def test_within_days_and_doctors_without_hours(site_tree, doctor):
    idle = make_doctor(site_tree["doctors"], "Dr Idle")
    idle.working_hours.all().delete()
    first, _ = booking_window()
    TimeOff.objects.create(doctor=doctor, start_date=first, end_date=first + timedelta(days=20))
    assert next_free_slots([doctor, idle], within_days=7) == {doctor.pk: [], idle.pk: []}
    assert next_free_slots([doctor], within_days=30)[doctor.pk]
    assert next_free_slots([]) == {}


@pytest.mark.parametrize("with_closure", [False, True])
def test_query_count_is_flat_from_ten_to_a_thousand_doctors(site_tree, with_closure):
    first, _ = booking_window()
    if with_closure:
        ClinicClosure.objects.create(start_date=first, end_date=first, reason="Holiday")

    def queries(doctors) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as ctx:
            found = next_free_slots(doctors)
        return len(ctx.captured_queries), found

    few = bulk_doctors(site_tree["doctors"], 10)
    small, _ = queries(few)
    many = few + bulk_doctors(site_tree["doctors"], 990)
    large, found_many = queries(many)
    assert small == large == (5 if with_closure else 4)
    assert len(found_many) == 1000 and all(len(slots) == 3 for slots in found_many.values())
    assert found_many[many[-1].pk] == doctor_free_slots(many[-1], *booking_window())[:3]
