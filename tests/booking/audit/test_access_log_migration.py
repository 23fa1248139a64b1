"""Migration 0007 moves the old prescription access log's rows into the audit trail."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from booking.appointments.services import PatientDetails, book_appointment
from booking.models import AuditEvent, Prescription

BEFORE = ("booking", "0006_exact_emails_and_claims")
AFTER = ("booking", "0007_audit_trail")


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_old_rows_become_audit_events(doctor, patient, free_slot):
    appointment = book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor).start,
        details=PatientDetails(full_name="Alice Tester", email=patient.email, mobile="+447700900123"),
        patient=patient,
    )
    prescription = Prescription.objects.create(appointment=appointment)
    try:
        old_apps = migrate_to(BEFORE)
        OldLog = old_apps.get_model("booking", "PrescriptionAccessLog")
        OldLog.objects.create(
            prescription_id=prescription.pk,
            user_id=patient.pk,
            action="view",
            detail="version 1",
            ip_address="203.0.113.9",
        )
        OldLog.objects.create(
            prescription_id=prescription.pk, guest_email="gus@example.com", action="pdf", detail="version 1"
        )
        OldLog.objects.create(
            prescription_id=prescription.pk, user_id=patient.pk, action="attachment", detail="results.pdf"
        )
        migrate_to(AFTER)
    finally:
        # Back to the latest migration of *every* app: going back to booking 0006 also unapplied the
        # apps whose migrations depend on later booking ones (payments), dropping their tables.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    moved = AuditEvent.objects.exclude(detail="booked").order_by("pk")
    assert [(e.action, e.object_type, e.detail) for e in moved] == [
        ("view", "prescription", "version 1"),
        ("download", "prescription", "PDF, version 1"),
        ("download", "attachment", "results.pdf"),
    ]
    first, second, _third = moved
    assert first.actor_id == patient.pk and first.actor_email == patient.email and first.actor_role == "patient"
    assert first.ip_address == "203.0.113.9" and first.object_ref == appointment.reference
    assert second.actor is None and second.actor_role == "guest" and second.guest_email == "gus@example.com"
    assert all(e.outcome == "allowed" for e in moved)
