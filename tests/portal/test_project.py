"""Project wiring: migrations are in step, health check, roles and admin access."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_no_missing_migrations():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert "cache" in body["checks"]


def test_patients_never_reach_the_admin(client, patient):
    client.login(email=patient.email, password=PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_reach_the_admin_and_the_appointment_list(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/booking/appointment/").status_code == 200


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_signup_creates_a_patient(client, db):
    from portal.models import User

    response = client.post(
        "/accounts/signup/",
        {"email": "new.person@example.com", "password1": "a-very-long-pass-9", "password2": "a-very-long-pass-9"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.role == User.Role.PATIENT
    assert user.groups.filter(name="Patients").exists()
    assert not user.has_perm("wagtailadmin.access_admin")


def test_role_groups_are_idempotent():
    from django.contrib.auth.models import Group

    from portal.roles import ensure_role_groups

    ensure_role_groups()
    ensure_role_groups()
    assert Group.objects.filter(name__in=["Patients", "Doctors", "Clinic staff"]).count() == 3


def test_user_emails_are_stored_lower_case():
    user = make_user("MiXeD@Example.COM")
    assert user.email == "mixed@example.com"


# Pins a review finding: this failed before its fix.
def test_production_refuses_a_local_base_url():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.production", "SECRET_KEY": "x" * 50}
    env.pop("WAGTAILADMIN_BASE_URL", None)
    code = "import django; django.setup()"
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],  # the repository root
        check=False,
    )
    assert result.returncode != 0
    assert "WAGTAILADMIN_BASE_URL" in result.stderr
