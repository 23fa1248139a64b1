"""Second factor: required for staff and doctors (the Wagtail admin behind it), optional for patients."""

from __future__ import annotations

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.management import call_command
from django.urls import reverse

from portal.mfa import DEMO_TOTP_SECRET
from portal.models import User

from ..factories import PASSWORD, make_user, sign_in, totp_code, verify_email

pytestmark = pytest.mark.django_db

ACTIVATE = reverse("mfa_activate_totp")


def enrol_through_the_pages(client) -> str:
    """Set up an authenticator app the way a person does (re-authenticating first); return its key."""
    response = client.get(ACTIVATE)
    if response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate")):
        response = client.post(response["Location"], {"password": PASSWORD})
        assert response["Location"] == ACTIVATE
        response = client.get(ACTIVATE)
    assert response.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in response.content.decode()  # typed by hand when the QR code cannot be scanned
    wrong = client.post(ACTIVATE, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.content.decode()
    response = client.post(ACTIVATE, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_view_recovery_codes")
    return secret


@pytest.fixture
def new_staff(db):
    user = make_user("new.staff@example.com", User.Role.STAFF, mfa=False)
    verify_email(user)
    return user


@pytest.fixture
def new_doctor(doctor, db):
    user = make_user("new.doctor@example.com", User.Role.DOCTOR, mfa=False)
    verify_email(user)
    doctor.user = user
    doctor.save()
    return user


@pytest.mark.parametrize("who, home", [("new_staff", "/admin/"), ("new_doctor", "/doctor/")])
def test_enrolment_is_forced_at_sign_in_then_the_code_is_asked_every_time(client, request, who, home):
    user = request.getfixturevalue(who)
    response = sign_in(client, user)
    assert response["Location"] == home  # no second factor yet: the password alone signs in…
    response = client.get(home)
    assert response.status_code == 302 and response["Location"] == ACTIVATE  # …but work waits for set-up
    assert client.get("/me/")["Location"] == ACTIVATE
    assert "must protect their account" in client.get(ACTIVATE, follow=True).content.decode()

    secret = enrol_through_the_pages(client)
    assert client.get(home).status_code == 200

    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(home)["Location"].startswith(reverse("account_login"))  # not signed in yet
    response = client.post(reverse("mfa_authenticate"), {"code": "12345"})
    assert response.status_code == 200 and "not right" in response.content.decode()
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == home
    assert client.get(home).status_code == 200


def test_admin_is_unreachable_for_staff_without_second_factor(client, new_staff):
    client.force_login(new_staff)
    for path in ("/admin/", "/admin/pages/", "/admin/booking/appointment/", "/admin/account/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == ACTIVATE, path
    assert client.post("/admin/pages/add/home/standardpage/1/", {"title": "x"})["Location"] == ACTIVATE


def test_wagtail_login_form_cannot_bypass_allauth(client, staff_user):
    verify_email(staff_user)
    response = client.post("/admin/login/?next=/admin/pages/", {"username": staff_user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/admin/pages/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")
    # Wagtail's password reset and password change are off: allauth's (rate limited) are the only ones.
    assert client.get("/admin/password_reset/").status_code == 404


def test_staff_and_doctors_cannot_turn_the_second_factor_off(client, staff_user):
    verify_email(staff_user)
    sign_in(client, staff_user)
    client.post(reverse("account_reauthenticate") + "?next=/", {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200 and "must keep two-factor authentication on" in response.content.decode()
    assert Authenticator.objects.filter(user=staff_user, type=Authenticator.Type.TOTP).exists()


def test_patients_sign_in_with_password_alone_and_may_add_a_second_factor(client, patient):
    response = sign_in(client, patient)
    assert response["Location"] == "/me/"
    assert client.get("/me/").status_code == 200
    assert "An authenticator app is not active" in client.get(reverse("mfa_index")).content.decode()

    secret = enrol_through_the_pages(client)
    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), {"login": patient.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})["Location"] == "/me/"
    # A patient may turn it off again (after confirming it is them).
    client.post(reverse("mfa_reauthenticate") + "?next=/", {"code": "x"})
    client.post(reverse("account_reauthenticate") + "?next=/", {"password": PASSWORD})
    client.post(reverse("mfa_deactivate_totp"))
    assert not Authenticator.objects.filter(user=patient, type=Authenticator.Type.TOTP).exists()


def test_a_recovery_code_signs_in_once(client, staff_user):
    verify_email(staff_user)
    code = RecoveryCodes.activate(staff_user).generate_codes()[0]
    client.post(reverse("account_login"), {"login": staff_user.email, "password": PASSWORD})
    assert client.post(reverse("mfa_authenticate"), {"code": code})["Location"] == "/admin/"
    client.post(reverse("account_logout"))
    client.post(reverse("account_login"), {"login": staff_user.email, "password": PASSWORD})
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200  # used up


def test_reset_mfa_makes_staff_set_it_up_again(client, staff_user):
    call_command("reset_mfa", staff_user.email, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Authenticator.objects.filter(user=staff_user).exists()
    sign_in(client, staff_user)
    assert client.get("/admin/")["Location"] == ACTIVATE


def test_test_users_of_strong_roles_have_a_second_factor(staff_user, doctor_user, patient):
    """The shared factories give staff and doctors an authenticator app (sign_in answers its code)."""
    assert Authenticator.objects.filter(user__in=[staff_user, doctor_user], type="totp").count() == 2
    assert not Authenticator.objects.filter(user=patient).exists()
    assert len(totp_code()) == 6


def test_demo_staff_and_doctors_sign_in_with_the_published_key(client):
    call_command("seed_demo", "--allow-production", stdout=open("/dev/null", "w"))  # noqa: SIM115
    admin = User.objects.get(email="admin@example.com")
    response = sign_in(client, admin, "admin-demo-2026", secret=DEMO_TOTP_SECRET)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    enrolled = set(Authenticator.objects.filter(type="totp").values_list("user__email", flat=True))
    assert {"admin@example.com", "doctor@example.com", "doctor2@example.com"} <= enrolled
    assert "patient@example.com" not in enrolled
