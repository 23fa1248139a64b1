"""With the shared cache down, the booking limits fail open (logged) and patients still book.

A real django-redis client pointed at a closed port, as in production when Redis is down: the
counters cannot be read, so they are skipped with a warning; the caps counted in the database
still hold.
"""

from __future__ import annotations

import logging

import pytest
from django.core.cache import caches
from django.urls import reverse

from booking.appointments import proof_of_work
from booking.models import Appointment
from tests.factories import confirm_by_email

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = DEAD_REDIS  # Django drops its cache connections when CACHES changes
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
    assert caches["default"].__class__.__name__ == "RedisCache"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Override the conftest fixture, which would clear the dead cache."""
    yield


def form_data(slot, n: int) -> dict:
    return {
        "slot": slot.start.isoformat(),
        "full_name": f"Patient {n}",
        "email": f"patient{n}@example.com",
        "mobile": "07912 345678",
        "mode": "in_person",
    }


def test_limits_let_people_book_and_confirm_when_the_cache_is_down(
    client, doctor, free_slot, settings, redis_down, caplog
):
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 2
    settings.GUEST_UNCONFIRMED_PER_ADDRESS = 100
    with caplog.at_level(logging.WARNING, logger="portal.ratelimit"):
        statuses = [client.post(doctor.url + "book/", form_data(free_slot(doctor, n), n)).status_code for n in range(4)]

    assert statuses == [302] * 4  # past the limit of 2: the counter could not be read
    assert any(message.endswith("limit book-ip skipped.") for message in caplog.messages)
    confirm_by_email(client, Appointment.objects.order_by("pk").first())
    assert Appointment.objects.filter(status=Appointment.Status.PENDING).count() == 1


def test_the_unconfirmed_cap_holds_without_the_cache(client, doctor, free_slot, settings, redis_down):
    settings.GUEST_UNCONFIRMED_PER_ADDRESS = 2
    statuses = [client.post(doctor.url + "book/", form_data(free_slot(doctor, n), n)).status_code for n in range(3)]
    assert statuses == [302, 302, 429]


def test_lookup_works_when_the_cache_is_down(client, doctor, free_slot, settings, redis_down):
    settings.LOOKUP_ATTEMPTS_PER_ADDRESS = 1
    client.post(doctor.url + "book/", form_data(free_slot(doctor), 0))
    appointment = Appointment.objects.get()
    url = reverse("appointments:find")
    client.post(url, {"reference": "00000-00000", "email": "x@example.com"})
    found = client.post(url, {"reference": appointment.reference, "email": appointment.email})
    assert found.status_code == 302


def test_proof_of_work_accepts_a_valid_answer_when_the_cache_is_down(settings, redis_down, caplog):
    challenge = proof_of_work.create_challenge(max_number=50, max_age_seconds=600)
    with caplog.at_level(logging.WARNING, logger="booking.appointments.proof_of_work"):
        proof_of_work.verify(proof_of_work.solve(challenge))
    assert "Cache unavailable: proof-of-work replay check skipped." in caplog.messages
