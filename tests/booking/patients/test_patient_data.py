"""A patient's own data: profile (prefills booking), export (HTML, JSON) and account deletion."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, AppointmentEvent, AuditEvent, Notification, Prescription
from booking.patients.selectors import patient_export
from booking.patients.services import (
    ANONYMISED_NAME,
    AccountDeletionRefused,
    UpcomingChoice,
    delete_patient_account,
)
from booking.prescriptions.services import save_prescription, sign_prescription
from portal.models import User
from tests.factories import PASSWORD, make_appointment, save_appointment, sent_to_sign_in, started_appointment

pytestmark = pytest.mark.django_db

S = Appointment.Status
PROFILE = reverse("patients:profile")
EXPORT = reverse("patients:export")
EXPORT_JSON = reverse("patients:export_json")
DELETE = reverse("patients:delete")


@pytest.fixture
def signed_in(client, patient):
    client.login(email=patient.email, password=PASSWORD)
    return client


@pytest.fixture
def history(doctor, doctor_user, patient, far_slots):
    """A finished visit with a signed prescription and a remark of the patient's, and an upcoming one."""
    past = started_appointment(
        doctor, S.COMPLETED, patient=patient, full_name="Alice Tester", email=patient.email, reason="Chest pain"
    )
    AppointmentEvent.objects.create(
        appointment=past, actor=patient, actor_role="patient", from_status=S.CONFIRMED, to_status=S.CONFIRMED,
        remark="I take warfarin.",
    )  # fmt: skip
    save_prescription(
        past,
        doctor_user,
        advice="Rest.",
        follow_up_on=None,
        medications=[{"drug": "Aspirin", "dose": "75 mg", "frequency": "daily", "duration": "30 days"}],
        tests=[],
    )
    sign_prescription(past, doctor_user)
    upcoming = make_appointment(doctor, slot=far_slots[0], patient=patient, status=S.CONFIRMED, reason="Check-up")
    Notification.objects.filter(appointment__in=[past, upcoming]).update(status=Notification.Status.SENT)
    return {"past": past, "upcoming": upcoming}


# --- Profile --------------------------------------------------------------------------------


def test_the_profile_saves_and_prefills_the_booking_form(signed_in, patient, doctor):
    response = signed_in.post(
        PROFILE,
        {"first_name": "Alicia", "last_name": "Prieto", "mobile": "07400 123456", "date_of_birth": "1980-02-29"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.get_full_name(), str(patient.mobile), patient.date_of_birth) == (
        "Alicia Prieto",
        "+447400123456",
        date(1980, 2, 29),
    )
    assert patient.reminder_emails is False  # an unticked checkbox is "no reminders"

    form = signed_in.get(doctor.url + "book/").context["form"]
    assert form.initial["full_name"] == "Alicia Prieto"
    assert str(form.initial["mobile"]) == "+447400123456"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", "2999-01-01"),
        ("date_of_birth", "31/31/1980"),
        ("mobile", "not a phone"),
        ("first_name", "Al\x07ice"),
        ("last_name", "x" * 151),
    ],
)
def test_bad_profile_input_is_refused_and_nothing_changes(signed_in, patient, field, value):
    data = {"first_name": "Alice", "last_name": "Tester", "mobile": "", "date_of_birth": "", field: value}
    response = signed_in.post(PROFILE, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.date_of_birth is None and str(patient.mobile) == "+447700900123"


@pytest.mark.parametrize("url", [PROFILE, EXPORT, EXPORT_JSON, DELETE])
def test_only_a_signed_in_patient_reaches_their_data_pages(client, doctor_user, staff_user, url):
    assert client.get(url).status_code == 302  # to sign in
    for user in (doctor_user, staff_user):
        client.force_login(user)
        assert client.get(url).status_code == 404


# --- Export ---------------------------------------------------------------------------------


def test_the_export_holds_account_appointments_timeline_prescriptions_and_email_subjects(
    signed_in, patient, history, other_patient, doctor, far_slots
):
    make_appointment(doctor, slot=far_slots[1], patient=other_patient, reason="Someone else's")
    response = signed_in.get(EXPORT_JSON)
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    sections = json.loads(response.content)["sections"]

    assert sections["account"]["records"][0]["email"] == patient.email
    appointments = sections["appointments"]["records"]
    assert [a["reference"] for a in appointments] == [history["past"].reference, history["upcoming"].reference]
    assert appointments[0]["reason"] == "Chest pain"
    assert [line["to"] for line in appointments[1]["timeline"]] == ["Awaiting confirmation", "Confirmed"]
    (prescription,) = sections["prescriptions"]["records"]
    assert prescription["versions"][0]["medications"][0]["drug"] == "Aspirin"
    subjects = [n["subject"] for n in sections["notifications"]["records"]]
    assert subjects and all(isinstance(s, str) for s in subjects)
    raw = response.content.decode()
    assert "Someone else" not in raw
    assert "/access/" not in raw and "body" not in raw  # no email bodies, no signed links

    page = signed_in.get(EXPORT)
    assert page.status_code == 200
    for text in ("Chest pain", "Aspirin", history["upcoming"].reference, "Your signed prescriptions"):
        assert text in page.content.decode()
    exports = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_ref=f"user:{patient.pk}")
    assert exports.count() == 2


