"""Prescriptions: who writes, who reads what, versions after signing, attachments, the audit log."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from fpdf import FPDF
from PIL import Image

from booking.access import can_read_prescription
from booking.appointments.services import Actor, transition
from booking.errors import (
    AlreadySigned,
    AttachmentRejected,
    BookingError,
    NothingToSign,
    NotPrescribable,
    NotPrescribingDoctor,
)
from booking.models import (
    Appointment,
    Prescription,
    PrescriptionAccessLog,
    PrescriptionAttachment,
    PrescriptionRevision,
)
from booking.notifications.links import guest_link_path
from booking.prescriptions.attachments import inspect_attachment, sanitise_filename
from booking.prescriptions.services import (
    add_attachment,
    get_or_start_prescription,
    save_prescription,
    sign_prescription,
)
from tests.factories import PASSWORD, make_appointment

from .test_prescription_pdf import pdf_text

pytestmark = pytest.mark.django_db

AMOXICILLIN = {
    "drug": "Amoxicillin",
    "dose": "500 mg",
    "frequency": "three times a day",
    "duration": "7 days",
    "instructions": "after food",
}
IBUPROFEN = {"drug": "Ibuprofen", "dose": "200 mg", "frequency": "as needed", "duration": "5 days", "instructions": ""}


# --- Files ----------------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Blood test results")
    return bytes(pdf.output())


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (11, 93, 107)).save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- Fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _remove_stored_files(db):
    """Attachments are real files in private storage; delete the ones a test wrote."""
    yield
    for attachment in PrescriptionAttachment.objects.all():
        attachment.file.storage.delete(attachment.file.name)


@pytest.fixture
def notified(monkeypatch):
    """Record queued notifications instead of rendering and sending them."""
    calls = []
    monkeypatch.setattr(
        "booking.prescriptions.services.queue_notification",
        lambda appointment, kind, remark="": calls.append((appointment.reference, kind)),
    )
    return calls


@pytest.fixture
def appointment(doctor, patient):
    """Alice's confirmed appointment with Dr Ada Lovelace."""
    return make_appointment(doctor, patient=patient, status=Appointment.Status.CONFIRMED)


@pytest.fixture
def guest_appointment(doctor):
    """Gus Guest's confirmed appointment (gus@example.com), booked without an account."""
    return make_appointment(doctor, n=1, status=Appointment.Status.CONFIRMED)


def write(appointment, doctor_user, medications=(AMOXICILLIN,), tests=(), advice="Rest.", follow_up_on=None):
    return save_prescription(
        appointment,
        doctor_user,
        advice=advice,
        follow_up_on=follow_up_on,
        medications=list(medications),
        tests=list(tests),
    )


@pytest.fixture
def signed(appointment, doctor_user, notified):
    write(appointment, doctor_user, tests=[{"name": "Full blood count", "notes": "fasting"}])
    prescription = sign_prescription(appointment, doctor_user)
    return prescription


def login(client, user):
    client.logout()
    assert client.login(email=user.email, password=PASSWORD)


def urls(appointment, attachment_pk: int = 1) -> dict[str, str]:
    """Every prescription URL of an appointment (or of a bare reference string)."""
    ref = getattr(appointment, "reference", appointment)
    return {
        "detail": reverse("prescriptions:detail", args=[ref]),
        "edit": reverse("prescriptions:edit", args=[ref]),
        "sign": reverse("prescriptions:sign", args=[ref]),
        "pdf": reverse("prescriptions:pdf", args=[ref]),
        "attachment": reverse("prescriptions:attachment", args=[ref, attachment_pk]),
    }


def form_data(medications=(), tests=(), *, advice="", follow_up="", initial_meds=0, initial_tests=0, **extra) -> dict:
    """POST data for the edit form: the main fields plus both formsets' management forms."""
    data = {"advice": advice, "follow_up_on": follow_up}
    for prefix, rows, initial in (("medications", medications, initial_meds), ("tests", tests, initial_tests)):
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "30",
        }
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{key}": value for key, value in row.items()}
    return data | extra


