"""Staff book for patients who phone: doctor → free time → patient, through the one booking service.

The concurrency test books the same slot from the staff page and the public booking page in two
threads at once; it needs row locks across connections, so it runs on MariaDB/MySQL only.
"""

from __future__ import annotations

import html
import threading
from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from booking.appointments.selectors import PATIENT_SEARCH_LIMIT
from booking.errors import SLOT_TAKEN_MESSAGE
from booking.models import Appointment, ClinicClosure, clinic_zone
from tests.factories import PASSWORD, make_appointment, make_user

pytestmark = pytest.mark.django_db

NEW = "booking_admin_new_appointment"
S = Appointment.Status


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client


def guest_form(slot, doctor, **overrides) -> dict:
    data = {
        "doctor": doctor.pk,
        "slot": slot.start.isoformat(),
        "patient": "",
        "full_name": "  Phoebe   Phoner ",
        "email": "Phoebe@Example.COM",
        "mobile": "07912 345678",
        "reason": "Follow-up",
        "mode": Appointment.Mode.IN_PERSON,
    }
    data.update(overrides)
    return data


def page(response) -> str:
    """The response's HTML with entities decoded, so messages read as written ("guest's")."""
    return html.unescape(response.content.decode())


# --- Entry points ---------------------------------------------------------------------------


def test_appointments_list_has_a_new_appointment_button(staff_client):
    response = staff_client.get(reverse("booking_appointment_modeladmin_index"))
    assert response.status_code == 200
    assert f'href="{reverse(NEW)}"' in page(response)


def test_bookings_menu_has_a_new_appointment_item(staff_client):
    response = staff_client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    assert reverse(NEW) in page(response)


def test_doctors_and_patients_cannot_book_from_the_admin(client, doctor, doctor_user, patient, far_slots):
    for user in (doctor_user, patient):
        client.login(email=user.email, password=PASSWORD)
        assert client.get(reverse(NEW)).status_code in (302, 403)
        response = client.post(reverse(NEW), guest_form(far_slots[0], doctor))
        assert response.status_code in (302, 403)
        client.logout()
    assert not Appointment.objects.exists()


# --- Steps ----------------------------------------------------------------------------------


def test_step_one_lists_the_live_doctors(staff_client, doctor, other_doctor):
    response = staff_client.get(reverse(NEW))
    assert response.status_code == 200
    assert doctor.title in page(response) and other_doctor.title in page(response)


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-1", ""])
def test_a_bad_doctor_is_a_form_error_not_a_crash(staff_client, doctor, value):
    response = staff_client.get(reverse(NEW), {"doctor": value})
    assert response.status_code == 400
    assert "error-message" in page(response)


def test_step_two_offers_the_public_pages_free_times_without_closed_days(staff_client, doctor, far_slots):
    closed_day = far_slots[0].start.astimezone(clinic_zone()).date()
    ClinicClosure.objects.create(start_date=closed_day, end_date=closed_day, reason="Bank holiday")
    response = staff_client.get(reverse(NEW), {"doctor": doctor.pk, "from": closed_day.isoformat()})
    assert response.status_code == 200
    html = page(response)
    assert f'value="{far_slots[0].start.isoformat()}"' not in html
    next_day = closed_day + timedelta(days=1)
    first_next = next(s for s in far_slots if s.start.astimezone(clinic_zone()).date() == next_day)
    assert f'value="{first_next.start.isoformat()}"' in html


@pytest.mark.parametrize("slot", ["not-a-time", "2025-01-01T09:00", "9999-12-31T23:59:59-12:00"])
def test_a_bad_slot_goes_back_to_the_picker(staff_client, doctor, slot):
    response = staff_client.get(reverse(NEW), {"doctor": doctor.pk, "slot": slot})
    assert response.status_code == 400
    assert "Pick one of the free times" in page(response)


def test_a_time_that_is_not_free_is_flagged_with_the_days_free_times(staff_client, doctor, far_slots):
    make_appointment(doctor, slot=far_slots[0])
    response = staff_client.get(reverse(NEW), {"doctor": doctor.pk, "slot": far_slots[0].start.isoformat()})
    assert response.status_code == 200
    assert "is not free" in page(response)
    assert f'name="slot" value="{far_slots[1].start.isoformat()}"' in page(response)
    far_future = staff_client.get(reverse(NEW), {"doctor": doctor.pk, "slot": "9999-12-31T12:00:00+00:00"})
    assert far_future.status_code == 200
    assert "no other free time that day" in page(far_future)