def test_an_unsigned_draft_is_not_exported(patient, doctor, doctor_user):
    visit = started_appointment(doctor, S.COMPLETED, patient=patient, email=patient.email)
    save_prescription(visit, doctor_user, advice="Draft", follow_up_on=None, medications=[], tests=[])
    assert Prescription.objects.filter(appointment=visit).exists()
    sections = {s.key: s for s in patient_export(patient)}
    assert sections["prescriptions"].records == []


def test_the_export_costs_the_same_queries_for_one_or_many_appointments(
    patient, doctor, doctor_user, django_assert_max_num_queries
):
    def visits(n):
        for hours in range(n):
            visit = started_appointment(doctor, S.COMPLETED, patient=patient, hours_ago=48 + 24 * hours)
            save_prescription(visit, doctor_user, advice="Rest", follow_up_on=None, medications=[], tests=[])
            sign_prescription(visit, doctor_user)

    visits(1)
    with django_assert_max_num_queries(14):
        patient_export(patient)
    visits(15)
    with django_assert_max_num_queries(14):
        assert len({s.key: s for s in patient_export(patient)}["prescriptions"].records) == 16


# --- Deletion -------------------------------------------------------------------------------


def test_deleting_cancels_upcoming_anonymises_records_and_signs_out_everywhere(
    signed_in, patient, history, mailoutbox, django_capture_on_commit_callbacks
):
    other_browser = Client()
    other_browser.login(email=patient.email, password=PASSWORD)
    address = patient.email

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(DELETE, {"password": PASSWORD, "upcoming": UpcomingChoice.CANCEL})
    assert response.status_code == 302

    past, upcoming = history["past"], history["upcoming"]
    past.refresh_from_db()
    upcoming.refresh_from_db()
    assert upcoming.status == S.CANCELLED  # through the lifecycle, with its email
    assert any(m.to == [address] and "ancel" in m.subject for m in mailoutbox)
    for appointment in (past, upcoming):
        assert appointment.full_name == ANONYMISED_NAME
        assert appointment.email.endswith("@deleted.invalid") and str(appointment.mobile) == ""
        assert appointment.reason == "" and appointment.patient_id == patient.pk
    assert Prescription.objects.get(appointment=past).medications.get().drug == "Aspirin"  # the clinic's record
    assert not AppointmentEvent.objects.filter(remark="I take warfarin.").exists()
    sent = Notification.objects.filter(appointment=past)
    assert sent.exists() and not sent.exclude(body_text="").exists() and not sent.filter(to=address).exists()

    user = User.objects.get(pk=patient.pk)
    assert not user.is_active and not user.has_usable_password()
    assert (user.first_name, user.last_name, str(user.mobile), user.email) == ("", "", "", past.email)
    assert not User.objects.filter(email=address).exists()
    assert SESSION_KEY not in signed_in.session
    assert other_browser.get(reverse("appointments:mine")).status_code == 302  # signed out there too
    assert not Client().login(email=address, password=PASSWORD)
    audit = AuditEvent.objects.get(object_type=AuditEvent.ObjectType.PATIENT, action=AuditEvent.Action.CHANGE)
    assert audit.actor_email == address and "cancelled: 1" in audit.detail