# The old access log's actions, as the audit trail records them.
LOGGED_AS = {
    "view": ("view", "prescription"),
    "pdf": ("download", "prescription"),
    "attachment": ("download", "attachment"),
}


def logs(prescription, **filters):
    """The audit trail's allowed reads of this prescription (``action``/``user`` as the old log named them)."""
    if "action" in filters:
        action, object_type = LOGGED_AS[filters.pop("action")]
        filters |= {"action": action, "object_type": object_type}
    if "user" in filters:
        filters["actor"] = filters.pop("user")
    return PrescriptionAccessLog.objects.filter(
        object_ref=prescription.appointment.reference, outcome="allowed", action__in=["view", "download"], **filters
    )


# --- Writing, signing, seeing ---------------------------------------------------------------


def test_doctor_writes_patient_sees_only_after_signing(client, appointment, doctor_user, patient, notified):
    u = urls(appointment)
    login(client, doctor_user)
    response = client.get(u["edit"])
    assert response.status_code == 200
    assert "Medication 1" in response.content.decode()

    response = client.post(
        u["edit"],
        form_data([AMOXICILLIN], [{"name": "Full blood count", "notes": "fasting"}], advice="Drink water."),
    )
    assert response.status_code == 302 and response["Location"] == u["detail"]
    prescription = Prescription.objects.get(appointment=appointment)
    assert [m.drug for m in prescription.medications.all()] == ["Amoxicillin"]
    assert [t.name for t in prescription.tests.all()] == ["Full blood count"]
    assert not prescription.is_signed

    page = client.get(u["detail"]).content.decode()
    assert "Draft" in page and "Amoxicillin" in page and "Sign version 1" in page

    login(client, patient)
    for name in ("detail", "pdf"):
        response = client.get(u[name])
        assert response.status_code == 404, name
        assert "Amoxicillin" not in response.content.decode(errors="replace")

    login(client, doctor_user)
    assert client.post(u["sign"]).status_code == 302
    prescription.refresh_from_db()
    assert prescription.is_signed and prescription.signed_by == doctor_user
    assert notified == [(appointment.reference, "prescription")]

    login(client, patient)
    page = client.get(u["detail"]).content.decode()
    assert "Amoxicillin" in page and "500 mg" in page and "Full blood count" in page and "Drink water." in page
    response = client.get(u["pdf"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="prescription-{appointment.reference}-v1.pdf"'
    assert response.content.startswith(b"%PDF")
    assert "Amoxicillin" in pdf_text(response.content)
    assert {(log.action, log.object_type) for log in logs(prescription, user=patient)} == {
        LOGGED_AS["view"],
        LOGGED_AS["pdf"],
    }


def test_editing_after_signing_freezes_a_revision_and_starts_a_new_version(
    client, signed, appointment, doctor_user, patient, notified
):
    prescription = write(appointment, doctor_user, medications=[IBUPROFEN], advice="Changed.")
    prescription.refresh_from_db()
    assert prescription.version == 2 and not prescription.is_signed
    revision = PrescriptionRevision.objects.get(prescription=prescription)
    assert revision.version == 1 and revision.signed_at is not None
    assert [m["drug"] for m in revision.content["medications"]] == ["Amoxicillin"]
    assert revision.content["signed_by"] == "Dr Ada Lovelace"

    # Until version 2 is signed the patient keeps seeing version 1, never the draft.
    login(client, patient)
    page = client.get(urls(appointment)["detail"]).content.decode()
    assert "Amoxicillin" in page and "Ibuprofen" not in page and "Changed." not in page
    response = client.get(urls(appointment)["pdf"])
    assert response["Content-Disposition"].endswith('-v1.pdf"')
    assert "Ibuprofen" not in pdf_text(response.content)

    sign_prescription(appointment, doctor_user)
    page = client.get(urls(appointment)["detail"]).content.decode()
    assert "Ibuprofen" in page and "Amoxicillin" not in page
    assert client.get(urls(appointment)["pdf"])["Content-Disposition"].endswith('-v2.pdf"')

    # A third round makes revision 2; versions only go up.
    write(appointment, doctor_user, medications=[AMOXICILLIN, IBUPROFEN])
    assert sorted(PrescriptionRevision.objects.values_list("version", flat=True)) == [1, 2]
    assert Prescription.objects.get(pk=prescription.pk).version == 3


def test_saving_unchanged_content_does_not_start_a_new_version(client, signed, appointment, doctor_user):
    write(appointment, doctor_user, tests=[{"name": "Full blood count", "notes": "fasting"}])
    login(client, doctor_user)
    data = form_data([AMOXICILLIN], [{"name": "Full blood count", "notes": "fasting"}], advice="Rest.")
    response = client.post(urls(appointment)["edit"], data, follow=True)
    assert "No changes: version 1 is still the signed one." in response.content.decode()
    signed.refresh_from_db()
    assert signed.version == 1 and signed.is_signed
    assert not PrescriptionRevision.objects.exists()


@pytest.mark.parametrize("status", ["pending", "declined", "cancelled"])
def test_writing_is_refused_unless_confirmed_or_completed(client, doctor, doctor_user, patient, status):
    # Cancelled is confirmed first, then called off: no prescription either.
    appointment = make_appointment(doctor, patient=patient, status=status)
    with pytest.raises(NotPrescribable, match="confirmed or completed"):
        write(appointment, doctor_user)
    with pytest.raises(NotPrescribable):
        get_or_start_prescription(appointment, doctor_user)
    assert issubclass(NotPrescribable, BookingError)

    login(client, doctor_user)
    response = client.post(urls(appointment)["edit"], form_data([AMOXICILLIN]))
    assert response.status_code == 409
    assert "confirmed or completed" in response.content.decode()
    response = client.post(urls(appointment)["sign"])
    assert response.status_code == 302
    assert not Prescription.objects.filter(appointment=appointment).exists()


def test_completed_appointments_can_have_prescriptions(appointment, doctor_user, notified):
    transition(
        appointment,
        Appointment.Status.COMPLETED,
        Actor(Actor.DOCTOR, doctor_user),
        now=appointment.starts_at + timedelta(minutes=40),
    )
    write(appointment, doctor_user)
    assert sign_prescription(appointment, doctor_user).is_signed


def test_only_the_appointments_own_doctor_writes(appointment, other_doctor, patient, staff_user):
    for user in (other_doctor.user, patient, staff_user):
        with pytest.raises(NotPrescribingDoctor):
            write(appointment, user)
        with pytest.raises(NotPrescribingDoctor):
            sign_prescription(appointment, user)
    assert not Prescription.objects.exists()


def test_signing_refuses_an_empty_prescription_and_a_second_signature(appointment, doctor_user, notified):
    with pytest.raises(NothingToSign):
        sign_prescription(appointment, doctor_user)  # nothing written at all
    get_or_start_prescription(appointment, doctor_user)
    with pytest.raises(NothingToSign, match="at least one"):
        sign_prescription(appointment, doctor_user)
    write(appointment, doctor_user, medications=[], advice="Rest and fluids.")  # advice alone is enough
    sign_prescription(appointment, doctor_user)
    with pytest.raises(AlreadySigned):
        sign_prescription(appointment, doctor_user)
    assert notified == [(appointment.reference, "prescription")]  # one email, not two


def test_sign_is_post_only(client, signed, appointment, doctor_user):
    login(client, doctor_user)
    assert client.get(urls(appointment)["sign"]).status_code == 405


# --- Who sees what --------------------------------------------------------------------------


@pytest.fixture
def with_attachment(signed, appointment, doctor_user, notified):
    """The signed prescription with a PDF attached, signed again (version 2)."""
    attachment = add_attachment(signed, upload("results.pdf", pdf_bytes()), doctor_user)
    sign_prescription(appointment, doctor_user)
    return attachment


def _as_other_doctor(client, other_doctor, **_):
    login(client, other_doctor.user)


def _as_other_patient(client, other_patient, **_):
    login(client, other_patient)


def _as_anonymous(client, **_):
    client.logout()


def _as_guest_with_wrong_email(client, appointment, **_):
    client.logout()
    response = client.post(
        reverse("appointments:find"), {"reference": appointment.reference, "email": "not-alice@example.com"}
    )
    assert response.status_code == 404


def _as_staff_without_permission(client, staff_user, **_):
    """Staff who may see appointments (their times) but not prescriptions (medical content)."""
    staff_user.groups.clear()
    staff_user.user_permissions.add(Permission.objects.get(codename="view_appointment"))
    login(client, staff_user)


@pytest.mark.parametrize(
    "become",
    [_as_other_doctor, _as_other_patient, _as_anonymous, _as_guest_with_wrong_email, _as_staff_without_permission],
)
def test_outsiders_get_404_on_every_prescription_url(
    client, become, with_attachment, appointment, other_doctor, other_patient, staff_user
):
    become(
        client, appointment=appointment, other_doctor=other_doctor, other_patient=other_patient, staff_user=staff_user
    )
    signed_out = "_auth_user_id" not in client.session
    for name, url in urls(appointment, with_attachment.pk).items():
        for method in ("get", "post"):
            response = getattr(client, method)(url, form_data([IBUPROFEN]) if method == "post" else None)
            # Signed out: the sign-in page, as for any reference (test_signed_out_links.py).
            assert response.status_code in ((302, 404) if signed_out else (404,)), (name, method)
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/?next="), (name, method)
            body = response.content.decode(errors="replace")
            assert "Amoxicillin" not in body and "Alice Tester" not in body, (name, method)
    assert not PrescriptionAccessLog.objects.filter(outcome="allowed").exists()
    with_attachment.prescription.refresh_from_db()
    assert with_attachment.prescription.version == 2 and with_attachment.prescription.is_signed


def test_patient_may_read_but_not_edit_or_sign(client, signed, appointment, patient):
    login(client, patient)
    u = urls(appointment)
    assert client.get(u["detail"]).status_code == 200
    assert client.get(u["edit"]).status_code == 404
    assert client.post(u["edit"], form_data([IBUPROFEN])).status_code == 404
    assert client.post(u["sign"]).status_code == 404


def test_staff_with_permission_read_drafts_but_cannot_write(client, appointment, doctor_user, staff_user):
    write(appointment, doctor_user)
    staff_user.user_permissions.add(Permission.objects.get(codename="view_prescription"))
    assert can_read_prescription(staff_user, appointment)
    login(client, staff_user)
    u = urls(appointment)
    page = client.get(u["detail"]).content.decode()
    assert "Draft" in page and "Amoxicillin" in page and "Sign version" not in page
    assert client.get(u["pdf"]).status_code == 200
    assert client.get(u["edit"]).status_code == 404
    assert client.post(u["sign"]).status_code == 404


def test_guest_who_proved_reference_and_email_sees_the_signed_prescription(
    client, guest_appointment, doctor_user, notified
):
    u = urls(guest_appointment)
    write(guest_appointment, doctor_user)
    found = client.post(
        reverse("appointments:find"), {"reference": guest_appointment.reference, "email": "GUS@example.com"}
    )
    assert found.status_code == 302
    assert client.get(u["detail"]).status_code == 404  # not signed yet

    sign_prescription(guest_appointment, doctor_user)
    page = client.get(u["detail"]).content.decode()
    assert "Amoxicillin" in page
    response = client.get(u["pdf"])
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    log = logs(guest_appointment.prescription, action="pdf").get()
    assert log.actor is None and log.guest_email == "gus@example.com" and log.ip_address == "127.0.0.1"
    assert client.get(u["edit"]).status_code == 404


def test_no_prescription_is_404_even_for_the_doctor(client, appointment, doctor_user):
    login(client, doctor_user)
    assert client.get(urls(appointment)["detail"]).status_code == 404
    assert client.get(urls(appointment)["pdf"]).status_code == 404
    assert client.get(urls(appointment)["edit"]).status_code == 200  # where the doctor starts one
    assert not Prescription.objects.exists()  # opening the form creates nothing


def test_unknown_reference_is_404(client, doctor_user, appointment):
    login(client, doctor_user)
    for url in urls("ZZZZZ-ZZZZZ").values():
        assert client.get(url).status_code == 404


# --- The edit form --------------------------------------------------------------------------


def test_invalid_input_shows_errors_and_saves_nothing(client, appointment, doctor_user):
    login(client, doctor_user)
    edit = urls(appointment)["edit"]
    empty_drug = dict(AMOXICILLIN, drug="")
    long_dose = dict(AMOXICILLIN, dose="x" * 2000)

    response = client.post(edit, form_data([empty_drug, long_dose], advice="Should not be saved."))
    assert response.status_code == 400
    page = response.content.decode()
    assert "nothing was saved" in page
    assert "This field is required." in page
    assert "Ensure this value has at most 100 characters (it has 2000)." in page
    assert 'aria-invalid="true"' in page and 'href="#id_medications-0-drug"' in page
    assert not Prescription.objects.exists()

    # With a prescription already there, a bad edit leaves it exactly as it was.
    client.post(edit, form_data([AMOXICILLIN], advice="First."))
    prescription = Prescription.objects.get()
    response = client.post(edit, form_data([AMOXICILLIN, long_dose], advice="Second."))
    assert response.status_code == 400
    prescription.refresh_from_db()
    assert prescription.advice == "First." and prescription.medications.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {},  # no management forms at all
        {"medications-TOTAL_FORMS": "abc", "tests-TOTAL_FORMS": "-1"},
        {"follow_up_on": "not a date"},
        {"follow_up_on": "1999-01-01"},
        {"medications-TOTAL_FORMS": "100000"},
    ],
)
def test_garbage_input_is_a_400_not_a_500(client, appointment, doctor_user, data):
    login(client, doctor_user)
    base = form_data([AMOXICILLIN]) if "follow_up_on" in data else {}
    response = client.post(urls(appointment)["edit"], base | data)
    assert response.status_code == 400
    assert not Prescription.objects.exists()


