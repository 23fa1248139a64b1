"""Production settings: __Host- cookies, and no start without attachment keys.

``portal.settings.production`` checks its environment when imported, so each case imports it in
a fresh interpreter with the environment it needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings


def _rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "JWT_PRIVATE_KEY": _rsa_pem(),
    "SECRET_KEY": "x" * 50,
    "WAGTAILADMIN_BASE_URL": "https://clinic.example",
    "ALLOWED_HOSTS": "clinic.example",
}
SHOWN = [
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_PATH",
    "CSRF_COOKIE_PATH",
    "SESSION_COOKIE_DOMAIN",
    "CSRF_COOKIE_DOMAIN",
    "ATTACHMENT_ENCRYPTION_KEYS",
    "HEADLESS_JWT_PRIVATE_KEY",
]


def load_production(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "ATTACHMENT_ENCRYPTION_KEYS"}
    environ |= PRODUCTION_ENV | env
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{name: getattr(settings, name) for name in {SHOWN!r}}}))"
    )
    return subprocess.run(  # noqa: S603 - this interpreter and code written above
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def production():
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    result = load_production(ATTACHMENT_ENCRYPTION_KEYS=keys)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), keys


def test_host_prefixed_cookies(production):
    values, _keys = production
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_PATH"] == values["CSRF_COOKIE_PATH"] == "/"
    assert values["SESSION_COOKIE_DOMAIN"] is None and values["CSRF_COOKIE_DOMAIN"] is None


def test_attachment_keys_come_from_the_environment_in_order(production):
    values, keys = production
    assert values["ATTACHMENT_ENCRYPTION_KEYS"] == keys.split(",")


@pytest.mark.parametrize("value", [None, "", " , "])
def test_production_refuses_to_start_without_attachment_keys(value):
    result = load_production() if value is None else load_production(ATTACHMENT_ENCRYPTION_KEYS=value)
    assert result.returncode != 0
    assert "Set ATTACHMENT_ENCRYPTION_KEYS" in result.stderr


def test_a_malformed_key_stops_start_up_with_a_clear_message():
    result = load_production(ATTACHMENT_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},not-a-key")
    assert result.returncode != 0
    assert "key 2 is not a Fernet key" in result.stderr


def test_dev_and_test_derive_a_valid_key_from_secret_key():
    from portal.settings.env import derived_fernet_key

    keys = django_settings.ATTACHMENT_ENCRYPTION_KEYS
    assert keys == [derived_fernet_key(django_settings.SECRET_KEY)]
    Fernet(keys[0])  # a usable key
    assert derived_fernet_key("another secret") != derived_fernet_key(django_settings.SECRET_KEY)


@pytest.mark.django_db
def test_browsers_get_valid_host_cookies_with_the_production_names(client, settings, production):
    """With the production names and flags, Django's Set-Cookie meets the __Host- rules."""
    values, _keys = production
    for name in SHOWN[:-1]:
        setattr(settings, name, values[name])
    response = client.get("/accounts/login/", secure=True)
    cookie = response.cookies["__Host-csrftoken"]
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]


def test_production_refuses_to_start_without_the_api_token_key():
    """API access tokens are signed with it; a generated development key must never sign them."""
    keys = Fernet.generate_key().decode()
    result = load_production(ATTACHMENT_ENCRYPTION_KEYS=keys, JWT_PRIVATE_KEY="")
    assert result.returncode != 0
    assert "Set JWT_PRIVATE_KEY" in result.stderr


def test_the_api_token_key_comes_from_the_environment(production):
    values, _keys = production
    assert values["HEADLESS_JWT_PRIVATE_KEY"] == PRODUCTION_ENV["JWT_PRIVATE_KEY"]
    one_line = PRODUCTION_ENV["JWT_PRIVATE_KEY"].replace("\n", "\\n")  # as some secret stores hold it
    result = load_production(ATTACHMENT_ENCRYPTION_KEYS=Fernet.generate_key().decode(), JWT_PRIVATE_KEY=one_line)
    assert json.loads(result.stdout)["HEADLESS_JWT_PRIVATE_KEY"] == PRODUCTION_ENV["JWT_PRIVATE_KEY"]
