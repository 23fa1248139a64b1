"""Shared fixtures: the site tree, two doctors, and one user of each role."""

from __future__ import annotations

import pytest
from django.utils import timezone

from portal.models import User

from .factories import free_slots, make_doctor, make_site, make_user


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
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
