"""The proof-of-work puzzle in a real browser: the vendored script solves it, offline, with no
third-party service; without JavaScript the form says what to do."""

from __future__ import annotations

import re

import pytest

from booking.models import Appointment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def pow_on(settings):
    settings.BOOKING_PROOF_OF_WORK = True  # the real default difficulty


def fill_booking_form(page) -> None:
    page.locator(".slot label").first.click()
    page.get_by_label("Full name").fill("Ada Byron")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Mobile number").fill("07912 345678")


def test_the_browser_solves_the_puzzle_and_books(live_server, page, shot, demo_site, pow_on):
    from home.models import DoctorPage

    doctor = DoctorPage.objects.live().order_by("title").first()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server.url + doctor.url + "book/")
    fill_booking_form(page)
    page.get_by_role("button", name="Book this time").click()  # may be before the answer is found

    page.wait_for_url(re.compile(r"/book/confirmed/"))
    assert Appointment.objects.get(email="ada@example.com").is_awaiting_email_confirmation
    assert all(url.startswith(live_server.url) for url in requests)  # nothing fetched from elsewhere
    shot("booked-with-proof-of-work")

    # The lookup form carries its own puzzle.
    appointment = Appointment.objects.get(email="ada@example.com")
    fresh = page.context.browser.new_context().new_page()
    fresh.goto(live_server.url + "/appointments/find/")
    fresh.get_by_label("Appointment reference").fill(appointment.reference)
    fresh.get_by_label("Email you booked with").fill("ada@example.com")
    fresh.get_by_role("button", name="Find appointment").click()
    fresh.wait_for_url(re.compile(rf"/appointments/{appointment.reference}/$"))
    fresh.context.close()


def test_without_javascript_the_form_says_it_needs_it(live_server, browser, shot, demo_site, pow_on):
    from home.models import DoctorPage

    doctor = DoctorPage.objects.live().order_by("title").first()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + doctor.url + "book/")
    assert "This form needs JavaScript" in page.locator("body").inner_text()
    fill_booking_form(page)
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_load_state()
    assert "needs JavaScript" in page.locator("[role=alert]").first.inner_text()
    assert not Appointment.objects.filter(email="ada@example.com").exists()
    shot("no-javascript", target=page)
    context.close()
