"""Wrong passwords slow the address that sends them, never the account's owner elsewhere.

Before: five wrong passwords from anywhere locked an account (doctors and the admin included)
for everyone for five minutes, and a port added to the Host header started a fresh budget.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal import ratelimit

from ..factories import PASSWORD, make_user, sign_in, verify_email

pytestmark = pytest.mark.django_db

STRANGER = "203.0.113.66"
OWNER = "198.51.100.7"


def wrong_password(client, email: str, address: str, **extra):
    return client.post(
        reverse("account_login"), {"login": email, "password": "not-the-password-1"}, REMOTE_ADDR=address, **extra
    )


def refused(response) -> bool:
    return response.status_code == 200 and "Too many failed sign-in attempts" in response.content.decode()


class FakeClock:
    """Stands in for the ``time`` module inside portal.ratelimit, so waits can pass instantly."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(ratelimit.time.time())
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def test_stranger_failing_five_times_does_not_stop_the_owner(client, staff_user):
    verify_email(staff_user)
    for _ in range(5):
        wrong_password(client, staff_user.email, STRANGER)
    # The stranger's address now waits, even with the right password…
    assert refused(
        client.post(reverse("account_login"), {"login": staff_user.email, "password": PASSWORD}, REMOTE_ADDR=STRANGER)
    )
    # …while the owner signs in from their own address, second factor and all.
    response = sign_in(client, staff_user, REMOTE_ADDR=OWNER)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_port_in_the_host_header_does_not_reset_the_budget(client, patient):
    verify_email(patient)
    for _ in range(ratelimit.SIGNIN_FREE_FAILURES + 1):
        wrong_password(client, patient.email, STRANGER, HTTP_HOST="testserver")
    for host in ("testserver:80", "testserver:8000", "TESTSERVER:8443"):
        assert refused(wrong_password(client, patient.email, STRANGER, HTTP_HOST=host)), host


def test_the_budget_is_the_account_whatever_the_email_spelling(client, patient):
    verify_email(patient)
    for _ in range(ratelimit.SIGNIN_FREE_FAILURES + 1):
        wrong_password(client, patient.email, STRANGER)
    assert refused(wrong_password(client, patient.email.upper(), STRANGER))


def test_delays_grow_and_then_pass(client, patient, clock):
    verify_email(patient)
    for _ in range(ratelimit.SIGNIN_FREE_FAILURES):
        assert not refused(wrong_password(client, patient.email, OWNER))  # typos cost nothing at first
    wrong_password(client, patient.email, OWNER)
    response = wrong_password(client, patient.email, OWNER)
    assert refused(response) and "5 seconds" in response.content.decode()
    clock.now += ratelimit.SIGNIN_FIRST_DELAY_SECONDS + 1
    wrong_password(client, patient.email, OWNER)  # one more wrong one: the next wait doubles
    assert "10 seconds" in wrong_password(client, patient.email, OWNER).content.decode()
    clock.now += 11
    response = sign_in(client, patient, REMOTE_ADDR=OWNER)
    assert response.status_code == 302 and response["Location"] == "/me/"
    # The right password ends the run: the owner's next typo is free again.
    client.logout()
    assert not refused(wrong_password(client, patient.email, OWNER))


def test_delay_schedule_is_capped():
    delays = [ratelimit.signin_delay(n) for n in range(1, 12)]
    assert delays[: ratelimit.SIGNIN_FREE_FAILURES - 1] == [0] * (ratelimit.SIGNIN_FREE_FAILURES - 1)
    assert delays[ratelimit.SIGNIN_FREE_FAILURES - 1] == ratelimit.SIGNIN_FIRST_DELAY_SECONDS
    assert max(delays) == ratelimit.SIGNIN_MAX_DELAY_SECONDS
    assert delays == sorted(delays)


