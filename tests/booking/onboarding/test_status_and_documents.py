"""/doctor/ for a doctor in review, the staff's application pages, the private document, the workflow."""

from __future__ import annotations

import socket
import threading

import pytest
from django.urls import reverse
from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowPage

from booking.models import DoctorApplication, Notification
from booking.onboarding.workflow import TASK_NAME, WORKFLOW_NAME, ensure_vetting_workflow
from home.models import DoctorIndexPage
from portal.models import User
from tests.factories import PASSWORD, make_user

from .helpers import application_of, document, draft_page, joined_doctor, pdf_bytes, send_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(client, site_tree):
    user = joined_doctor(client)
    send_profile(client, site_tree["cardiology"], document=document("Certificate (scan).pdf"))
    return user


def test_a_doctor_in_review_sees_the_status_not_the_agenda_nor_a_404(client, in_review):
    response = client.get("/doctor/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your application is being reviewed" in body
    assert "Dr Grace Hopper" in body
    assert "7654321" in body and "Certificate (scan).pdf" in body
    assert "Cardiology" in body
    assert "Monday 08:00–20:00" in body
    assert "Agenda" not in body
    assert response.templates[0].name == "booking/onboarding/status.html"


@pytest.mark.parametrize("url", ["/doctor/schedule/", "/doctor/search/", "/doctor/report/", "/doctor/day/"])
def test_every_other_dashboard_url_leads_to_the_status(client, in_review, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url == "/doctor/"


def test_a_post_to_the_schedule_does_nothing_but_lead_to_the_status(client, in_review):
    page = draft_page(in_review)
    revisions = page.revisions.count()
    response = client.post("/doctor/schedule/", {"job_title": "Changed", "hours-TOTAL_FORMS": "0"})
    assert response.status_code == 302 and response.url == "/doctor/"
    assert page.revisions.count() == revisions


def test_patients_staff_made_doctors_without_page_and_visitors_get_what_they_got_before(client, site_tree, patient):
    assert client.get("/doctor/").status_code == 302  # to sign in
    client.login(email=patient.email, password=PASSWORD)
    assert client.get("/doctor/").status_code == 404
    client.logout()
    make_user("unlinked@example.com", User.Role.DOCTOR)  # with the second factor every doctor sets up
    client.login(email="unlinked@example.com", password=PASSWORD)
    assert client.get("/doctor/").status_code == 404
    assert client.get("/join/doctor/profile/").status_code == 404


def test_staff_list_and_review_applications(client, in_review, staff_user):
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    listing = client.get(reverse("booking_doctorapplication_modeladmin_index"))
    assert listing.status_code == 200
    assert "Dr Grace Hopper" in listing.content.decode()
    application = application_of(in_review)
    page = client.get(reverse("booking_admin_application", args=[application.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "7654321" in body and "Certificate (scan).pdf" in body
    assert reverse("wagtailadmin_pages:edit", args=[application.page_id]) in body
    assert "Suspend" not in body  # only an approved doctor can be suspended


def test_staff_download_the_document_as_an_attachment(client, in_review, staff_user):
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    application = application_of(in_review)
    response = client.get(reverse("booking_admin_application_document", args=[application.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_the_document_has_no_public_url_and_only_staff_get_it(client, in_review, patient, other_doctor_user):
    application = application_of(in_review)
    url = reverse("booking_admin_application_document", args=[application.pk])
    # The applicant themselves, another doctor, a patient, a visitor: none of them.
    for email in (in_review.email, other_doctor_user.email, patient.email, None):
        client.logout()
        if email:
            client.login(email=email, password=PASSWORD)
        response = client.get(url)
        assert response.status_code in (302, 403)
    assert application.document.name.startswith("doctor-applications/")
    assert client.get(f"/media/{application.document.name}").status_code == 404


def test_staff_without_the_permission_cannot_see_applications(client, in_review, staff_user):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get(name="Clinic staff")
    group.permissions.remove(
        *Permission.objects.filter(codename__in=["view_doctorapplication", "change_doctorapplication"])
    )
    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    application = application_of(in_review)
    for name in ("booking_admin_application", "booking_admin_application_document"):
        response = client.get(reverse(name, args=[application.pk]))
        # Wagtail answers a refused admin page with a redirect to the dashboard and a message.
        assert response.status_code == 302 and response.url == "/admin/"


def test_unknown_application_ids_are_404(client, staff_user, site_tree):
    client.login(email=staff_user.email, password=PASSWORD)
    for name in (
        "booking_admin_application",
        "booking_admin_application_document",
        "booking_admin_doctor_appointments",
    ):
        assert client.get(reverse(name, args=[999999])).status_code == 404


def test_vetting_workflow_is_created_once_and_assigned_to_the_doctors_index(site_tree):
    first = ensure_vetting_workflow()
    second = ensure_vetting_workflow()
    assert first == second
    assert Workflow.objects.filter(name=WORKFLOW_NAME).count() == 1
    assert list(first.tasks.specific()) == [GroupApprovalTask.objects.get(name=TASK_NAME)]
    assert [g.name for g in GroupApprovalTask.objects.get(name=TASK_NAME).groups.all()] == ["Clinic staff"]
    index = DoctorIndexPage.objects.get()
    assert WorkflowPage.objects.get(page=index).workflow == first
    assert index.get_workflow() == first


def test_a_workflow_staff_chose_for_the_doctors_index_is_kept(site_tree, client):
    own = Workflow.objects.create(name="Medical director's review")
    WorkflowPage.objects.create(page=Page.objects.get(pk=site_tree["doctors"].pk), workflow=own)
    ensure_vetting_workflow()
    assert WorkflowPage.objects.get(page=site_tree["doctors"].pk).workflow == own


@pytest.fixture
def mail_server_that_hangs_up():
    """A real TCP server on localhost that accepts and closes at once: SMTP sees "disconnected".

    Unlike a refused connection (which Wagtail's notifier catches itself), this makes the SMTP
    library raise ``SMTPServerDisconnected`` from Wagtail's moderation email.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def test_wagtail_moderation_emails_wait_for_commit_and_never_break_a_submission(
    client, site_tree, staff_user, settings, django_capture_on_commit_callbacks, caplog, mail_server_that_hangs_up
):
    """The mail server fails while a doctor sends their profile: the profile is saved anyway."""
    user = joined_doctor(client)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", mail_server_that_hangs_up, 5
    with django_capture_on_commit_callbacks(execute=True):
        response = send_profile(client, site_tree["cardiology"])
    assert response.status_code == 302
    assert application_of(user).status == DoctorApplication.Status.SUBMITTED
    assert draft_page(user).current_workflow_state is not None
    assert "moderation email" in caplog.text and "SMTPServerDisconnected" in caplog.text
    # The doctor's own email waits in the outbox, to be retried.
    assert application_of(user).user.email in {n.to for n in Notification.objects.all()}
