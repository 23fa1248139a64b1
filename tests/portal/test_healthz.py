"""/healthz: "ok" or "error" for everyone; dependency details only for staff or direct local requests."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PUBLIC = {"REMOTE_ADDR": "203.0.113.5"}


def test_public_answer_is_only_the_status(client):
    response = client.get("/healthz", **PUBLIC)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_signed_in_patient_gets_only_the_status(client, patient):
    client.login(email=patient.email, password=PASSWORD)
    assert client.get("/healthz", **PUBLIC).json() == {"status": "ok"}


def test_staff_get_the_details_from_anywhere(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    body = client.get("/healthz", **PUBLIC).json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
    assert body["checks"]["worker"] == {"state": "ok", "waiting": 0, "oldest_waiting_seconds": 0}


def test_direct_local_request_gets_the_details(client):
    body = client.get("/healthz", REMOTE_ADDR="127.0.0.1").json()
    assert set(body["checks"]) == {"database", "cache", "worker"}
    assert "checks" in client.get("/healthz", REMOTE_ADDR="::1").json()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_FORWARDED_FOR": "203.0.113.5"},
        {"HTTP_X_FORWARDED_FOR": "127.0.0.1"},  # forwarded at all: came through a proxy
        {"HTTP_FORWARDED": "for=203.0.113.5"},
        {"HTTP_X_REAL_IP": "203.0.113.5"},
    ],
)
def test_requests_through_a_local_proxy_get_only_the_status(client, headers):
    assert client.get("/healthz", REMOTE_ADDR="127.0.0.1", **headers).json() == {"status": "ok"}


def test_trusted_proxy_count_reads_the_real_client(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    response = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.json() == {"status": "ok"}


def test_worker_backlog_counts_tasks_waiting(client, staff_user):
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="booking.notifications.tasks.deliver_notification",
        backend_name="default",
        run_after=timezone.now(),
    )
    client.login(email=staff_user.email, password=PASSWORD)
    worker = client.get("/healthz", **PUBLIC).json()["checks"]["worker"]
    assert worker["state"] == "ok" and worker["waiting"] == 1 and worker["oldest_waiting_seconds"] >= 0


def test_database_down_is_503_with_only_the_status_for_the_public(client, monkeypatch):
    monkeypatch.setattr("portal.views._check_database", lambda: "down: OperationalError")
    response = client.get("/healthz", **PUBLIC)
    assert response.status_code == 503
    assert response.json() == {"status": "error"}
    local = client.get("/healthz", REMOTE_ADDR="127.0.0.1")
    assert local.status_code == 503
    assert local.json()["checks"]["database"] == "down: OperationalError"
