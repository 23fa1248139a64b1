"""Delete audit trail rows older than ``AUDIT_RETENTION_DAYS`` (and only those).

Meant to run daily. The trail is append-only everywhere else; this is the one place rows leave,
so what is kept is decided by the retention setting, not by whoever has database access to the
admin.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from booking.audit.services import prune_audit


class Command(BaseCommand):
    help = "Delete audit trail rows older than AUDIT_RETENTION_DAYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Keep this many days instead of AUDIT_RETENTION_DAYS ({settings.AUDIT_RETENTION_DAYS}).",
        )

    def handle(self, *args, days: int | None, **options) -> None:
        try:
            deleted = prune_audit(days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        kept = settings.AUDIT_RETENTION_DAYS if days is None else days
        self.stdout.write(f"Deleted {deleted} audit event(s) older than {kept} days.")