def test_guessing_from_many_addresses_is_stopped_except_where_the_owner_signed_in_before(client, patient):
    verify_email(patient)
    assert sign_in(client, patient, REMOTE_ADDR=OWNER).status_code == 302
    client.logout()
    for i in range(ratelimit.ACCOUNT_FAILURES_PER_HOUR):
        wrong_password(client, patient.email, f"192.0.2.{i + 1}")
    # A new address cannot try this account any more this hour, not even with the right password…
    assert refused(
        client.post(reverse("account_login"), {"login": patient.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.250")
    )
    # …but the owner's usual address can.
    assert sign_in(client, patient, REMOTE_ADDR=OWNER).status_code == 302


def test_an_address_that_knows_only_the_password_is_not_trusted(client, staff_user):
    """The owner's address is remembered after the second factor, not after the password alone."""
    verify_email(staff_user)
    response = client.post(
        reverse("account_login"), {"login": staff_user.email, "password": PASSWORD}, REMOTE_ADDR=STRANGER
    )
    assert response["Location"] == reverse("mfa_authenticate")  # password right, code never given
    client.cookies.clear()
    for i in range(ratelimit.ACCOUNT_FAILURES_PER_HOUR):
        wrong_password(client, staff_user.email, f"192.0.2.{i + 1}")
    assert refused(
        client.post(reverse("account_login"), {"login": staff_user.email, "password": PASSWORD}, REMOTE_ADDR=STRANGER)
    )


def test_one_address_spraying_many_accounts_is_stopped(client):
    for i in range(ratelimit.ADDRESS_FAILURES_PER_HOUR):
        wrong_password(client, f"guess{i}@example.com", STRANGER)
    user = make_user("sprayed@example.com")
    verify_email(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, REMOTE_ADDR=STRANGER)
    assert refused(response) and "your network" in response.content.decode()
    assert sign_in(client, user, REMOTE_ADDR=OWNER).status_code == 302


def test_unknown_and_existing_accounts_are_refused_alike(client, patient):
    verify_email(patient)
    for email in (patient.email, "nobody@example.com"):
        for _ in range(ratelimit.SIGNIN_FREE_FAILURES + 1):
            wrong_password(client, email, STRANGER)
    messages = [
        wrong_password(client, email, STRANGER).content.decode() for email in (patient.email, "nobody@example.com")
    ]
    assert all("Too many failed sign-in attempts from this device" in text for text in messages)


def test_ipv6_neighbours_share_one_budget(client, patient):
    verify_email(patient)
    for i in range(ratelimit.SIGNIN_FREE_FAILURES + 1):
        wrong_password(client, patient.email, f"2001:db8:1:2::{i + 1:x}")
    # Another address in the same /64 (one subscriber's network) waits too; another network does not.
    assert refused(wrong_password(client, patient.email, "2001:db8:1:2:ffff::1"))
    assert not refused(wrong_password(client, patient.email, "2001:db8:1:3::1"))


def test_password_reset_lifts_the_limits(client, patient, mailoutbox, django_capture_on_commit_callbacks):
    verify_email(patient)
    for _ in range(ratelimit.SIGNIN_FREE_FAILURES + 1):
        wrong_password(client, patient.email, OWNER)
    with django_capture_on_commit_callbacks(execute=True):  # account emails leave through the outbox
        client.post(reverse("account_reset_password"), {"email": patient.email}, REMOTE_ADDR=OWNER)
    link = next(line for line in mailoutbox[-1].body.splitlines() if "/accounts/password/reset/key/" in line).strip()
    response = client.get(link, REMOTE_ADDR=OWNER, follow=True)
    new_password = "a-brand-new-password-77"
    client.post(
        response.redirect_chain[-1][0] if response.redirect_chain else link,
        {"password1": new_password, "password2": new_password},
        REMOTE_ADDR=OWNER,
    )
    response = sign_in(client, patient, new_password, REMOTE_ADDR=OWNER)
    assert response.status_code == 302 and response["Location"] == "/me/"
