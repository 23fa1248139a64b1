"""The clinic setting "review doctors' profile changes": off publishes at once, on sends to review."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Site, WorkflowState

from booking.models import Notification
from home.models import ClinicSettings, DoctorPage
from tests.factories import PASSWORD

from .helpers import approved_doctor, review, schedule_post

pytestmark = pytest.mark.django_db

URL = "/doctor/schedule/"
Kind = Notification.Kind


def moderate(on: bool) -> None:
    site = Site.objects.get(is_default_site=True)
    ClinicSettings.objects.update_or_create(site=site, defaults={"moderate_doctor_edits": on})


@pytest.fixture
def vetted(client, site_tree, staff_user):
    """An approved doctor who joined through the site, signed in on ``client``."""
    user = approved_doctor(client, site_tree["cardiology"], staff_user)
    client.login(email=user.email, password=PASSWORD)
    return user, DoctorPage.objects.get(user=user)


def staff(client, staff_user):
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)


def test_setting_is_off_by_default_and_changes_publish_at_once(client, vetted):
    user, page = vetted
    assert ClinicSettings.current().moderate_doctor_edits is False
    assert "Publish changes" in client.get(URL).content.decode()
    response = client.post(URL, schedule_post(page, job_title="Senior consultant"))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.live and page.job_title == "Senior consultant"
    assert page.current_workflow_state is None
    assert not Notification.objects.filter(to=user.email, kind__in=[Kind.EDITS_PUBLISHED, Kind.EDITS_REJECTED]).exists()


def test_with_the_setting_on_changes_wait_for_review_and_staff_see_what_changed(
    client, vetted, staff_user, django_capture_on_commit_callbacks
):
    user, page = vetted
    moderate(True)
    assert "Send changes for review" in client.get(URL).content.decode()
    response = client.post(URL, schedule_post(page, job_title="Senior consultant"), follow=True)
    assert "sent to the clinic for review" in response.content.decode()
    page.refresh_from_db()
    assert page.live and page.job_title == "Consultant cardiologist"  # the public page is unchanged
    assert page.get_latest_revision_as_object().job_title == "Senior consultant"
    state = page.current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS and state.requested_by == user

    # While in review, the doctor can neither publish nor send more.
    in_review = client.get(URL).content.decode()
    assert "waiting for the clinic's review" in in_review
    revisions = page.revisions.count()
    blocked = client.post(URL, schedule_post(page, job_title="Something else"), follow=True)
    assert "waiting for the clinic's review" in blocked.content.decode()
    assert page.revisions.count() == revisions

    # Staff compare the change with the live page, then approve it.
    staff(client, staff_user)
    application_page = client.get(reverse("booking_admin_application", args=[user.doctor_application.pk]))
    compare = reverse("wagtailadmin_pages:revisions_compare", args=[page.pk, "live", page.get_latest_revision().pk])
    assert compare in application_page.content.decode()
    comparison = client.get(compare)
    assert comparison.status_code == 200
    assert "Senior consultant" in comparison.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        review(client, page, "approve", "Congratulations on the promotion.")
    page.refresh_from_db()
    assert page.job_title == "Senior consultant" and page.live
    email = Notification.objects.get(to=user.email, kind=Kind.EDITS_PUBLISHED)
    assert "Congratulations on the promotion." in email.body_text
    assert user.doctor_application.status == "approved"


def test_changes_sent_back_are_corrected_and_sent_again(client, vetted, staff_user):
    user, page = vetted
    moderate(True)
    client.post(URL, schedule_post(page, languages="English, Klingon"))
    staff(client, staff_user)
    review(client, page, "reject", "Klingon is not offered at the clinic.")
    email = Notification.objects.get(to=user.email, kind=Kind.EDITS_REJECTED)
    assert "Klingon is not offered" in email.body_text

    client.logout()
    client.login(email=user.email, password=PASSWORD)
    form = client.get(URL)
    body = form.content.decode()
    assert "The clinic sent your last changes back" in body and "Klingon is not offered" in body
    assert form.context["form"]["languages"].value() == "English, Klingon"  # their draft, to correct
    # The doctor's dashboard still works: the profile is approved, only the change was refused.
    assert client.get("/doctor/").status_code == 200
    state_id = page.current_workflow_state.pk
    client.post(URL, schedule_post(page, languages="English, Spanish"))
    page.refresh_from_db()
    state = page.current_workflow_state
    assert state.pk == state_id and state.status == WorkflowState.STATUS_IN_PROGRESS
    assert page.get_latest_revision_as_object().languages == "English, Spanish"
    assert page.languages == "English, French"  # the live page never showed the refused change


def test_switching_the_setting_off_lets_a_sent_back_change_publish(client, vetted, staff_user):
    user, page = vetted
    moderate(True)
    client.post(URL, schedule_post(page, job_title="Head of cardiology"))
    staff(client, staff_user)
    review(client, page, "reject", "Not yet.")
    moderate(False)
    client.logout()
    client.login(email=user.email, password=PASSWORD)
    assert "Publish changes" in client.get(URL).content.decode()
    client.post(URL, schedule_post(page, job_title="Deputy head of cardiology"))
    page.refresh_from_db()
    assert page.job_title == "Deputy head of cardiology"
    assert page.current_workflow_state is None  # publishing ended the review


def test_the_setting_applies_to_doctors_set_up_by_staff_too(client, doctor, doctor_user, staff_user):
    moderate(True)
    client.login(email=doctor_user.email, password=PASSWORD)
    client.post(URL, schedule_post(doctor, job_title="Professor"))
    doctor.refresh_from_db()
    assert doctor.job_title == "Consultant"
    staff(client, staff_user)
    review(client, doctor, "approve")
    doctor.refresh_from_db()
    assert doctor.job_title == "Professor"
