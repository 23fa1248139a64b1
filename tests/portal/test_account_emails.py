"""allauth's account emails look like the clinic's (issue 9, item 6).

Each email is produced by the real flow (sign-up, password reset, ...) through allauth's adapter
and Django's locmem backend: the subject names the clinic (read from its settings, not a host
prefix), and both the text and the HTML bodies use the clinic's layout, name, address and phone.
"""

from __future__ import annotations

import re
from pathlib import Path

import allauth
import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.conf import settings
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from wagtail.models import Site

from home.models import ClinicSettings
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CLINIC = "Harbour & Hill Health"  # not the WAGTAIL_SITE_NAME, and with a character to escape
PHONE_READABLE = "+44 20 7946 0000"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture(autouse=True)
def clinic(site_tree):
    row = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    row.name = CLINIC
    row.address = "1 Quay Street\nBristol BS1 4DJ"
    row.phone = "+442079460000"
    row.email = "hello@harbour.example"
    row.save()
    return row


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST with the client, then run what waits for the commit: account emails leave through the outbox."""

    def send(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(*args, **kwargs)

    return send


def only_email():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return mail.outbox[0]


def html_of(message) -> str:
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return html


def assert_clinic_email(message, *, subject_has: str, body_has: str) -> None:
    """Subject with the clinic's name and no "[host]" prefix; both bodies in the clinic's layout."""
    assert CLINIC in message.subject
    assert subject_has in message.subject
    assert not message.subject.startswith("[") and "testserver" not in message.subject
    text, html = message.body, html_of(message)
    for body in (text, html.replace("&amp;", "&")):
        assert body.count(CLINIC) >= 2  # the header and the footer
        assert "1 Quay Street" in body and PHONE_READABLE in body and "hello@harbour.example" in body
        assert body_has in body
        assert "Hello from" not in body and "Thank you for using" not in body  # allauth's defaults
    assert "Harbour &amp; Hill Health" in html  # escaped in HTML, as typed in text
    assert html.lstrip().lower().startswith("<!doctype html>")


def test_sign_up_confirmation(post):
    response = post(
        reverse("account_signup"),
        {"email": "new.patient@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    message = only_email()
    assert message.to == ["new.patient@example.com"]
    assert_clinic_email(message, subject_has="Confirm your email address", body_has="new.patient@example.com")
    link = re.search(r"http://testserver/accounts/confirm-email/\S+/", message.body).group(0)
    assert f'href="{link}"' in html_of(message)
    assert "Sign up" not in message.subject and "sign in" in message.body


def test_password_reset(post, patient):
    EmailAddress.objects.create(user=patient, email=patient.email, verified=True, primary=True)
    post(reverse("account_reset_password"), {"email": patient.email})
    message = only_email()
    assert_clinic_email(message, subject_has="Reset your", body_has="Choose a new password")
    link = re.search(r"http://testserver/accounts/password/reset/key/\S+/", message.body).group(0)
    assert f'href="{link}"' in html_of(message)


def test_password_reset_for_an_unknown_address(post):
    post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    message = only_email()
    assert_clinic_email(message, subject_has="No", body_has="Sign up")
    assert "without an account" in message.body


def test_sign_up_with_an_address_that_has_an_account(post, patient):
    EmailAddress.objects.create(user=patient, email=patient.email, verified=True, primary=True)
    post(reverse("account_signup"), {"email": patient.email, "password1": PASSWORD, "password2": PASSWORD})
    message = only_email()
    assert_clinic_email(message, subject_has="already have", body_has="Reset my password")


def account_email_prefixes() -> list[str]:
    return sorted(p.name.removesuffix("_subject.txt") for p in (TEMPLATES / "account/email").glob("*_subject.txt"))


def test_every_allauth_email_allauth_ships_is_overridden():
    shipped = Path(allauth.__file__).parent / "templates/account/email"
    kinds = {p.name.removesuffix("_subject.txt") for p in shipped.glob("*_subject.txt")}
    assert kinds <= set(account_email_prefixes())


@pytest.mark.parametrize("kind", account_email_prefixes())
def test_every_account_email_renders_in_the_clinic_layout(kind, patient):
    """Including the ones no flow here sends yet (codes, change notices): a rename in allauth shows."""
    request = RequestFactory().get("/")
    request.user = patient
    context = {
        "email": patient.email,
        "user": patient,
        "activate_url": "http://testserver/confirm/",
        "password_reset_url": "http://testserver/reset/",
        "signup_url": "http://testserver/signup/",
        "code": "ABC123",
        "from_email": "old@example.com",
        "to_email": "new@example.com",
        "deleted_email": "gone@example.com",
        "ip": "192.0.2.1",
        "user_agent": "Firefox",
        "timestamp": patient.date_joined,
    }
    with allauth_context.request_context(request):
        message = get_adapter(request).render_mail(f"account/email/{kind}", patient.email, context)
    assert CLINIC in message.subject and not message.subject.startswith("[")
    assert CLINIC in message.body and "1 Quay Street" in message.body and PHONE_READABLE in message.body
    assert "Harbour &amp; Hill Health" in html_of(message)
    for wrong in ("Sign In", "Sign Up", "Log in", "Login", "{%", "{{"):
        assert wrong not in message.subject + message.body + html_of(message), (kind, wrong)
