"""The audit trail: who viewed or changed health data, including refused attempts; append-only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.models import Appointment, AuditEvent, AuditImmutable, PrescriptionAccessLog
from booking.prescriptions.services import save_prescription, sign_prescription
from portal.models import User
from tests.factories import PASSWORD, make_user, sent_to_sign_in

pytestmark = pytest.mark.django_db

ALLOWED, REFUSED = AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.REFUSED
IP = "203.0.113.7"


def book(doctor, free_slot, n=0, *, patient=None, email=None) -> Appointment:
    return book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor, n).start,
        details=PatientDetails(full_name="Alice Tester", email=email or patient.email, mobile="+447700900123"),
        patient=patient,
    )


def login(client, user):
    client.logout()
    assert client.login(email=user.email, password=PASSWORD)


def rows(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def audit_inserts(queries) -> int:
    return sum(1 for q in queries if q["sql"].upper().startswith("INSERT") and "booking_auditevent" in q["sql"])


@pytest.fixture
def appointment(doctor, patient, far_slots):
    # Days ahead, so the patient is still before the cancellation cutoff whatever the time of day.
    return book_appointment(
        doctor_id=doctor.pk,
        starts_at=far_slots[0].start,
        details=PatientDetails(full_name="Alice Tester", email=patient.email, mobile="+447700900123"),
        patient=patient,
    )


@pytest.fixture
def confirmed(appointment, doctor_user):
    return transition(appointment, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))


@pytest.fixture
def signed(confirmed, doctor_user, monkeypatch):
    monkeypatch.setattr("booking.prescriptions.services.queue_notification", lambda *a, **k: None)
    save_prescription(confirmed, doctor_user, advice="Rest.", follow_up_on=None, medications=[], tests=[])
    sign_prescription(confirmed, doctor_user)
    return confirmed


@pytest.fixture
def auditor(db):
    user = make_user("auditor@example.com", User.Role.STAFF)
    user.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return User.objects.get(pk=user.pk)


# --- Looking at appointments --------------------------------------------------------------------


def test_patient_viewing_their_appointment_is_one_row_from_one_insert(client, appointment, patient):
    login(client, patient)
    AuditEvent.objects.all()._raw_delete(AuditEvent.objects.db)  # only this request's rows
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("appointments:detail", args=[appointment.reference]), REMOTE_ADDR=IP)
    assert response.status_code == 200
    assert audit_inserts(queries) == 1
    (row,) = rows()
    assert (row.actor, row.actor_email, row.actor_role) == (patient, patient.email, "patient")
    assert (row.action, row.object_type, row.object_ref, row.outcome) == (
        "view",
        "appointment",
        appointment.reference,
        ALLOWED,
    )
    assert row.ip_address == IP and len(row.session) == 16 and client.session.session_key not in row.session


def test_someone_elses_reference_is_a_refused_attempt(client, appointment, other_patient):
    login(client, other_patient)
    response = client.get(reverse("appointments:detail", args=[appointment.reference]), REMOTE_ADDR=IP)
    assert response.status_code == 404
    (row,) = rows(outcome=REFUSED)
    assert (row.actor, row.object_ref, row.action, row.ip_address) == (other_patient, appointment.reference, "view", IP)


def test_unknown_reference_is_not_recorded(client, other_patient):
    login(client, other_patient)
    assert client.get(reverse("appointments:detail", args=["ZZZZZ-ZZZZZ"])).status_code == 404
    assert not AuditEvent.objects.exists()


def test_anonymous_probe_and_guest_lookup(client, doctor, free_slot):
    guest = book(doctor, free_slot, email="gus@example.com")
    detail = reverse("appointments:detail", args=[guest.reference])
    assert sent_to_sign_in(client.get(detail))  # a signed-out probe is sent to sign in, and recorded
    assert rows(outcome=REFUSED, actor_role="guest", object_ref=guest.reference)

    find = reverse("appointments:find")
    client.post(find, {"reference": guest.reference, "email": "wrong@example.com"})
    assert rows(outcome=REFUSED, detail="lookup by reference and email")

    client.post(find, {"reference": guest.reference, "email": "gus@example.com"})
    assert client.get(detail).status_code == 200
    row = rows(outcome=ALLOWED, action="view", object_ref=guest.reference)[-1]
    assert row.actor is None and row.actor_role == "guest" and row.guest_email == "gus@example.com"


def test_bad_signed_link_for_an_existing_reference_is_refused(client, doctor, free_slot):
    guest = book(doctor, free_slot, email="gus@example.com")
    assert client.get(reverse("appointments:guest_link", args=[guest.reference, "forged"])).status_code == 404
    assert rows(outcome=REFUSED, detail="signed link", object_ref=guest.reference)


def test_calendar_download_is_a_download(client, appointment, patient):
    login(client, patient)
    assert client.get(reverse("appointments:ics", args=[appointment.reference])).status_code == 200
    assert rows(action="download", object_type="appointment", detail="calendar file")


def test_doctor_dashboard_own_and_colleagues_appointments(
    client, appointment, doctor_user, other_doctor_user, other_doctor
):
    login(client, doctor_user)
    assert client.get(reverse("doctor:appointment", args=[appointment.reference])).status_code == 200
    assert rows(actor=doctor_user, action="view", outcome=ALLOWED, object_ref=appointment.reference)
    login(client, other_doctor_user)
    assert client.get(reverse("doctor:appointment", args=[appointment.reference])).status_code == 404
    assert rows(actor=other_doctor_user, outcome=REFUSED, object_ref=appointment.reference)


# --- Changing appointments ----------------------------------------------------------------------


def test_booking_and_changes_are_recorded_by_the_services(client, appointment, patient, doctor_user):
    (booked,) = rows(action="change", detail="booked")
    assert booked.actor == patient and booked.object_ref == appointment.reference

    login(client, doctor_user)
    client.post(reverse("doctor:transition", args=[appointment.reference]), {"target": "confirmed"}, REMOTE_ADDR=IP)
    confirmed = rows(action="change", detail="status pending to confirmed")[-1]
    assert confirmed.actor == doctor_user and confirmed.actor_role == "doctor" and confirmed.ip_address == IP

    login(client, patient)
    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("appointments:cancel", args=[appointment.reference]), {"remark": "Feeling better."})
    assert audit_inserts(queries) == 1  # the change only, not also a "view"
    cancelled = rows(action="change", detail="status confirmed to cancelled")[-1]
    assert cancelled.actor == patient and "Feeling better" not in cancelled.detail


def test_refused_change_is_recorded_after_the_rollback(client, appointment, patient):
    appointment.starts_at = timezone.now() + timedelta(hours=1)  # past the cancellation cutoff
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=appointment.starts_at)
    login(client, patient)
    client.post(reverse("appointments:cancel", args=[appointment.reference]))
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.PENDING
    (row,) = rows(outcome=REFUSED, action="change")
    assert row.actor == patient and row.detail.startswith("status to cancelled: Appointments can be cancelled")


def test_staff_manage_page_view_and_move(client, appointment, staff_user, free_slot, doctor):
    login(client, staff_user)
    url = reverse("booking_admin_manage", args=[appointment.reference])
    assert client.get(url).status_code == 200
    assert rows(actor=staff_user, action="view", detail="admin manage page")
    target = free_slot(doctor, 3).start.astimezone(appointment.local_starts_at.tzinfo)
    response = client.post(
        url,
        {"action": "move", "doctor": doctor.pk, "day": target.date().isoformat(), "start": target.strftime("%H:%M")},
    )
    assert response.status_code == 302
    assert rows(actor=staff_user, action="change", actor_role="staff")[-1].detail.startswith("Moved from")


def test_staff_without_permission_is_refused_on_the_manage_page(client, appointment):
    clerk = make_user("clerk@example.com", User.Role.STAFF)
    clerk.groups.clear()
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    login(client, clerk)
    assert client.get(reverse("booking_admin_manage", args=[appointment.reference])).status_code in (302, 403)
    assert rows(actor=clerk, outcome=REFUSED, object_ref=appointment.reference)


def test_admin_details_view_is_recorded(client, appointment, staff_user):
    login(client, staff_user)
    response = client.get(f"/admin/booking/appointment/inspect/{appointment.pk}/")
    assert response.status_code == 200
    assert rows(actor=staff_user, action="view", detail="admin details", object_ref=appointment.reference)


# --- Prescriptions ------------------------------------------------------------------------------


def test_prescription_reads_and_refusals(client, signed, patient, doctor_user, other_doctor_user, other_doctor):
    ref = signed.reference
    login(client, patient)
    for name in ("detail", "pdf"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(f"prescriptions:{name}", args=[ref])).status_code == 200
        assert audit_inserts(queries) == 1, name
    assert [(r.action, r.object_type) for r in rows(actor=patient, object_ref=ref, object_type="prescription")] == [
        ("view", "prescription"),
        ("download", "prescription"),
    ]
    login(client, other_doctor_user)
    assert client.get(reverse("prescriptions:detail", args=[ref])).status_code == 404
    assert client.post(reverse("prescriptions:sign", args=[ref])).status_code == 404
    refused = rows(actor=other_doctor_user, outcome=REFUSED)
    assert [(r.action, r.object_type) for r in refused] == [("view", "prescription"), ("change", "prescription")]
    # The old access log's admin list shows the trail's prescription rows only.
    assert set(PrescriptionAccessLog.objects.values_list("object_type", flat=True)) == {"prescription"}


def test_staff_without_prescription_permission_are_refused(client, signed):
    clerk = make_user("clerk@example.com", User.Role.STAFF)
    clerk.groups.clear()
    clerk.user_permissions.add(Permission.objects.get(codename="view_appointment"))
    login(client, clerk)
    assert client.get(reverse("prescriptions:detail", args=[signed.reference])).status_code == 404
    (row,) = rows(actor=clerk)
    assert (row.object_type, row.outcome) == ("prescription", REFUSED)


def test_doctor_signing_and_editor_are_recorded(client, confirmed, doctor_user, monkeypatch):
    monkeypatch.setattr("booking.prescriptions.services.queue_notification", lambda *a, **k: None)
    login(client, doctor_user)
    assert client.get(reverse("prescriptions:edit", args=[confirmed.reference])).status_code == 200
    assert rows(actor=doctor_user, action="view", detail="editor")
    client.post(reverse("prescriptions:sign", args=[confirmed.reference]))  # nothing written yet: refused
    assert rows(actor=doctor_user, action="change", outcome=REFUSED)[-1].detail.startswith("sign:")


# --- Exports and accounts -----------------------------------------------------------------------


def test_staff_report_csv_export_is_recorded(client, appointment, staff_user):
    login(client, staff_user)
    day = appointment.local_starts_at.date().isoformat()
    response = client.get(reverse("booking_admin_report"), {"from": day, "to": day, "format": "csv"}, REMOTE_ADDR=IP)
    assert response.status_code == 200
    (row,) = rows(action="export")
    assert (row.actor, row.object_type, row.object_ref, row.ip_address) == (staff_user, "report", f"{day}..{day}", IP)


def test_doctor_csv_export_is_recorded(client, appointment, doctor_user):
    login(client, doctor_user)
    assert client.get(reverse("doctor:report_csv")).status_code == 200
    assert rows(actor=doctor_user, action="export", object_type="report")


def test_opening_and_changing_a_patients_account_in_the_admin(client, patient):
    admin = make_user("boss@example.com", User.Role.STAFF, is_superuser=True)
    login(client, admin)
    url = reverse("wagtailusers_users:edit", args=[patient.pk])
    assert client.get(url).status_code == 200
    (viewed,) = rows(action="view")
    assert (viewed.object_type, viewed.object_ref, viewed.actor) == ("patient", f"user {patient.pk}", admin)
    response = client.post(
        url,
        {
            "email": patient.email,
            "first_name": "Alicia",
            "last_name": "Tester",
            "role": "patient",
            "mobile": "",
            "is_active": "on",
            "password1": "",
            "password2": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert rows(action="change", object_type="patient", detail="edited")


# --- Append-only, search, export, retention -----------------------------------------------------


def test_rows_cannot_be_changed_or_deleted(client, appointment, patient):
    row = AuditEvent.objects.first()
    row.detail = "tampered"
    with pytest.raises(AuditImmutable):
        row.save()
    with pytest.raises(AuditImmutable):
        row.delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.filter(pk=row.pk).update(detail="tampered")
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=row.pk).detail == "booked"


def test_admin_is_read_only_even_for_superusers(client, appointment):
    login(client, make_user("boss@example.com", User.Role.STAFF, is_superuser=True))
    row = AuditEvent.objects.first()
    assert client.get("/admin/booking/auditevent/").status_code == 200
    for url in (
        "/admin/booking/auditevent/create/",
        f"/admin/booking/auditevent/edit/{row.pk}/",
        f"/admin/booking/auditevent/delete/{row.pk}/",
    ):
        assert client.get(url).status_code in (302, 403, 404), url
        client.post(url, {"detail": "x"})
    assert AuditEvent.objects.get(pk=row.pk).detail == "booked"


def test_trail_needs_its_own_permission(client, appointment, staff_user, auditor):
    login(client, staff_user)  # clinic staff: the prescription rows only
    assert client.get("/admin/booking/auditevent/").status_code in (302, 403)
    assert client.get("/admin/booking/prescriptionaccesslog/").status_code == 200
    login(client, auditor)
    page = client.get("/admin/booking/auditevent/", {"q": appointment.reference})
    assert page.status_code == 200 and appointment.reference in page.content.decode()


def test_csv_export_is_formula_safe_and_recorded(client, appointment, auditor, other_patient):
    login(client, other_patient)
    client.get(reverse("appointments:detail", args=[appointment.reference]))  # a refused look
    AuditEvent.objects.create(actor_role="guest", action="view", object_type="appointment", object_ref="=HYPERLINK(1)")
    login(client, auditor)
    response = client.get("/admin/booking/auditevent/", {"export": "csv", "outcome__exact": "refused"})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    refs = [line[6] for line in lines[1:]]
    assert appointment.reference in refs and "'=HYPERLINK(1)" not in refs  # the filter left it out
    everything = client.get("/admin/booking/auditevent/", {"export": "csv"})
    text = b"".join(everything.streaming_content).decode()
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    assert rows(actor=auditor, action="export", object_type="audit")


def test_prune_deletes_only_rows_past_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    old = AuditEvent.objects.create(
        at=now - timedelta(days=31), actor_role="guest", action="view", object_type="appointment", object_ref="OLD"
    )
    edge = AuditEvent.objects.create(
        at=now - timedelta(days=29), actor_role="guest", action="view", object_type="appointment", object_ref="EDGE"
    )
    new = AuditEvent.objects.create(
        at=now, actor_role="guest", action="view", object_type="appointment", object_ref="NEW"
    )
    out = io.StringIO()
    call_command("prune_audit", stdout=out)
    assert "Deleted 1 audit event(s) older than 30 days." in out.getvalue()
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {edge.pk, new.pk}
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    with pytest.raises(Exception, match="at least one day"):
        call_command("prune_audit", "--days", "0")


def test_deleting_an_account_keeps_who_it_was(client, appointment, other_patient):
    login(client, other_patient)
    client.get(reverse("appointments:detail", args=[appointment.reference]))
    other_patient.delete()
    (row,) = rows(outcome=REFUSED)
    assert row.actor is None and row.actor_email == "bob@example.com"
