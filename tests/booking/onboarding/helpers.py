"""Builders for the "Join as a doctor" tests: real files, the real sign-up, profile step and review.

Every step goes through the site's own URLs (allauth's sign-up and email confirmation, the
profile form, Wagtail's workflow action view), so the tests exercise what a doctor and a
reviewer really do.
"""

from __future__ import annotations

import io
import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image
from wagtail.models import TaskState

from booking.models import DoctorApplication
from home.models import DoctorPage
from portal.mfa import enrol_totp
from portal.models import User
from tests.factories import PASSWORD, TOTP_SECRET

JOIN_URL = "/join/doctor/"
PROFILE_URL = "/join/doctor/profile/"
GMC = "7654321"


def png_bytes(size=(64, 64), colour=(11, 93, 107)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def photo(name="me.png", data=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else png_bytes(), content_type="image/png")


def document(name="gmc-certificate.pdf", data=None, content_type="application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else pdf_bytes(), content_type=content_type)


def sign_up(client, email="new.doctor@example.com", password=PASSWORD):
    """Step 1 as a browser does it: the doctor sign-up form (its email leaves through the outbox after commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(JOIN_URL, {"email": email, "password1": password, "password2": password})


def confirmation_url(email: str) -> str:
    """The confirmation link allauth emailed to ``email``."""
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", message.body).group(1)
    return reverse("account_confirm_email", args=[key])


def verify_and_sign_in(client, email="new.doctor@example.com", password=PASSWORD, *, mfa: bool = True):
    """Follow the confirmation link from the email, then sign in (allauth's own views).

    With ``mfa`` the doctor has also set up their authenticator app, as the dashboard requires
    of every doctor; the application pages themselves work without it.
    """
    client.post(confirmation_url(email))
    assert EmailAddress.objects.get(email=email).verified
    user = User.objects.get(email=email)
    if mfa:
        enrol_totp(user, TOTP_SECRET)
    client.logout()
    assert client.login(email=email, password=password)
    return user


def joined_doctor(client, email="new.doctor@example.com", *, mfa: bool = True) -> User:
    sign_up(client, email)
    return verify_and_sign_in(client, email, mfa=mfa)


def hours_rows(rows=(("0", "09:00", "13:00"), ("2", "09:00", "17:00"))) -> dict:
    data = {
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for i, (weekday, starts, ends) in enumerate(rows):
        data.update({f"hours-{i}-weekday": weekday, f"hours-{i}-starts": starts, f"hours-{i}-ends": ends})
    return data


def every_day_hours() -> dict:
    """08:00–20:00 every day, so a booking test never depends on the weekday."""
    return hours_rows(tuple((str(day), "08:00", "20:00") for day in range(7)))


def profile_data(specialization, *, hours=None, **overrides) -> dict:
    data = {
        "first_name": "Grace",
        "last_name": "Hopper",
        "job_title": "Consultant cardiologist",
        "photo": photo(),
        "specializations": [str(specialization.pk)],
        "qualifications": "MBBS, University of Leeds\nMRCP",
        "licence_number": GMC,
        "languages": "English, French",
        "phone": "020 7946 0000",
        "consultation_fee": "75.00",
        "offers_online": "on",
        **(hours if hours is not None else every_day_hours()),
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def send_profile(client, specialization, **overrides):
    return client.post(PROFILE_URL, profile_data(specialization, **overrides))


def application_of(user) -> DoctorApplication:
    return DoctorApplication.objects.select_related("page").get(user=user)


def draft_page(user) -> DoctorPage:
    return DoctorPage.objects.get(pk=application_of(user).page_id)


def review(staff_client, page, action: str, comment: str = ""):
    """Approve or request changes ("reject") as a reviewer does from the admin."""
    state = page.current_workflow_state
    assert state is not None, "the page is not in review"
    task_state = TaskState.objects.get(pk=state.current_task_state_id)
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, action, task_state.pk])
    return staff_client.post(url, {"comment": comment})


def approved_doctor(client, specialization, staff_user, email="new.doctor@example.com") -> User:
    """A doctor who joined and whom staff approved; ``client`` ends signed out."""
    user = joined_doctor(client, email)
    assert send_profile(client, specialization).status_code == 302
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    assert review(client, draft_page(user), "approve").status_code == 302
    client.logout()
    assert application_of(user).is_approved
    return user


def schedule_post(page, **profile) -> dict:
    """The doctor's "Profile & hours" form as the browser sends it, keeping the page's hours."""
    page = page.get_latest_revision_as_object()
    hours = list(page.working_hours.all())
    data = {
        "job_title": page.job_title,
        "qualifications": page.qualifications,
        "languages": page.languages,
        "phone": str(page.phone or ""),
        "offers_online": "on" if page.offers_online else "",
        "hours-TOTAL_FORMS": str(len(hours)),
        "hours-INITIAL_FORMS": str(len(hours)),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
        "timeoff-TOTAL_FORMS": "0",
        "timeoff-INITIAL_FORMS": "0",
        "timeoff-MIN_NUM_FORMS": "0",
        "timeoff-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(hours):
        data.update(
            {
                f"hours-{i}-id": str(row.pk),
                f"hours-{i}-weekday": str(row.weekday),
                f"hours-{i}-starts": row.starts.strftime("%H:%M"),
                f"hours-{i}-ends": row.ends.strftime("%H:%M"),
            }
        )
    data.update(profile)
    return data
