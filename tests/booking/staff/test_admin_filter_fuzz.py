"""The staff lists in the Wagtail admin answer any query string with a page, never a 500.

Every list filter's parameters (read from the links the page itself offers) get many bad values,
as do the parameters a hand-made URL might add: unknown fields, lookups across relations, years
below one, page numbers past the end. Bad filter values are ignored with a message; lookups that
are not one of the list's own filters are never applied (so no filter can probe a related row,
like an account's password hash).
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.audit.services import record_audit
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment, AuditEvent
from booking.prescriptions.services import get_or_start_prescription
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

INDEXES = (
    "booking_appointment_modeladmin_index",
    "booking_notification_modeladmin_index",
    "booking_prescriptionaccesslog_modeladmin_index",
)

BAD_VALUES = (
    "abc",
    "-1",
    "",
    "99999999999999999999999999",
    "0001-01-01",
    "9999-12-31 23:59:59",
    "2025-13-45",
    "2025-01-01T00:00:00+99:00",
    "a\x00b",
    "' OR 1=1 --",
    "1,2,abc",
    "x" * 2000,
)

# Parameters no filter offers, but which a hand-made URL can carry.
EXTRA_PARAMS = (
    "doctor",
    "doctor__id",
    "starts_at__year",
    "starts_at__month",
    "starts_at__gte",
    "status",
    "status__in",
    "unknown_field",
    "patient__password__startswith",
    "appointment__patient__password__startswith",
    "o",
    "ot",
    "p",
    "q",
    "e",
    "export",
)


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client


@pytest.fixture
def appointments(doctor, other_doctor, doctor_user):
    """Rows in all three lists (an empty list shows no filters): two bookings, emails, one read."""
    first, last = booking_window()
    booked = []
    for n, who in enumerate((doctor, other_doctor)):
        slot = doctor_free_slots(who, first + timedelta(days=3), last)[n]
        details = PatientDetails(full_name=f"Patient {n}", email=f"p{n}@example.com", mobile="+447912345678")
        booked.append(book_appointment(doctor_id=who.pk, starts_at=slot.start, details=details))
    confirmed = transition(booked[0], Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))
    get_or_start_prescription(confirmed, doctor_user)
    # A prescription read in the audit trail, so the access-log list has a row to filter.
    record_audit(AuditEvent.Action.VIEW, AuditEvent.ObjectType.PRESCRIPTION, confirmed.reference, user=doctor_user)
    return booked


def filter_params(page: str) -> set[str]:
    """The query parameter names of the filter links a list page offers."""
    names = set()
    for href in re.findall(r'href="(\?[^"]*)"', page):
        names.update(name for name, _ in parse_qsl(urlsplit(unescape(href)).query, keep_blank_values=True))
    return names


@pytest.mark.parametrize("index", INDEXES)
def test_every_filter_parameter_with_bad_values_is_never_a_server_error(staff_client, appointments, index):
    staff_client.raise_request_exception = False  # collect 500s instead of stopping at the first
    url = reverse(index)
    first = staff_client.get(url)
    assert first.status_code == 200
    offered = filter_params(first.content.decode())
    assert len(offered) >= 3, "the list offers its filter links"
    failures = []
    for name in sorted(offered | set(EXTRA_PARAMS)):
        for value in BAD_VALUES:
            response = staff_client.get(url, {name: value})
            if response.status_code >= 500 or response.status_code not in (200, 302):
                failures.append((name, value[:20], response.status_code))
    assert failures == []


def test_doctor_abc_and_negative_year_show_the_list_with_a_message(staff_client, appointments):
    url = reverse("booking_appointment_modeladmin_index")
    for query in ({"doctor": "abc"}, {"starts_at__year": "-1"}, {"doctor__page_ptr__exact": "abc"}):
        response = staff_client.get(url, query)
        assert response.status_code == 200
        page = response.content.decode()
        assert "ignored" in page
        # The list itself is still there, unfiltered.
        for appointment in appointments:
            assert appointment.reference in page


def test_lookups_outside_the_lists_filters_are_not_applied(staff_client, appointments, patient):
    Appointment.objects.filter(pk=appointments[0].pk).update(patient=patient)
    url = reverse("booking_appointment_modeladmin_index")
    # A prefix no password hash has: were it applied, the list would be empty.
    response = staff_client.get(url, {"patient__password__startswith": "no-such-hash-prefix"})
    assert response.status_code == 200
    page = response.content.decode()
    assert appointments[0].reference in page and appointments[1].reference in page
    assert "ignored" in page


def test_good_filters_still_filter(staff_client, appointments, doctor):
    url = reverse("booking_appointment_modeladmin_index")
    # The doctor is chosen from a select box named "doctor" (booking/staff/listing.py).
    assert 'name="doctor"' in staff_client.get(url).content.decode()
    page = staff_client.get(url, {"doctor": doctor.pk, "when": "all"}).content.decode()
    assert appointments[0].reference in page
    assert appointments[1].reference not in page
    assert "ignored" not in page
