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

from portal.storage import file_storages, object_storage_from_env

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
    "booking.payments",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
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
    "allauth.mfa",
    "allauth.headless",  # sign-in, sign-up, tokens for the JSON API's app clients (booking/api)
    "django.contrib.admin",  # wagtail-modeladmin list filters use its machinery; no URLs are mounted
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sitemaps",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",  # django-csp: its system checks catch settings in the old (3.x) format
]

MIDDLEWARE = [
    "portal.body_limit.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.headers.ContentSecurityPolicyMiddleware",
    "portal.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Anonymous public pages from the shared cache (portal/pagecache.py): inside the CSP middleware
    # (a hit gets a fresh nonce), after sessions, users and messages (it asks about both); the
    # headers of the middleware below it (X-Frame-Options) are stored with the page.
    "portal.pagecache.PageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.StrongAuthMiddleware",
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
# The cache holds rate-limit counters and one-time markers (a TOTP code used once), so every
# process must share it: the web server, the email worker and the reminder loop of `make run`,
# and every node in production.
# * REDIS_URL set: Redis. IGNORE_EXCEPTIONS makes an outage a cache miss instead of a 500, and
#   portal.cache.FailOpenRedisCache makes it skip limits (with a logged warning) instead of
#   refusing every sign-in; the cache never holds a booking.
# * Otherwise a table in the database (`manage.py createcachetable`, which `make run` runs):
#   shared by all processes and nodes on that database, atomic add() through its primary key, and
#   no extra service. A file cache under var/ would be shared only by one machine's processes and
#   its add() is check-then-write, so two processes could both take allauth's rate-limit lock.
REDIS_URL = env("REDIS_URL")
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                # After a connection error, skip Redis for this many seconds (one warning each time).
                "RETRY_AFTER": env_int("REDIS_RETRY_AFTER_SECONDS", 30),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

# Image renditions: Wagtail looks a rendition up and then writes it back to this cache on every
# {% image %} tag, so on the shared cache a page of cards paid a network round trip (or, on the
# database cache, a transaction) per picture, read and write. Rendition keys name the image,
# its file's hash, the focal point and the filter, so an entry never goes stale for the same
# key: a process-local cache is correct on any number of servers, and an hour bounds what a
# process keeps after an image is deleted.
CACHES["renditions"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "renditions",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 5_000},
}

# --- Page cache (portal/pagecache.py) --------------------------------------------------------
# Signed-out visitors' Wagtail pages come from the cache above, invalidated on every change they
# show; PAGE_CACHE=0 switches it off (the benchmark's "uncached" figures). An entry lives at most
# PAGE_CACHE_SECONDS even if nothing changes (time moves free slots out of the notice period).
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE", True)
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)
# Query parameters a cached page may have, with the pattern their value must match (anything
# else, such as the doctors index's free-text ``q``, is served uncached): the index's pages and
# specialization filter are few; free text would let anyone fill the cache.
PAGE_CACHE_QUERY_PARAMS = {"page": r"[0-9]{1,4}", "specialization": r"[-a-z0-9_]{1,100}"}
# A caching proxy in front of the portal (Varnish, nginx with purge, ...): set
# FRONTEND_CACHE_PURGE_URL to where it accepts PURGE requests, and Wagtail purges a page there
# when it is published or unpublished (wagtail.contrib.frontend_cache), the page cache purges a
# doctor's page when its free times change, and pages let the proxy keep them
# PAGE_CACHE_PROXY_SECONDS (``s-maxage``). Other proxies (Cloudflare, CloudFront): set
# WAGTAILFRONTENDCACHE in a settings module of your own. Off by default.
FRONTEND_CACHE_PURGE_URL = env("FRONTEND_CACHE_PURGE_URL")
PAGE_CACHE_PROXY_SECONDS = env_int("PAGE_CACHE_PROXY_SECONDS", 60)
if FRONTEND_CACHE_PURGE_URL:
    INSTALLED_APPS.append("wagtail.contrib.frontend_cache")
    WAGTAILFRONTENDCACHE = {
        "proxy": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": FRONTEND_CACHE_PURGE_URL,
        }
    }

# --- Users and accounts ---------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Length is what makes a password strong; the other three refuse the guessable ones (20,000
# common passwords, the account's own name or email, digits only). All work offline.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
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
# No "[host] " prefix: the account emails' subjects name the clinic themselves
# (templates/account/email/*_subject.txt read it from the clinic's settings).
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# The login form normalises the typed address like every stored one (see portal/emails.py).
ACCOUNT_FORMS = {"login": "portal.forms.LoginForm"}
# Wrong passwords are limited by portal.ratelimit (per account and address, never a lock for
# everyone); allauth applies "login_failed" to second-factor codes: per address, and per account.
# False switches allauth's rate limits off (the test settings do).
ACCOUNT_RATE_LIMITS: dict[str, str] | Literal[False] = {"login_failed": "10/m/ip,5/5m/key"}
# Changing email addresses asks for the password (or a second-factor code) again unless the
# person signed in or re-authenticated in the last ACCOUNT_REAUTHENTICATION_TIMEOUT seconds;
# changing the password asks for the current one; MFA changes always re-authenticate.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("ACCOUNT_REAUTHENTICATION_TIMEOUT", 300)
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

# Second factor (allauth.mfa): an authenticator app (TOTP) with recovery codes. Required for
# staff and doctors (portal.middleware), optional for patients.
MFA_ADAPTER = "portal.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", "Riverside Clinic")
# Accept the code of the previous and next 30-second step too (RFC 6238's advice): a code read as
# it rolls over, or a phone clock a few seconds off, still works. Each code works only once.
MFA_TOTP_TOLERANCE = 1

