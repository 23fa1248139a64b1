"""Media and prescription attachments on S3-compatible object storage (portal/storage.py).

A real S3 API on loopback: moto's server mode, started as its own process for these tests. With
the bucket configured, nothing is written under MEDIA_ROOT or PRIVATE_MEDIA_ROOT: any number of
application servers then serve the same files.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from io import BytesIO

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.images.models import Image

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.models import Appointment
from booking.prescriptions.services import add_attachment, save_prescription
from portal.storage import file_storages, object_storage_from_env

pytestmark = pytest.mark.django_db

BUCKET = "clinic-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free loopback port, for this module's tests."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def s3(s3_endpoint, settings, tmp_path):
    """The portal's storages pointed at a fresh bucket; local media folders empty and watched."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": s3_endpoint,
        "region_name": "us-east-1",
        "access_key": "testing",
        "secret_key": "testing",
    }
    settings.STORAGES = file_storages("django.contrib.staticfiles.storage.StaticFilesStorage", options)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def png() -> bytes:
    out = BytesIO()
    PILImage.new("RGB", (40, 30), "teal").save(out, "PNG")
    return out.getvalue()


def test_settings_read_the_bucket_from_the_environment():
    env = {"AWS_STORAGE_BUCKET_NAME": "media-bucket", "AWS_S3_ENDPOINT_URL": "https://s3.example"}
    options = object_storage_from_env(lambda name, default="": env.get(name, default))
    assert options is not None and options["bucket_name"] == "media-bucket"
    storages = file_storages("x", options)
    assert storages["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storages["default"]["OPTIONS"]["location"] == "media"
    assert storages["private"]["OPTIONS"]["location"] == "private"
    assert storages["private"]["OPTIONS"]["default_acl"] == "private"
    assert object_storage_from_env(lambda name, default="": default) is None


def test_attachment_is_stored_in_the_bucket_and_served_through_the_view(
    s3, client, doctor, doctor_user, patient, free_slot, settings
):
    booked = book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor).start,
        details=PatientDetails(full_name="Alice Tester", email=patient.email, mobile="+447912345678"),
        patient=patient,
    )
    appointment = transition(booked, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))
    prescription = save_prescription(
        appointment, doctor_user, advice="Rest.", follow_up_on=None, medications=[], tests=[]
    )
    content = png()
    attachment = add_attachment(prescription, SimpleUploadedFile("scan.png", content, "image/png"), doctor_user)

    stored = keys(s3)
    assert stored == [f"private/{attachment.file.name}"]
    # Encrypted at rest in the bucket too (booking/prescriptions/crypto.py): never the file itself.
    at_rest = s3.get_object(Bucket=BUCKET, Key=stored[0])["Body"].read()
    assert content not in at_rest and content[:8] not in at_rest
    acl = s3.get_object_acl(Bucket=BUCKET, Key=stored[0])
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI", "").endswith("AllUsers")]  # not public
    assert not (settings.PRIVATE_MEDIA_ROOT).exists()

    client.force_login(doctor_user)
    response = client.get(f"/appointments/{appointment.reference}/prescription/attachments/{attachment.pk}/")
    assert response.status_code == 200
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    assert body == content
    assert response["Content-Disposition"].startswith("attachment")


def test_images_and_renditions_are_stored_in_the_bucket(s3, settings):
    image = Image.objects.create(title="Clinic", file=SimpleUploadedFile("clinic.png", png(), "image/png"))
    rendition = image.get_rendition("fill-20x20")

    stored = keys(s3)
    assert f"media/{image.file.name}" in stored
    assert f"media/{rendition.file.name}" in stored
    assert rendition.url.startswith(settings.STORAGES["default"]["OPTIONS"]["endpoint_url"])
    assert not (settings.MEDIA_ROOT).exists()
