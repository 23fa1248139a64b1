"""Staff in the Wagtail admin: search, and managing appointments via the service (the report: test_reports)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from booking.models import Appointment, clinic_zone
from tests.factories import PASSWORD, make_appointment, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client


@pytest.mark.parametrize("field", ["reference", "full_name", "email", "mobile"])
def test_staff_search_across_doctors(staff_client, doctor, other_doctor, far_slots, field):
    wanted = make_appointment(
        doctor, slot=far_slots[0], full_name="Zebedee Quill", email="zq@example.com", mobile="+447912000111"
    )
    other = make_appointment(other_doctor, full_name="Other Person", email="op@example.com")
    response = staff_client.get(reverse("booking_appointment_modeladmin_index"), {"q": str(getattr(wanted, field))})
    page = response.content.decode()
    assert response.status_code == 200
    assert wanted.reference in page
    assert other.reference not in page


def test_staff_moves_an_appointment_to_another_doctor(staff_client, doctor, other_doctor, far_slots, free_slot):
    appointment = make_appointment(doctor, slot=far_slots[0])
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
    appointment = make_appointment(doctor, slot=far_slots[0])
    taken = make_appointment(doctor, slot=far_slots[1], email="b@example.com")
    local = taken.local_starts_at
    response = staff_client.post(
        reverse("booking_admin_manage", args=[appointment.reference]),
        {"action": "move", "doctor": doctor.pk, "day": local.date(), "start": local.strftime("%H:%M")},
    )
    assert response.status_code == 400
    assert "just taken" in response.content.decode()  # the specific refusal, not "outside hours"
    appointment.refresh_from_db()
    assert appointment.starts_at == far_slots[0].start


def test_staff_changes_status_with_a_remark(staff_client, doctor, far_slots):
    appointment = make_appointment(doctor, slot=far_slots[0])
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
    appointment = make_appointment(doctor, slot=far_slots[0])
    assert staff_client.get(reverse("booking_admin_manage", args=[appointment.reference])).status_code == 200
    assert staff_client.get(reverse("booking_appointment_modeladmin_inspect", args=[appointment.pk])).status_code == 200
    assert staff_client.get(reverse("booking_notification_modeladmin_index")).status_code == 200
    assert staff_client.get(reverse("booking_prescriptionaccesslog_modeladmin_index")).status_code == 200


@pytest.mark.parametrize("user_fixture", ["staff_user", "superuser"])
def test_booking_records_cannot_be_created_edited_or_deleted_by_bare_forms(
    client, request, doctor, far_slots, user_fixture
):
    if user_fixture == "superuser":
        user = make_user("root@example.com", "staff", is_superuser=True)
    else:
        user = request.getfixturevalue(user_fixture)
    client.login(email=user.email, password=PASSWORD)
    appointment = make_appointment(doctor, slot=far_slots[0])
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
    appointment = make_appointment(doctor, slot=far_slots[0])
    page = staff_client.get(reverse("booking_admin_manage", args=[appointment.reference])).content.decode()
    assert f'value="{appointment.local_starts_at:%Y-%m-%d}"' in page
    report = staff_client.get(reverse("booking_admin_report")).content.decode()
    assert 'type="date"' in report and 'value="20' in report


def test_staff_move_with_extreme_dates(staff_client, doctor, far_slots):
    """Pins a review finding: moving to the end of the calendar gave a 500 (the report half is in test_reports)."""
    appointment = make_appointment(doctor, slot=far_slots[0])
    response = staff_client.post(
        reverse("booking_admin_manage", args=[appointment.reference]),
        {"action": "move", "doctor": doctor.pk, "day": "9999-12-31", "start": "23:30"},
    )
    assert response.status_code == 400
