"""Re-encrypt every prescription attachment with the first key in ATTACHMENT_ENCRYPTION_KEYS.

Run after putting a new key first in the list (the old keys still listed, so every file can be
read); once it reports no failures, the old keys can be removed. Files stored before encryption
was introduced are encrypted by the same run. Safe to run again: each file is rewritten in one
rename, and a failure leaves that file as it was.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from booking.models import PrescriptionAttachment
from booking.prescriptions.crypto import AttachmentUnreadable, reencrypt_file


class Command(BaseCommand):
    help = "Re-encrypt prescription attachments with the first ATTACHMENT_ENCRYPTION_KEYS key (plaintext ones too)."

    def handle(self, *args, **options) -> None:
        counts = {"rotated": 0, "encrypted": 0}
        failed: list[str] = []
        for attachment in PrescriptionAttachment.objects.order_by("pk").iterator(chunk_size=500):
            try:
                counts[reencrypt_file(attachment)] += 1
            except AttachmentUnreadable:
                failed.append(f"attachment {attachment.pk}: no configured key decrypts it")
            except OSError as exc:
                failed.append(f"attachment {attachment.pk}: {exc.__class__.__name__}: {exc.strerror or exc}")
        self.stdout.write(
            f"Re-encrypted {counts['rotated']} attachment(s); encrypted {counts['encrypted']} stored in clear."
        )
        if failed:
            for line in failed:
                self.stderr.write(line)
            raise CommandError(f"{len(failed)} attachment(s) could not be re-encrypted; keep the old keys.")
