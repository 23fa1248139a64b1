"""``manage.py seed_demo``: builds the demo clinic once, a second run changes nothing, and it refuses production.

The test settings run with DEBUG off, which is what the command takes for production: the tests
that seed say so explicitly with ``--allow-production``.
"""

from __future__ import annotations

import ast
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from wagtail.images.models import Image
from wagtail.models import Page, Revision, Site

from booking.availability.selectors import doctor_free_slots
from booking.models import TimeOff, WorkingHours, clinic_zone
from home.models import (
    ClinicSettings,
    DoctorIndexPage,
    DoctorPage,
    DoctorSpecialization,
    HomePage,
    SpecializationIndexPage,
    SpecializationPage,
    StandardPage,
)
from portal.models import User

DEMO_LOGINS = {
    "admin@example.com": ("admin-demo-2026", User.Role.STAFF),
    "doctor@example.com": ("doctor-demo-2026", User.Role.DOCTOR),
    "doctor2@example.com": ("doctor-demo-2026", User.Role.DOCTOR),
    "patient@example.com": ("patient-demo-2026", User.Role.PATIENT),
}

COUNTED = (
    Page,
    Revision,
    Image,
    User,
    EmailAddress,
    WorkingHours,
    TimeOff,
    DoctorSpecialization,
    Site,
    ClinicSettings,
)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def seeded(db, settings, tmp_path):
    """Seed once, writing the generated images to a throwaway media directory."""
    settings.MEDIA_ROOT = tmp_path
    return seed("--allow-production")


@pytest.mark.django_db
def test_second_run_creates_and_changes_nothing(seeded):
    before = counts()
    second = seed("--allow-production")

    assert counts() == before
    assert "Created" not in second
    assert "already present" in second
    assert before["Page"] >= 1 + 1 + 2 + 1 + 6 + 1 + 12  # root, home, about/contact, indexes, children
    assert before["Image"] >= 6 + 12 + 1


@pytest.mark.django_db
def test_home_page_replaces_the_welcome_page(seeded):
    site = Site.objects.get(is_default_site=True)
    home = HomePage.objects.get()

    assert site.root_page_id == home.pk
    assert not Page.objects.filter(title="Welcome to your new Wagtail site!").exists()
    assert home.featured_specializations.count() == 6
    assert home.featured_doctors.count() == 4
    assert {p.slug for p in StandardPage.objects.child_of(home).live()} >= {"about", "contact"}
    assert SpecializationIndexPage.objects.child_of(home).live().get().slug == "specializations"
    assert DoctorIndexPage.objects.child_of(home).live().get().slug == "doctors"
    assert SpecializationPage.objects.live().count() >= 6
    assert DoctorPage.objects.live().count() >= 12
    assert not Page.objects.filter(depth__gt=1, live=False).exists()
    assert ClinicSettings.for_site(site).name == "Riverside Clinic"


@pytest.mark.django_db
def test_demo_accounts_log_in_and_doctors_own_their_pages(seeded):
    for email, (password, role) in DEMO_LOGINS.items():
        user = authenticate(email=email, password=password)
        assert user is not None, email
        assert user.role == role
        assert EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True).exists()
    assert User.objects.get(email="admin@example.com").is_superuser

    first_two = list(DoctorPage.objects.order_by("path")[:2])
    assert [page.user.email for page in first_two] == ["doctor@example.com", "doctor2@example.com"]


@pytest.mark.django_db
def test_every_doctor_can_be_booked_within_two_weeks(seeded):
    now = datetime(2026, 3, 2, 7, 0, tzinfo=clinic_zone())  # a Monday morning
    for doctor in DoctorPage.objects.live():
        assert doctor.working_hours.exists(), doctor.title
        assert 1 <= len(doctor.specializations) <= 2, doctor.title
        slots = doctor_free_slots(doctor, now.date(), now.date() + timedelta(days=14), now=now)
        assert slots, doctor.title


@pytest.mark.django_db
def test_refuses_when_debug_is_off_and_creates_nothing(settings, tmp_path):
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path
    before = counts()

    with pytest.raises(CommandError, match="published passwords") as refusal:
        seed()

    assert "--allow-production" in str(refusal.value)
    assert counts() == before
    assert not User.objects.exists()
    assert not HomePage.objects.exists()
    assert not Image.objects.exists()


@pytest.mark.django_db
def test_runs_when_debug_is_off_with_the_explicit_flag(settings, tmp_path):
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path

    output = seed("--allow-production")

    assert "Demo data ready." in output
    assert HomePage.objects.exists()
    assert User.objects.filter(email__in=DEMO_LOGINS).count() == len(DEMO_LOGINS)


@pytest.mark.django_db
def test_runs_without_the_flag_when_debug_is_on(settings, tmp_path):
    """What ``make run`` does: development settings have DEBUG on."""
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path

    output = seed()

    assert "Demo data ready." in output
    assert HomePage.objects.exists()
    assert User.objects.filter(email__in=DEMO_LOGINS).count() == len(DEMO_LOGINS)


def test_home_demo_never_imports_booking():
    """The demo's page side stays in ``home``, which must not depend on ``booking``, not even lazily."""
    demo_dir = Path(__file__).resolve().parents[2] / "home" / "demo"
    modules = sorted(demo_dir.glob("*.py"))
    assert modules
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name == "booking" or name.startswith("booking.") for name in names), module.name