# Sessions of staff and doctors (portal.middleware): signed out after this long without a
# request, and this long after signing in whatever they do.
# Paths a doctor or staff member without a second factor may still use: a doctor who has just
# joined through the site fills in their application first (those pages show no patient data);
# the dashboard asks for the second factor before anything else.
STRONG_AUTH_OPEN_PATHS = ["/join/doctor/"]
STAFF_SESSION_IDLE_MINUTES = env_int("STAFF_SESSION_IDLE_MINUTES", 30)
STAFF_SESSION_MAX_HOURS = env_int("STAFF_SESSION_MAX_HOURS", 10)

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
# Public media ("default") and prescription attachments ("private"): folders under var/, or an
# S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set (portal/storage.py).
OBJECT_STORAGE = object_storage_from_env(env)
STORAGES = file_storages("whitenoise.storage.CompressedStaticFilesStorage", OBJECT_STORAGE)

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
# Signing in, passwords and email addresses go through allauth (rate limits, second factor,
# re-authentication); Wagtail's own login form is redirected there (portal/urls.py) and its
# password and email pages are switched off.
WAGTAILADMIN_LOGIN_URL = "/accounts/login/"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "txt"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No avatars from Gravatar: they would tell a third party (by email hash) who works in the admin,
# and the admin's Content-Security-Policy loads images from the portal only.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Request bodies above this are refused with 413 before they are read (portal.body_limit): more
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
        # stripe-python logs every request at INFO; the portal logs what matters itself.
        "stripe": {"level": env("STRIPE_LOG_LEVEL", "WARNING")},
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
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 50_000_000)
# Doctors who join through the site: their registration/licence number must match this regular
# expression (spaces are ignored), described to them in these words. The default is the UK's GMC
# reference number. Their optional supporting document (PDF, JPEG or PNG) is at most this size.
DOCTOR_LICENCE_PATTERN = env("DOCTOR_LICENCE_PATTERN", r"\d{7}")
DOCTOR_LICENCE_DESCRIPTION = env("DOCTOR_LICENCE_DESCRIPTION", "your GMC reference number: 7 digits")
DOCTOR_DOCUMENT_MAX_BYTES = env_int("DOCTOR_DOCUMENT_MAX_BYTES", 5 * 1024 * 1024)
# Guests' signed links in emails stay valid this long.
GUEST_LINK_MAX_AGE_DAYS = env_int("GUEST_LINK_MAX_AGE_DAYS", 60)
# A guest's appointment stays open in the browser that proved it (reference and email, or the
# signed link) this long; then they prove it again. They can also end it from the page.
GUEST_SESSION_ACCESS_MINUTES = env_int("GUEST_SESSION_ACCESS_MINUTES", 120)

# --- Fees and payments ----------------------------------------------------------------------
# The clinic's ISO 4217 currency; the symbol shown before fees is derived from it (portal/money.py).
CLINIC_CURRENCY = env("CLINIC_CURRENCY", "GBP").strip().upper()
# Stripe. Without a secret key (the default) nobody pays online: every booking is "pay at the
# clinic", and staff record desk payments in the admin. See README.md, "Payments".
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
# Where the server talks to Stripe and where browsers load Stripe.js from; changed only to try
# the portal against a local Stripe-compatible server (localstripe).
STRIPE_API_BASE = env("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_JS_URL = env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
# A patient waits at most this long for Stripe; retries are safe (every call has an idempotency key).
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 1)
# Webhook deliveries signed longer ago than this are refused as replays.
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env_int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", 300)
# Whether patients pay online when they book ("required", "optional" or "off"), for doctors
# whose page says "as the clinic's default"; a doctor's page can choose otherwise.
PAYMENT_ONLINE_DEFAULT = env("PAYMENT_ONLINE_DEFAULT", "required")
# A booking that must be paid online holds its slot this long (its payment_due_at).
PAYMENT_DUE_MINUTES = env_int("PAYMENT_DUE_MINUTES", 15)
# A paid booking goes to the doctor as a request (off) or is confirmed straight away (on).
PAYMENT_AUTO_CONFIRM = env_bool("PAYMENT_AUTO_CONFIRM", False)
# Refund policy for cancellations by the patient: this share of what was paid comes back when
# they cancel at least PAYMENT_REFUND_CUTOFF_HOURS before the start, the other share after that.
# Declined or cancelled by the doctor or the clinic: always everything.
PAYMENT_REFUND_CUTOFF_HOURS = env_int("PAYMENT_REFUND_CUTOFF_HOURS", 48)
PAYMENT_REFUND_BEFORE_CUTOFF_PERCENT = env_int("PAYMENT_REFUND_BEFORE_CUTOFF_PERCENT", 100)
PAYMENT_REFUND_AFTER_CUTOFF_PERCENT = env_int("PAYMENT_REFUND_AFTER_CUTOFF_PERCENT", 0)
# reconcile_payments re-reads payments this many days back.
PAYMENT_RECONCILE_DAYS = env_int("PAYMENT_RECONCILE_DAYS", 7)

# --- Browser security headers ---------------------------------------------------------------
# Content-Security-Policy (django-csp 4, see portal/headers.py). Public pages run only the
# portal's own files and inline code carrying this response's nonce (``request.csp_nonce``).
# Stripe's Payment Element (booking.payments) needs js.stripe.com (and its *.js.stripe.com hosts)
# for its script and frames, hooks.stripe.com for 3-D Secure frames and api.stripe.com for its
# requests, as Stripe's security guide lists them. (Pointed at a local Stripe-compatible server,
# STRIPE_JS_URL/STRIPE_API_BASE below, the pay page adds those origins to its own response.)
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
