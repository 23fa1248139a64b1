"""``manage.py backup`` and ``manage.py restore`` (portal/backup.py), on SQLite and on MariaDB.

A round trip must give back exactly what was there: the rows and checksums of appointments,
prescriptions, attachments and pages, and the bytes of every stored file. A damaged, truncated or
mismatched archive must be refused before anything changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.models import Page

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.models import Appointment, MedicationLine, Prescription, PrescriptionAttachment
from booking.prescriptions.services import add_attachment, save_prescription, sign_prescription
from booking.scale import ScaleSeeder

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def file_digest(field) -> str:
    try:
        with field.storage.open(field.name, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return "missing"


def fingerprint() -> dict:
    """Counts and checksums of what a restore must bring back."""
    appointments = list(
        Appointment.objects.order_by("pk").values_list(
            "pk", "reference", "doctor_id", "patient_id", "full_name", "email", "mobile", "starts_at", "status", "fee"
        )
    )
    prescriptions = list(Prescription.objects.order_by("pk").values_list("pk", "appointment_id", "advice", "signed_at"))
    medications = list(MedicationLine.objects.order_by("pk").values_list("pk", "prescription_id", "drug", "dose"))
    attachments = [
        (a.pk, a.file.name, a.size, file_digest(a.file)) for a in PrescriptionAttachment.objects.order_by("pk")
    ]
    pages = list(Page.objects.order_by("pk").values_list("pk", "path", "title", "slug", "url_path", "live"))
    images = [(i.pk, i.file.name, file_digest(i.file)) for i in Image.objects.order_by("pk")]
    return {
        name: (len(rows), digest(rows))
        for name, rows in {
            "appointments": appointments,
            "prescriptions": prescriptions,
            "medications": medications,
            "attachments": attachments,
            "pages": pages,
            "images": images,
        }.items()
    }


def png(color: str) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (30, 20), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def portal(settings, tmp_path, site_tree, doctor, doctor_user, patient, free_slot):
    """A small portal with every kind of record, media and attachments in this test's folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    seeder = ScaleSeeder(lambda line: None)
    seeder.seed_appointments(seeder.seed_doctors(3), 300, [patient.pk])
    booked = book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor).start,
        details=PatientDetails(full_name="Alice Tester", email=patient.email, mobile="+447912345678"),
        patient=patient,
    )
    appointment = transition(booked, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))
    medication = {"drug": "Amoxicillin", "dose": "500 mg", "frequency": "3 times a day", "duration": "7 days"}
    prescription = save_prescription(
        appointment, doctor_user, advice="Rest.", follow_up_on=None, medications=[medication], tests=[]
    )
    add_attachment(prescription, SimpleUploadedFile("scan.png", png("teal"), "image/png"), doctor_user)
    sign_prescription(appointment, doctor_user)
    Image.objects.create(title="Clinic", file=SimpleUploadedFile("clinic.png", png("navy"), "image/png"))
    return tmp_path


def backup(tmp_path: Path) -> Path:
    archive = tmp_path / "backups" / "portal.tar.gz"
    out = StringIO()
    call_command("backup", output=archive, stdout=out)
    assert "Backed up" in out.getvalue()
    return archive


def restore(archive: Path, *args: str) -> str:
    out = StringIO()
    call_command("restore", str(archive), *args, stdout=out)
    return out.getvalue()


def damage_everything(doctor) -> None:
    """What a bad day does: rows changed, added and deleted, files gone."""
    Appointment.objects.filter(status=Appointment.Status.COMPLETED).update(full_name="Changed")
    Page.objects.filter(pk=doctor.pk).update(title="Renamed")
    Prescription.objects.update(advice="Overwritten")
    MedicationLine.objects.all().delete()
    for attachment in PrescriptionAttachment.objects.all():
        attachment.file.storage.delete(attachment.file.name)
    for image in Image.objects.all():
        image.file.storage.delete(image.file.name)


def rewrite_manifest(archive: Path, change) -> Path:
    """A copy of ``archive`` whose manifest was edited by ``change`` (the other members untouched)."""
    target = archive.with_name("edited.tar.gz")
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def test_round_trip_restores_rows_and_files_exactly(portal, doctor):
    before = fingerprint()
    assert before["attachments"][0] == 1 and before["images"][0] == 1 and before["appointments"][0] > 300
    archive = backup(portal)
    assert "is sound" in restore(archive, "--check")

    damage_everything(doctor)
    assert fingerprint() != before

    output = restore(archive, "--yes")

    assert "Restored" in output
    assert fingerprint() == before


def test_without_yes_nothing_changes(portal, doctor):
    archive = backup(portal)
    damage_everything(doctor)
    damaged = fingerprint()
    with pytest.raises(CommandError, match="--yes"):
        restore(archive)
    assert fingerprint() == damaged


@pytest.mark.parametrize(
    "spoil, message",
    [
        ("flip", "damaged"),
        ("truncate", "damaged|cut short"),
        ("member", "checksum"),
        ("vendor", "same kind of database"),
        ("migrations", "schema differs"),
        ("not a backup", "not a portal backup"),
    ],
)
def test_a_damaged_or_mismatched_archive_is_refused_before_anything_changes(portal, doctor, spoil, message):
    archive = backup(portal)
    if spoil == "flip":
        data = bytearray(archive.read_bytes())
        middle = len(data) // 2
        data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
        archive.write_bytes(bytes(data))
    elif spoil == "truncate":
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif spoil == "member":  # a file's bytes changed, the gzip stream itself intact
        target = archive.with_name("member.tar.gz")
        with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
            for member in source.getmembers():
                data = source.extractfile(member).read()
                if member.name.startswith("files/private/"):
                    data = data[:-1] + bytes([data[-1] ^ 1])
                out.addfile(member, io.BytesIO(data))
        archive = target
    elif spoil == "vendor":
        archive = rewrite_manifest(archive, lambda m: m.update(vendor="postgresql"))
    elif spoil == "migrations":
        archive = rewrite_manifest(archive, lambda m: m["migrations"].append("booking.9999_from_the_future"))
    else:  # a tar.gz, but of something else
        with tarfile.open(archive, "w:gz") as out:
            info = tarfile.TarInfo("notes.txt")
            info.size = 4
            out.addfile(info, io.BytesIO(b"note"))
    damage_everything(doctor)
    damaged = fingerprint()

    with pytest.raises(CommandError, match=message) as refused:
        restore(archive, "--yes")

    assert "Nothing was changed" in str(refused.value)
    assert fingerprint() == damaged
