"""Checks on prescription attachments: PDF, JPEG or PNG by content, at most
``PRESCRIPTION_ATTACHMENT_MAX_BYTES``. The checks themselves are the shared ones of
``booking.uploads``; this module fixes what a prescription may carry and turns a refusal into the
prescription's own :class:`~booking.errors.AttachmentRejected`.
"""

from __future__ import annotations

from django.conf import settings

from ..errors import AttachmentRejected, UploadRejected
from ..uploads import DOCUMENT_TYPES, SNIFF_BYTES, human_size, inspect_upload, sanitise_filename
from ..uploads import UploadInfo as AttachmentInfo

# What an attachment may be, decided from its bytes: MIME type → file extension we store.
ALLOWED_ATTACHMENT_TYPES = DOCUMENT_TYPES
ATTACHMENT_SNIFF_BYTES = SNIFF_BYTES

__all__ = [
    "ALLOWED_ATTACHMENT_TYPES",
    "ATTACHMENT_SNIFF_BYTES",
    "AttachmentInfo",
    "human_size",
    "inspect_attachment",
    "sanitise_filename",
]


def inspect_attachment(uploaded_file) -> AttachmentInfo:
    """Check an upload's size and real type (from its bytes); raise :class:`AttachmentRejected`."""
    try:
        return inspect_upload(
            uploaded_file, allowed=ALLOWED_ATTACHMENT_TYPES, max_bytes=settings.PRESCRIPTION_ATTACHMENT_MAX_BYTES
        )
    except UploadRejected as exc:
        raise AttachmentRejected(exc.message) from None
