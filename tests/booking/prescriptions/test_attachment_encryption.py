"""Prescription attachments are encrypted at rest, rotatable, and decrypted only for allowed readers."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from fpdf import FPDF

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.models import Appointment, PrescriptionAttachment
from booking.prescriptions.crypto import ATTACHMENT_MAGIC
from booking.prescriptions.services import add_attachment, save_prescription, sign_prescription
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Blood test results: haemoglobin 135 g/L")
    return bytes(pdf.output())


CONTENT = pdf_bytes()


@pytest.fixture(autouse=True)
def _remove_stored_files(db):
    yield
    for attachment in PrescriptionAttachment.objects.all():
        attachment.file.storage.delete(attachment.file.name)


@pytest.fixture
def attachment(doctor, doctor_user, patient, free_slot, monkeypatch) -> PrescriptionAttachment:
    """An attachment on Alice's signed prescription, uploaded through the service."""
    monkeypatch.setattr("booking.prescriptions.services.queue_notification", lambda *a, **k: None)
    appointment = book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor).start,
        details=PatientDetails(full_name="Alice Tester", email=patient.email, mobile="+447700900123"),
        patient=patient,
    )
    transition(appointment, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))
    prescription = save_prescription(
        appointment, doctor_user, advice="Rest.", follow_up_on=None, medications=[], tests=[]
    )
    added = add_attachment(prescription, SimpleUploadedFile("results.pdf", CONTENT, "application/pdf"), doctor_user)
    sign_prescription(appointment, doctor_user)
    return added


def stored(attachment) -> bytes:
    return Path(attachment.file.path).read_bytes()


def download(client, patient, attachment):
    client.login(email=patient.email, password=PASSWORD)
    reference = attachment.prescription.appointment.reference
    return client.get(reverse("prescriptions:attachment", args=[reference, attachment.pk]))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_disk_holds_ciphertext_and_the_reader_gets_the_original(client, patient, attachment):
    on_disk = stored(attachment)
    assert on_disk.startswith(ATTACHMENT_MAGIC)
    assert b"%PDF" not in on_disk and b"haemoglobin" not in on_disk and CONTENT not in on_disk
    assert attachment.size == len(CONTENT)
    response = download(client, patient, attachment)
    assert response.status_code == 200 and body(response) == CONTENT
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_outsiders_get_404_and_nothing_decrypted(client, other_patient, attachment):
    assert download(client, other_patient, attachment).status_code == 404


def test_rotation_reencrypts_with_the_first_key(client, settings, patient, attachment):
    old_key = settings.ATTACHMENT_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = stored(attachment)
    settings.ATTACHMENT_ENCRYPTION_KEYS = [new_key, old_key]
    assert body(download(client, patient, attachment)) == CONTENT  # old files still open

    out = io.StringIO()
    call_command("rotate_attachment_keys", stdout=out)
    assert "Re-encrypted 1 attachment(s); encrypted 0 stored in clear." in out.getvalue()
    after = stored(attachment)
    assert after != before and after.startswith(ATTACHMENT_MAGIC)
    assert Fernet(new_key.encode()).decrypt(after[len(ATTACHMENT_MAGIC) :]) == CONTENT

    settings.ATTACHMENT_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    assert body(download(client, patient, attachment)) == CONTENT
    assert not list(Path(attachment.file.path).parent.glob(".rotate-*"))


def test_plaintext_files_from_before_still_open_and_rotation_encrypts_them(client, patient, attachment):
    storage = attachment.file.storage
    storage.delete(attachment.file.name)
    name = storage.save(attachment.file.name, ContentFile(CONTENT))
    PrescriptionAttachment.objects.filter(pk=attachment.pk).update(file=name)
    attachment.refresh_from_db()
    assert stored(attachment) == CONTENT
    assert body(download(client, patient, attachment)) == CONTENT

    out = io.StringIO()
    call_command("rotate_attachment_keys", stdout=out)
    assert "encrypted 1 stored in clear" in out.getvalue()
    assert stored(attachment).startswith(ATTACHMENT_MAGIC)
    assert body(download(client, patient, attachment)) == CONTENT


def test_without_the_right_key_the_download_is_a_clear_503_and_rotation_refuses(
    client, settings, patient, attachment, caplog
):
    before = stored(attachment)
    settings.ATTACHMENT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with caplog.at_level(logging.ERROR, logger="booking.prescriptions.crypto"):
        response = download(client, patient, attachment)
    assert response.status_code == 503
    assert "cannot be opened at the moment" in response.content.decode()
    assert any("cannot be decrypted" in record.message for record in caplog.records)

    with pytest.raises(CommandError, match="could not be re-encrypted; keep the old keys"):
        call_command("rotate_attachment_keys", stdout=io.StringIO(), stderr=io.StringIO())
    assert stored(attachment) == before  # left as it was


def test_a_tampered_file_is_refused_not_served(client, patient, attachment):
    path = Path(attachment.file.path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    assert download(client, patient, attachment).status_code == 503
