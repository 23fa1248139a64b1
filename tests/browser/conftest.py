"""Headless Chromium (Debian's package) driven by Playwright against pytest-django's live server.

No browser is ever downloaded: without /usr/bin/chromium these tests are skipped with a reason
(``.ci/run`` installs it). Screenshots are written to var/test-artifacts/ for people to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyotp
import pytest
from django.core.management import call_command

from portal.mfa import DEMO_TOTP_SECRET

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are ordinary blocking calls, which Django otherwise refuses inside a loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot(page, request):
    """``shot("name")`` saves a full-page screenshot named after the test and step."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def _shot(name: str, target=None) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{next(counter):02d}-{name}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def demo_site(transactional_db, settings, tmp_path):
    """The demo clinic exactly as ``make run`` builds it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # The test settings have DEBUG off, which seed_demo takes for production: say it is fine here.
    call_command("seed_demo", "--allow-production", stdout=open(os.devnull, "w"))  # noqa: SIM115


def login(
    page, base_url: str, email: str, password: str, next_url: str | None = None, totp_secret: str = DEMO_TOTP_SECRET
) -> None:
    """Sign in through the allauth form; without ``next_url`` each role lands on its own home.

    Staff and doctors are then asked for their second factor: the code is computed from their
    authenticator key (the demo accounts' published one by default), as their phone would.
    """
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_load_state()
    if "/accounts/2fa/authenticate/" in page.url:
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()


def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser/ is a browser test (``make test`` runs them in their own process)."""
    for item in items:
        if "/tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
