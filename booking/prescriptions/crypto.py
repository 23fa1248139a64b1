"""Prescription attachments at rest: encrypted with Fernet, keys from the environment.

Why and how:

* **A copied disk or backup reveals nothing.** Files in private storage are Fernet tokens
  (AES-128-CBC with an HMAC-SHA256, so a changed byte is detected rather than served) behind a
  short marker, ``ATTACHMENT_MAGIC``. Size and type stay in the database row, which the
  database's own protections cover.
* **Keys rotate.** ``ATTACHMENT_ENCRYPTION_KEYS`` lists Fernet keys: the first encrypts, every
  one is tried for decrypting (``MultiFernet``). To rotate, put a new key first, deploy, run
  ``manage.py rotate_attachment_keys`` (re-encrypts every file with the first key), then drop the
  old key.
* **Files from before encryption still open.** A file without the marker is an old plaintext
  upload: it is served as it is, and ``rotate_attachment_keys`` encrypts it in place. Uploads
  were checked to be PDF, JPEG or PNG by their first bytes, none of which begin with the marker,
  so the two cannot be confused.
* **Decrypted only when served** to a reader the view has allowed; nothing else reads the files.
"""

from __future__ import annotations

import logging
import os
import tempfile
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from ..models import PrescriptionAttachment

logger = logging.getLogger(__name__)

ATTACHMENT_MAGIC = b"RCENC1\n"


class AttachmentUnreadable(Exception):
    """No configured key opens this file (a key removed before rotation finished, or damage)."""


@lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def attachment_fernet() -> MultiFernet:
    """The keys in ``ATTACHMENT_ENCRYPTION_KEYS``, first one encrypting (cached per key list)."""
    return _fernet_for(tuple(settings.ATTACHMENT_ENCRYPTION_KEYS))


def is_encrypted(blob: bytes) -> bool:
    return blob.startswith(ATTACHMENT_MAGIC)


def encrypt_bytes(plaintext: bytes) -> bytes:
    """What is written to disk for ``plaintext``: the marker, then a Fernet token (first key)."""
    return ATTACHMENT_MAGIC + attachment_fernet().encrypt(plaintext)


def decrypt_bytes(blob: bytes) -> bytes:
    """The plaintext of a stored file; an unencrypted (older) file is returned as it is."""
    if not is_encrypted(blob):
        return blob
    try:
        return attachment_fernet().decrypt(blob[len(ATTACHMENT_MAGIC) :])
    except InvalidToken:
        raise AttachmentUnreadable("No configured key decrypts this file.") from None


def read_attachment(attachment: PrescriptionAttachment) -> bytes:
    """The attachment's original bytes (OSError if the file is missing, AttachmentUnreadable if no key fits)."""
    with attachment.file.storage.open(attachment.file.name, "rb") as handle:
        blob = handle.read()
    try:
        return decrypt_bytes(blob)
    except AttachmentUnreadable:
        logger.error(
            "Prescription attachment %s cannot be decrypted with any key in ATTACHMENT_ENCRYPTION_KEYS", attachment.pk
        )
        raise


def reencrypt_file(attachment: PrescriptionAttachment) -> str:
    """Rewrite one stored file encrypted with the first key; return "rotated" or "encrypted".

    "encrypted" means the file was an old plaintext one. The new content goes to a temporary
    file beside the old one and replaces it in one rename, so a crash never leaves half a file.
    Raises AttachmentUnreadable or OSError, leaving the file as it was.
    """
    path = attachment.file.storage.path(attachment.file.name)
    with open(path, "rb") as handle:
        blob = handle.read()
    if is_encrypted(blob):
        try:
            new_blob = ATTACHMENT_MAGIC + attachment_fernet().rotate(blob[len(ATTACHMENT_MAGIC) :])
        except InvalidToken:
            raise AttachmentUnreadable("No configured key decrypts this file.") from None
        outcome = "rotated"
    else:
        new_blob = encrypt_bytes(blob)
        outcome = "encrypted"
    directory = os.path.dirname(path)
    fd, temp_path = tempfile.mkstemp(dir=directory, prefix=".rotate-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new_blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, os.stat(path).st_mode & 0o777)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    return outcome
