"""Two sign-ups for one email at the same moment: one account, and a message for the other.

The sign-up form checks that the address is free, but a second request can pass that check
before the first one's insert; the unique index then refuses the second account. That refusal
must reach the person as a message on the form, never as a 500. The sequential test recreates
the interleaving deterministically (another account is committed between the check and the
insert); the threaded one runs the real race against MariaDB.
"""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from portal.adapters import DUPLICATE_ACCOUNT_MESSAGE, AccountAdapter
from portal.models import User

EMAIL = "race@example.com"
PASSWORD = "correct-horse-battery-staple-9"
THREADS = 16
FORM = {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}


@pytest.mark.django_db
def test_an_account_created_between_the_check_and_the_insert_is_a_form_message(client, site_tree, monkeypatch):
    winner = []
    new_user = AccountAdapter.new_user

    def a_rival_signs_up_first(self, request):
        # Called after the form found the address free and before the sign-up's INSERT: the
        # moment a concurrent sign-up for the same address can commit its account.
        winner.append(User.objects.create_user(email=EMAIL, password="someone-elses-password-1"))
        return new_user(self, request)

    monkeypatch.setattr(AccountAdapter, "new_user", a_rival_signs_up_first)
    response = client.post(reverse("account_signup"), FORM)

    assert response.status_code == 200
    assert "An account with this email already exists" in response.content.decode()
    assert response.context["form"].errors["email"] == [DUPLICATE_ACCOUNT_MESSAGE]
    assert list(User.objects.filter(email=EMAIL)) == winner
    # The page did not sign anyone in.
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_signing_up_again_later_creates_no_second_account(client, site_tree):
    assert client.post(reverse("account_signup"), FORM).status_code == 302
    second = Client().post(reverse("account_signup"), FORM)
    assert second.status_code in (200, 302)
    assert User.objects.filter(email=EMAIL).count() == 1


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_concurrent_sign_ups_one_account_and_clean_refusals(site_tree):
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: SQLite's in-memory test database serialises every writer")
    barrier = threading.Barrier(THREADS)
    responses = []
    crashed = []
    lock = threading.Lock()

    def sign_up() -> None:
        close_old_connections()
        try:
            client = Client(raise_request_exception=False)
            barrier.wait(timeout=30)
            response = client.post(reverse("account_signup"), FORM)
            with lock:
                responses.append(response)
        except Exception as exc:  # noqa: BLE001 - collected and asserted empty below
            with lock:
                crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert crashed == []
    assert len(responses) == THREADS
    statuses = sorted(response.status_code for response in responses)
    assert all(status in (200, 302) for status in statuses), statuses
    assert User.objects.filter(email=EMAIL).count() == 1
    # Requests that lost the race at the insert see the message; those whose form check already
    # saw the new account get allauth's usual answer (the "check your inbox" page, so that
    # sign-up never reveals which addresses have accounts). Either way: one account, no 5xx.
    for response in responses:
        if response.status_code == 200:
            assert "An account with this email already exists" in response.content.decode()
    assert statuses.count(302) >= 1
