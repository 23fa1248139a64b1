"""Staff suspend an approved doctor: page unpublished, future appointments listed to move or cancel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from booking.access import linked_doctor_page
from booking.appointments.selectors import doctor_future_appointments
from booking.models import Appointment, DoctorApplication, Notification
from home.models import DoctorPage
from tests.factories import PASSWORD, free_slots, make_appointment, started_appointment

from .helpers import approved_doctor, draft_page

pytestmark = pytest.mark.django_db

Status = DoctorApplication.Status
REASON = "Registration lapsed; under review by the GMC."


@pytest.fixture
def suspended_setup(client, site_tree, staff_user, patient, other_doctor):
    user = approved_doctor(client, site_tree["cardiology"], staff_user)
    page = DoctorPage.objects.get(user=user)
    slots = free_slots(page, days_ahead=3)
    future = [
        make_appointment(page, slot=slots[0], patient=patient),
        make_appointment(page, slot=slots[1], status=Appointment.Status.CONFIRMED),
    ]
    past = started_appointment(page, hours_ago=30)
    cancelled = make_appointment(page, slot=slots[2], status=Appointment.Status.CANCELLED)
    return user, page, future, past, cancelled


def application_url(user) -> str:
    return reverse("booking_admin_application", args=[DoctorApplication.objects.get(user=user).pk])


def suspend_url(page) -> str:
    return reverse("booking_admin_suspend_doctor", args=[page.pk])


def listing_url(page) -> str:
    return reverse("booking_admin_doctor_appointments", args=[page.pk])


def test_future_appointments_selector(suspended_setup):
    _, page, future, _past, _cancelled = suspended_setup
    assert list(doctor_future_appointments(page)) == future


def test_staff_suspend_and_see_the_appointments_to_move(
    client, staff_user, suspended_setup, django_capture_on_commit_callbacks
):
    user, page, future, past, cancelled = suspended_setup
    client.login(email=staff_user.email, password=PASSWORD)
    assert suspend_url(page) in client.get(application_url(user)).content.decode()
    form = client.get(suspend_url(page))
    assert form.status_code == 200 and "2 appointments from now on" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(suspend_url(page), {"reason": REASON})
    listing = listing_url(page)
    assert response.status_code == 302 and response.url == listing

    page.refresh_from_db()
    assert not page.live
    application = DoctorApplication.objects.get(user=user)
    assert application.status == Status.SUSPENDED
    assert application.events.last().comment == REASON
    email = Notification.objects.get(to=user.email, kind=Notification.Kind.DOCTOR_SUSPENDED)
    assert REASON in email.body_text

    body = client.get(listing).content.decode()
    for appointment in future:
        assert appointment.reference in body
        assert reverse("booking_admin_manage", args=[appointment.reference]) in body
    assert past.reference not in body and cancelled.reference not in body
    # Appointments are never cancelled silently.
    assert all(Appointment.objects.get(pk=a.pk).is_active for a in future)


def test_after_suspension_staff_move_one_appointment_and_cancel_the_other(
    client, staff_user, suspended_setup, other_doctor
):
    _user, page, future, _, _ = suspended_setup
    client.login(email=staff_user.email, password=PASSWORD)
    client.post(suspend_url(page), {"reason": REASON})
    to_move, to_cancel = future
    slot = free_slots(other_doctor, days_ahead=4)[0]
    local = slot.start.astimezone(to_move.local_starts_at.tzinfo)
    manage = reverse("booking_admin_manage", args=[to_move.reference])
    response = client.post(
        manage, {"action": "move", "doctor": other_doctor.pk, "day": local.date(), "start": local.strftime("%H:%M")}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    to_move.refresh_from_db()
    assert to_move.doctor_id == other_doctor.pk
    assert Notification.objects.filter(appointment=to_move, kind="rescheduled").exists()

    manage = reverse("booking_admin_manage", args=[to_cancel.reference])
    client.post(manage, {"action": "status", "target": "cancelled", "remark": "Your doctor is no longer available."})
    to_cancel.refresh_from_db()
    assert to_cancel.status == Appointment.Status.CANCELLED
    assert not doctor_future_appointments(page).exists()


def test_a_suspended_doctor_loses_the_dashboard_and_their_appointments(client, staff_user, suspended_setup):
    user, page, future, past, _ = suspended_setup
    client.login(email=staff_user.email, password=PASSWORD)
    client.post(suspend_url(page), {"reason": REASON})
    client.logout()
    client.login(email=user.email, password=PASSWORD)
    assert linked_doctor_page(user) is None
    response = client.get("/doctor/")
    assert response.status_code == 200
    assert "Your profile is suspended" in response.content.decode()
    assert REASON in response.content.decode()
    assert client.get(reverse("doctor:appointment", args=[future[0].reference])).status_code == 302
    assert client.get(reverse("appointments:detail", args=[past.reference])).status_code == 404
    assert client.get(f"/doctors/{page.slug}/book/").status_code == 404


def test_suspension_needs_a_reason_and_an_approved_doctor(client, staff_user, suspended_setup):
    _user, page, *_ = suspended_setup
    client.login(email=staff_user.email, password=PASSWORD)
    response = client.post(suspend_url(page), {"reason": "  "})
    assert response.status_code == 400
    page.refresh_from_db()
    assert page.live
    client.post(suspend_url(page), {"reason": REASON})
    again = client.post(suspend_url(page), {"reason": REASON})
    assert again.status_code == 400
    assert "Only an approved doctor can be suspended" in again.content.decode()


def test_control_characters_in_the_reason_or_note_are_refused(client, staff_user, suspended_setup):
    """The reason and the reinstatement note go into the doctor's email: the plain-text rule
    (no NUL, no bidirectional overrides) holds there as on every other staff form."""
    user, page, *_ = suspended_setup
    client.login(email=staff_user.email, password=PASSWORD)
    response = client.post(suspend_url(page), {"reason": "Licence\x00 lapsed \u202eevil"})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
    page.refresh_from_db()
    assert page.live
    client.post(suspend_url(page), {"reason": REASON})
    response = client.post(application_url(user), {"comment": "Welcome back\x07"})
    assert response.status_code == 400
    assert "control characters" in response.content.decode()
    page.refresh_from_db()
    assert not page.live


def test_staff_reinstate_a_suspended_doctor(client, staff_user, suspended_setup, django_capture_on_commit_callbacks):
    user, page, *_ = suspended_setup
    client.login(email=staff_user.email, password=PASSWORD)
    client.post(suspend_url(page), {"reason": REASON})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(application_url(user), {"comment": "Registration confirmed."})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.live
    application = DoctorApplication.objects.get(user=user)
    assert application.status == Status.APPROVED
    kinds = list(Notification.objects.filter(to=user.email).values_list("kind", flat=True))
    assert kinds.count(Notification.Kind.DOCTOR_REINSTATED) == 1
    assert Notification.Kind.EDITS_PUBLISHED not in kinds
    assert linked_doctor_page(type(user).objects.get(pk=user.pk)) == page


def test_doctors_and_patients_cannot_reach_the_staff_pages(client, suspended_setup, patient):
    user, page, *_ = suspended_setup
    application = DoctorApplication.objects.get(user=user)
    urls = [
        suspend_url(page),
        application_url(user),
        listing_url(page),
        reverse("booking_admin_application_document", args=[application.pk]),
    ]
    for who in (user, patient):
        client.login(email=who.email, password=PASSWORD)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (302, 403), url
            assert response.status_code != 200
        client.post(urls[0], {"reason": REASON})
        client.logout()
    assert DoctorApplication.objects.get(user=user).status == Status.APPROVED
    assert draft_page(user).live


def test_a_doctor_set_up_by_staff_can_be_suspended_and_reinstated_too(
    client, staff_user, doctor, doctor_user, django_capture_on_commit_callbacks
):
    appointment = make_appointment(doctor, slot=free_slots(doctor, days_ahead=3)[0])
    client.login(email=staff_user.email, password=PASSWORD)
    editor = client.get(reverse("wagtailadmin_pages:edit", args=[doctor.pk])).content.decode()
    assert suspend_url(doctor) in editor and listing_url(doctor) in editor  # the page's header menu
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(suspend_url(doctor), {"reason": REASON})
    assert response.status_code == 302
    doctor.refresh_from_db()
    assert not doctor.live
    application = DoctorApplication.objects.get(user=doctor_user)
    assert application.status == Status.SUSPENDED and application.page_id == doctor.pk
    assert [e.to_status for e in application.events.all()] == [Status.APPROVED, Status.SUSPENDED]
    assert appointment.reference in client.get(listing_url(doctor)).content.decode()
    assert Notification.objects.filter(to=doctor_user.email, kind=Notification.Kind.DOCTOR_SUSPENDED).exists()
    client.logout()
    client.login(email=doctor_user.email, password=PASSWORD)
    assert "Your profile is suspended" in client.get("/doctor/").content.decode()

    client.logout()
    client.login(email=staff_user.email, password=PASSWORD)
    client.post(application_url(doctor_user), {"comment": ""})
    doctor.refresh_from_db()
    assert doctor.live
    client.logout()
    client.login(email=doctor_user.email, password=PASSWORD)
    assert client.get("/doctor/").templates[0].name == "booking/doctor/dashboard.html"


def test_a_page_without_an_account_is_only_unpublished(client, staff_user, site_tree):
    from tests.factories import make_doctor

    page = make_doctor(site_tree["doctors"], "Dr No Account", slug="no-account")
    client.login(email=staff_user.email, password=PASSWORD)
    assert client.post(suspend_url(page), {"reason": REASON}).status_code == 302
    page.refresh_from_db()
    assert not page.live
    assert not DoctorApplication.objects.exists()
    again = client.post(suspend_url(page), {"reason": REASON})
    assert again.status_code == 400 and "already unpublished" in again.content.decode()
