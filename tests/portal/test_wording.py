"""One wording everywhere: "Sign up", "Sign in", "Sign out"; phones formatted for people; no
copy that promises what the portal does not do (issue 9, item 6).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from wagtail.models import Site

from home.models import ClinicSettings
from tests.factories import PASSWORD

TEMPLATES = Path(settings.BASE_DIR) / "templates"
TEMPLATE_FILES = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})

# Visible words only: template tags, variables and comments are code (url names like account_login).
CODE = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{%.*?%}|{{.*?}}|{#.*?#}", re.DOTALL)
OFF_WORDING = re.compile(r"\b(Log ?[Ii]n|Login|Log ?[Oo]ut|Logout|Register|Sign ?Up|Sign In|Sign Out|Signup)\b")
# The portal sends emails only, and a video link only in the reminder and on the appointment page.
PROMISES = re.compile(
    r"\b(SMS|text message|we text|we.ll text|text you|video consultation with the link below)\b", re.I
)
# A phone shown straight from a model field prints E.164 ("+442079460000"): use |phone.
RAW_PHONE = re.compile(r"{{\s*[\w.]+\.(phone|mobile)\s*}}")


def visible_text(path: Path) -> str:
    return CODE.sub(" ", path.read_text(encoding="utf-8"))


def test_templates_found():
    assert len(TEMPLATE_FILES) > 50


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_wording(path):
    text = visible_text(path)
    assert not OFF_WORDING.findall(text), "say Sign up / Sign in / Sign out"
    assert not PROMISES.findall(text), "promises something the portal does not do"
    assert not RAW_PHONE.findall(path.read_text(encoding="utf-8")), "format phones with |phone"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "heading"),
    [("account_login", "Sign in"), ("account_signup", "Sign up"), ("account_reset_password", "Password")],
)
def test_account_pages_use_the_portals_words(client, site_tree, url_name, heading):
    page = client.get(reverse(url_name)).content.decode()
    assert heading in page
    assert not OFF_WORDING.findall(CODE.sub(" ", page))
    assert "Remember Me" not in page


@pytest.mark.django_db
def test_sign_out_page(client, site_tree, patient):
    client.login(email=patient.email, password=PASSWORD)
    page = client.get(reverse("account_logout")).content.decode()
    assert "Sign out" in page and not OFF_WORDING.findall(page)


@pytest.mark.django_db
def test_the_clinics_phone_is_formatted_on_pages(client, site_tree):
    row = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    row.phone = "+442079460000"
    row.save()
    page = client.get(reverse("account_login")).content.decode()
    assert "+44 20 7946 0000" in page
    assert ">+442079460000<" not in page
