"""Staff book a patient who phones, and the patient follows the email link while signed out.

The issue's "done when": staff book a phone patient in /admin/; a signed-out patient clicks the
link in their email and lands on the appointment after signing in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from booking.models import Appointment

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_staff_book_for_a_patient_who_phones_and_the_patient_signs_in_from_the_email(
    live_server, browser, page, shot, demo_site
):
    base = live_server.url
    login(page, base, "admin@example.com", "admin-demo-2026", next_url="/admin/booking/appointment/")
    page.get_by_role("link", name="New appointment").first.click()
    page.wait_for_url(re.compile(r"/admin/bookings/appointments/new/$"))
    shot("choose-doctor")

    page.get_by_label("Doctor").select_option(index=1)
    doctor_name = page.get_by_label("Doctor").locator("option:checked").inner_text()
    page.get_by_role("button", name="Show free times").click()
    page.wait_for_url(re.compile(r"\?doctor=\d+"))
    first_time = page.locator("input[name=slot]").first
    chosen = first_time.get_attribute("value")
    first_time.check()
    shot("choose-time")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"slot="))

    page.get_by_label("Find an account by name or email").fill("patient@example.com")
    page.locator("#main").get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=patient"))
    page.get_by_label(re.compile(r"patient@example\.com")).check()
    page.get_by_label("Reason for the visit").fill("Phoned about a rash")
    shot("patient")
    page.get_by_role("button", name="Book appointment").click()
    page.wait_for_url(re.compile(r"/admin/bookings/appointments/[-\w]+/manage/$"))

    appointment = Appointment.objects.select_related("doctor", "patient").get(reason="Phoned about a rash")
    assert appointment.starts_at.isoformat() == chosen.replace("Z", "+00:00")
    assert appointment.doctor.title == doctor_name
    assert appointment.patient.email == "patient@example.com"
    assert appointment.is_confirmed
    assert "Confirmed" in page.locator("body").inner_text()
    shot("booked")

    # The patient, signed out in their own browser, follows the link in the confirmation email.
    message = next(m for m in mail.outbox if appointment.reference in m.subject)
    link = re.search(r"http://\S+/appointments/" + appointment.reference + "/", message.body).group(0)
    patient_context = browser.new_context(viewport={"width": 1280, "height": 900})
    patient_page = patient_context.new_page()
    patient_page.goto(live_server.url + urlsplit(link).path)
    patient_page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    assert "Booked without an account?" in patient_page.locator("body").inner_text()
    shot("sign-in", target=patient_page)
    patient_page.fill("input[name=login]", "patient@example.com")
    patient_page.fill("input[name=password]", "patient-demo-2026")
    patient_page.get_by_role("button", name="Sign in").click()
    patient_page.wait_for_url(re.compile(rf"/appointments/{appointment.reference}/$"))
    assert appointment.reference in patient_page.locator("body").inner_text()
    shot("appointment", target=patient_page)
    patient_context.close()
