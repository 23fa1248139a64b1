"""Content-Security-Policy and Permissions-Policy on the site and in the Wagtail admin."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from portal.headers import nonce_wagtail_chooser_scripts, permissions_policy_header
from portal.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style[^>]*>", re.I)


def policy(response) -> dict[str, list[str]]:
    """The response's CSP as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def nonce_of(response) -> str:
    (nonce,) = [s for s in policy(response)["script-src"] if s.startswith("'nonce-")]
    return nonce[len("'nonce-") : -1]


def assert_inline_code_carries_nonce(response) -> int:
    """Every executable inline <script> and every <style> block carries this response's nonce."""
    html = response.content.decode()
    nonce = nonce_of(response)
    tags = INLINE_SCRIPT.findall(html) + INLINE_STYLE.findall(html)
    for tag in tags:
        assert f'nonce="{nonce}"' in tag, tag
    assert "onclick=" not in html and "onchange=" not in html and "onload=" not in html
    return len(tags)


@pytest.mark.parametrize("path", ["/", "/doctors/", "/appointments/find/", "/accounts/login/", "/no-such-page/"])
def test_public_pages_have_a_strict_policy_with_a_fresh_nonce(client, site_tree, doctor, path):
    first = client.get(path)
    second = client.get(path)
    directives = policy(first)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'" and "https://js.stripe.com" in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["frame-src"] == ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
    assert directives["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert nonce_of(first) != nonce_of(second)
    assert_inline_code_carries_nonce(first)


def test_templates_have_no_inline_event_handlers_or_unnonced_inline_code():
    """Static scan of the site's templates (emails excluded: mail clients, not browsers, read them)."""
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        if any(
            folder in path.as_posix() for folder in ("notifications/emails/", "account/email/", "templates/emails/")
        ):
            continue
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|<style[^>]*>|\son[a-z]+=|\sstyle=", text):
            if "nonce=" not in match.group(0):
                offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []


def test_doctor_page_for_signed_in_staff_carries_the_user_bar_under_the_policy(client, site_tree, doctor):
    staff = make_user("boss@example.com", User.Role.STAFF, is_superuser=True)
    client.force_login(staff)
    response = client.get(doctor.url)
    assert response.status_code == 200
    assert "wagtail-userbar" in response.content.decode()
    assert_inline_code_carries_nonce(response)


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("boss@example.com", User.Role.STAFF, is_superuser=True))
    return client


def test_admin_has_its_own_policy_scripts_still_nonce_only(admin_client, site_tree):
    response = admin_client.get("/admin/")
    directives = policy(response)
    assert directives["script-src"][:2] == ["'self'", f"'nonce-{nonce_of(response)}'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert "data:" in directives["img-src"] and "blob:" in directives["img-src"]
    assert "gravatar" not in response.content.decode()


def test_page_editor_inline_scripts_all_carry_the_nonce(admin_client, site_tree, doctor):
    """Inline panels, time/date pickers and choosers: Wagtail's inline scripts get the nonce."""
    response = admin_client.get(f"/admin/pages/{doctor.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "new InlinePanel(" in html and "initTimeChooser(" in html and "new PageChooser(" in html
    assert assert_inline_code_carries_nonce(response) >= 5


def test_chooser_script_outside_a_request_is_unchanged(site_tree):
    from wagtail.admin.widgets.chooser import AdminPageChooser

    nonce_wagtail_chooser_scripts()  # idempotent: already done at start-up
    html = AdminPageChooser().render("page", None, {"id": "id_page"})
    assert html.endswith("</script>") and "<script>" in html and "nonce=" not in html


def test_csp_nonce_tag_uses_the_request_or_the_current_response():
    request = RequestFactory().get("/")
    request.csp_nonce = "abc123"
    rendered = Template("{% load security_tags %}{% csp_nonce %}").render(Context({"request": request}))
    assert rendered == "abc123"
    assert Template("{% load security_tags %}[{% csp_nonce %}]").render(Context({})) == "[]"


def test_permissions_policy_on_every_response(client, site_tree):
    for path in ("/", "/healthz", reverse("appointments:find"), "/admin/login/"):
        header = client.get(path)["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "usb=()"):
            assert feature in header, (path, feature)
        assert 'payment=(self "https://js.stripe.com")' in header


def test_permissions_policy_syntax():
    assert permissions_policy_header({"camera": [], "payment": ["self", "https://js.stripe.com"]}) == (
        'camera=(), payment=(self "https://js.stripe.com")'
    )
