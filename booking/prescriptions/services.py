"""The prescription service: the one place that writes, signs and versions prescriptions.

Why the rules look the way they do:

* **Only the appointment's own doctor writes.** A prescription is a clinical act signed in the
  doctor's name; staff may read (with ``booking.view_prescription``) but never author one.
* **Only for a confirmed or completed appointment.** Nobody has been seen at a pending, declined
  or cancelled appointment, so there is nothing to prescribe for.
* **Editable until signed, versioned after.** The patient only ever sees *signed* content. Once
  signed, the content may have been printed or handed to a pharmacy, so it is never changed in
  place: the first edit freezes it as a :class:`~booking.models.PrescriptionRevision`, bumps
  ``version`` and clears the signature. Until the new version is signed, the patient keeps
  seeing the last signed one (from the revision).
* **Every write locks the appointment, then the prescription** (``SELECT … FOR UPDATE``, in that
  order everywhere), so a save racing a sign cannot freeze half-written content or sign a
  version the doctor has not seen.
* **Attachments are checked by content, not name.** The browser's file name and content type
  are whatever the uploader says; ``filetype`` reads the magic bytes. Files get a random name in
  private storage, encrypted (``crypto.py``), and the display name is sanitised.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..access import check_may_prescribe
from ..appointments.services import lock_appointment
from ..errors import AlreadySigned, InvalidPrescription, NothingToSign
from ..models import (
    Appointment,
    MedicationLine,
    Prescription,
    PrescriptionAttachment,
    PrescriptionRevision,
    RecommendedTest,
)
from ..notifications.emails import queue_notification
from .attachments import inspect_attachment
from .crypto import encrypt_bytes
from .snapshots import MEDICATION_FIELDS, TEST_FIELDS, prescription_content


def _lock_prescription(appointment: Appointment) -> Prescription | None:
    """Lock the bare row. No select_related: joining the nullable ``signed_by`` makes a LEFT
    JOIN, which PostgreSQL refuses to lock, and ``of=`` is not available on MariaDB."""
    prescription = Prescription.objects.select_for_update().filter(appointment=appointment).first()
    if prescription is not None:
        prescription.appointment = appointment  # the locked appointment, already loaded
    return prescription


def _locked_for_writing(appointment: Appointment, user) -> tuple[Appointment, Prescription]:
    """Lock the appointment (re-reading its status), check the writer, and lock or create the row.

    Must run inside ``transaction.atomic``. Creating inside a savepoint turns a concurrent
    creation (the one-to-one's unique index) into "use the row the other request made".
    """
    locked = lock_appointment(appointment)
    check_may_prescribe(user, locked)
    prescription = _lock_prescription(locked)
    if prescription is None:
        try:
            with transaction.atomic():
                Prescription.objects.create(appointment=locked)
        except IntegrityError:
            pass
        prescription = _lock_prescription(locked)
    assert prescription is not None  # created above, or by the request that won the race
    return locked, prescription


def _open_for_editing(prescription: Prescription) -> None:
    """Freeze a signed prescription as a revision and start the next, unsigned version."""
    if not prescription.is_signed:
        return
    PrescriptionRevision.objects.create(
        prescription=prescription,
        version=prescription.version,
        content=prescription_content(prescription),
        signed_at=prescription.signed_at,
    )
    prescription.version += 1
    prescription.signed_at = None
    prescription.signed_by = None
    prescription.save(update_fields=["version", "signed_at", "signed_by", "updated_at"])


@transaction.atomic
def get_or_start_prescription(appointment: Appointment, doctor_user) -> Prescription:
    """Return the appointment's prescription, creating an empty draft if there is none.

    Refuses (``PrescriptionError``) for anyone but the appointment's doctor, and for an
    appointment that is not confirmed or completed.
    """
    _locked, prescription = _locked_for_writing(appointment, doctor_user)
    return prescription


def _clean_lines(model, rows: list[dict], names: tuple[str, ...], required: str) -> list:
    """Validate rows with the model's own field rules (lengths, blanks) and return unsaved instances.

    The forms check the same things first; this keeps the service safe to call from anywhere
    (SQLite, for one, does not enforce column lengths).
    """
    lines: list = []
    for index, row in enumerate(rows):
        values = {name: str(row.get(name) or "").strip() for name in names}
        if not any(values.values()):
            continue  # an empty row is not a line
        if not values[required]:
            raise InvalidPrescription(f"Line {index + 1} needs a {required}.")
        line = model(**values, sort_order=len(lines))
        try:
            line.full_clean(exclude=["prescription"])
        except ValidationError as exc:
            problems = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
            raise InvalidPrescription(f"Line {index + 1} is not valid ({problems}).") from None
        lines.append(line)
    return lines


def _normalised(advice: str, follow_up_on: date | None, medications: list, tests: list) -> dict[str, Any]:
    return {
        "advice": advice,
        "follow_up_on": follow_up_on,
        "medications": [tuple(getattr(m, n) for n in MEDICATION_FIELDS) for m in medications],
        "tests": [tuple(getattr(t, n) for n in TEST_FIELDS) for t in tests],
    }


@transaction.atomic
def save_prescription(
    appointment: Appointment,
    actor_user,
    *,
    advice: str,
    follow_up_on: date | None,
    medications: list[dict],
    tests: list[dict],
) -> Prescription:
    """Replace the prescription's content with what the doctor submitted.

    A signed prescription is first frozen as a revision and becomes the next, unsigned version
    (see the module docstring). Submitting unchanged content is a no-op, so re-saving a signed
    prescription does not create an empty new version. Raises :class:`PrescriptionError`; the
    transaction then rolls back, so a refused save leaves nothing behind (not even a new draft).
    """
    _locked, prescription = _locked_for_writing(appointment, actor_user)  # who and when first
    advice = (advice or "").strip()
    advice_limit = Prescription._meta.get_field("advice").max_length or 4000
    if len(advice) > advice_limit:
        raise InvalidPrescription(f"Advice can be at most {advice_limit} characters.")
    if follow_up_on is not None and not isinstance(follow_up_on, date):
        raise InvalidPrescription("The follow-up date is not a date.")
    med_lines = _clean_lines(MedicationLine, medications, MEDICATION_FIELDS, "drug")
    test_lines = _clean_lines(RecommendedTest, tests, TEST_FIELDS, "name")

    before = _normalised(
        prescription.advice,
        prescription.follow_up_on,
        list(prescription.medications.all()),
        list(prescription.tests.all()),
    )
    if before == _normalised(advice, follow_up_on, med_lines, test_lines):
        return prescription

    _open_for_editing(prescription)
    prescription.advice = advice
    prescription.follow_up_on = follow_up_on
    prescription.save(update_fields=["advice", "follow_up_on", "updated_at"])
    prescription.medications.all().delete()
    prescription.tests.all().delete()
    for line in med_lines + test_lines:
        line.prescription = prescription
    MedicationLine.objects.bulk_create(med_lines)
    RecommendedTest.objects.bulk_create(test_lines)
    return prescription


@transaction.atomic
def sign_prescription(appointment: Appointment, doctor_user) -> Prescription:
    """Sign the current version, which makes it the one the patient sees, and tell the patient.

    Refuses an empty prescription (nothing to act on) and a version that is already signed (a
    double-click must not send the patient two emails).
    """
    locked = lock_appointment(appointment)
    check_may_prescribe(doctor_user, locked)
    prescription = _lock_prescription(locked)
    if prescription is None:
        raise NothingToSign("There is no prescription to sign yet.")
    if prescription.is_signed:
        raise AlreadySigned(f"Version {prescription.version} is already signed.")
    if not (prescription.medications.exists() or prescription.tests.exists() or prescription.advice.strip()):
        raise NothingToSign("Add at least one medication, a recommended test or advice before signing.")
    prescription.signed_at = timezone.now()
    prescription.signed_by = doctor_user
    prescription.save(update_fields=["signed_at", "signed_by", "updated_at"])

    queue_notification(locked, "prescription")
    return prescription


@transaction.atomic
def add_attachment(prescription: Prescription, uploaded_file, user) -> PrescriptionAttachment:
    """Attach a checked file to the prescription, encrypted under a random name in private storage.

    Adding a file changes what the patient would see, so on a signed prescription it starts the
    next version, like any other edit. Only the encrypted bytes ever reach the disk.
    """
    _locked, prescription = _locked_for_writing(prescription.appointment, user)  # who and when first
    info = inspect_attachment(uploaded_file)
    _open_for_editing(prescription)
    attachment = PrescriptionAttachment(
        prescription=prescription,
        original_name=info.display_name,
        content_type=info.content_type,
        size=info.size,
        uploaded_by=user,
    )
    uploaded_file.seek(0)
    encrypted = ContentFile(encrypt_bytes(uploaded_file.read()))
    attachment.file.save(f"{secrets.token_hex(16)}{info.extension}", encrypted, save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except Exception:
        attachment.file.storage.delete(attachment.file.name)  # no orphan file without a row
        raise
    prescription.save(update_fields=["updated_at"])
    return attachment
