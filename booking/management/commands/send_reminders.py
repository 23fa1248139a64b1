"""Queue the 24-hour reminder for confirmed appointments that start soon.

Meant to run every few minutes (cron, a systemd timer, or a loop next to the task worker); safe
to run twice or concurrently (see ``booking.notifications.reminders``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from booking.notifications.reminders import queue_due_reminders


class Command(BaseCommand):
    help = "Queue reminder emails for confirmed appointments starting within the window (default 24 h)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--window-hours",
            type=float,
            default=24,
            help="Remind about appointments starting within this many hours (default 24).",
        )

    def handle(self, *args, window_hours: float, **options) -> None:
        run = queue_due_reminders(window_hours=window_hours)
        self.stdout.write(f"Queued {run.queued} reminder(s).")
        if run.failed:
            self.stderr.write(f"{run.failed} reminder(s) could not be queued; see the log.")
