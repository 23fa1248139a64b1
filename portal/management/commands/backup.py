"""``manage.py backup``: the database and every stored file in one checked archive (portal/backup.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from portal.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Write the database, media and prescription attachments to one .tar.gz with a manifest of checksums."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="Archive path (default: a new file in --output-dir).")
        parser.add_argument(
            "--output-dir", type=Path, default=settings.VAR_DIR / "backups", help="Folder for the archive."
        )

    def handle(self, *args, output: Path | None, output_dir: Path, **options) -> None:
        if output is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            output = output_dir / f"clinic-{stamp}-{connection.vendor}.tar.gz"
        try:
            summary = create_backup(output, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {summary.tables} tables ({summary.rows:,} rows) and {summary.files} files "
                f"to {summary.path} ({summary.bytes / 1e6:.1f} MB)."
            )
        )
