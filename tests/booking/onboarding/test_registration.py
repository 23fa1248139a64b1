"""A doctor joins: sign-up, the profile step, review in Wagtail's workflow, approval, bookable."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.models import WorkflowState

from booking.appointments.services import PatientDetails, book_appointment, lock_doctor
from booking.errors import DoctorUnavailable
from booking.models import DoctorApplication, Notification
from booking.onboarding.workflow import WORKFLOW_NAME
from home.models import DoctorPage
from portal.models import User
from tests.factories import PASSWORD, free_slots

from .helpers import (
    GMC,
    JOIN_URL,
    PROFILE_URL,
    application_of,
    draft_page,
    joined_doctor,
    review,
    send_profile,
    sign_up,
)

pytestmark = pytest.mark.django_db

Status = DoctorApplication.Status


def test_join_page_creates_a_doctor_account_with_an_application(client, site_tree):
    assert client.get(JOIN_URL).status_code == 200
    response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(email="new.doctor@example.com")
    assert user.is_doctor
    assert user.groups.filter(name="Doctors").exists()
    assert application_of(user).status == Status.STARTED
    assert not DoctorPage.objects.filter(user=user).exists()


def test_patient_sign_up_cannot_be_turned_into_a_doctor_sign_up(client, site_tree):
    data = {"email": "mallory@example.com", "password1": PASSWORD, "password2": PASSWORD}
    client.post("/accounts/signup/", {**data, "role": "doctor", "creates_doctor_account": "True"})
    user = User.objects.get(email="mallory@example.com")
    assert user.is_patient
    assert not DoctorApplication.objects.filter(user=user).exists()
    # …and a patient has no profile step to reach.
    client.logout()
    client.login(email="mallory@example.com", password=PASSWORD)
    assert client.get(PROFILE_URL).status_code == 404
    assert client.post(PROFILE_URL, {}).status_code == 404


def test_signed_in_doctor_without_a_profile_is_sent_to_the_profile_step(client, site_tree):
    joined_doctor(client)
    response = client.get("/doctor/")
    assert response.status_code == 302 and response.url == PROFILE_URL
    page = client.get(PROFILE_URL)
    assert page.status_code == 200
    assert "Cardiology" in page.content.decode()
    assert settings.DOCTOR_LICENCE_DESCRIPTION in page.content.decode()


def test_the_application_needs_no_second_factor_but_the_dashboard_does(client, site_tree):
    """A new doctor fills in the application first; the dashboard asks for the authenticator app."""
    joined_doctor(client, mfa=False)
    assert client.get(PROFILE_URL).status_code == 200
    response = client.get("/doctor/")
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")


def test_profile_creates_a_draft_page_in_review_and_nothing_is_bookable(
    client, site_tree, staff_user, django_capture_on_commit_callbacks
):
    user = joined_doctor(client)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = send_profile(client, site_tree["cardiology"])
    assert response.status_code == 302 and response.url == "/doctor/"

    application = application_of(user)
    assert application.status == Status.SUBMITTED
    assert application.licence_number == GMC
    page = draft_page(user)
    assert page.title == "Dr Grace Hopper"
    assert not page.live
    assert page.get_parent().pk == site_tree["doctors"].pk
    assert page.user_id == user.pk
    assert page.owner_id == user.pk
    assert [s.pk for s in page.specializations] == [site_tree["cardiology"].pk]
    assert page.working_hours.count() == 7
    assert page.photo is not None and page.photo.collection.name == "Doctor photos"
    state = page.current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == WORKFLOW_NAME
    assert state.requested_by_id == user.pk

    # The doctor is told the application arrived; the clinic's staff get Wagtail's review request.
    assert Notification.objects.filter(to=user.email, kind=Notification.Kind.DOCTOR_APPLIED).count() == 1
    to_staff = [m for m in mail.outbox if m.to == [staff_user.email]]
    assert len(to_staff) == 1 and "Dr Grace Hopper" in to_staff[0].subject
    # Wagtail's own "submitted"/"approved" notes never go to the doctor: the clinic's emails do.
    assert [m.subject for m in mail.outbox if user.email in m.to] == [
        "We have received your application to join Riverside Clinic"
    ]

    # Not bookable, not listed, not reachable by URL, refused by the booking service.
    assert client.get(f"/doctors/{page.slug}/book/").status_code == 404
    assert client.get(f"/doctors/{page.slug}/").status_code == 404
    assert "Grace Hopper" not in client.get("/doctors/").content.decode()
    with pytest.raises(DoctorUnavailable):
        lock_doctor(page.pk)


def test_document_is_stored_privately_and_the_photo_as_a_wagtail_image(client, site_tree):
    from .helpers import document

    user = joined_doctor(client)
    send_profile(client, site_tree["cardiology"], document=document("My GMC certificate.pdf"))
    application = application_of(user)
    path = Path(application.document.path)
    assert path.is_file()
    assert Path(settings.PRIVATE_MEDIA_ROOT) in path.parents
    assert Path(settings.MEDIA_ROOT) not in path.parents
    assert "GMC" not in path.name  # stored under a random name; the display name is kept apart
    assert application.document_name == "My GMC certificate.pdf"
    assert application.document_content_type == "application/pdf"
    image = get_image_model().objects.get(pk=draft_page(user).photo_id)
    assert Path(settings.MEDIA_ROOT) in Path(image.file.path).parents


def test_staff_approve_in_the_admin_and_the_doctor_becomes_bookable(
    client, site_tree, staff_user, patient, django_capture_on_commit_callbacks
):
    user = joined_doctor(client)
    send_profile(client, site_tree["cardiology"])
    page = draft_page(user)
    client.logout()

    client.login(email=staff_user.email, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(client, page, "approve", "Welcome to the clinic.")
    assert response.status_code == 302

    page.refresh_from_db()
    assert page.live
    application = application_of(user)
    assert application.status == Status.APPROVED
    approved = application.events.get(to_status=Status.APPROVED)
    assert approved.actor == staff_user
    assert approved.comment == "Welcome to the clinic."
    email = Notification.objects.get(to=user.email, kind=Notification.Kind.DOCTOR_APPROVED)
    assert "Welcome to the clinic." in email.body_text
    assert "http://testserver/doctor/" in email.body_text
    assert email.status == Notification.Status.SENT

    # Bookable by a patient, and the doctor sees the request on their dashboard.
    client.logout()
    assert client.get(f"/doctors/{page.slug}/book/").status_code == 200
    slot = free_slots(page)[0]
    appointment = book_appointment(
        doctor_id=page.pk,
        starts_at=slot.start,
        details=PatientDetails(full_name="Alice Tester", email=patient.email, mobile="+447700900123"),
        patient=patient,
    )
    client.login(email=user.email, password=PASSWORD)
    dashboard = client.get("/doctor/")
    assert dashboard.status_code == 200
    assert appointment.reference in dashboard.content.decode()


def test_approval_through_the_page_editor_action_menu_is_recorded_too(client, site_tree, staff_user):
    """Staff who publish the draft from the editor approve it as well (no workflow comment)."""
    user = joined_doctor(client)
    send_profile(client, site_tree["cardiology"])
    page = draft_page(user)
    page.get_latest_revision().publish(user=staff_user)
    application = application_of(user)
    assert application.status == Status.APPROVED
    assert Notification.objects.filter(to=user.email, kind=Notification.Kind.DOCTOR_APPROVED).exists()
    assert page.current_workflow_state is None  # publishing ended the review


def test_the_profile_step_needs_a_verified_signed_in_account(client, site_tree):
    """allauth's mandatory verification: after sign-up there is no session until the email is confirmed."""
    sign_up(client)
    assert "_auth_user_id" not in client.session
    response = client.get(PROFILE_URL)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.post(reverse("account_login"), {"login": "new.doctor@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert DoctorPage.objects.count() == 0


def test_after_confirming_the_email_the_doctor_is_signed_in_and_led_to_the_profile_step(client, site_tree):
    from .helpers import confirmation_url

    sign_up(client)
    response = client.post(confirmation_url("new.doctor@example.com"), follow=True)
    assert response.redirect_chain[-1][0] == PROFILE_URL
    assert "_auth_user_id" in client.session
