"""Outages degrade gracefully: with Redis unreachable, patients still book and /healthz says so."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.urls import reverse

from booking.models import Appointment

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
    # Changing CACHES makes Django drop its cache connections (django.test.signals).
    settings.CACHES = DEAD_REDIS
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
    assert caches["default"].__class__.__name__ == "RedisCache"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Override the conftest fixture: clearing a dead Redis is exactly what we are testing."""
    yield


def test_booking_and_lookup_work_without_redis(client, doctor, free_slot, redis_down):
    slot = free_slot(doctor)
    response = client.post(
        doctor.url + "book/",
        {
            "slot": slot.start.isoformat(),
            "full_name": "Grace Hopper",
            "email": "grace@example.com",
            "mobile": "07912 345678",
            "mode": "in_person",
        },
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    lookup = client.post(
        reverse("appointments:find"), {"reference": appointment.reference, "email": "grace@example.com"}
    )
    assert lookup.status_code == 302  # the rate limit is skipped, not fatal


def test_healthz_reports_the_cache_down_but_stays_up(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["cache"].startswith("down")
    assert response.json()["checks"]["database"] == "ok"
