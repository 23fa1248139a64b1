"""Development: debug on, console email, SQLite under var/ unless DATABASE_URL is set.

Absolute links in emails, calendar files and PDFs (``WAGTAILADMIN_BASE_URL``) follow the address
``make run`` serves: the Makefile exports ``HOST`` and ``PORT`` to runserver and the email
worker alike, so ``make run PORT=8101`` sends links to port 8101. An explicit
``WAGTAILADMIN_BASE_URL`` still wins.
"""

from .base import *  # noqa: F403
from .env import development_jwt_key, env, env_bool, env_int

DEBUG = env_bool("DEBUG", True)

HOST = env("HOST", "127.0.0.1") or "127.0.0.1"
PORT = env_int("PORT", 8000)
# A server listening on every interface is reached on this machine through the loopback address.
_LINK_HOST = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(HOST, HOST)  # noqa: S104 - not a bind, a link
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", f"http://{_LINK_HOST}:{PORT}")

# A generated key under var/ signs API access tokens unless JWT_PRIVATE_KEY is set.
HEADLESS_JWT_PRIVATE_KEY = HEADLESS_JWT_PRIVATE_KEY or development_jwt_key(VAR_DIR / "dev-jwt-private-key.pem")  # noqa: F405
