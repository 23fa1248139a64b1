"""Staff and doctors are signed out after an idle spell and after a working day; patients are not."""

from __future__ import annotations

import time

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings

from portal.middleware import AUTH_SEEN, AUTH_STARTED

from ..factories import sign_in

pytestmark = pytest.mark.django_db


def age_session(client, *, started_ago: float = 0, seen_ago: float = 0) -> None:
    session = client.session
    now = time.time()
    session[AUTH_STARTED] = now - started_ago
    session[AUTH_SEEN] = now - seen_ago
    session.save()


def signed_out_to_login(response, path: str) -> bool:
    return response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path.replace('/', '%2F')}"


@pytest.mark.parametrize("who, home", [("staff_user", "/admin/"), ("doctor_user", "/doctor/")])
@override_settings(STAFF_SESSION_IDLE_MINUTES=30, STAFF_SESSION_MAX_HOURS=10)
def test_idle_session_is_signed_out(client, request, who, home, doctor):
    sign_in(client, request.getfixturevalue(who))
    age_session(client, started_ago=29 * 60, seen_ago=29 * 60)
    assert client.get(home).status_code == 200  # active within the half hour: still in, clock restarted
    assert time.time() - client.session[AUTH_SEEN] < 5

    age_session(client, started_ago=31 * 60, seen_ago=31 * 60)
    response = client.get(home)
    assert signed_out_to_login(response, home)
    assert "_auth_user_id" not in client.session
    assert any("30 minutes without activity" in str(m) for m in get_messages(response.wsgi_request))
    assert client.get(home)["Location"].startswith("/accounts/login/")


@override_settings(STAFF_SESSION_IDLE_MINUTES=30, STAFF_SESSION_MAX_HOURS=10)
def test_session_ends_after_the_working_day_even_when_busy(client, staff_user):
    sign_in(client, staff_user)
    age_session(client, started_ago=10 * 3600 + 60, seen_ago=10)
    response = client.get("/admin/")
    assert signed_out_to_login(response, "/admin/")
    assert "_auth_user_id" not in client.session


def test_editor_pings_do_not_count_as_activity(client, staff_user):
    sign_in(client, staff_user)
    age_session(client, started_ago=20 * 60, seen_ago=20 * 60)
    seen = client.session[AUTH_SEEN]
    client.get("/admin/editing-sessions/ping/wagtailcore/page/1/1/")
    assert client.session[AUTH_SEEN] == seen


def test_patients_keep_their_sessions(client, patient):
    sign_in(client, patient)
    age_session(client, started_ago=20 * 3600, seen_ago=5 * 3600)
    assert client.get("/me/").status_code == 200
