"""Changing email addresses, the password or the second factor asks the person to confirm it is them."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.urls import reverse

from ..factories import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_adding_an_email_asks_for_the_password_first(client, patient):
    sign_in(client, patient)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "alice.new@example.com"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="alice.new@example.com").exists()

    page = client.get(response["Location"])
    assert "Confirm it is you" in page.content.decode()
    assert client.post(response["Location"], {"password": "not-my-password-1"}).status_code == 200
    assert not EmailAddress.objects.filter(email="alice.new@example.com").exists()

    client.post(response["Location"], {"password": PASSWORD})
    # The suspended request resumes once confirmed.
    assert EmailAddress.objects.filter(user=patient, email="alice.new@example.com").exists()


def test_changing_the_password_needs_the_current_one(client, patient):
    sign_in(client, patient)
    new = "another-long-password-9"
    response = client.post(
        reverse("account_change_password"), {"oldpassword": "guessed-password-1", "password1": new, "password2": new}
    )
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
    client.post(reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new})
    patient.refresh_from_db()
    assert patient.check_password(new)


def test_second_factor_changes_ask_to_confirm(client, doctor_user):
    sign_in(client, doctor_user)
    for url in (reverse("mfa_generate_recovery_codes"), reverse("mfa_activate_totp")):
        response = client.get(url)
        assert response.status_code == 302
        # Staff and doctors have an authenticator: allauth asks for its code (or the password, as alternative).
        assert response["Location"].startswith((reverse("mfa_reauthenticate"), reverse("account_reauthenticate")))
    response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=doctor_user, type=Authenticator.Type.RECOVERY_CODES).exists()
