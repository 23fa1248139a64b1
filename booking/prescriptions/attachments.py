"""Checks on uploaded attachments: size, real type from the bytes, a safe display name.

The file name and the browser's content type are chosen by whoever uploads, so neither is
trusted: ``filetype`` reads the magic bytes and Pillow parses images fully.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from dataclasses import dataclass

import filetype
from django.conf import settings
from PIL import Image, UnidentifiedImageError

from ..errors import AttachmentRejected

# What an attachment may be, decided from its bytes: MIME type → file extension we store.
ALLOWED_ATTACHMENT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
ATTACHMENT_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class AttachmentInfo:
    """What the bytes of an upload turned out to be."""

    content_type: str
    extension: str
    size: int
    display_name: str


_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]+')


def sanitise_filename(name: str, extension: str, *, max_length: int = 200) -> str:
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
    stem = stem.strip() or "attachment"
    return stem[: max_length - len(ext)].rstrip() + ext.lower()


def inspect_attachment(uploaded_file) -> AttachmentInfo:
    """Check an upload's size and real type (from its bytes); raise :class:`AttachmentRejected`.

    The file name and the browser's content type are ignored on purpose: both are chosen by
    whoever uploads, so an HTML page or a program renamed ``.pdf`` must not get through.
    """
    limit = settings.PRESCRIPTION_ATTACHMENT_MAX_BYTES
    size = getattr(uploaded_file, "size", None) or 0
    if size <= 0:
        raise AttachmentRejected("The file is empty.")
    if size > limit:
        raise AttachmentRejected(f"The file is too large ({human_size(size)}); the limit is {human_size(limit)}.")
    uploaded_file.seek(0)
    head = uploaded_file.read(ATTACHMENT_SNIFF_BYTES)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else None
    if mime not in ALLOWED_ATTACHMENT_TYPES:
        raise AttachmentRejected(
            "Only PDF, JPEG and PNG files can be attached, and this file's content is none of those "
            "(whatever its name says)."
        )
    if mime.startswith("image/"):
        _verify_image(uploaded_file)
    extension = ALLOWED_ATTACHMENT_TYPES[mime]
    return AttachmentInfo(
        content_type=mime,
        extension=extension,
        size=size,
        display_name=sanitise_filename(getattr(uploaded_file, "name", ""), extension),
    )


def _verify_image(uploaded_file) -> None:
    """Let Pillow parse the image, so a valid header glued to something else is refused too.

    The pixel count is checked from the header before anything is decoded: a few bytes can claim
    20000 × 20000 pixels (a "decompression bomb"), which would take gigabytes to open in a viewer
    or a PDF. Pillow's own bomb check raises above twice its limit and only warns below that; the
    warning is turned into an error here, and :data:`PRESCRIPTION_ATTACHMENT_MAX_PIXELS` is
    usually the stricter bound anyway.
    """
    max_pixels = settings.PRESCRIPTION_ATTACHMENT_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded_file) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise AttachmentRejected(_too_many_pixels(width, height, max_pixels))
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AttachmentRejected(_too_many_pixels(None, None, max_pixels)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AttachmentRejected("The image file is damaged or not really an image.") from exc
    finally:
        uploaded_file.seek(0)


def _too_many_pixels(width: int | None, height: int | None, max_pixels: int) -> str:
    claimed = f" ({width} × {height})" if width and height else ""
    return (
        f"The image has too many pixels{claimed}; the limit is {max_pixels / 1_000_000:.0f} megapixels. "
        "Please attach a smaller photo or a PDF."
    )


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