def test_lines_can_be_removed_and_keep_their_order(client, appointment, doctor_user):
    write(appointment, doctor_user, medications=[AMOXICILLIN, IBUPROFEN])
    login(client, doctor_user)
    page = client.get(urls(appointment)["edit"]).content.decode()
    assert 'value="Amoxicillin"' in page and "Remove this medication" in page
    third = dict(AMOXICILLIN, drug="Omeprazole")
    data = form_data([AMOXICILLIN, IBUPROFEN, third], initial_meds=2, **{"medications-0-DELETE": "on"})
    assert client.post(urls(appointment)["edit"], data).status_code == 302
    assert list(Prescription.objects.get().medications.values_list("drug", flat=True)) == ["Ibuprofen", "Omeprazole"]


def test_submitted_rows_win_even_if_the_prescription_changed_meanwhile(client, appointment, doctor_user):
    """The page showed one line; another tab saved a second; this tab adds the same second line."""
    write(appointment, doctor_user, medications=[AMOXICILLIN])
    write(appointment, doctor_user, medications=[AMOXICILLIN, IBUPROFEN])
    login(client, doctor_user)
    response = client.post(urls(appointment)["edit"], form_data([AMOXICILLIN, IBUPROFEN], initial_meds=1))
    assert response.status_code == 302
    assert list(Prescription.objects.get().medications.values_list("drug", flat=True)) == ["Amoxicillin", "Ibuprofen"]


