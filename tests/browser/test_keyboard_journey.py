"""The booking journey with the keyboard alone (Tab, Shift+Tab, Enter, Space and typing), and
where focus goes after a refused submit. No clicks anywhere in this file."""

from __future__ import annotations

import re

import pytest

from booking.models import Appointment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

FOCUSED = "() => { const e = document.activeElement; return e ? e.outerHTML.slice(0, 200) : ''; }"


def tab_to(page, selector: str, *, limit: int = 150) -> None:
    """Press Tab until the focused element matches ``selector`` (fails after ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector!r}; focus is on {page.evaluate(FOCUSED)}")


def focus_is_visible(page) -> bool:
    """The focused element draws an outline (the site's :focus-visible style), not the browser's nothing."""
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            const own = getComputedStyle(e);
            const label = e.matches(".slot input") ? getComputedStyle(e.nextElementSibling) : own;
            const after = getComputedStyle(e, "::after");
            return [own, label, after].some(s => s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2);
        }"""
    )


def test_a_patient_books_with_the_keyboard_alone(live_server, page, shot, demo_site):
    page.goto(live_server.url + "/")
    tab_to(page, ".skip-link")  # the first stop: skip to the content
    tab_to(page, ".doctor-card a.card__link")
    assert focus_is_visible(page)
    doctor_name = page.evaluate("() => document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/doctors/[^/]+/$"))

    tab_to(page, "a[href$='/book/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/book/$"))

    tab_to(page, ".slot input[type=radio]")
    assert focus_is_visible(page)
    page.keyboard.press("Space")
    chosen = page.evaluate("() => document.activeElement.value")
    assert page.evaluate("() => document.activeElement.checked")
    tab_to(page, "#id_full_name")
    page.keyboard.type("Katherine Johnson")
    page.keyboard.press("Tab")
    page.keyboard.type("katherine@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("07912 345678")
    shot("keyboard-filled")
    tab_to(page, "button[type=submit].button--large")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/book/confirmed/"))
    appointment = Appointment.objects.get(email="katherine@example.com")
    assert appointment.starts_at.isoformat() == chosen or appointment.local_starts_at.isoformat() == chosen
    assert appointment.doctor.title in doctor_name
    assert appointment.reference in page.locator("main").inner_text()
    shot("keyboard-confirmed")


def test_focus_moves_to_the_error_summary_and_its_links_to_the_fields(live_server, page, shot, demo_site):
    from home.models import DoctorPage

    doctor = DoctorPage.objects.live().order_by("title").first()
    page.goto(live_server.url + doctor.url + "book/")
    tab_to(page, "button[type=submit].button--large")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # nothing filled in
    page.locator(".error-summary").wait_for()

    assert page.evaluate("() => document.activeElement.matches('.error-summary')")
    assert page.locator(".error-summary").get_attribute("role") == "alert"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    shot("error-summary-focused")

    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.error-summary') !== null")
    target = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    assert page.evaluate("(id) => document.activeElement.id === id.slice(1)", target)
