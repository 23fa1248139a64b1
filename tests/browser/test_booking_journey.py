"""The journey the portal exists for, in a real browser: find a doctor, book, and the clinic sees it."""

from __future__ import annotations

import re

import pytest

from booking.errors import SLOT_TAKEN_MESSAGE
from booking.models import Appointment

from ..factories import confirm_link_path
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_guest_books_via_a_specialization_and_staff_find_it_in_the_admin(live_server, page, shot, demo_site):
    base = live_server.url

    page.goto(base + "/")
    shot("home")
    page.get_by_role("link", name="Cardiology").first.click()
    page.wait_for_url(re.compile(r"/specializations/cardiology/$"))
    shot("specialization")

    page.locator(".doctor-card a.card__link").first.click()
    page.wait_for_url(re.compile(r"/doctors/[^/]+/$"))
    doctor_name = page.locator("h1").first.inner_text()
    shot("doctor")

    page.get_by_role("link", name="Book an appointment").last.click()
    page.wait_for_url(re.compile(r"/book/$"))
    slot_label = page.locator(".slot label").first
    chosen_time = slot_label.inner_text()
    slot_label.click()
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Mobile number").fill("07912 345678")
    page.get_by_label("Reason for the visit").fill("Palpitations after coffee")
    shot("booking-form")
    page.get_by_role("button", name="Book this time").click()

    page.wait_for_url(re.compile(r"/book/confirmed/"))
    appointment = Appointment.objects.get(email="grace@example.com")
    body = page.locator("body").inner_text()
    assert appointment.reference in body
    assert chosen_time in body
    assert appointment.local_starts_at.strftime("%H:%M") == chosen_time
    assert appointment.doctor.title in doctor_name
    assert "Check your email within 30 minutes to confirm, or the time is released" in body
    shot("confirmation")

    # The guest confirms from the email (issue 7): the booking then goes to the doctor.
    page.goto(base + confirm_link_path(appointment))
    page.get_by_role("button", name="Confirm my appointment request").click()
    page.wait_for_url(re.compile(r"/appointments/[^/]+/$"))
    assert "Thank you for confirming" in page.locator("body").inner_text()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.PENDING
    shot("confirmed-from-email")

    login(page, base, "admin@example.com", "admin-demo-2026", next_url="/admin/")
    page.goto(base + "/admin/booking/appointment/?q=" + appointment.reference)
    assert page.get_by_text(appointment.reference).first.is_visible()
    assert page.get_by_text("Grace Hopper").first.is_visible()
    shot("admin-appointments")


def test_taken_slot_is_refused_in_the_browser(live_server, page, shot, demo_site):
    """Two patients pick the same time; the second sees a clear message and can pick again."""
    from home.models import DoctorPage

    doctor = DoctorPage.objects.live().order_by("title").first()
    book_url = live_server.url + doctor.url + "book/"
    page.goto(book_url)
    value = page.locator(".slot input").first.get_attribute("value")

    second = page.context.new_page()
    second.goto(book_url)

    for tab, email in ((page, "first@example.com"), (second, "second@example.com")):
        tab.locator(f'.slot input[value="{value}"]').check(force=True)
        tab.get_by_label("Full name").fill("Patient " + email[0])
        tab.get_by_label("Email").fill(email)
        tab.get_by_label("Mobile number").fill("07912 345678")
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url(re.compile(r"/book/confirmed/"))
    second.get_by_role("button", name="Book this time").click()
    second.wait_for_load_state()
    # The specific message (issue 10): the time was free when the page was shown, so say it was just taken.
    assert SLOT_TAKEN_MESSAGE in second.locator("#slot-errors").inner_text()
    shot("slot-taken", target=second)
    # The demo clinic has appointments of its own: count only these two patients'.
    booked = Appointment.objects.filter(holds_slot=True, email__in=["first@example.com", "second@example.com"])
    assert booked.count() == 1
