"""One normal form for every email (portal.emails), used by accounts, sign-in and lookups."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from portal.emails import EmailFormField, InvalidEmail, comparable_email, normalize_email
from portal.models import User
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Vera@Example.ORG", "vera@example.org"),
        ("  vera@example.org \n", "vera@example.org"),
        ("vera@exámple.org", "vera@xn--exmple-qta.org"),
        ("VERA@EXÁMPLE.ORG", "vera@xn--exmple-qta.org"),
        ("vera@XN--EXMPLE-QTA.org", "vera@xn--exmple-qta.org"),
        ("vera@ｅｘａｍｐｌｅ.org", "vera@example.org"),  # full-width letters map to ASCII (UTS #46)
        ("vera@straße.de", "vera@xn--strae-oqa.de"),  # IDNA 2008: ß is kept, not folded to "ss"
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ],
)
def test_normal_form(typed, stored):
    assert normalize_email(typed) == stored
    assert normalize_email(stored) == stored  # idempotent


@pytest.mark.parametrize(
    "typed",
    ["", "vera", "vera@", "@example.org", "véra@example.org", "vera@[192.0.2.1]", "vera@☃.net", "a b@example.org"],
)
def test_invalid_addresses_are_refused(typed):
    with pytest.raises(InvalidEmail):
        normalize_email(typed)
    assert comparable_email(typed) == typed.strip().lower()  # lookups never raise


def test_form_field_gives_the_normal_form_or_a_clear_error():
    field = EmailFormField()
    assert field.clean("Vera@Exámple.org") == "vera@xn--exmple-qta.org"
    with pytest.raises(Exception, match="Enter a valid email address"):
        field.clean("vera@☃.net")


@pytest.mark.django_db
def test_every_write_and_lookup_of_user_email_uses_the_normal_form():
    user = make_user("Vera@Exámple.ORG")
    assert user.email == "vera@xn--exmple-qta.org"
    assert User.objects.get(email="VERA@exámple.org") == user
    assert User.objects.get(email__iexact="vera@EXÁMPLE.org") == user
    assert not User.objects.filter(email="vera@example.org").exists()
    assert User.objects.filter(email__icontains="EXMPLE").get() == user  # admin search stays case-blind
    User.objects.filter(pk=user.pk).update(email="Other@Exámple.org")
    user.refresh_from_db()
    assert user.email == "other@xn--exmple-qta.org"


@pytest.mark.django_db
def test_sign_up_stores_the_a_label_in_the_account_and_allauth(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "Nora@Exámple.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "nora@xn--exmple-qta.org"
    assert list(EmailAddress.objects.values_list("email", flat=True)) == ["nora@xn--exmple-qta.org"]


@pytest.mark.django_db
def test_sign_up_refuses_an_address_without_a_valid_domain(client):
    response = client.post(
        reverse("account_signup"), {"email": "nora@☃.net", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["vera@exámple.org", "VERA@Exámple.ORG", "vera@xn--exmple-qta.org"])
def test_sign_in_with_any_spelling_of_the_same_address(typed):
    user = make_user("vera@exámple.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get(reverse("appointments:mine")).status_code == 200


@pytest.mark.django_db
def test_a_look_alike_address_is_another_account():
    real = make_user("vera@example.org")
    EmailAddress.objects.create(user=real, email=real.email, verified=True, primary=True)
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": "vera@exámple.org", "password": PASSWORD})
    assert response.status_code == 200  # no such account: the form says so, nobody is signed in
    assert browser.get(reverse("appointments:mine")).status_code == 302
