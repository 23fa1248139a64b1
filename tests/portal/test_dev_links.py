"""The address in emails, calendar files and PDFs follows the address ``make run`` serves.

Settings are read once per process, so each case loads the development settings in a fresh
Python with the environment ``make run`` would give it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Prints the setting and the absolute links an email and a calendar file would carry for an
# account holder's appointment: no database needed, only the settings and the URLconf.
PROBE = """
import django
django.setup()
from django.conf import settings
from booking.models import Appointment
from booking.notifications.links import appointment_link, calendar_link
appointment = Appointment(reference="ABCDE-12345", patient_id=1)
print(settings.WAGTAILADMIN_BASE_URL)
print(appointment_link(appointment))
print(calendar_link(appointment))
"""


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run ``command`` in the project with the environment minus HOST, PORT and the base URL, plus ``env``."""
    # Also without the variables of a make that runs this suite (``make test PORT=…``).
    dropped = {"HOST", "PORT", "WAGTAILADMIN_BASE_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    return subprocess.run(  # noqa: S603 - our own interpreter or make, with fixed arguments
        command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def dev_settings(**env: str) -> list[str]:
    result = run([sys.executable, "-c", PROBE], DJANGO_SETTINGS_MODULE="portal.settings.dev", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_default_is_the_default_runserver_address():
    assert dev_settings()[0] == "http://127.0.0.1:8000"


def test_port_from_the_environment_reaches_email_and_calendar_links():
    base, email_link, calendar = dev_settings(PORT="8123")
    assert base == "http://127.0.0.1:8123"
    assert email_link == "http://127.0.0.1:8123/appointments/ABCDE-12345/"
    assert calendar == "http://127.0.0.1:8123/appointments/ABCDE-12345/"


def test_host_from_the_environment_and_the_wildcard_address():
    assert dev_settings(HOST="localhost", PORT="8101")[0] == "http://localhost:8101"
    # Serving on every interface: links point at this machine's loopback address.
    assert dev_settings(HOST="0.0.0.0", PORT="8101")[0] == "http://127.0.0.1:8101"  # noqa: S104 - not a bind


def test_an_explicit_base_url_still_wins():
    assert dev_settings(PORT="8123", WAGTAILADMIN_BASE_URL="https://clinic.example")[0] == "https://clinic.example"


def test_make_exports_host_and_port_to_the_commands_it_runs():
    """runserver and the email worker read HOST/PORT from the environment, so make must export them."""
    make = shutil.which("make")
    assert make, "GNU make is needed to run the project (make run)"
    probe = "--eval=show-address: ; @echo $$HOST:$$PORT"
    default = run([make, "-s", probe, "show-address"])
    assert default.stdout.strip() == "127.0.0.1:8000", default.stderr
    chosen = run([make, "-s", probe, "show-address", "PORT=8123"])
    assert chosen.stdout.strip() == "127.0.0.1:8123", chosen.stderr


@pytest.mark.parametrize("port", ["eighty", "80.5"])
def test_a_nonsense_port_is_a_clear_configuration_error(port):
    result = run([sys.executable, "-c", PROBE], DJANGO_SETTINGS_MODULE="portal.settings.dev", PORT=port)
    assert result.returncode != 0
    assert "PORT must be an integer" in result.stderr