def test_kept_appointments_become_guest_bookings_with_their_details(patient, history):
    result = delete_patient_account(patient, upcoming=UpcomingChoice.KEEP)
    upcoming = Appointment.objects.get(pk=history["upcoming"].pk)
    assert result.kept == [upcoming.reference] and result.cancelled == []
    assert upcoming.status == S.CONFIRMED and upcoming.patient_id is None
    assert upcoming.full_name != ANONYMISED_NAME and upcoming.reason == "Check-up"
    assert Appointment.objects.get(pk=history["past"].pk).full_name == ANONYMISED_NAME


def test_an_appointment_past_the_cancel_cutoff_refuses_cancel_and_nothing_changes(patient, doctor):
    soon = timezone.now() + timedelta(hours=3)
    appointment = save_appointment(doctor, soon.replace(second=0, microsecond=0), S.CONFIRMED, patient=patient)
    with pytest.raises(AccountDeletionRefused, match=appointment.reference):
        delete_patient_account(patient, upcoming=UpcomingChoice.CANCEL)
    patient.refresh_from_db()
    appointment.refresh_from_db()
    assert patient.is_active and appointment.status == S.CONFIRMED and appointment.full_name == "Gus Guest"


def test_a_wrong_password_deletes_nothing(signed_in, patient, history):
    response = signed_in.post(DELETE, {"password": "nope", "upcoming": UpcomingChoice.CANCEL})
    assert response.status_code == 400
    assert "password" in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.is_active
    assert Appointment.objects.get(pk=history["upcoming"].pk).status == S.CONFIRMED


def test_the_upcoming_choice_is_required_when_there_are_upcoming_appointments(signed_in, patient, history):
    response = signed_in.post(DELETE, {"password": PASSWORD})
    assert response.status_code == 400 and "upcoming" in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.is_active


def test_password_guessing_is_limited(signed_in, patient):
    codes = [signed_in.post(DELETE, {"password": f"guess-{n}"}).status_code for n in range(6)]
    assert codes == [400] * 5 + [429]
    assert signed_in.post(DELETE, {"password": PASSWORD}).status_code == 429
    patient.refresh_from_db()
    assert patient.is_active


def test_deletion_needs_a_post_with_csrf(patient):
    browser = Client(enforce_csrf_checks=True)
    browser.login(email=patient.email, password=PASSWORD)
    assert browser.get(DELETE).status_code == 200
    assert browser.post(DELETE, {"password": PASSWORD}).status_code == 403
    patient.refresh_from_db()
    assert patient.is_active


def test_the_doctor_still_sees_the_anonymised_appointment(client, patient, history, doctor_user):
    delete_patient_account(patient, upcoming=UpcomingChoice.CANCEL, now=timezone.now())
    client.force_login(doctor_user)
    page = client.get(reverse("doctor:appointment", args=[history["past"].reference]))
    assert page.status_code == 200 and ANONYMISED_NAME in page.content.decode()
    assert "Alice" not in page.content.decode()


def test_a_cancelled_guest_link_cannot_open_an_anonymised_booking(client, patient, history):
    delete_patient_account(patient, upcoming=UpcomingChoice.CANCEL)
    past = Appointment.objects.get(pk=history["past"].pk)
    found = client.post(reverse("appointments:find"), {"reference": past.reference, "email": past.email})
    assert found.status_code in (404, 400)
    assert sent_to_sign_in(client.get(reverse("appointments:detail", args=[past.reference])))
