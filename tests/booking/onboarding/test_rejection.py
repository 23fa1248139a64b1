"""Staff request changes: the doctor cannot publish, book or be booked, sees why, and may send again."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState

from booking.access import linked_doctor_page
from booking.appointments.services import PatientDetails, book_appointment
from booking.errors import DoctorUnavailable
from booking.models import DoctorApplication, Notification
from tests.factories import PASSWORD, free_slots, make_appointment

from .helpers import PROFILE_URL, application_of, draft_page, joined_doctor, review, send_profile

pytestmark = pytest.mark.django_db

Status = DoctorApplication.Status
COMMENT = "Please upload a document showing your GMC registration."


@pytest.fixture
def rejected(client, site_tree, staff_user, django_capture_on_commit_callbacks):
    """A doctor whose application staff sent back with a comment; the doctor's client is signed in."""
    user = joined_doctor(client)
    send_profile(client, site_tree["cardiology"])
    page = draft_page(user)
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        assert review(client, page, "reject", COMMENT).status_code == 302
    client.logout()
    client.login(email=user.email, password=PASSWORD)
    return user


def test_rejection_is_recorded_and_emailed_with_the_comment(rejected, staff_user):
    application = application_of(rejected)
    assert application.status == Status.REJECTED
    event = application.events.get(to_status=Status.REJECTED)
    assert event.actor == staff_user and event.comment == COMMENT
    email = Notification.objects.get(to=rejected.email, kind=Notification.Kind.DOCTOR_REJECTED)
    assert COMMENT in email.body_text and COMMENT in email.body_html
    assert email.appointment is None
    page = draft_page(rejected)
    assert not page.live
    assert page.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES


def test_a_rejected_doctor_cannot_be_booked(client, rejected, patient):
    page = draft_page(rejected)
    client.logout()
    assert client.get(f"/doctors/{page.slug}/book/").status_code == 404
    with pytest.raises(DoctorUnavailable):
        book_appointment(
            doctor_id=page.pk,
            starts_at=free_slots(page)[0].start,
            details=PatientDetails(full_name="Alice", email=patient.email, mobile="+447700900123"),
        )


def test_a_rejected_doctor_cannot_publish_through_their_schedule(client, rejected):
    page = draft_page(rejected)
    revisions = page.revisions.count()
    response = client.post(
        "/doctor/schedule/",
        {
            "job_title": "Anything",
            "languages": "English",
            "hours-TOTAL_FORMS": "0",
            "hours-INITIAL_FORMS": "0",
            "timeoff-TOTAL_FORMS": "0",
            "timeoff-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302 and response.url == "/doctor/"
    page.refresh_from_db()
    assert not page.live
    assert page.revisions.count() == revisions
    assert client.get("/doctor/schedule/").status_code == 302


def test_a_rejected_doctor_has_no_doctor_rights(client, rejected, doctor):
    """Not even on appointments that would be theirs: the access rules ask for an approved doctor."""
    assert linked_doctor_page(rejected) is None
    for url in ("/doctor/search/", "/doctor/report/", "/doctor/day/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url == "/doctor/"


def test_the_status_page_says_why_and_offers_to_send_again(client, rejected):
    response = client.get("/doctor/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your application needs changes" in body
    assert COMMENT in body
    assert PROFILE_URL in body
    assert "Agenda" not in body


def test_sending_again_resumes_the_same_review(client, rejected, site_tree, staff_user):
    page = draft_page(rejected)
    state_id = page.current_workflow_state.pk
    form = client.get(PROFILE_URL)
    assert form.status_code == 200
    assert COMMENT in form.content.decode()
    assert form.context["form"].initial["licence_number"] == "7654321"
    # The photo is kept when none is chosen; the rest is sent again with a correction.
    response = send_profile(client, site_tree["cardiology"], photo=None, job_title="Consultant cardiologist (FRCP)")
    assert response.status_code == 302
    application = application_of(rejected)
    assert application.status == Status.SUBMITTED
    page.refresh_from_db()
    state = page.current_workflow_state
    assert state.pk == state_id and state.status == WorkflowState.STATUS_IN_PROGRESS
    assert page.get_latest_revision_as_object().job_title == "Consultant cardiologist (FRCP)"
    assert page.get_latest_revision_as_object().photo_id == page.photo_id
    assert not page.live


def test_a_doctor_set_up_by_staff_is_unaffected(client, doctor_user, doctor):
    """No application, no vetting: today's doctors keep their dashboard."""
    client.login(email=doctor_user.email, password=PASSWORD)
    assert linked_doctor_page(doctor_user) == doctor
    assert client.get("/doctor/").status_code == 200
    appointment = make_appointment(doctor)
    assert client.get(reverse("doctor:appointment", args=[appointment.reference])).status_code == 200