def test_error_page_keeps_the_remove_box_for_saved_lines_only(client, appointment, doctor_user):
    write(appointment, doctor_user, medications=[AMOXICILLIN])
    login(client, doctor_user)
    data = form_data([dict(AMOXICILLIN, dose="x" * 2000), IBUPROFEN], initial_meds=1)
    page = client.post(urls(appointment)["edit"], data).content.decode()
    assert 'name="medications-0-DELETE"' in page and 'name="medications-1-DELETE"' not in page


def test_follow_up_date_is_saved(client, appointment, doctor_user):
    login(client, doctor_user)
    day = appointment.local_starts_at.date() + timedelta(days=10)
    response = client.post(urls(appointment)["edit"], form_data([AMOXICILLIN], follow_up=day.isoformat()))
    assert response.status_code == 302
    assert Prescription.objects.get().follow_up_on == day


def test_service_validates_lines_too(appointment, doctor_user):
    with pytest.raises(BookingError, match="at most 100"):
        write(appointment, doctor_user, medications=[dict(AMOXICILLIN, dose="x" * 2000)])
    with pytest.raises(BookingError, match="needs a drug"):
        write(appointment, doctor_user, medications=[dict(AMOXICILLIN, drug="")])
    assert not Prescription.objects.exists()


# --- Attachments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "mime", "shown_as"),
    [
        ("results.pdf", pdf_bytes(), "application/pdf", "results.pdf"),
        ("x-ray.png", image_bytes("PNG"), "image/png", "x-ray.png"),
        ("rash photo.JPG", image_bytes("JPEG"), "image/jpeg", "rash photo.jpg"),
    ],
)
def test_real_pdf_png_and_jpeg_are_accepted_and_served_as_downloads(
    client, appointment, doctor_user, name, content, mime, shown_as
):
    login(client, doctor_user)
    data = form_data([AMOXICILLIN]) | {"attachment": upload(name, content, "application/octet-stream")}
    response = client.post(urls(appointment)["edit"], data)
    assert response.status_code == 302, response.content.decode()[:2000]
    attachment = PrescriptionAttachment.objects.get()
    assert attachment.content_type == mime and attachment.size == len(content)
    assert attachment.original_name == shown_as
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(Path(django_settings.PRIVATE_MEDIA_ROOT))
    assert not stored.is_relative_to(Path(django_settings.MEDIA_ROOT))
    assert Path(name).stem not in stored.name  # a random name on disk

    response = client.get(urls(appointment, attachment.pk)["attachment"])
    assert response.status_code == 200
    assert response["Content-Type"] == mime
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content
    assert logs(attachment.prescription, action="attachment").count() == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.pdf", b"Just some text, not a PDF at all.\n" * 10),
        ("page.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"<html>not really an image</html>"),
    ],
)
def test_disguised_files_are_refused_and_nothing_is_saved(client, appointment, doctor_user, name, content):
    login(client, doctor_user)
    data = form_data([AMOXICILLIN]) | {"attachment": upload(name, content)}
    response = client.post(urls(appointment)["edit"], data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Only PDF, JPEG and PNG" in page or "damaged or not really an image" in page
    assert not Prescription.objects.exists() and not PrescriptionAttachment.objects.exists()
    with pytest.raises(AttachmentRejected):
        inspect_attachment(upload(name, content))


def test_oversized_files_are_refused(client, appointment, doctor_user, settings):
    settings.PRESCRIPTION_ATTACHMENT_MAX_BYTES = 200
    login(client, doctor_user)
    big = pdf_bytes()
    assert len(big) > 200
    response = client.post(urls(appointment)["edit"], form_data([AMOXICILLIN]) | {"attachment": upload("big.pdf", big)})
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not PrescriptionAttachment.objects.exists()
    signed_prescription = write(appointment, doctor_user)
    with pytest.raises(AttachmentRejected, match="too large"):
        add_attachment(signed_prescription, upload("big.pdf", big), doctor_user)


def test_forged_attachment_id_from_another_prescription_is_404(
    client, signed, appointment, doctor, doctor_user, patient, notified
):
    other = make_appointment(doctor, n=2, patient=patient, status=Appointment.Status.CONFIRMED)
    write(other, doctor_user)
    theirs = add_attachment(Prescription.objects.get(appointment=other), upload("other.pdf", pdf_bytes()), doctor_user)
    sign_prescription(other, doctor_user)
    mine = add_attachment(signed, upload("mine.pdf", pdf_bytes()), doctor_user)
    sign_prescription(appointment, doctor_user)

    for user in (doctor_user, patient):  # both may see both prescriptions, but not cross-wired
        login(client, user)
        assert client.get(urls(appointment, theirs.pk)["attachment"]).status_code == 404
        assert client.get(urls(other, mine.pk)["attachment"]).status_code == 404
        assert client.get(urls(appointment, mine.pk)["attachment"]).status_code == 200
        assert client.get(urls(appointment, 999999)["attachment"]).status_code == 404


def test_patient_gets_only_attachments_of_the_signed_version(client, signed, appointment, doctor_user, patient):
    attachment = add_attachment(signed, upload("late.pdf", pdf_bytes()), doctor_user)
    signed.refresh_from_db()
    assert signed.version == 2 and not signed.is_signed  # adding a file is an edit, too
    login(client, patient)
    url = urls(appointment, attachment.pk)["attachment"]
    assert client.get(url).status_code == 404
    assert "late.pdf" not in client.get(urls(appointment)["detail"]).content.decode()
    sign_prescription(appointment, doctor_user)
    assert client.get(url).status_code == 200
    assert "late.pdf" in client.get(urls(appointment)["detail"]).content.decode()


def test_attachment_names_are_sanitised(appointment, doctor_user):
    prescription = write(appointment, doctor_user)
    attachment = add_attachment(prescription, upload('..\\..\\evil<script>"name.pdf', pdf_bytes()), doctor_user)
    assert attachment.original_name == "evil script name.pdf"
    assert sanitise_filename("scan.pdf", ".png") == "scan.pdf.png"  # a PNG posing as .pdf gets .png
    assert sanitise_filename("   ", ".pdf") == "attachment.pdf"
    assert sanitise_filename("Ärztlicher Befund.PDF", ".pdf") == "Ärztlicher Befund.pdf"
    assert len(sanitise_filename("a" * 500 + ".pdf", ".pdf")) == 200


# --- Audit and caching ----------------------------------------------------------------------


def test_every_view_and_download_is_logged(client, with_attachment, appointment, doctor_user, patient):
    prescription = with_attachment.prescription
    for user in (doctor_user, patient):
        login(client, user)
        u = urls(appointment, with_attachment.pk)
        for name in ("detail", "pdf", "attachment"):
            response = client.get(u[name], REMOTE_ADDR="203.0.113.9")
            assert response.status_code == 200, name
            assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
        for action in ("view", "pdf", "attachment"):
            assert logs(prescription, user=user, action=action).count() == 1, action
    assert set(logs(prescription).values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert logs(prescription, action="attachment").first().detail.startswith(f"attachment {with_attachment.pk},")


# Pins a review finding: this failed before its fix.
def test_guest_grants_do_not_widen_staff_rights(client, doctor, doctor_user, staff_user, far_slots):
    guest = make_appointment(doctor, slot=far_slots[0], status=Appointment.Status.CONFIRMED)
    save_prescription(
        guest,
        doctor_user,
        advice="Rest.",
        follow_up_on=None,
        medications=[{"drug": "Secretol", "dose": "1", "frequency": "daily", "duration": "1 day"}],
        tests=[],
    )
    sign_prescription(guest, doctor_user)
    staff_user.groups.first().permissions.remove(Permission.objects.get(codename="view_prescription"))
    client.login(email=staff_user.email, password=PASSWORD)
    client.get(guest_link_path(guest))  # a forwarded guest email reaching staff
    response = client.get(reverse("prescriptions:detail", args=[guest.reference]))
    assert response.status_code == 404
    assert b"Secretol" not in response.content
