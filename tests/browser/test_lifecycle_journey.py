"""The life of an appointment in a real browser: the doctor confirms and prescribes, the patient
reads and downloads the prescription, then moves the appointment to another time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from booking.models import Appointment
from portal.models import User
from tests.factories import free_slots, make_appointment

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def pending_for_demo_patient(demo_site):
    """A pending booking by patient@example.com with doctor@example.com, three days ahead."""
    patient = User.objects.get(email="patient@example.com")
    doctor = User.objects.get(email="doctor@example.com").doctor_page
    return make_appointment(doctor, slot=free_slots(doctor, days_ahead=3)[0], patient=patient, mobile=patient.mobile)


def test_doctor_confirms_and_prescribes_patient_reads_and_reschedules(
    live_server, browser, page, shot, pending_for_demo_patient
):
    base = live_server.url
    appointment = pending_for_demo_patient

    # The doctor signs in, lands on the dashboard and confirms the request.
    login(page, base, "doctor@example.com", "doctor-demo-2026")
    page.wait_for_url(re.compile(r"/doctor/$"))
    request_row = (
        page.locator("li, tr, article")
        .filter(has_text=appointment.full_name)
        .filter(has=page.get_by_role("button", name=re.compile("^Confirm")))
    )
    shot("doctor-dashboard")
    request_row.first.get_by_role("button", name=re.compile("^Confirm")).click()
    page.wait_for_load_state()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED

    # …opens the appointment and writes a prescription.
    page.goto(f"{base}/doctor/appointments/{appointment.reference}/")
    page.get_by_role("link", name="Write prescription").click()
    page.fill('input[name="medications-0-drug"]', "Amoxicillin")
    page.fill('input[name="medications-0-dose"]', "500 mg")
    page.fill('input[name="medications-0-frequency"]', "three times a day")
    page.fill('input[name="medications-0-duration"]', "7 days")
    page.fill('input[name="tests-0-name"]', "Full blood count")
    page.fill('textarea[name="advice"]', "Rest and drink plenty of fluids.")
    shot("prescription-form")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name=re.compile("^Sign version 1")).click()
    page.wait_for_load_state()
    assert "Signed" in page.locator("main").inner_text()
    shot("prescription-signed")

    # The patient signs in, finds the appointment, reads and downloads the prescription.
    patient_context = browser.new_context(viewport={"width": 390, "height": 844})
    patient = patient_context.new_page()
    login(patient, base, "patient@example.com", "patient-demo-2026")
    patient.goto(base + "/me/")
    patient.locator("tr").filter(has_text=appointment.reference).get_by_role("link", name=re.compile("^View")).click()
    patient.get_by_role("link", name="Read the prescription").click()
    assert "Amoxicillin" in patient.locator("main").text_content()
    shot("patient-prescription", target=patient)
    with patient.expect_download() as download_info:
        patient.get_by_role("link", name=re.compile("^Download PDF")).first.click()
    pdf = download_info.value
    assert pdf.suggested_filename == f"prescription-{appointment.reference}-v1.pdf"
    assert Path(pdf.path()).read_bytes()[:5] == b"%PDF-"

    # …and moves the appointment to another free time.
    patient.goto(f"{base}/appointments/{appointment.reference}/")
    patient.get_by_role("link", name="Change the time").click()
    new_label = patient.locator(".slot label").nth(2)
    new_time = new_label.inner_text()
    new_label.click()
    shot("patient-reschedule", target=patient)
    patient.get_by_role("button", name="Move to this time").click()
    patient.wait_for_url(re.compile(rf"/appointments/{appointment.reference}/$"))
    appointment.refresh_from_db()
    assert appointment.local_starts_at.strftime("%H:%M") == new_time
    assert appointment.status == Appointment.Status.CONFIRMED
    shot("patient-moved", target=patient)
    patient_context.close()
