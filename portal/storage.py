"""Where files live: the local disk by default, S3-compatible object storage when configured.

Two stores, both reached through Django's ``storages``:

* ``default``: public media (Wagtail images, their renditions, documents), under ``MEDIA_ROOT``.
* ``private``: prescription attachments, under ``PRIVATE_MEDIA_ROOT``, outside the public media
  and without URLs: they are served only by views that check who is asking.

With ``AWS_STORAGE_BUCKET_NAME`` set (see :func:`object_storage_from_env`) both go to that bucket
through django-storages, under ``media/`` and ``private/``, so application servers keep no files
of their own and any number of them serve the same media. Private objects are written with the
``private`` ACL and are never linked: the views read them and stream them, as from the disk.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under ``PRIVATE_MEDIA_ROOT`` (read when first used, like MEDIA_ROOT for the default
    storage) that have no URL."""

    def __init__(self, location=None, **kwargs) -> None:
        super().__init__(location=location, **kwargs)
        self.private_location = location

    @cached_property
    def base_location(self):
        return self._value_or_setting(self.private_location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("Private files have no URL: serve them through a view that checks access.")


def object_storage_from_env(env) -> dict[str, Any] | None:
    """django-storages' S3 options from the environment, or None when no bucket is configured.

    ``AWS_STORAGE_BUCKET_NAME`` (required), ``AWS_S3_ENDPOINT_URL`` (for S3-compatible services:
    MinIO, Ceph, Scaleway, …), ``AWS_S3_REGION_NAME``, ``AWS_S3_CUSTOM_DOMAIN`` (a CDN in front of
    the public media), ``AWS_QUERYSTRING_AUTH`` (``1`` to sign media URLs instead of a public-read
    bucket policy on ``media/``). Credentials come from ``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY`` or the machine's role, as boto3 finds them.
    """
    bucket = env("AWS_STORAGE_BUCKET_NAME", "")
    if not bucket:
        return None
    return {
        "bucket_name": bucket,
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", "") or None,
        "region_name": env("AWS_S3_REGION_NAME", "") or None,
        "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", "") or None,
        "querystring_auth": env("AWS_QUERYSTRING_AUTH", "0") in {"1", "true", "yes", "on"},
    }


def file_storages(static_backend: str, s3: dict[str, Any] | None = None) -> dict[str, dict]:
    """The ``STORAGES`` setting: local folders, or the S3 bucket described by ``s3``."""
    if s3 is None:
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "private": {"BACKEND": "portal.storage.PrivateFileSystemStorage"},
            "staticfiles": {"BACKEND": static_backend},
        }
    common = {"file_overwrite": False, **s3}
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**common, "location": "media"}},
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **common,
                "location": "private",
                "default_acl": "private",
                "querystring_auth": True,
                "custom_domain": None,
            },
        },
        "staticfiles": {"BACKEND": static_backend},
    }


def local_roots() -> list[Path]:
    """The folders the two stores use when on disk (what a backup of a disk-based install copies)."""
    return [Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)]
