"""Signing in for the API: allauth headless (app client, JWT tokens) and the same-origin session.

The old system documented ``POST /login/``, ``POST /register/``, ``POST /appointment/`` and
``GET /view-appointment/`` with a bearer token; the four calls are reproduced here through the
real endpoints they map to (README, "JSON API").
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from booking.models import Appointment, Notification
from portal.models import User
from tests.factories import API_LOGIN, PASSWORD, api_token, bearer, confirm_by_email

pytestmark = pytest.mark.django_db

AUTH = "/api/v1/auth/app/v1"


def _json(client, method, path, body=None, **headers):
    return getattr(client, method)(path, body, content_type="application/json", headers=headers)


def _register_and_verify(client) -> str:
    """POST /register/ of the seed: sign up, then verify the address from the email; the access token."""
    response = _json(client, "post", f"{AUTH}/auth/signup", {"email": "new.patient@example.com", "password": PASSWORD})
    # Mandatory verification: the account exists, sign-in waits for the email's key.
    assert response.status_code == 401
    flows = {flow["id"]: flow for flow in response.json()["data"]["flows"]}
    assert flows["verify_email"]["is_pending"] is True
    session_token = response.json()["meta"]["session_token"]
    email = Notification.objects.get(kind=Notification.Kind.ACCOUNT, to="new.patient@example.com")
    key = re.search(r"/confirm-email/([^/\s]+)/", email.body_text).group(1)
    verified = _json(client, "post", f"{AUTH}/auth/email/verify", {"key": key}, **{"X-Session-Token": session_token})
    assert verified.status_code == 200, verified.content
    return verified.json()["meta"]["access_token"]


def test_the_seeds_four_calls(client, doctor, far_slots):
    token = _register_and_verify(client)  # POST /register/
    user = User.objects.get(email="new.patient@example.com")
    assert user.is_patient
    token = api_token(Client(), user)  # POST /login/ (a fresh app, no cookies)
    app = Client()  # the app keeps no cookies: only the bearer token identifies it
    booked = _json(
        app,
        "post",
        "/api/v1/appointments",
        {
            "doctor_id": doctor.pk,
            "starts_at": far_slots[0].start.isoformat(),
            "full_name": "New Patient",
            "email": "new.patient@example.com",
            "mobile": "07912 345678",
            "message": "Chest pain when running.",
        },
        **bearer(token),
    )  # POST /appointment/
    assert booked.status_code == 201, booked.content
    assert booked.json()["status"] == "pending"  # a signed-in patient's booking goes to the doctor
    mine = app.get("/api/v1/appointments", headers=bearer(token))  # GET /view-appointment/
    assert [a["reference"] for a in mine.json()["items"]] == [booked.json()["reference"]]
    appointment = Appointment.objects.get()
    assert appointment.patient == user and appointment.reason == "Chest pain when running."
    assert str(appointment.mobile) == "+447912345678"


def test_wrong_password_gets_no_token(client, patient):
    api_token(Client(), patient)  # verifies the address
    response = _json(client, "post", API_LOGIN, {"email": patient.email, "password": "wrong-password-1"})
    assert response.status_code == 400
    assert "access_token" not in response.json().get("meta", {})


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-jwt", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "Basic Zm9vOmJhcg==", "Bearer "],
)
def test_forged_or_malformed_tokens_are_401(client, patient, header):
    response = client.get("/api/v1/appointments", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_token_signed_with_another_key_is_401(client, patient, settings):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    import jwt

    forged = jwt.encode(
        {"sub": str(patient.pk), "exp": 4102444800, "iat": 1, "token_use": "access"},
        other.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        algorithm="RS256",
    )
    assert client.get("/api/v1/appointments", headers=bearer(forged)).status_code == 401


def test_expired_token_is_401(client, patient, settings):
    settings.HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = -60
    token = api_token(Client(), patient)
    assert client.get("/api/v1/appointments", headers=bearer(token)).status_code == 401


def test_sign_out_revokes_the_token_and_refresh_tokens_rotate(client, patient):
    api_token(Client(), patient)
    app = Client()
    login = _json(app, "post", API_LOGIN, {"email": patient.email, "password": PASSWORD}).json()["meta"]
    access, refresh = login["access_token"], login["refresh_token"]
    assert app.get("/api/v1/appointments", headers=bearer(access)).status_code == 200

    renewed = _json(app, "post", f"{AUTH}/tokens/refresh", {"refresh_token": refresh})
    assert renewed.status_code == 200, renewed.content
    new_access = renewed.json()["data"]["access_token"]
    new_refresh = renewed.json()["data"].get("refresh_token")
    assert new_refresh and new_refresh != refresh
    # A replayed (already used) refresh token is refused.
    assert _json(app, "post", f"{AUTH}/tokens/refresh", {"refresh_token": refresh}).status_code in (400, 401)

    out = app.delete(f"{AUTH}/auth/session", headers=bearer(new_access))
    assert out.status_code == 401  # allauth's answer: now signed out
    assert app.get("/api/v1/appointments", headers=bearer(new_access)).status_code == 401


def test_same_origin_session_needs_csrf_for_changes(patient, doctor, far_slots):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(patient)
    assert browser.get("/api/v1/appointments").status_code == 200
    body = {
        "doctor_id": doctor.pk,
        "starts_at": far_slots[0].start.isoformat(),
        "full_name": "Alice Tester",
        "email": patient.email,
        "mobile": "07912 345678",
    }
    refused = _json(browser, "post", "/api/v1/appointments", body)
    assert refused.status_code == 403
    assert Appointment.objects.count() == 0
    browser.get("/api/v1/docs")  # the docs page hands out the CSRF cookie, like any form page
    token = browser.cookies["csrftoken"].value
    allowed = _json(browser, "post", "/api/v1/appointments", body, **{"X-CSRFToken": token})
    assert allowed.status_code == 201, allowed.content


def test_signed_out_caller_is_401_on_account_endpoints(client):
    response = client.get("/api/v1/appointments")
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Sign in: send a valid access token or session.",
        "errors": [],
    }


def test_guest_booking_waits_for_the_email_confirmation(client, doctor, far_slots):
    response = _json(
        client,
        "post",
        "/api/v1/appointments",
        {
            "doctor_id": doctor.pk,
            "starts_at": far_slots[0].start.isoformat(),
            "full_name": "Gus Guest",
            "email": "gus@example.com",
            "mobile": "07912 345678",
        },
    )
    assert response.status_code == 201
    assert response.json()["status"] == "unconfirmed"
    appointment = Appointment.objects.get()
    assert appointment.patient is None
    assert list(appointment.notifications.values_list("kind", flat=True)) == [Notification.Kind.CONFIRM_EMAIL]
    # The guest's session sees it (as after booking on the page), and confirming works as on the site.
    assert client.get(f"/api/v1/appointments/{appointment.reference}").status_code == 200
    confirm_by_email(client, appointment)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.PENDING
