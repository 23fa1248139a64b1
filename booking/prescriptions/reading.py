"""Reading a prescription on behalf of a request: the access rules, in order, and their audit rows.

Shared by the prescription pages and the JSON API, so both check the same things in the same
order: first :func:`booking.access.get_appointment_for_request` (an unknown reference and someone
else's appointment look the same: 404), then the reader's audience (clinician, patient, none),
then the version that audience may see (patients: signed content only). Every refusal of an
existing appointment or prescription is one row of the audit trail; an allowed read is recorded
by the caller once it knows what it did (viewed, downloaded the PDF, an attachment).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from ..access import (
    Audience,
    audience_for_request,
    get_appointment_for_request,
    is_appointments_doctor,
    record_appointment_audit,
)
from ..models import Appointment, AuditEvent, Prescription
from .snapshots import PrescriptionSnapshot, visible_snapshot

Action = AuditEvent.Action
PRESCRIPTION = AuditEvent.ObjectType.PRESCRIPTION
ATTACHMENT = AuditEvent.ObjectType.ATTACHMENT
REFUSED = AuditEvent.Outcome.REFUSED


def appointment_for_prescription(request: HttpRequest, reference: str, action: str) -> Appointment:
    """The appointment if the reader may see it; a refusal is recorded as one on the prescription.

    An allowed look is not recorded here: each view records what it then did with the
    prescription, so a request writes one row.
    """
    return get_appointment_for_request(
        request,
        reference,
        Appointment.objects.select_related("doctor", "doctor__user", "patient"),
        action=action,
        object_type=PRESCRIPTION,
        record_allowed=False,
    )


def audit_prescription(request: HttpRequest, appointment: Appointment, action: str, detail: str, **kwargs) -> None:
    kwargs.setdefault("object_type", PRESCRIPTION)
    record_appointment_audit(request, appointment, action, detail=detail, **kwargs)


def prescription_or_none(appointment: Appointment) -> Prescription | None:
    return Prescription.objects.select_related("signed_by").filter(appointment=appointment).first()


def readable_prescription(
    request: HttpRequest, reference: str, action: str, object_type: str = PRESCRIPTION
) -> tuple[Appointment, Prescription, Audience, PrescriptionSnapshot]:
    """The appointment, prescription, reader's audience and the version they may see; else 404.

    A reader who may see the appointment but not its prescription (staff without the
    permission) is a refused attempt; a patient before anything is signed is not: there is
    nothing to see yet.
    """
    appointment = appointment_for_prescription(request, reference, action)
    prescription = prescription_or_none(appointment)
    if prescription is None:
        raise Http404("No prescription.")
    prescription.appointment = appointment  # reuse the row already loaded
    audience = audience_for_request(request, appointment)
    if audience is Audience.NONE:
        audit_prescription(request, appointment, action, "", object_type=object_type, outcome=REFUSED)
        raise Http404("No prescription.")
    snapshot = visible_snapshot(audience, prescription)
    if snapshot is None:
        raise Http404("No prescription.")
    return appointment, prescription, audience, snapshot


def doctors_own_prescription(request: HttpRequest, reference: str, action: str = Action.CHANGE) -> Appointment:
    """The appointment, for its own doctor only; anyone else's attempt is a refused one."""
    appointment = appointment_for_prescription(request, reference, action)
    if not is_appointments_doctor(request.user, appointment):
        audit_prescription(request, appointment, action, "not the appointment's doctor", outcome=REFUSED)
        raise Http404("No prescription.")
    return appointment
