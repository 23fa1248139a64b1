"""WCAG 2.2 AA in a real browser: axe-core on every page a patient or doctor relies on.

No serious or critical violation is allowed; moderate and minor ones are printed for people to
read (``-s``), not failed on.
"""

from __future__ import annotations

import re

import pytest

from booking.models import Appointment

from .axe import axe_violations, describe, serious_violations
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def assert_accessible(page, name: str) -> None:
    found = axe_violations(page)
    minor = [v for v in found if v not in serious_violations_from(found)]
    if minor:
        print(f"\n[{name}] non-blocking axe findings:\n{describe(minor)}")
    blocking = serious_violations_from(found)
    assert not blocking, f"{name} ({page.url}):\n{describe(blocking)}"


def serious_violations_from(found: list[dict]) -> list[dict]:
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_public_patient_and_doctor_pages_have_no_serious_violations(live_server, page, shot, demo_site):
    base = live_server.url
    public = [
        ("/", "home"),
        ("/doctors/", "doctors index"),
        ("/accounts/login/", "sign-in"),
        ("/accounts/signup/", "sign-up"),
        ("/accounts/password/reset/", "password reset"),
    ]
    for path, name in public:
        page.goto(base + path)
        assert_accessible(page, name)

    page.goto(base + "/doctors/")
    page.locator(".doctor-card a.card__link").first.click()
    page.wait_for_url(re.compile(r"/doctors/[^/]+/$"))
    assert_accessible(page, "doctor page")

    page.get_by_role("link", name="Book an appointment").last.click()
    page.wait_for_url(re.compile(r"/book/$"))
    assert_accessible(page, "booking page")

    # A refused submit: the page with its error summary and invalid fields must pass too.
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    assert_accessible(page, "booking page with errors")

    page.locator(".slot label").first.click()
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace.a11y@example.com")
    page.get_by_label("Mobile number").fill("07912 345678")
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url(re.compile(r"/book/confirmed/"))
    assert Appointment.objects.filter(email="grace.a11y@example.com").exists()
    assert_accessible(page, "booking confirmation")

    login(page, base, "patient@example.com", "patient-demo-2026")
    page.goto(base + "/me/")
    assert_accessible(page, "my appointments")
    for path, name in [("/me/profile/", "my profile"), ("/me/export/", "my data"), ("/me/delete/", "delete account")]:
        page.goto(base + path)
        assert_accessible(page, name)

    page.context.clear_cookies()
    login(page, base, "doctor@example.com", "doctor-demo-2026")
    page.goto(base + "/doctor/")
    assert_accessible(page, "doctor dashboard")


def test_axe_catches_a_real_violation(live_server, page, demo_site):
    """The scan is live: an image without alt text and an unlabeled input are reported."""
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
            const input = document.createElement("input");
            document.querySelector("main").appendChild(input);
            const img = document.createElement("img");
            img.src = "/static/img/favicon-32.png";
            document.querySelector("main").appendChild(img);
        }"""
    )
    ids = {v["id"] for v in serious_violations(page)}
    assert {"label", "image-alt"} <= ids
