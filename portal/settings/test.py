"""Tests: fast hashing, in-memory email, tasks run immediately unless a test says otherwise."""

from portal.storage import file_storages

from .base import *  # noqa: F403
from .env import development_jwt_key

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Local folders whatever the environment says: tests that need a bucket start their own (moto).
STORAGES = file_storages("django.contrib.staticfiles.storage.StaticFilesStorage")
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
ACCOUNT_RATE_LIMITS = False
# Each test process keeps its own memory cache, emptied around every test (tests/conftest.py), so
# rate-limit counters never leak between tests or between runs on one machine. Tests of the
# shared backends (dead Redis, the database cache) switch CACHES themselves.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "renditions": CACHES["renditions"],  # noqa: F405
}
WAGTAILADMIN_BASE_URL = "http://testserver"
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"  # noqa: F405
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# A generated key under var/ signs API access tokens unless JWT_PRIVATE_KEY is set.
HEADLESS_JWT_PRIVATE_KEY = HEADLESS_JWT_PRIVATE_KEY or development_jwt_key(VAR_DIR / "dev-jwt-private-key.pem")  # noqa: F405