def test_step_three_searches_patient_accounts_by_name_or_email(staff_client, doctor, far_slots, patient):
    other = make_user("zed@example.com", first_name="Zed", last_name="Other")
    make_user("doc.z@example.com", role="doctor", first_name="Alice", last_name="Doctor")
    params = {"doctor": doctor.pk, "slot": far_slots[0].start.isoformat()}
    by_name = page(staff_client.get(reverse(NEW), {**params, "q": "alice tester"}))
    assert patient.email in by_name and other.email not in by_name
    assert "doc.z@example.com" not in by_name  # doctors are not booked as patients
    by_email = page(staff_client.get(reverse(NEW), {**params, "q": "ZED@EXAMPLE"}))
    assert other.email in by_email and patient.email not in by_email


def test_patient_search_is_bounded(staff_client, doctor, far_slots, django_assert_max_num_queries):
    for n in range(PATIENT_SEARCH_LIMIT + 5):
        make_user(f"many{n}@example.com", first_name="Many")
    params = {"doctor": doctor.pk, "slot": far_slots[0].start.isoformat(), "q": "many"}
    with django_assert_max_num_queries(25):
        response = staff_client.get(reverse(NEW), params)
    assert page(response).count('name="patient" value="') == PATIENT_SEARCH_LIMIT + 1  # matches + guest


# --- Booking --------------------------------------------------------------------------------


def test_staff_book_a_confirmed_appointment_for_an_account(
    staff_client, staff_user, doctor, far_slots, patient, django_capture_on_commit_callbacks
):
    slot = far_slots[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(NEW),
            {
                "doctor": doctor.pk,
                "slot": slot.start.isoformat(),
                "patient": patient.pk,
                "mobile": "",
                "reason": "Chest pain",
                "mode": "in_person",
            },
        )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booking_admin_manage", args=[appointment.reference])
    assert appointment.status == S.CONFIRMED
    assert appointment.patient == patient
    assert (appointment.full_name, appointment.email) == (patient.get_full_name(), patient.email)
    assert str(appointment.mobile) == str(patient.mobile)
    assert appointment.starts_at == slot.start and appointment.reason == "Chest pain"
    event = appointment.events.get()
    assert (event.actor, event.actor_role, event.from_status, event.to_status) == (staff_user, "staff", "", S.CONFIRMED)
    # The patient is told it is confirmed (with the invite), not that a request was received.
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["Confirmed"]
    assert mail.outbox[0].to == [patient.email]
    # It is theirs: it shows in their account.
    client = Client()
    client.login(email=patient.email, password=PASSWORD)
    assert appointment.reference in page(client.get(reverse("appointments:mine")))


def test_staff_book_a_guest_with_typed_details(staff_client, doctor, far_slots):
    response = staff_client.post(reverse(NEW), guest_form(far_slots[0], doctor))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.patient is None and appointment.status == S.CONFIRMED
    assert appointment.full_name == "Phoebe Phoner"
    assert appointment.email == "phoebe@example.com"
    assert str(appointment.mobile) == "+447912345678"


def test_an_online_phone_booking_gets_its_meeting_link(staff_client, doctor, far_slots):
    staff_client.post(reverse(NEW), guest_form(far_slots[0], doctor, mode=Appointment.Mode.ONLINE))
    assert Appointment.objects.get().meeting_url


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"full_name": ""}, "Enter the guest's full name."),
        ({"email": ""}, "Enter the guest's email address"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"mobile": ""}, "Enter a mobile number"),
        ({"mobile": "not a phone"}, "Enter a valid phone number"),
        ({"patient": "987654321"}, "cannot be booked for"),
        ({"mode": "teleport"}, "Select a valid choice"),
    ],
)
def test_bad_patient_details_change_nothing(staff_client, doctor, far_slots, overrides, field_message):
    response = staff_client.post(reverse(NEW), guest_form(far_slots[0], doctor, **overrides))
    assert response.status_code == 400
    assert field_message in page(response)
    assert not Appointment.objects.exists()


