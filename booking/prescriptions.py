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
  private storage, and the display name is sanitised.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

import filetype
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .access import SESSION_KEY, is_appointments_doctor, linked_doctor_page, session_grants_apply
from .models import (
    Appointment,
    MedicationLine,
    Prescription,
    PrescriptionAccessLog,
    PrescriptionAttachment,
    PrescriptionRevision,
    RecommendedTest,
)
from .services import BookingError

# Appointments at which the patient has been (or is about to be) seen.
PRESCRIBABLE_STATUSES = (Appointment.Status.CONFIRMED, Appointment.Status.COMPLETED)

MEDICATION_FIELDS = ("drug", "dose", "frequency", "duration", "instructions")
TEST_FIELDS = ("name", "notes")

# What an attachment may be, decided from its bytes: MIME type → file extension we store.
ALLOWED_ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
ATTACHMENT_SNIFF_BYTES = 8192


# --- Errors ---------------------------------------------------------------------------------


class PrescriptionError(BookingError):
    """A prescription change was refused; ``message`` is safe to show to the doctor."""

    code = "prescription_refused"


class NotPrescribingDoctor(PrescriptionError):
    code = "not_prescribing_doctor"


class NotPrescribable(PrescriptionError):
    code = "not_prescribable"


class NothingToSign(PrescriptionError):
    code = "nothing_to_sign"


class AlreadySigned(PrescriptionError):
    code = "already_signed"


class InvalidPrescription(PrescriptionError):
    code = "invalid_prescription"


class AttachmentRejected(PrescriptionError):
    code = "attachment_rejected"


# --- Who may do what -------------------------------------------------------------------------


def is_prescribing_doctor(user, appointment: Appointment) -> bool:
    """True if ``user`` is the doctor the appointment is with (the only one who may write)."""
    return is_appointments_doctor(user, appointment)


def can_see_drafts(user, appointment: Appointment) -> bool:
    """The doctor, and staff with ``booking.view_prescription``, see unsigned work in progress."""
    if is_prescribing_doctor(user, appointment):
        return True
    return bool(user is not None and user.is_authenticated and user.has_perm("booking.view_prescription"))


class Audience(Enum):
    """How a reader sees a prescription: clinicians see the live draft, patients signed content."""

    CLINICIAN = "clinician"
    PATIENT = "patient"
    NONE = "none"


def prescription_audience(user, appointment: Appointment, session_references: list[str] | tuple = ()) -> Audience:
    """Which view of the prescription this reader gets.

    Patient side means the account that owns the appointment, or a browser session that proved
    the reference and email (``booking.access``). Anyone else who can see the appointment (staff
    with ``booking.view_appointment`` but not ``view_prescription``) gets nothing: an
    appointment's time is not its medical content.
    """
    if can_see_drafts(user, appointment):
        return Audience.CLINICIAN
    if appointment.reference in session_references and session_grants_apply(user or AnonymousUser()):
        return Audience.PATIENT
    if user is not None and user.is_authenticated and appointment.patient_id == user.pk:
        return Audience.PATIENT
    return Audience.NONE


def audience_for_request(request: HttpRequest, appointment: Appointment) -> Audience:
    """:func:`prescription_audience` for a request (reads the guest session's granted references)."""
    return prescription_audience(request.user, appointment, request.session.get(SESSION_KEY, []))


def can_read_prescription(user, appointment: Appointment, session_references: list[str] | tuple = ()) -> bool:
    """True if ``user`` (or this session) may read the appointment's prescription in some form.

    Patients still only read *signed* content; see :func:`visible_snapshot`.
    """
    return prescription_audience(user, appointment, session_references) is not Audience.NONE


# --- Content snapshots (what is shown, printed and frozen) -----------------------------------


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
            doctor_name=doctor.get("name", prescription.appointment.doctor.title),
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


# --- Writing ---------------------------------------------------------------------------------


