"""A prescription form with hostile input ends in a message and saves nothing.

A few bytes of PNG can claim 20000 × 20000 pixels (a "decompression bomb"): Pillow refuses to
open it with an exception the upload check did not expect, so the doctor got a 500. Prescription
text with control characters was stored and then printed into the PDF and shown to the patient.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.errors import AttachmentRejected
from booking.models import Appointment, Prescription, PrescriptionAttachment
from booking.prescriptions.attachments import inspect_attachment
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

AMOXICILLIN = {"drug": "Amoxicillin", "dose": "500 mg", "frequency": "three times a day", "duration": "7 days"}


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def real_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (11, 93, 107)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(content: bytes, name: str = "scan.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def form_data(medications=(AMOXICILLIN,), *, advice="Rest.", **extra) -> dict:
    data = {"advice": advice, "follow_up_on": ""}
    for prefix, rows in (("medications", medications), ("tests", ())):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "30",
        }
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{key}": value for key, value in row.items()}
    return data | extra


@pytest.fixture(autouse=True)
def _remove_stored_files(db):
    yield
    for attachment in PrescriptionAttachment.objects.all():
        attachment.file.storage.delete(attachment.file.name)


@pytest.fixture
def edit_url(client, doctor, doctor_user, patient, free_slot) -> str:
    details = PatientDetails(full_name="Alice Tester", email=patient.email, mobile="+447700900123")
    appointment = book_appointment(
        doctor_id=doctor.pk, starts_at=free_slot(doctor).start, details=details, patient=patient
    )
    transition(appointment, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))
    client.login(email=doctor_user.email, password=PASSWORD)
    return reverse("prescriptions:edit", args=[appointment.reference])


def test_the_bomb_is_tiny_and_pillow_will_not_open_it():
    bomb = png_claiming(20000, 20000)
    assert len(bomb) < 80
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(bomb))


@pytest.mark.parametrize(
    "size",
    [(20000, 20000), (10000, 10000), (8000, 8000), (1, 60_000_000)],
    ids=["pillow-error", "pillow-warning", "over-our-limit", "one-row"],
)
def test_pixel_floods_are_refused_with_a_message(client, edit_url, size):
    response = client.post(edit_url, form_data(attachment=upload(png_claiming(*size))))
    assert response.status_code == 400
    assert "too many pixels" in response.content.decode()
    assert not Prescription.objects.exists() and not PrescriptionAttachment.objects.exists()
    with pytest.raises(AttachmentRejected, match="megapixels"):
        inspect_attachment(upload(png_claiming(*size)))


def test_the_pixel_limit_is_a_setting(settings):
    settings.UPLOAD_MAX_PIXELS = 10
    with pytest.raises(AttachmentRejected, match="too many pixels"):
        inspect_attachment(upload(real_png()))  # 16 pixels
    settings.UPLOAD_MAX_PIXELS = 16
    assert inspect_attachment(upload(real_png())).content_type == "image/png"


@pytest.mark.parametrize(
    "change",
    [
        {"advice": "Rest\x00 well."},
        {"advice": "Take \x1b[31mnothing\x1b[0m."},
        {"medications-0-drug": "Amoxi\u202ecillin"},
        {"medications-0-instructions": "after\x07food"},
    ],
    ids=["nul-in-advice", "escape-in-advice", "bidi-override-in-drug", "bell-in-instructions"],
)
def test_control_characters_in_prescription_text_are_refused(client, edit_url, change):
    response = client.post(edit_url, form_data() | change)
    assert response.status_code == 400
    page = response.content.decode()
    assert "control characters" in page or "Null characters are not allowed" in page
    assert not Prescription.objects.exists()


def test_ordinary_multiline_advice_is_kept(client, edit_url):
    response = client.post(edit_url, form_data(advice="Rest.\r\nDrink water.\tSleep."))
    assert response.status_code == 302
    assert Prescription.objects.get().advice.startswith("Rest.")
