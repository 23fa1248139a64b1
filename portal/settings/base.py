"""Settings shared by every environment.

Everything that differs between development, tests and production comes from environment
variables (see README.md); ``dev``, ``test`` and ``production`` only change defaults.
"""

from pathlib import Path
from typing import Literal

import dj_database_url
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from csp.constants import UNSAFE_INLINE as CSP_UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from .env import check_fernet_keys, derived_fernet_key, env, env_bool, env_int, env_list

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = BASE_DIR / "var"

SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal",
    "home",
    "booking",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "home.apps.ClinicUsersAppConfig",  # wagtail.users with the clinic's user forms (see home/users.py)
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "phonenumber_field",
    "django_filters",
    "ninja",  # the JSON API's docs page and its packaged Swagger UI files (no CDN)
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.headless",  # sign-in, sign-up, tokens for the JSON API's app clients (booking/api)
    "django.contrib.admin",  # wagtail-modeladmin list filters use its machinery; no URLs are mounted
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",  # django-csp: its system checks catch settings in the old (3.x) format
]

MIDDLEWARE = [
    "portal.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.headers.ContentSecurityPolicyMiddleware",
    "portal.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "home.context_processors.navigation",
                "home.context_processors.clinic",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite under var/ unless DATABASE_URL says otherwise. SQLite runs every transaction in
# IMMEDIATE mode so that concurrent writers queue on the busy timeout instead of failing
# half-way with "database is locked" when a read transaction tries to upgrade to a write.
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"


def database_from_url(url: str) -> dj_database_url.DBConfig:
    """Build a DATABASES entry from a URL, with the options each engine needs here."""
    config = dj_database_url.parse(url, conn_max_age=env_int("CONN_MAX_AGE", 0))
    engine = config["ENGINE"]
    options = config.setdefault("OPTIONS", {})
    if engine.endswith("sqlite3"):
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    elif engine.endswith("mysql"):
        options.setdefault("charset", "utf8mb4")
        # READ COMMITTED: the booking service re-reads overlapping appointments after taking
        # the doctor's row lock and must see rows committed by the transaction it waited for.
        options.setdefault("isolation_level", "read committed")
        options.setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        config.setdefault("TEST", {}).update({"CHARSET": "utf8mb4"})
    return config


DATABASES = {"default": database_from_url(env("DATABASE_URL") or DEFAULT_SQLITE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Redis when REDIS_URL is set. IGNORE_EXCEPTIONS makes a Redis outage a cache miss instead of
# a 500: the cache only ever speeds things up, it never holds a booking.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Users and accounts ---------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# portal.adapters.AccountAdapter with allauth's emails queued in booking's outbox (sent by the
# task worker, retried while SMTP is down) instead of sent from the request.
ACCOUNT_ADAPTER = "booking.notifications.accounts.OutboxAccountAdapter"
# The login form normalises the typed address like every stored one (see portal/emails.py).
ACCOUNT_FORMS = {"login": "portal.forms.LoginForm"}
# False switches allauth's rate limits off (the test settings do).
ACCOUNT_RATE_LIMITS: dict[str, str] | Literal[False] = {"login_failed": "10/m/ip,5/5m/key"}
# Behind a reverse proxy, how many proxies append to X-Forwarded-For: rate limits (allauth's and
# the appointment lookup's) then count real clients instead of the proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# --- The JSON API's accounts (allauth headless, see booking/api and README "JSON API") ---------
# App clients (the mobile app, integrations) sign in through allauth's headless API and receive
# a short-lived JWT access token and a rotating refresh token; browser clients of the same origin
# use the session with CSRF. Tokens are checked against the session they came from
# (stateful validation), so signing out revokes them at once.
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_TOKEN_STRATEGY = "allauth.headless.tokens.strategies.jwt.JWTTokenStrategy"  # noqa: S105 - a class path
HEADLESS_JWT_ALGORITHM = "RS256"
HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED = True
HEADLESS_JWT_ROTATE_REFRESH_TOKEN = True
HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN = env_int("JWT_ACCESS_TOKEN_SECONDS", 300)
HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN = env_int("JWT_REFRESH_TOKEN_SECONDS", 86400)
# The RSA private key (PEM) that signs access tokens. Production refuses to start without it
# (portal/settings/production.py); development and tests keep a generated one under var/
# (dev.py, test.py). A key in an environment variable may carry its line breaks as "\\n".
HEADLESS_JWT_PRIVATE_KEY = env("JWT_PRIVATE_KEY", "").replace("\\n", "\n")
# API requests per client address and per account, per minute (booking/api/limits.py).
API_REQUESTS_PER_ADDRESS = env_int("API_REQUESTS_PER_ADDRESS", 300)
API_REQUESTS_PER_ACCOUNT = env_int("API_REQUESTS_PER_ACCOUNT", 300)
# JSON bodies above this are refused with 413 by the API before they are parsed.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024)
# Outgoing webhooks (booking/api/webhooks): how long one delivery may take.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/me/"
WAGTAILADMIN_LOGIN_URL = "/accounts/login/"

# --- Internationalisation and time ----------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Riverside Clinic <no-reply@clinic.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Background tasks -----------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Wagtail --------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Riverside Clinic"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "txt"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No avatars from Gravatar: they would tell a third party (by email hash) who works in the admin,
# and the admin's Content-Security-Policy loads images from the portal only.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Request bodies above this are refused with 413 before they are read (portal.middleware): more
# than the largest upload (an image for the CMS, a prescription attachment) plus its form.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 12 * 1024 * 1024)

# --- Booking rules --------------------------------------------------------------------------
# How soon a slot may start at the earliest, and how far ahead patients can book.
BOOKING_MIN_NOTICE_MINUTES = env_int("BOOKING_MIN_NOTICE_MINUTES", 120)
BOOKING_HORIZON_DAYS = env_int("BOOKING_HORIZON_DAYS", 28)
# Patients may cancel or reschedule up to this many hours before the start.
BOOKING_CANCEL_CUTOFF_HOURS = env_int("BOOKING_CANCEL_CUTOFF_HOURS", 24)

# --- Anti-automation on booking and lookup (booking/appointments/limits.py) -----------------
# A guest's booking holds its time only this long until the guest confirms it from the email
# it was sent to; then the time is released. Signed-in patients' bookings need no such step.
GUEST_CONFIRMATION_MINUTES = env_int("GUEST_CONFIRMATION_MINUTES", 30)
# Booking attempts (form posts) per client address and per email address, per hour; counted in
# the shared cache, so every process and node agrees. A cache outage lifts them (logged).
BOOKING_ATTEMPTS_PER_ADDRESS = env_int("BOOKING_ATTEMPTS_PER_ADDRESS", 20)
BOOKING_ATTEMPTS_PER_EMAIL = env_int("BOOKING_ATTEMPTS_PER_EMAIL", 6)
# Appointment look-ups (reference + email) per client address and per email, per 10 minutes.
LOOKUP_ATTEMPTS_PER_ADDRESS = env_int("LOOKUP_ATTEMPTS_PER_ADDRESS", 10)
LOOKUP_ATTEMPTS_PER_EMAIL = env_int("LOOKUP_ATTEMPTS_PER_EMAIL", 10)
# Guest bookings still awaiting email confirmation, per email and per client address; counted in
# the database, so they hold whatever the cache does.
GUEST_UNCONFIRMED_PER_EMAIL = env_int("GUEST_UNCONFIRMED_PER_EMAIL", 3)
GUEST_UNCONFIRMED_PER_ADDRESS = env_int("GUEST_UNCONFIRMED_PER_ADDRESS", 5)
# A self-hosted proof-of-work puzzle (ALTCHA's protocol) on the booking and lookup forms: the
# browser spends a moment of CPU per form sent. No third-party service; the forms then need
# JavaScript. MAX_NUMBER sets the work (the browser tries on average half of it).
BOOKING_PROOF_OF_WORK = env_bool("BOOKING_PROOF_OF_WORK", False)
BOOKING_PROOF_OF_WORK_MAX_NUMBER = env_int("BOOKING_PROOF_OF_WORK_MAX_NUMBER", 100_000)
# How long a puzzle handed out with a form stays valid (and how long a used one is remembered).
BOOKING_PROOF_OF_WORK_MAX_AGE_MINUTES = env_int("BOOKING_PROOF_OF_WORK_MAX_AGE_MINUTES", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per background task (search index, reference index, each email) drowns the
        # server's own output; failures are still logged as warnings and errors.
        "django_tasks": {"level": env("TASKS_LOG_LEVEL", "WARNING")},
        "django_tasks_db": {"level": env("TASKS_LOG_LEVEL", "WARNING")},
    },
}
# Phone numbers (see portal/phones.py): typed without a country code they are read in this
# region; they are stored, and printed by str(), in E.164.
PHONENUMBER_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", "GB")
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))