def _lock_appointment(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("doctor").get(pk=appointment.pk)


def _check_may_write(appointment: Appointment, user) -> None:
    """Raise unless ``user`` is the appointment's doctor and the appointment is one to prescribe at."""
    if not is_prescribing_doctor(user, appointment):
        raise NotPrescribingDoctor("Only the appointment's own doctor can write its prescription.")
    if appointment.status not in PRESCRIBABLE_STATUSES:
        raise NotPrescribable(
            f"A prescription can only be written for a confirmed or completed appointment; "
            f"this one is {appointment.get_status_display().lower()}."
        )


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
    locked = _lock_appointment(appointment)
    _check_may_write(locked, user)
    prescription = _lock_prescription(locked)
    if prescription is None:
        try:
            with transaction.atomic():
                Prescription.objects.create(appointment=locked)
        except IntegrityError:
            pass
        prescription = _lock_prescription(locked)
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
    lines = []
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
    advice_limit = Prescription._meta.get_field("advice").max_length
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
    locked = _lock_appointment(appointment)
    _check_may_write(locked, doctor_user)
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

    from . import notifications  # looked up at call time, like services._notify (no import cycle)

    notifications.queue_notification(locked, "prescription")
    return prescription


# --- Attachments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInfo:
    """What the bytes of an upload turned out to be."""

    content_type: str
    extension: str
    size: int
    display_name: str


_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]+')


def sanitise_filename(name: str, extension: str, *, max_length: int = 200) -> str:
    """A display name that is safe in a header, a page and a file system, ending in ``extension``.

    Keeps letters with accents (they are the patient's or doctor's language), drops path parts,
    control and reserved characters, and makes the extension match what the content really is.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub(" ", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, ext = os.path.splitext(name)
    if ext.lower() not in {extension, ".jpeg" if extension == ".jpg" else extension}:
        stem = name  # a missing or wrong extension: keep the whole name as the stem
        ext = extension
    stem = stem.strip() or "attachment"
    return stem[: max_length - len(ext)].rstrip() + ext.lower()


def inspect_attachment(uploaded_file) -> AttachmentInfo:
    """Check an upload's size and real type (from its bytes); raise :class:`AttachmentRejected`.

    The file name and the browser's content type are ignored on purpose: both are chosen by
    whoever uploads, so an HTML page or a program renamed ``.pdf`` must not get through.
    """
    limit = settings.PRESCRIPTION_ATTACHMENT_MAX_BYTES
    size = getattr(uploaded_file, "size", None) or 0
    if size <= 0:
        raise AttachmentRejected("The file is empty.")
    if size > limit:
        raise AttachmentRejected(f"The file is too large ({human_size(size)}); the limit is {human_size(limit)}.")
    uploaded_file.seek(0)
    head = uploaded_file.read(ATTACHMENT_SNIFF_BYTES)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else None
    if mime not in ALLOWED_ATTACHMENT_TYPES:
        raise AttachmentRejected(
            "Only PDF, JPEG and PNG files can be attached, and this file's content is none of those "
            "(whatever its name says)."
        )
    if mime.startswith("image/"):
        _verify_image(uploaded_file)
    extension = ALLOWED_ATTACHMENT_TYPES[mime]
    return AttachmentInfo(
        content_type=mime,
        extension=extension,
        size=size,
        display_name=sanitise_filename(getattr(uploaded_file, "name", ""), extension),
    )


def _verify_image(uploaded_file) -> None:
    """Let Pillow parse the image, so a valid header glued to something else is refused too."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(uploaded_file) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AttachmentRejected("The image file is damaged or not really an image.") from exc
    finally:
        uploaded_file.seek(0)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


@transaction.atomic
def add_attachment(prescription: Prescription, uploaded_file, user) -> PrescriptionAttachment:
    """Attach a checked file to the prescription, stored under a random name in private storage.

    Adding a file changes what the patient would see, so on a signed prescription it starts the
    next version, like any other edit.
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
    attachment.file.save(f"{secrets.token_hex(16)}{info.extension}", uploaded_file, save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except Exception:
        attachment.file.storage.delete(attachment.file.name)  # no orphan file without a row
        raise
    prescription.save(update_fields=["updated_at"])
    return attachment


# --- Audit -----------------------------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str | None:
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def log_access(
    request: HttpRequest, prescription: Prescription, action: str, detail: str = ""
) -> PrescriptionAccessLog:
    """Record who opened or downloaded the prescription: health records need an audit trail.

    A signed-in reader is recorded by account; a guest by the email the appointment was booked
    with (the one their session proved).
    """
    user = request.user if request.user.is_authenticated else None
    return PrescriptionAccessLog.objects.create(
        prescription=prescription,
        user=user,
        guest_email="" if user is not None else prescription.appointment.email,
        action=action,
        detail=detail[:200],
        ip_address=_client_ip(request),
    )
