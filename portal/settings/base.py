"""Settings shared by every environment.

Everything that differs between development, tests and production comes from environment
variables (see README.md); ``dev``, ``test`` and ``production`` only change defaults.
"""

from pathlib import Path
from typing import Literal

import dj_database_url

from .env import env, env_bool, env_int, env_list

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
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "django.contrib.admin",  # wagtail-modeladmin list filters use its machinery; no URLs are mounted
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
# No "[host] " prefix: the account emails' subjects name the clinic themselves
# (templates/account/email/*_subject.txt read it from the clinic's settings).
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# The login form normalises the typed address like every stored one (see portal/emails.py).
ACCOUNT_FORMS = {"login": "portal.forms.LoginForm"}
# False switches allauth's rate limits off (the test settings do).
ACCOUNT_RATE_LIMITS: dict[str, str] | Literal[False] = {"login_failed": "10/m/ip,5/5m/key"}
# Behind a reverse proxy, how many proxies append to X-Forwarded-For: rate limits (allauth's and
# the appointment lookup's) then count real clients instead of the proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
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
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Booking rules --------------------------------------------------------------------------
# How soon a slot may start at the earliest, and how far ahead patients can book.
BOOKING_MIN_NOTICE_MINUTES = env_int("BOOKING_MIN_NOTICE_MINUTES", 120)
BOOKING_HORIZON_DAYS = env_int("BOOKING_HORIZON_DAYS", 28)
# Patients may cancel or reschedule up to this many hours before the start.
BOOKING_CANCEL_CUTOFF_HOURS = env_int("BOOKING_CANCEL_CUTOFF_HOURS", 24)

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
# Guests' signed links in emails stay valid this long.
GUEST_LINK_MAX_AGE_DAYS = env_int("GUEST_LINK_MAX_AGE_DAYS", 60)
# Shown before fees on pages and in emails.
CLINIC_CURRENCY_SYMBOL = env("CLINIC_CURRENCY_SYMBOL", "£")