def test_an_account_without_a_mobile_needs_one_typed(staff_client, doctor, far_slots):
    account = make_user("nomobile@example.com", mobile="")
    data = {"doctor": doctor.pk, "slot": far_slots[0].start.isoformat(), "patient": account.pk, "mode": "in_person"}
    response = staff_client.post(reverse(NEW), data)
    assert response.status_code == 400
    assert "This account has no mobile number" in page(response)
    response = staff_client.post(reverse(NEW), {**data, "mobile": "07912 345678"})
    assert response.status_code == 302
    assert str(Appointment.objects.get().mobile) == "+447912345678"


def test_a_taken_slot_gets_the_just_taken_refusal_and_the_days_other_times(staff_client, doctor, far_slots):
    taken = make_appointment(doctor, slot=far_slots[0], email="first@example.com")
    response = staff_client.post(reverse(NEW), guest_form(far_slots[0], doctor))
    assert response.status_code == 409
    text = page(response)
    assert SLOT_TAKEN_MESSAGE in text
    assert "outside the doctor" not in text
    # The form keeps the details and offers that day's remaining free times to pick from.
    assert 'value="  Phoebe   Phoner "' in text
    assert f'name="slot" value="{far_slots[1].start.isoformat()}"' in text
    assert list(Appointment.objects.values_list("pk", flat=True)) == [taken.pk]


def test_a_time_outside_the_doctors_hours_gets_the_unavailable_refusal(staff_client, doctor, far_slots):
    local_day = far_slots[0].start.astimezone(clinic_zone()).date()
    night = datetime.combine(local_day, time(3, 0), tzinfo=clinic_zone())
    response = staff_client.post(reverse(NEW), {**guest_form(far_slots[0], doctor), "slot": night.isoformat()})
    assert response.status_code == 409
    assert "outside the doctor" in page(response) and "just taken" not in page(response)
    assert not Appointment.objects.exists()


def test_a_closed_day_is_refused_for_staff_too(staff_client, doctor, far_slots):
    day = far_slots[0].start.astimezone(clinic_zone()).date()
    ClinicClosure.objects.create(start_date=day, end_date=day, reason="Bank holiday")
    response = staff_client.post(reverse(NEW), guest_form(far_slots[0], doctor))
    assert response.status_code == 409
    assert "clinic is closed" in page(response)
    assert not Appointment.objects.exists()


# --- Concurrency ----------------------------------------------------------------------------


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_and_a_patient_booking_the_same_slot_at_once_get_one_booking(doctor, staff_user, free_slot):
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: SQLite's test database is in memory and has no row locks")
    slot = free_slot(doctor, 2)
    barrier = threading.Barrier(2)
    responses: dict[str, object] = {}
    crashed: list[BaseException] = []

    def staff() -> None:
        client = Client()
        client.login(email=staff_user.email, password=PASSWORD)
        barrier.wait(timeout=30)
        responses["staff"] = client.post(reverse(NEW), guest_form(slot, doctor))

    def patient() -> None:
        client = Client()
        client.get(doctor.url + "book/")
        barrier.wait(timeout=30)
        responses["patient"] = client.post(
            doctor.url + "book/",
            {
                "slot": slot.start.isoformat(),
                "full_name": "Web Patient",
                "email": "web@example.com",
                "mobile": "07912 000111",
                "mode": "in_person",
            },
        )

    def run(target) -> None:
        close_old_connections()
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted empty below
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in (staff, patient)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert crashed == []
    codes = sorted(response.status_code for response in responses.values())
    assert codes == [302, 409]
    loser = next(response for response in responses.values() if response.status_code == 409)
    assert "just taken" in loser.content.decode()
    assert Appointment.objects.filter(doctor=doctor, starts_at=slot.start, holds_slot=True).count() == 1


def test_booking_again_without_picking_another_time_keeps_the_details(staff_client, doctor, far_slots):
    make_appointment(doctor, slot=far_slots[0], email="first@example.com")
    data = guest_form(far_slots[0], doctor)
    refused = staff_client.post(reverse(NEW), data)
    assert refused.status_code == 409
    # The page offered the day's other times as radios; "Book" pressed without choosing one:
    data.pop("slot")
    again = staff_client.post(reverse(NEW), {**data, "tried_slot": far_slots[0].start.isoformat()})
    assert again.status_code == 400
    assert "Pick a time first." in page(again)
    assert 'value="  Phoebe   Phoner "' in page(again)
    booked = staff_client.post(reverse(NEW), {**data, "slot": far_slots[1].start.isoformat()})
    assert booked.status_code == 302
    assert Appointment.objects.filter(email="phoebe@example.com", starts_at=far_slots[1].start).exists()