# --- Online consultations -------------------------------------------------------------------
# Rooms are generated under this base unless the doctor pastes a meeting link of their own; the
# link is shown to the patient only from this many minutes before the start.
ONLINE_MEETING_BASE_URL = env("ONLINE_MEETING_BASE_URL", "https://meet.jit.si/riverside-clinic-")
ONLINE_LINK_VISIBLE_MINUTES = env_int("ONLINE_LINK_VISIBLE_MINUTES", 15)

# Prescription attachments: PDF, JPEG or PNG, checked by content, at most this size.
PRESCRIPTION_ATTACHMENT_MAX_BYTES = env_int("PRESCRIPTION_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
# Images may claim at most this many pixels (a 48-megapixel phone photo fits); more is refused
# before decoding, since a tiny file can claim billions of pixels.
PRESCRIPTION_ATTACHMENT_MAX_PIXELS = env_int("PRESCRIPTION_ATTACHMENT_MAX_PIXELS", 50_000_000)
# Guests' signed links in emails stay valid this long.
GUEST_LINK_MAX_AGE_DAYS = env_int("GUEST_LINK_MAX_AGE_DAYS", 60)
# Shown before fees on pages and in emails.
CLINIC_CURRENCY_SYMBOL = env("CLINIC_CURRENCY_SYMBOL", "£")

# --- Browser security headers ---------------------------------------------------------------
# Content-Security-Policy (django-csp 4, see portal/headers.py). Public pages run only the
# portal's own files and inline code carrying this response's nonce (``request.csp_nonce``).
# Stripe's Payment Element (payments, later) needs js.stripe.com (and its *.js.stripe.com hosts)
# for its script and frames, hooks.stripe.com for 3-D Secure frames and api.stripe.com for its
# requests, as Stripe's security guide lists them; they are allowed now so that adding the payment
# step changes no policy.
# Online consultations open the meeting link in a new tab, never in a frame, so no meeting host
# appears here.
STRIPE_JS = "https://js.stripe.com"
STRIPE_JS_HOSTS = [STRIPE_JS, "https://*.js.stripe.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE, *STRIPE_JS_HOSTS],
        "style-src": [CSP_SELF, CSP_NONCE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF, "https://api.stripe.com"],
        "frame-src": [*STRIPE_JS_HOSTS, "https://hooks.stripe.com"],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    },
}
# The Wagtail admin (/admin/, see portal/headers.py): scripts stay nonce-only, but Wagtail writes
# ``style`` attributes in its markup and scripts, so styles allow inline there and only there;
# images also come from data:/blob: URLs (previews of uploads, the focal-point chooser), and the
# page editor frames its own preview.
CONTENT_SECURITY_POLICY_ADMIN_PREFIX = "/admin/"
CONTENT_SECURITY_POLICY_ADMIN = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "style-src": [CSP_SELF, CSP_UNSAFE_INLINE],
        "img-src": [CSP_SELF, "data:", "blob:"],
        "frame-src": [CSP_SELF, *STRIPE_JS_HOSTS, "https://hooks.stripe.com"],
        "frame-ancestors": [CSP_SELF],
    },
}
# Permissions-Policy: the portal uses none of these browser features. ``payment`` stays open to
# the portal and Stripe's frames; ``publickey-credentials-get`` to the portal (security keys).
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": ["self", STRIPE_JS],
    "publickey-credentials-get": ["self"],
    "screen-wake-lock": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

# --- Audit trail ----------------------------------------------------------------------------
# Who viewed or changed health data (booking.audit). Rows older than this are deleted by
# ``manage.py prune_audit``; eight years by default (medical-records retention).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 2922)
if AUDIT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 1.")

# --- Attachments at rest --------------------------------------------------------------------
# Prescription attachments are encrypted on disk with Fernet (booking/prescriptions/crypto.py).
# ATTACHMENT_ENCRYPTION_KEYS: comma-separated Fernet keys; the first encrypts, all decrypt, so a
# new key goes first and the old ones stay until ``manage.py rotate_attachment_keys`` has run.
# Without it (development and tests only) the key is derived from SECRET_KEY; production refuses
# to start without it (portal/settings/production.py).
ATTACHMENT_ENCRYPTION_KEYS = env_list("ATTACHMENT_ENCRYPTION_KEYS", []) or [derived_fernet_key(SECRET_KEY)]
check_fernet_keys(ATTACHMENT_ENCRYPTION_KEYS)
