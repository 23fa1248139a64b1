"""Small helpers that read the environment and fail loudly on nonsense.

A typo in a boolean (``DEBUG=flase``) must not silently mean "off": it raises instead.
"""

import base64
import hashlib
import os
from pathlib import Path
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


def development_jwt_key(path: Path) -> str:
    """The RSA key (PEM) that signs API access tokens in development and tests, kept in ``path``.

    Generated on first use and then read back, so every process of a development server (and a
    restart) accepts the tokens the others handed out. Production never calls this: it refuses
    to start without ``JWT_PRIVATE_KEY`` (see production.py).
    """
    try:
        return path.read_text()
    except FileNotFoundError:
        pass
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(pem)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)  # atomic: two processes starting at once both end with one valid key
    return path.read_text()
