"""Two-factor set-up and sign-in in a real browser: a new staff member is made to set up an
authenticator app before reaching the admin, then signs in with a code; the demo doctor's
published key signs in through the same pages."""

from __future__ import annotations

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator

from portal.models import User

from ..factories import PASSWORD, make_user, verify_email
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_new_staff_member_sets_up_and_uses_the_second_factor(live_server, page, shot, demo_site):
    base = live_server.url
    user = make_user("new.receptionist@example.com", User.Role.STAFF, mfa=False)
    verify_email(user)

    login(page, base, user.email, PASSWORD, next_url="/admin/")
    # Sent to set up the app; allauth first asks for the password again, and says why.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    assert "must protect their account" in page.locator("main").inner_text()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    shot("set-up")
    secret = page.get_by_label("Or type this setup key").input_value()
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()

    page.get_by_label("Authenticator code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    assert len(page.get_by_label("Unused codes").input_value().split()) == 10
    shot("recovery-codes")
    page.get_by_role("link", name="Continue to the clinic admin").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    # Next time: password, then the code from the app.
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/?next=/admin/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    shot("challenge")
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def test_demo_doctor_signs_in_with_the_published_key(live_server, page, demo_site):
    login(page, live_server.url, "doctor@example.com", "doctor-demo-2026")
    page.wait_for_url(re.compile(r"/doctor/$"))
