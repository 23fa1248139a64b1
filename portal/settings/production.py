"""Production: everything security-relevant on, and a refusal to start without real secrets."""

from django.core.exceptions import ImproperlyConfigured

from portal.storage import file_storages

from .base import *  # noqa: F403
from .base import DATABASES, OBJECT_STORAGE, SECRET_KEY, WAGTAILADMIN_BASE_URL
from .env import env, env_bool, env_int, env_list

DEBUG = env_bool("DEBUG", False)

if not SECRET_KEY or SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("Set SECRET_KEY to a long random value (at least 40 characters).")

# Every email, guest link and calendar file is built on this: it must be the public https address.
if not WAGTAILADMIN_BASE_URL.startswith("https://") or "127.0.0.1" in WAGTAILADMIN_BASE_URL:
    raise ImproperlyConfigured("Set WAGTAILADMIN_BASE_URL to the portal's public https address.")

# Attachments are encrypted with these keys; a key derived from SECRET_KEY (the development
# default) would tie the files to SECRET_KEY, so production needs its own.
if not env_list("ATTACHMENT_ENCRYPTION_KEYS", []):
    raise ImproperlyConfigured(
        "Set ATTACHMENT_ENCRYPTION_KEYS to one or more comma-separated Fernet keys (the first encrypts)."
    )

# API access tokens are signed with this RSA key; a generated development key would change with
# the machine and let anyone holding a copy of var/ mint tokens.
if not env("JWT_PRIVATE_KEY", ""):
    raise ImproperlyConfigured(
        "Set JWT_PRIVATE_KEY to an RSA private key in PEM (make one with: "
        "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# "__Host-" cookies are accepted by browsers only when Secure, for path "/" and without a Domain,
# so neither a subdomain nor a plain-http page can plant or overwrite them. Renaming the session
# cookie signs everyone out once, at the deployment that introduces it.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_PATH = "/"
CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES = file_storages("whitenoise.storage.CompressedManifestStaticFilesStorage", OBJECT_STORAGE)

# Database connections stay open between requests (one per gunicorn worker thread) instead of a
# new MySQL connection for every page, which cost /healthz more than half its speed; the health
# check before reuse replaces a connection the server closed meanwhile.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
