"""``manage.py restore ARCHIVE --yes``: replace the database and stored files with a backup's.

The archive is checked first (portal/backup.py: readable, checksums, same database vendor, same
migrations as this code); anything wrong stops the restore before a single row changes.
``--check`` only does that.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.backup import BackupError, restore_backup, verify_archive


class Command(BaseCommand):
    help = "Restore a backup made by manage.py backup (replaces the database and writes the files back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="Really replace this portal's data.")
        parser.add_argument("--check", action="store_true", help="Only check the archive; change nothing.")

    def handle(self, *args, archive: Path, yes: bool, check: bool, **options) -> None:
        if not archive.is_file():
            raise CommandError(f"No such archive: {archive}")
        try:
            manifest = verify_archive(archive)
        except BackupError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        if check:
            rows = sum(manifest["tables"].values())
            self.stdout.write(
                self.style.SUCCESS(
                    f"{archive} is sound: {len(manifest['tables'])} tables ({rows:,} rows) and "
                    f"{len(manifest['files'])} files from {manifest['created_at']}."
                )
            )
            return
        if not yes:
            raise CommandError(
                "Restoring replaces this portal's whole database and writes the archive's files over "
                "the stored ones. Nothing was changed; run again with --yes to do it (or --check first)."
            )
        try:
            summary = restore_backup(archive, manifest=manifest, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(f"The restore stopped part-way: {exc} Restore the archive again.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {summary.tables} tables ({summary.rows:,} rows) and {summary.files} files from {archive}."
            )
        )
