"""Checks on uploaded files: size, real type from the bytes, a safe display name.

Shared by every upload the portal keeps (prescription attachments, a doctor's registration
document, a doctor's photo). The file name and the browser's content type are chosen by whoever
uploads, so neither is trusted: ``filetype`` reads the magic bytes and Pillow parses images fully.
Callers say which types they accept and how large a file may be; a refusal is an
:class:`~booking.errors.UploadRejected` whose message is safe to show next to the field.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import filetype
from django.conf import settings
from PIL import Image, UnidentifiedImageError

from .errors import UploadRejected

# Documents people send the clinic: MIME type (decided from the bytes) → the extension we store.
DOCUMENT_TYPES: Mapping[str, str] = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
# Photos shown on the public site.
PHOTO_TYPES: Mapping[str, str] = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class UploadInfo:
    """What the bytes of an upload turned out to be."""

    content_type: str
    extension: str
    size: int
    display_name: str


_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]+')


def sanitise_filename(name: str, extension: str, *, max_length: int = 200, fallback: str = "attachment") -> str:
    """A display name that is safe in a header, a page and a file system, ending in ``extension``.

    Keeps letters with accents (they are the patient's or doctor's language), drops path parts,
    control and reserved characters, and makes the extension match what the content really is.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub(" ", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, ext = os.path.splitext(name)
    if ext.lower() not in {extension, ".jpeg" if extension == ".jpg" else extension}:
        stem = name  # a missing or wrong extension: keep the whole name as the stem
        ext = extension
    stem = stem.strip() or fallback
    return stem[: max_length - len(ext)].rstrip() + ext.lower()


def describe_types(allowed: Mapping[str, str]) -> str:
    """``PDF, JPEG and PNG`` for a mapping of allowed types, for messages and help texts."""
    names = [mime.split("/")[-1].upper() for mime in allowed]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def inspect_upload(uploaded_file, *, allowed: Mapping[str, str], max_bytes: int) -> UploadInfo:
    """Check an upload's size and real type (from its bytes); raise :class:`UploadRejected`.

    The file name and the browser's content type are ignored on purpose: both are chosen by
    whoever uploads, so an HTML page or a program renamed ``.pdf`` must not get through.
    """
    size = getattr(uploaded_file, "size", None) or 0
    if size <= 0:
        raise UploadRejected("The file is empty.")
    if size > max_bytes:
        raise UploadRejected(f"The file is too large ({human_size(size)}); the limit is {human_size(max_bytes)}.")
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else None
    if mime is None or mime not in allowed:
        raise UploadRejected(
            f"Only {describe_types(allowed)} files are accepted, and this file's content is none of those "
            "(whatever its name says)."
        )
    if mime.startswith("image/"):
        _verify_image(uploaded_file)
    extension = allowed[mime]
    return UploadInfo(
        content_type=mime,
        extension=extension,
        size=size,
        display_name=sanitise_filename(getattr(uploaded_file, "name", ""), extension),
    )


def _verify_image(uploaded_file) -> None:
    """Let Pillow parse the image, so a valid header glued to something else is refused too.

    The pixel count is checked from the header before anything is decoded: a few bytes can claim
    20000 × 20000 pixels (a "decompression bomb"), which would take gigabytes to open in a viewer,
    a PDF or a rendition. Pillow's own bomb check raises above twice its limit and only warns below
    that; the warning is turned into an error here, and ``UPLOAD_MAX_PIXELS`` is usually the
    stricter bound anyway.
    """
    max_pixels = settings.UPLOAD_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded_file) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise UploadRejected(_too_many_pixels(width, height, max_pixels))
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRejected(_too_many_pixels(None, None, max_pixels)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected("The image file is damaged or not really an image.") from exc
    finally:
        uploaded_file.seek(0)


def _too_many_pixels(width: int | None, height: int | None, max_pixels: int) -> str:
    claimed = f" ({width} × {height})" if width and height else ""
    return (
        f"The image has too many pixels{claimed}; the limit is {max_pixels / 1_000_000:.0f} megapixels. "
        "Please send a smaller photo or a PDF."
    )


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
