"""The main public pages at desktop and phone (390 px) width: saved for people to look at, and
checked for the one layout fault a script can see, content wider than the screen."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
OVERFLOW = """() => [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .filter(e => !e.closest(".skip-link"))
    .filter(e => { for (let p = e.parentElement; p; p = p.parentElement) {
        if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) return false; } return true; })
    .map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : ""))
    .slice(0, 10)"""


@pytest.mark.parametrize("device", WIDTHS)
def test_public_pages_fit_the_screen(live_server, browser, demo_site, shot, device, request):
    from home.models import DoctorPage

    width, height = WIDTHS[device]
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=device == "phone")
    page = context.new_page()
    doctor = DoctorPage.objects.live().order_by("title").first()
    try:
        for path, name in [
            ("/", "home"),
            ("/doctors/", "doctors"),
            (doctor.url, "doctor"),
            (doctor.url + "book/", "booking"),
            ("/specializations/cardiology/", "specialization"),
        ]:
            page.goto(live_server.url + path)
            shot(f"{device}-{name}", target=page)
            assert page.evaluate(OVERFLOW) == [], f"{name} is wider than a {width}px screen"
            # Also what the elements above cannot show: absolutely placed content widening the page.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
    finally:
        context.close()
