"""Shared fixtures: the site tree, two doctors, and one user of each role.

Also CI's guard against silent skips: with ``CI_STRICT_SKIPS=1`` (``.ci/run`` sets it) a test
skipped for any reason but the MariaDB-only one fails the run, so a tool missing on the CI machine
(chromium, poppler-utils, ...) cannot pass as a green "skipped".
"""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from portal.models import User

from . import payments_server
from .factories import free_slots, make_doctor, make_site, make_user

# Skips that stay legitimate in CI: the SQLite pass cannot run the MariaDB-only tests.
ALLOWED_SKIP_REASONS = ("needs MariaDB/MySQL",)


class StrictSkips:
    """Collects every skip whose reason is not allowed; any such skip makes the session fail."""

    def __init__(self) -> None:
        self.skips: list[tuple[str, str]] = []

    def _record(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        # xfail outcomes are reported as skipped too: expected failures, not missing tools.
        if not report.skipped or hasattr(report, "wasxfail"):
            return
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        if not reason.startswith(ALLOWED_SKIP_REASONS):
            self.skips.append((report.nodeid, reason))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # A whole module skipped while collected (pytest.importorskip, allow_module_level=True).
        self._record(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.skips and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.skips:
            return
        allowed = " or ".join(repr(reason) for reason in ALLOWED_SKIP_REASONS)
        terminalreporter.section("CI_STRICT_SKIPS=1: skipped tests fail this run", red=True, bold=True)
        terminalreporter.line(
            f"{len(self.skips)} test(s) skipped for a reason other than {allowed}; "
            "install what they need (see .ci/run) or remove the skip:",
            red=True,
        )
        for nodeid, reason in self.skips:
            terminalreporter.line(f"  {nodeid}: {reason}", red=True)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI_STRICT_SKIPS") == "1":
        config.pluginmanager.register(StrictSkips(), "strict-skips")


@pytest.fixture
def site_tree(db):
    return make_site()


@pytest.fixture
def doctor_user(db):
    return make_user("doc.x@example.com", User.Role.DOCTOR)


@pytest.fixture
def other_doctor_user(db):
    return make_user("doc.y@example.com", User.Role.DOCTOR)


@pytest.fixture
def doctor(site_tree, doctor_user):
    return make_doctor(
        site_tree["doctors"], "Dr Ada Lovelace", specialization=site_tree["cardiology"], user=doctor_user, slug="ada"
    )


@pytest.fixture
def other_doctor(site_tree, other_doctor_user):
    return make_doctor(site_tree["doctors"], "Dr Alan Turing", user=other_doctor_user, slug="alan")


@pytest.fixture
def patient(db):
    return make_user("alice@example.com")


@pytest.fixture
def other_patient(db):
    return make_user("bob@example.com")


@pytest.fixture
def staff_user(db):
    return make_user("staff@example.com", User.Role.STAFF)


@pytest.fixture
def free_slot():
    """Return a function giving the doctor's n-th free slot from tomorrow on (avoids notice edge cases)."""

    def _free_slot(doctor, n: int = 0):
        return free_slots(doctor)[n]

    return _free_slot


@pytest.fixture
def far_slots(doctor):
    """The doctor's free slots from three days on: clear of the notice period and the cancel cutoff."""
    return free_slots(doctor, days_ahead=3)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none, and with no renditions
    remembered from rows an earlier test rolled back."""
    from django.core.cache import caches

    for alias in ("default", "renditions"):
        caches[alias].clear()
    yield
    for alias in ("default", "renditions"):
        caches[alias].clear()


# --- Stripe: a local Stripe-compatible server (localstripe) on loopback ------------------------


@pytest.fixture(scope="session")
def localstripe():
    server = payments_server.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_on(settings, localstripe):
    """Stripe keys set and pointing at localstripe; patients of every doctor pay online."""
    settings.STRIPE_SECRET_KEY = payments_server.SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = payments_server.PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = payments_server.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PAYMENT_ONLINE_DEFAULT = "required"
    return localstripe
