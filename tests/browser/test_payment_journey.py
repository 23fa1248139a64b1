"""Paying in a real browser: book → pay on the Payment Element → confirmation → the doctor sees it paid.

Stripe.js is the tests' double (tests/stripe_double.js): the page loads https://js.stripe.com/v3/
as in production, and Playwright answers that request with the double, which talks to localstripe
(tests/payments_server.py) on loopback. localstripe sends its webhooks to the live server, so the
webhook path runs for real next to the return page's own check.
"""

from __future__ import annotations

import re
import time

import pytest
from django.db import OperationalError

from booking.models import Appointment
from booking.payments.models import Payment, StripeEvent
from portal.models import User
from tests import payments_server

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

STRIPE_JS = re.compile(r"^https://js\.stripe\.com/v3/")


@pytest.fixture
def paying_site(demo_site, stripe_on, live_server, page):
    """The demo clinic with Stripe keys pointing at localstripe (``stripe_on``, tests/conftest.py),
    localstripe's webhooks sent to the live server, and Stripe.js answered by the double."""
    localstripe = stripe_on
    localstripe.register_webhook(f"{live_server.url}/payments/stripe/webhook/")
    double = payments_server.stripe_double_js(localstripe.url)
    page.route(STRIPE_JS, lambda route: route.fulfill(body=double, content_type="application/javascript"))
    yield localstripe
    localstripe.forget_webhooks()


def book_online(page, base: str, doctor, shot, *, email: str) -> Appointment:
    page.goto(f"{base}{doctor.url}book/")
    page.locator(".slot label").first.click()
    page.get_by_label("Full name").fill("Grace Payer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mobile number").fill("07912 345678")
    assert page.get_by_text("You pay online by card when you book").is_visible()
    shot("booking-form")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(r"/payments/[^/]+/pay/$"))
    return Appointment.objects.get(email=email)


def fill_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date").fill("12 / 34")
    page.get_by_label("Security code").fill("123")


def wait_for(predicate, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until it holds. On SQLite the live server's thread may be writing the
    very table being read (the webhook arriving): "table is locked" then means "not yet"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError:
            pass
        time.sleep(0.5)
    return False


def test_book_pay_after_a_decline_and_the_doctor_sees_a_paid_request(live_server, browser, page, shot, paying_site):
    base = live_server.url
    doctor = User.objects.get(email="doctor@example.com").doctor_page
    fee = f"£{doctor.consultation_fee:.2f}"

    appointment = book_online(page, base, doctor, shot, email="grace.payer@example.com")
    assert appointment.status == Appointment.Status.PENDING_PAYMENT
    pay_button = page.get_by_role("button", name=f"Pay {fee}")
    pay_button.wait_for()
    assert page.get_by_text("We are holding this time for you until").is_visible()
    shot("pay-page")

    fill_card(page, "4000000000000341")
    pay_button.click()
    error = page.locator("#payment-errors")
    error.wait_for(state="visible")
    assert "Your card was declined." in error.inner_text()
    assert pay_button.is_enabled()
    shot("declined")

    fill_card(page, "4242424242424242")
    pay_button.click()
    page.wait_for_url(re.compile(r"/book/confirmed/"))
    body = page.locator("body").inner_text()
    assert appointment.reference in body and "Paid" in body and f"{fee} by card" in body
    shot("confirmation")

    appointment.refresh_from_db()
    payment = Payment.objects.get(appointment=appointment)
    assert appointment.status == Appointment.Status.PENDING and payment.is_paid
    # localstripe's own webhooks arrive about a second later and find the work done.
    assert wait_for(lambda: StripeEvent.objects.filter(type="payment_intent.succeeded").exists())
    assert StripeEvent.objects.get(type="payment_intent.succeeded").outcome == "duplicate: already paid"

    # The doctor sees a paid request and declines it; the patient is refunded in full.
    doctor_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(doctor_page, base, "doctor@example.com", "doctor-demo-2026")
    doctor_page.wait_for_url(re.compile(r"/doctor/$"))
    request = doctor_page.locator("li.request").filter(has_text="Grace Payer")
    assert f"Paid {fee}" in request.inner_text()
    shot("doctor-dashboard", target=doctor_page)
    request.locator("summary", has_text="Decline").click()
    request.get_by_label("Reason for the patient").fill("I am away at a conference that day, sorry.")
    request.get_by_role("button", name=re.compile(r"^Decline appointment")).click()
    doctor_page.wait_for_load_state()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.DECLINED
    assert [r["amount"] for r in paying_site.refunds(payment.intent_id)] == [payment.amount]

    page.goto(f"{base}/appointments/{appointment.reference}/")
    text = page.locator("body").inner_text()
    assert "Refunded" in text and fee in text
    shot("patient-sees-refund")

    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(staff, base, "admin@example.com", "admin-demo-2026", next_url="/admin/")
    staff.goto(f"{base}/admin/payments/payment/?q={appointment.reference}")
    assert fee in staff.locator("table.listing").inner_text()
    shot("admin-payments", target=staff)
    staff.goto(f"{base}/admin/payments/refund/?q={appointment.reference}")
    assert "Declined by the clinic" in staff.locator("table.listing").inner_text()
    shot("admin-refunds", target=staff)
    day = appointment.local_starts_at.date().isoformat()
    staff.goto(f"{base}/admin/bookings/report/?from={day}&to={day}")
    assert "Payments for these appointments" in staff.locator("body").inner_text()
    shot("admin-report", target=staff)


def test_three_d_secure_failure_then_success(live_server, page, shot, paying_site):
    base = live_server.url
    doctor = User.objects.get(email="doctor2@example.com").doctor_page
    book_online(page, base, doctor, shot, email="secure.payer@example.com")
    pay_button = page.get_by_role("button", name=re.compile(r"^Pay "))
    pay_button.wait_for()

    fill_card(page, "4000002500003155")
    pay_button.click()
    page.get_by_role("dialog").wait_for()
    shot("three-d-secure")
    page.get_by_role("button", name="Fail authentication").click()
    error = page.locator("#payment-errors")
    error.wait_for(state="visible")
    assert "unable to authenticate" in error.inner_text()
    shot("three-d-secure-failed")

    pay_button.click()
    page.get_by_role("dialog").wait_for()
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(re.compile(r"/book/confirmed/"))
    assert "Paid" in page.locator("body").inner_text()
    shot("three-d-secure-paid")
