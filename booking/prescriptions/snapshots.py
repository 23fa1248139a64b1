"""What a prescription says, as a read-only snapshot: shown on pages, printed in the PDF, frozen in revisions.

A snapshot is built from the same JSON a revision stores, so the live prescription and a frozen
version render through one path. Patients only ever get *signed* snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from ..access import Audience, linked_doctor_page
from ..models import Appointment, Prescription, PrescriptionAttachment

MEDICATION_FIELDS = ("drug", "dose", "frequency", "duration", "instructions")
TEST_FIELDS = ("name", "notes")


def _signer_name(user) -> str:
    """The name a signature shows: the doctor page's title ("Dr …") rather than the login name."""
    if user is None:
        return ""
    doctor_page = linked_doctor_page(user)
    if doctor_page is not None:
        return doctor_page.title
    return user.get_full_name() or user.email


def prescription_content(prescription: Prescription) -> dict[str, Any]:
    """The prescription as plain JSON: what a revision freezes and what the PDF prints.

    The doctor's name and job title are copied in, so a frozen version still names who wrote it
    even if the doctor page is renamed later.
    """
    doctor = prescription.appointment.doctor
    return {
        "version": prescription.version,
        "advice": prescription.advice,
        "follow_up_on": prescription.follow_up_on.isoformat() if prescription.follow_up_on else None,
        "medications": [
            {name: getattr(line, name) for name in MEDICATION_FIELDS} for line in prescription.medications.all()
        ],
        "tests": [{name: getattr(test, name) for name in TEST_FIELDS} for test in prescription.tests.all()],
        "attachments": [
            {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size}
            for a in prescription.attachments.all()
        ],
        "doctor": {"name": doctor.title, "job_title": doctor.job_title},
        "signed_at": prescription.signed_at.isoformat() if prescription.signed_at else None,
        "signed_by": _signer_name(prescription.signed_by) if prescription.signed_at else "",
    }


@dataclass(frozen=True)
class Line:
    """One medication line or test, as a read-only record for templates and the PDF."""

    drug: str = ""
    dose: str = ""
    frequency: str = ""
    duration: str = ""
    instructions: str = ""
    name: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PrescriptionSnapshot:
    """One version of a prescription, live or frozen, in the shape templates and the PDF read."""

    appointment: Appointment
    version: int
    advice: str
    follow_up_on: date | None
    medications: list[Line]
    tests: list[Line]
    attachment_ids: list[int]
    doctor_name: str
    doctor_job_title: str
    signed_at: datetime | None
    signed_by: str
    is_current: bool = True
    attachments: list[PrescriptionAttachment] = field(default_factory=list)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_empty(self) -> bool:
        return not (self.medications or self.tests or self.advice.strip())

    @classmethod
    def from_content(
        cls, prescription: Prescription, content: dict[str, Any], *, is_current: bool
    ) -> PrescriptionSnapshot:
        """Build from :func:`prescription_content` output (tolerant of keys older revisions lack)."""
        signed_at = parse_datetime(content["signed_at"]) if content.get("signed_at") else None
        follow_up = parse_date(content["follow_up_on"]) if content.get("follow_up_on") else None
        ids = [a["id"] for a in content.get("attachments", [])]
        by_id = {a.pk: a for a in prescription.attachments.all()}
        doctor = content.get("doctor") or {}
        return cls(
            appointment=prescription.appointment,
            version=content.get("version", prescription.version),
            advice=content.get("advice", ""),
            follow_up_on=follow_up,
            medications=[Line(**{k: m.get(k, "") for k in MEDICATION_FIELDS}) for m in content.get("medications", [])],
            tests=[Line(**{k: t.get(k, "") for k in TEST_FIELDS}) for t in content.get("tests", [])],
            attachment_ids=ids,
            doctor_name=doctor.get("name") or prescription.appointment.doctor.title,
            doctor_job_title=doctor.get("job_title", ""),
            signed_at=signed_at,
            signed_by=content.get("signed_by", ""),
            is_current=is_current,
            attachments=[by_id[pk] for pk in ids if pk in by_id],
        )


def current_snapshot(prescription: Prescription) -> PrescriptionSnapshot:
    """The live prescription (draft or signed), as the doctor sees it."""
    return PrescriptionSnapshot.from_content(prescription, prescription_content(prescription), is_current=True)


def latest_signed_snapshot(prescription: Prescription) -> PrescriptionSnapshot | None:
    """The newest signed content: the live one if signed, else the newest frozen revision.

    While the doctor edits version 2, the patient keeps seeing version 1 rather than losing
    their prescription or seeing an unsigned draft.
    """
    if prescription.is_signed:
        return current_snapshot(prescription)
    revision = prescription.revisions.filter(signed_at__isnull=False).order_by("-version").first()
    if revision is None:
        return None
    return PrescriptionSnapshot.from_content(prescription, revision.content, is_current=False)


def visible_snapshot(audience: Audience, prescription: Prescription) -> PrescriptionSnapshot | None:
    """What ``audience`` may see of ``prescription``, or None (which views turn into a 404)."""
    if audience is Audience.CLINICIAN:
        return current_snapshot(prescription)
    if audience is Audience.PATIENT:
        return latest_signed_snapshot(prescription)
    return None
