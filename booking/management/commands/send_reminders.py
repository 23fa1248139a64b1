"""Queue the 24-hour reminder for confirmed appointments that start soon.

Meant to run every few minutes (cron, a systemd timer, or a loop next to the task worker). Each
appointment is *claimed* with a conditional UPDATE on ``reminder_sent_at`` before its email is
queued, in one transaction: running the command twice, or two copies at once, queues one reminder
per appointment. ``move_appointment`` clears ``reminder_sent_at``, so a moved appointment gets a
reminder for its new time.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from booking.models import Appointment, Notification
from booking.notifications import queue_notification

logger = logging.getLogger(__name__)


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
        now = timezone.now()
        eligible = {
            "status": Appointment.Status.CONFIRMED,
            "reminder_sent_at__isnull": True,
            "starts_at__gt": now,
            "starts_at__lte": now + timedelta(hours=window_hours),
        }
        candidates = list(Appointment.objects.filter(**eligible).values_list("pk", flat=True))
        queued = failed = 0
        for pk in candidates:
            try:
                with transaction.atomic():
                    # Re-checks every condition in the UPDATE itself: another run, a cancellation
                    # or a move may have happened since the list above was read.
                    if Appointment.objects.filter(pk=pk, **eligible).update(reminder_sent_at=now) != 1:
                        continue
                    appointment = Appointment.objects.select_related("doctor").get(pk=pk)
                    queue_notification(appointment, Notification.Kind.REMINDER)
            except Exception:  # one bad appointment must not stop the others; its claim rolled back
                failed += 1
                logger.exception("Could not queue the reminder for appointment %s", pk)
                continue
            queued += 1
        self.stdout.write(f"Queued {queued} reminder(s).")
        if failed:
            self.stderr.write(f"{failed} reminder(s) could not be queued; see the log.")
