"""Staff in the Wagtail admin: search, report with CSV, and managing appointments via the service."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from booking.appointments.services import PatientDetails, book_appointment
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment, clinic_zone
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client


@pytest.fixture
def far_slots(doctor):
    first, last = booking_window()
    return doctor_free_slots(doctor, first + timedelta(days=3), last)


def book(doctor, slot, name="Alice Tester", email="alice@example.com", mobile="+447912345678"):
    details = PatientDetails(full_name=name, email=email, mobile=mobile)
    return book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details)


@pytest.mark.parametrize("field", ["reference", "full_name", "email", "mobile"])
def test_staff_search_across_doctors(staff_client, doctor, other_doctor, far_slots, free_slot, field):
    wanted = book(doctor, far_slots[0], name="Zebedee Quill", email="zq@example.com", mobile="+447912000111")
    other = book(other_doctor, free_slot(other_doctor), name="Other Person", email="op@example.com")
    response = staff_client.get(reverse("booking_appointment_modeladmin_index"), {"q": getattr(wanted, field)})
    page = response.content.decode()
    assert response.status_code == 200
    assert wanted.reference in page
    assert other.reference not in page


def test_report_counts_by_doctor_and_status_and_exports_csv(staff_client, doctor, other_doctor, far_slots):
    a = book(doctor, far_slots[0])
    book(doctor, far_slots[1], name='=HYPERLINK("http://evil")')
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


def test_patients_and_doctors_cannot_open_the_report(client, patient, doctor_user):
    for user in (patient, doctor_user):
        client.login(email=user.email, password=PASSWORD)
        assert client.get(reverse("booking_admin_report")).status_code in (302, 403)
        client.logout()


def test_staff_moves_an_appointment_to_another_doctor(staff_client, doctor, other_doctor, far_slots, free_slot):
    appointment = book(doctor, far_slots[0])
    target = free_slot(other_doctor, 3)
    local = target.start.astimezone(clinic_zone())
    response = staff_client.post(
        reverse("booking_admin_manage", args=[appointment.reference]),
        {"action": "move", "doctor": other_doctor.pk, "day": local.date(), "start": local.strftime("%H:%M")},
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.doctor_id == other_doctor.pk
    assert appointment.starts_at == target.start


def test_staff_cannot_move_into_a_taken_slot(staff_client, doctor, far_slots):
    appointment = book(doctor, far_slots[0])
    taken = book(doctor, far_slots[1], email="b@example.com")
    local = taken.local_starts_at
    response = staff_client.post(
        reverse("booking_admin_manage", args=[appointment.reference]),
        {"action": "move", "doctor": doctor.pk, "day": local.date(), "start": local.strftime("%H:%M")},
    )
    assert response.status_code == 400
    assert "not available" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == far_slots[0].start


def test_staff_changes_status_with_a_remark(staff_client, doctor, far_slots):
    appointment = book(doctor, far_slots[0])
    url = reverse("booking_admin_manage", args=[appointment.reference])
    refused = staff_client.post(url, {"action": "status", "target": "declined", "remark": ""})
    assert refused.status_code == 400
    assert staff_client.post(url, {"action": "status", "target": "completed"}).status_code == 400
    ok = staff_client.post(url, {"action": "status", "target": "declined", "remark": "Doctor away."})
    assert ok.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.DECLINED


def test_manage_unknown_reference_is_404(staff_client):
    assert staff_client.get(reverse("booking_admin_manage", args=["NOPE0-NOPE0"])).status_code == 404


def test_appointment_inspect_and_email_lists_render(staff_client, doctor, far_slots):
    appointment = book(doctor, far_slots[0])
    assert staff_client.get(reverse("booking_admin_manage", args=[appointment.reference])).status_code == 200
    assert staff_client.get(reverse("booking_appointment_modeladmin_inspect", args=[appointment.pk])).status_code == 200
    assert staff_client.get(reverse("booking_notification_modeladmin_index")).status_code == 200
    assert staff_client.get(reverse("booking_prescriptionaccesslog_modeladmin_index")).status_code == 200


@pytest.mark.parametrize("user_fixture", ["staff_user", "superuser"])
def test_booking_records_cannot_be_created_edited_or_deleted_by_bare_forms(
    client, request, doctor, far_slots, user_fixture
):
    if user_fixture == "superuser":
        from tests.factories import make_user

        user = make_user("root@example.com", "staff", is_superuser=True)
    else:
        user = request.getfixturevalue(user_fixture)
    client.login(email=user.email, password=PASSWORD)
    appointment = book(doctor, far_slots[0])
    for name, args in (
        ("booking_appointment_modeladmin_create", []),
        ("booking_appointment_modeladmin_edit", [appointment.pk]),
        ("booking_appointment_modeladmin_delete", [appointment.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code in (302, 403), name
        assert client.post(reverse(name, args=args), {"status": "cancelled"}).status_code in (302, 403), name
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.PENDING
    listing = client.get(reverse("booking_appointment_modeladmin_index")).content.decode()
    assert reverse("booking_appointment_modeladmin_edit", args=[appointment.pk]) not in listing


def test_manage_page_prefills_dates_the_browser_can_read(staff_client, doctor, far_slots):
    appointment = book(doctor, far_slots[0])
    page = staff_client.get(reverse("booking_admin_manage", args=[appointment.reference])).content.decode()
    assert f'value="{appointment.local_starts_at:%Y-%m-%d}"' in page
    report = staff_client.get(reverse("booking_admin_report")).content.decode()
    assert 'type="date"' in report and 'value="20' in report
