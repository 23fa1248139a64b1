"""Tests: fast hashing, in-memory email, tasks run immediately unless a test says otherwise."""

from .base import *  # noqa: F403
from .env import development_jwt_key

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
ACCOUNT_RATE_LIMITS = False
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
