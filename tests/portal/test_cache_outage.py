"""Redis down: sign-in, sign-up and password reset keep working, and the outage is logged.

Real django-redis against a port nobody listens on, with allauth's rate limits switched on as in
production. Before FailOpenRedisCache, allauth's rate-limit lock (``cache.add``) read every
unreachable Redis as "somebody else holds the lock" and all three answered 429.
"""

from __future__ import annotations

import logging
import socket
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from portal import ratelimit
from portal.settings import base

from ..factories import PASSWORD, make_user, sign_in

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local TCP port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_caches(location: str) -> dict:
    """The production cache configuration (portal.settings.base with REDIS_URL) pointed at ``location``."""
    return {
        "default": {
            "BACKEND": "portal.cache.FailOpenRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }


@pytest.fixture
def dead_redis():
    """Production's cache and rate limits, with Redis unreachable."""
    with override_settings(
        CACHES=redis_caches(f"redis://127.0.0.1:{closed_port()}/0"), ACCOUNT_RATE_LIMITS=base.ACCOUNT_RATE_LIMITS
    ):
        yield


@pytest.fixture
def live_redis():
    """Production's cache and rate limits on the local Redis, under a key prefix of this test's own."""
    with override_settings(
        CACHES=redis_caches("redis://127.0.0.1:6379/0"), ACCOUNT_RATE_LIMITS=base.ACCOUNT_RATE_LIMITS
    ):
        cache.set("ping", "pong", 10)
        assert cache.get("ping") == "pong", "needs Redis on 127.0.0.1:6379 (apt-get install redis-server)"
        yield
        # Only this test's keys: clear() would FLUSHDB a Redis that other processes use too.
        cache.delete_pattern("*")


def test_patient_signs_in_with_redis_down_and_the_outage_is_logged(client, patient, dead_redis, caplog):
    with caplog.at_level(logging.WARNING, logger="portal.cache"):
        response = sign_in(client, patient)
    assert response.status_code == 302 and response["Location"] == settings.LOGIN_REDIRECT_URL
    assert client.get("/me/").status_code == 200
    warnings = [r for r in caplog.records if r.name == "portal.cache" and r.levelno == logging.WARNING]
    # One warning per outage, not one per cache call (a sign-in makes a dozen).
    assert len(warnings) == 1
    assert "rate limits are off" in warnings[0].getMessage()


def test_staff_signs_in_with_second_factor_with_redis_down(client, staff_user, dead_redis):
    # The TOTP code's "used once" marker is a cache.add too: it must not refuse the right code.
    response = sign_in(client, staff_user)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_sign_up_and_password_reset_work_with_redis_down(
    client, patient, dead_redis, mailoutbox, django_capture_on_commit_callbacks
):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.patient@example.com",
            "password1": "correct horse battery",
            "password2": "correct horse battery",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    # Account emails go through the outbox and are sent after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": patient.email})
    assert response.status_code == 302
    assert any(patient.email in message.to for message in mailoutbox)


def test_project_limits_skip_with_a_warning_when_redis_is_down(rf, dead_redis, caplog):
    request = rf.post("/", REMOTE_ADDR="203.0.113.1")
    with caplog.at_level(logging.WARNING):
        assert all(ratelimit.hit("probe", limit=1, window_seconds=60) for _ in range(5))
        attempt = ratelimit.SigninAttempt(request, "someone@example.com")
        for _ in range(10):
            attempt.failed()
        assert attempt.refusal() is None
    assert any(r.levelno == logging.WARNING for r in caplog.records)


def test_with_redis_up_limits_count_and_add_is_not_always_true(rf, live_redis):
    """Failing open is for outages only: a healthy Redis keeps allauth's locks and the counters."""
    assert cache.add("lock", 1, 10) is True
    assert cache.add("lock", 1, 10) is False
    assert [ratelimit.hit("probe", limit=2, window_seconds=60) for _ in range(3)] == [True, True, False]
    attempt = ratelimit.SigninAttempt(rf.post("/", REMOTE_ADDR="203.0.113.2"), "someone@example.com")
    for _ in range(ratelimit.SIGNIN_FREE_FAILURES + 1):
        attempt.failed()
    assert attempt.refusal() is not None


def test_sign_in_with_redis_up_counts_wrong_passwords(client, live_redis):
    user = make_user("counted@example.com")
    for _ in range(ratelimit.SIGNIN_FREE_FAILURES + 1):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password-123"})
    response = sign_in(client, user, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
