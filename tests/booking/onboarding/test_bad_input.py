"""Registration refuses bad input with a message next to the field, and then nothing exists.

Each case is sent through the real profile step; afterwards no page, image, document file,
workflow state or email exists, and the application is still waiting for its profile.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from wagtail.images import get_image_model
from wagtail.models import WorkflowState

from booking.models import DoctorApplication, Notification
from home.models import DoctorPage
from portal.models import User
from tests.factories import PASSWORD

from .helpers import (
    GMC,
    JOIN_URL,
    PROFILE_URL,
    application_of,
    document,
    hours_rows,
    joined_doctor,
    photo,
    png_bytes,
    send_profile,
    sign_up,
)

pytestmark = pytest.mark.django_db

HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def private_files() -> set[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT) / "doctor-applications"
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def media_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@pytest.fixture
def applicant(client, site_tree):
    user = joined_doctor(client)
    mail.outbox.clear()
    return user


def assert_nothing_created(user, before_private: set[Path]):
    application = application_of(user)
    assert application.status == DoctorApplication.Status.STARTED
    assert application.page_id is None and application.licence_number is None and not application.document
    assert not DoctorPage.objects.filter(user=user).exists()
    assert not get_image_model().objects.exists()
    assert not WorkflowState.objects.exists()
    # Nothing about an application was emailed (the sign-up's own "verify your address" was).
    assert not Notification.objects.filter(to=user.email).exclude(kind=Notification.Kind.ACCOUNT).exists()
    assert private_files() == before_private
    assert media_files() == set()  # the photo was not left behind either
    assert application.events.count() == 1  # only "account created"


def first_error(response, field: str) -> str:
    errors = response.context["form"].errors.get(field) or []
    assert errors, f"no error on {field}: {response.context['form'].errors}"
    return errors[0]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"licence_number": None}, "licence_number", "Enter your registration or licence number."),
        ({"licence_number": "   "}, "licence_number", "Enter your registration or licence number."),
        ({"licence_number": "123456"}, "licence_number", "not a valid registration number"),
        ({"licence_number": "12345678"}, "licence_number", "not a valid registration number"),
        ({"licence_number": "GMC765432"}, "licence_number", "not a valid registration number"),
        ({"licence_number": "1234567" * 10}, "licence_number", "at most"),
        ({"document": document("certificate.pdf", HTML_PAGE, "application/pdf")}, "document", "none of those"),
        ({"document": document("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")}, "document", "damaged"),
        ({"document": document("empty.pdf", b"")}, "document", "empty"),
        ({"photo": photo("me.png", HTML_PAGE)}, "photo", ""),
        ({"photo": None}, "photo", "required"),
        ({"specializations": []}, "specializations", "Choose at least one specialization."),
        ({"consultation_fee": "-5"}, "consultation_fee", ""),
        ({"phone": "12"}, "phone", ""),
        ({"first_name": ""}, "first_name", "required"),
        ({"last_name": "H" * 101}, "last_name", "at most 100 characters"),
    ],
)
def test_field_errors_create_nothing(client, applicant, site_tree, overrides, field, message):
    before = private_files()
    response = send_profile(client, site_tree["cardiology"], **overrides)
    assert response.status_code == 400
    assert message in first_error(response, field)
    assert_nothing_created(applicant, before)


def test_a_document_too_large_is_refused(client, applicant, site_tree, settings):
    settings.DOCTOR_DOCUMENT_MAX_BYTES = 1024
    before = private_files()
    big = document("big.pdf", b"%PDF-1.4\n" + b"0" * 4096)
    response = send_profile(client, site_tree["cardiology"], document=big)
    assert "too large" in first_error(response, "document")
    assert_nothing_created(applicant, before)


def test_the_licence_format_is_configurable(client, applicant, site_tree, settings):
    settings.DOCTOR_LICENCE_PATTERN = r"[A-Z]{2}\d{5}"
    settings.DOCTOR_LICENCE_DESCRIPTION = "two letters and five digits, e.g. AB12345"
    refused = send_profile(client, site_tree["cardiology"], licence_number=GMC)
    assert "two letters and five digits" in first_error(refused, "licence_number")
    accepted = send_profile(client, site_tree["cardiology"], licence_number="ab 12345")
    assert accepted.status_code == 302
    assert application_of(applicant).licence_number == "AB12345"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ((), "Add at least one interval"),
        ((("0", "09:00", "13:00"), ("0", "12:00", "15:00")), "overlap"),
        ((("0", "09:00", "13:00"), ("0", "09:00", "13:00")), "appear twice"),
        ((("1", "17:00", "09:00"),), "end must be after the start"),
    ],
)
def test_bad_weekly_hours_create_nothing(client, applicant, site_tree, rows, message):
    before = private_files()
    response = send_profile(client, site_tree["cardiology"], hours=hours_rows(rows))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert_nothing_created(applicant, before)


def test_tampered_hours_rows_give_a_message_not_a_500(client, applicant, site_tree):
    data = hours_rows()
    data.update({"hours-INITIAL_FORMS": "1", "hours-0-id": "999999"})
    before = private_files()
    response = send_profile(client, site_tree["cardiology"], hours=data)
    assert response.status_code in (302, 400)
    assert_nothing_created(applicant, before)


def test_a_registration_number_used_by_another_application_is_refused(client, applicant, site_tree):
    other = User.objects.create_user(email="first@example.com", password=PASSWORD, role=User.Role.DOCTOR)
    DoctorApplication.objects.create(user=other, licence_number=GMC, status=DoctorApplication.Status.SUBMITTED)
    before = private_files()
    response = send_profile(client, site_tree["cardiology"], licence_number="765 4321", document=document())
    assert "Another application already uses this registration number" in first_error(response, "licence_number")
    assert_nothing_created(applicant, before)


def test_a_number_taken_while_the_profile_was_being_saved_is_refused_and_files_are_removed(
    client, applicant, site_tree, monkeypatch
):
    """Two applications racing for one number: the database's unique constraint decides, the late
    one gets the field message, and the photo and document it had already written are deleted."""
    from booking.onboarding import services

    real_workflow_for = services.workflow_for

    def workflow_for_while_another_application_commits(page):
        other = User.objects.create_user(email="racer@example.com", password=PASSWORD, role=User.Role.DOCTOR)
        DoctorApplication.objects.create(user=other, licence_number=GMC, status=DoctorApplication.Status.SUBMITTED)
        return real_workflow_for(page)

    monkeypatch.setattr(services, "workflow_for", workflow_for_while_another_application_commits)
    before = private_files()
    response = send_profile(client, site_tree["cardiology"], document=document())
    assert response.status_code == 400
    assert "Another application already uses this registration number" in first_error(response, "licence_number")
    assert not User.objects.filter(email="racer@example.com").exists()  # rolled back with the rest
    assert_nothing_created(applicant, before)


def test_a_duplicate_email_makes_no_second_account_and_does_not_reveal_the_first(client, site_tree, patient):
    """Default (allauth's enumeration prevention): same answer as for a new address; the owner is told."""
    mail.outbox.clear()
    response = sign_up(client, email=patient.email)
    assert response.status_code == 302
    assert User.objects.filter(email=patient.email).count() == 1
    assert User.objects.get(email=patient.email).is_patient
    assert not DoctorApplication.objects.exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [patient.email]


def test_a_duplicate_email_is_a_field_message_when_enumeration_prevention_is_off(client, site_tree, patient, settings):
    settings.ACCOUNT_PREVENT_ENUMERATION = False
    response = client.post(JOIN_URL, {"email": patient.email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert User.objects.filter(email=patient.email).count() == 1
    assert not DoctorApplication.objects.exists()


def test_a_weak_password_or_bad_email_at_sign_up_creates_nothing(client, site_tree):
    response = client.post(JOIN_URL, {"email": "not-an-email", "password1": "short", "password2": "short"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"email", "password1"}
    assert not User.objects.exists() or not User.objects.filter(role=User.Role.DOCTOR).exists()
    assert not DoctorApplication.objects.exists()


def test_profile_cannot_be_sent_twice(client, applicant, site_tree):
    assert send_profile(client, site_tree["cardiology"]).status_code == 302
    again = send_profile(client, site_tree["cardiology"], photo=photo(data=png_bytes(colour=(1, 2, 3))))
    assert again.status_code == 302 and again.url == "/doctor/"
    assert DoctorPage.objects.filter(user=applicant).count() == 1
    assert WorkflowState.objects.count() == 1
    assert client.get(PROFILE_URL).status_code == 302
