"""Passwords: at least 12 characters, and not a common, all-digit or account-like one (checked offline)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal.models import User

pytestmark = pytest.mark.django_db


def sign_up(client, email: str, password: str):
    return client.post(reverse("account_signup"), {"email": email, "password1": password, "password2": password})


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Short-pass1", "at least 12 characters"),
        ("123456789012345", "entirely numeric"),
        ("password1234", "too common"),
        ("margaret.hamilton", "too similar"),
    ],
)
def test_weak_passwords_are_refused_at_sign_up(client, password, reason):
    response = sign_up(client, "margaret.hamilton@example.com", password)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not User.objects.filter(email="margaret.hamilton@example.com").exists()


def test_twelve_characters_of_something_personal_are_accepted(client):
    response = sign_up(client, "grace@example.com", "river-ward-42")
    assert response.status_code == 302
    assert User.objects.filter(email="grace@example.com").exists()


def test_the_rules_apply_to_every_password_form():
    """Django's validators run for allauth's sign-up, change and reset forms and for staff's user forms alike."""
    with pytest.raises(ValidationError) as excinfo:
        validate_password("elevenchars")
    assert any("at least 12 characters" in message for message in excinfo.value.messages)
    validate_password("twelve chars ok")
