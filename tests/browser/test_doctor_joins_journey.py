"""A doctor joins in a real browser: signs up, confirms their email, sends their profile; staff
approve it in the Wagtail admin; a patient finds the new doctor and books them."""

from __future__ import annotations

import io
import re

import pyotp
import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from PIL import Image

from booking.models import Appointment, DoctorApplication
from home.models import DoctorPage
from portal.models import User
from tests.factories import PASSWORD, TOTP_SECRET, confirm_by_email, make_user

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCTOR_EMAIL = "grace.hopper@example.com"
STAFF_EMAIL = "reviewer@example.com"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 240), (11, 93, 107)).save(buffer, "PNG")
    return buffer.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def sign_in(page, base: str, email: str, password: str, next_url: str | None = None) -> None:
    """The one place the journey signs someone in; staff made by the factory answer its TOTP key."""
    login(page, base, email, password, next_url=next_url, totp_secret=TOTP_SECRET)


def confirmation_link(email: str) -> str:
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)


def test_doctor_registers_staff_approve_and_a_patient_books_them(live_server, browser, page, shot, demo_site):
    base = live_server.url
    # A member of "Clinic staff" (not a superuser): the group the vetting task is assigned to.
    reviewer = make_user(STAFF_EMAIL, User.Role.STAFF, first_name="Rita", last_name="Reviewer")
    EmailAddress.objects.create(user=reviewer, email=STAFF_EMAIL, verified=True, primary=True)

    # 1. The doctor finds "Join as a doctor" and creates an account.
    page.goto(base + "/")
    page.get_by_role("link", name="Join as a doctor").click()
    page.wait_for_url(re.compile(r"/join/doctor/$"))
    page.get_by_label("Email").fill(DOCTOR_EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile("Password \\(again\\)")).fill(PASSWORD)
    shot("join")
    page.get_by_role("button", name="Create my doctor's account").click()
    page.wait_for_load_state()
    assert User.objects.get(email=DOCTOR_EMAIL).is_doctor

    # 2. …confirms the address from the email and lands on the profile step.
    page.goto(confirmation_link(DOCTOR_EMAIL).replace("http://testserver", base))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/join/doctor/profile/$"))
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Job title").fill("Consultant cardiologist")
    page.get_by_label("Photo").set_input_files({"name": "grace.png", "mimeType": "image/png", "buffer": png_bytes()})
    page.get_by_label("Cardiology").check()
    page.get_by_label("Qualifications").fill("MBBS, University of Leeds\nMRCP (UK)")
    page.get_by_label("Registration / licence number").fill("7654321")
    page.get_by_label("Supporting document").set_input_files(
        {"name": "gmc-certificate.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_label("Languages you consult in").fill("English, French")
    page.get_by_label("Phone").fill("020 7946 0000")
    page.get_by_label(re.compile("Consultation fee")).fill("75")
    # Three days a week, so that every week shown on the booking page has free times.
    for row, weekday in enumerate(("Monday", "Wednesday", "Friday")):
        page.locator(f"select[name=hours-{row}-weekday]").select_option(label=weekday)
        page.locator(f"input[name=hours-{row}-starts]").fill("09:00")
        page.locator(f"input[name=hours-{row}-ends]").fill("17:00")
    shot("profile")
    page.get_by_role("button", name="Send my application").click()
    # Doctors keep patients' records: before their dashboard, the authenticator app. allauth
    # asks for the password first, then the code.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.get_by_label("Or type this setup key").input_value()
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    page.get_by_role("link", name="Continue to my dashboard").click()
    page.wait_for_url(re.compile(r"/doctor/$"))
    assert "Your application is being reviewed" in page.locator("main").inner_text()
    shot("in-review")

    application = DoctorApplication.objects.get(user__email=DOCTOR_EMAIL)
    doctor = DoctorPage.objects.get(pk=application.page_id)
    assert not doctor.live
    assert page.request.get(f"{base}/doctors/{doctor.slug}/book/").status == 404

    # 3. Staff review it in the Wagtail admin and approve.
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = staff_context.new_page()
    staff.set_default_timeout(15_000)
    sign_in(staff, base, STAFF_EMAIL, PASSWORD, next_url="/admin/")
    staff.goto(f"{base}/admin/bookings/applications/{application.pk}/")
    assert "7654321" in staff.locator("main").inner_text()
    shot("staff-application", target=staff)
    staff.get_by_role("link", name="Open the page in the editor").click()
    staff.wait_for_url(re.compile(rf"/admin/pages/{doctor.pk}/edit/"))
    shot("staff-editor", target=staff)
    actions = staff.locator(".w-dropdown-button")
    actions.get_by_role("button", name="More actions").click()
    shot("staff-actions", target=staff)
    actions.get_by_role("button", name="Approve and Publish", exact=True).click()
    staff.wait_for_load_state()
    shot("staff-approved", target=staff)
    doctor.refresh_from_db()
    assert doctor.live
    application.refresh_from_db()
    assert application.is_approved
    staff_context.close()

    # 4. A patient finds the new doctor and books them.
    patient_context = browser.new_context(viewport={"width": 390, "height": 844})
    patient = patient_context.new_page()
    patient.set_default_timeout(15_000)
    patient.goto(base + "/doctors/")
    patient.get_by_role("link", name=re.compile("Dr Grace Hopper")).first.click()
    patient.wait_for_url(re.compile(rf"/doctors/{doctor.slug}/$"))
    shot("patient-doctor-page", target=patient)
    patient.get_by_role("link", name="Book an appointment").last.click()
    patient.wait_for_url(re.compile(r"/book/$"))
    slot = patient.locator(".slot label").first
    chosen = slot.inner_text()
    slot.click()
    patient.get_by_label("Full name").fill("Ada Patient")
    patient.get_by_label("Email").fill("ada.patient@example.com")
    patient.get_by_label("Mobile number").fill("07912 345678")
    patient.get_by_role("button", name="Book this time").click()
    patient.wait_for_url(re.compile(r"/book/confirmed/"))
    shot("patient-booked", target=patient)
    appointment = Appointment.objects.get(email="ada.patient@example.com")
    assert appointment.doctor_id == doctor.pk
    assert appointment.local_starts_at.strftime("%H:%M") == chosen
    patient_context.close()
    # A guest's booking reaches the doctor once the guest confirms it from the email.
    confirm_by_email(Client(), appointment)

    # 5. The new doctor signs in and sees the request on their dashboard.
    page.goto(base + "/doctor/")
    assert appointment.full_name in page.locator("main").inner_text()
    shot("doctor-dashboard")
