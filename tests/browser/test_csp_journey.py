"""The main journeys run under the Content-Security-Policy without a single violation.

Chromium reports every blocked script, style, frame or connection twice: as a
``securitypolicyviolation`` event in the page and as a console error. Both are collected for every
page a journey opens (the listener is installed before any page script runs), and the test fails
on the first one, naming the directive and what was blocked. Permissions-Policy problems (an
unknown feature name) show up as console messages too and are checked the same way.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment
from portal.models import User

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
    window.reportViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} `
        + `at ${event.sourceFile || document.location.href}:${event.lineNumber} (${event.sample || ""})`);
});
"""
POLICY_WORDS = re.compile(r"Content Security Policy|Content-Security-Policy|Permissions-Policy|Refused to", re.I)


@pytest.fixture
def confirmed(demo_site) -> Appointment:
    """A confirmed booking by patient@example.com with doctor@example.com (so it can be prescribed)."""
    patient = User.objects.get(email="patient@example.com")
    doctor_user = User.objects.get(email="doctor@example.com")
    first, last = booking_window()
    slot = doctor_free_slots(doctor_user.doctor_page, first + timedelta(days=3), last)[0]
    details = PatientDetails(full_name=patient.get_full_name(), email=patient.email, mobile=patient.mobile)
    appointment = book_appointment(
        doctor_id=doctor_user.doctor_page.pk, starts_at=slot.start, details=details, patient=patient
    )
    return transition(appointment, Appointment.Status.CONFIRMED, Actor(Actor.DOCTOR, doctor_user))


@pytest.fixture
def violations(page):
    """Every CSP violation and policy console message on ``page`` (and pages it opens)."""
    found: list[str] = []
    page.context.expose_binding("reportViolation", lambda source, text: found.append(f"{source['frame'].url}: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)

    def on_console(message):
        if POLICY_WORDS.search(message.text):
            found.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    page.context.on("page", lambda new_page: new_page.on("console", on_console))
    return found


def settle(page) -> None:
    """Let the page load and its scripts run (violations are reported as they happen)."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)


def visit(page, url: str, violations: list[str]) -> None:
    page.goto(url)
    settle(page)
    assert not violations, "\n".join(violations)


def test_public_booking_journey_has_no_csp_violations(live_server, page, demo_site, violations):
    base = live_server.url
    response = page.goto(base + "/")
    assert "nonce-" in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    settle(page)

    page.get_by_role("link", name="Cardiology").first.click()
    page.locator(".doctor-card a.card__link").first.click()
    page.wait_for_url(re.compile(r"/doctors/[^/]+/$"))
    page.get_by_role("link", name="Book an appointment").last.click()
    page.wait_for_url(re.compile(r"/book/$"))
    page.locator(".slot label").first.click()
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Mobile number").fill("07912 345678")
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url(re.compile(r"/book/confirmed/"))
    settle(page)
    reference = Appointment.objects.get(email="grace@example.com").reference

    visit(page, f"{base}/appointments/{reference}/", violations)
    visit(page, f"{base}/appointments/{reference}/reschedule/", violations)
    visit(page, f"{base}/appointments/find/", violations)
    visit(page, f"{base}/accounts/login/", violations)
    visit(page, f"{base}/accounts/signup/", violations)
    visit(page, f"{base}/no-such-page/", violations)

    login(page, base, "patient@example.com", "patient-demo-2026")
    visit(page, f"{base}/me/", violations)
    assert not violations, "\n".join(violations)


def test_doctor_dashboard_has_no_csp_violations(live_server, page, confirmed, violations):
    base = live_server.url
    login(page, base, "doctor@example.com", "doctor-demo-2026")
    for path in ("/doctor/", "/doctor/schedule/", "/doctor/search/?q=a", "/doctor/report/"):
        visit(page, base + path, violations)
    visit(page, f"{base}/doctor/appointments/{confirmed.reference}/", violations)
    visit(page, f"{base}/appointments/{confirmed.reference}/prescription/edit/", violations)


def test_wagtail_admin_works_under_its_policy(live_server, page, confirmed, violations):
    """The admin's own pages, the page editor (inline panels, date pickers, choosers), the preview."""
    from home.models import DoctorPage

    base = live_server.url
    login(page, base, "admin@example.com", "admin-demo-2026", next_url="/admin/")
    response = page.goto(base + "/admin/")
    assert "nonce-" in response.headers["content-security-policy"]
    settle(page)
    assert not violations, "\n".join(violations)

    appointment = confirmed
    for path in (
        "/admin/booking/appointment/",
        f"/admin/booking/appointment/inspect/{appointment.pk}/",
        f"/admin/bookings/appointments/{appointment.reference}/manage/",
        "/admin/bookings/report/",
        "/admin/booking/auditevent/",
        "/admin/booking/prescriptionaccesslog/",
        "/admin/pages/",
        "/admin/images/",
        "/admin/users/",
    ):
        visit(page, base + path, violations)

    doctor = DoctorPage.objects.live().order_by("title").first()
    visit(page, f"{base}/admin/pages/{doctor.pk}/edit/", violations)
    # The inline panels' scripts ran (they carry the nonce): "Add" makes a new working-hours row.
    before = int(page.input_value("#id_working_hours-TOTAL_FORMS"))
    page.locator("#id_working_hours-ADD").click()
    assert int(page.input_value("#id_working_hours-TOTAL_FORMS")) == before + 1
    # A date picker's start-up script ran too: the time-off dates are wired to the picker.
    page.locator("#id_time_off-ADD").click()
    page.wait_for_timeout(300)
    # The specializations panel opens the page chooser (a dialog whose HTML arrives over fetch).
    page.locator("#id_specialization_links-OPEN_MODAL").click()
    page.locator(".modal-dialog").first.wait_for(state="visible")
    page.locator(".modal-dialog a, .modal-dialog button").first.wait_for(state="visible")
    settle(page)
    assert not violations, "\n".join(violations)

    # The live preview frames the page as the public will see it (the admin may frame itself).
    page.keyboard.press("Escape")
    page.locator("[data-side-panel-toggle='preview']").click()
    page.frame_locator("#w-preview-iframe").locator("h1").first.wait_for(state="attached")
    settle(page)
    assert not violations, "\n".join(violations)

    # The public page seen by signed-in staff carries Wagtail's user bar.
    visit(page, base + doctor.url, violations)
    page.locator("wagtail-userbar").first.wait_for(state="attached")
    assert not violations, "\n".join(violations)


def test_api_docs_render_under_the_policy(live_server, page, violations, shot, site_tree):
    """Swagger UI from Ninja's packaged files runs under the site's nonce-only policy as it is."""
    visit(page, f"{live_server.url}/api/v1/docs", violations)
    page.wait_for_selector(".opblock", timeout=20_000)  # the operations, read from /api/v1/schema/
    assert page.locator(".opblock").count() > 20
    assert "Riverside Clinic API" in page.content()
    shot("api-docs")
    assert not violations, "\n".join(violations)
