"""Small helpers that read the environment and fail loudly on nonsense.

A typo in a boolean (``DEBUG=flase``) must not silently mean "off": it raises instead.
"""

import base64
import hashlib
import os
from typing import overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    """Return the variable's value, or ``default`` when it is unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean; anything other than the usual spellings is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def env_int(name: str, default: int) -> int:
    """Read an integer, refusing values that are not one."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, dropping blanks."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def derived_fernet_key(secret: str) -> str:
    """A Fernet key derived from ``secret``: the development and test default for attachment keys.

    Production never uses it (it refuses to start without ATTACHMENT_ENCRYPTION_KEYS): a key that
    follows SECRET_KEY would make rotating SECRET_KEY lose every attachment.
    """
    digest = hashlib.sha256(b"riverside-clinic attachment key:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def check_fernet_keys(keys: list[str]) -> None:
    """Refuse to start with a malformed key rather than fail on the first upload or download."""
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"ATTACHMENT_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe base64 bytes). "
                "Make one with: python -c "
                "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
