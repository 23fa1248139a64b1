"""Send again the emails whose earlier attempt failed, once their backoff has passed.

Meant to run every few minutes. It also picks up rows that were never delivered for another
reason: a ``queued`` row whose send lease ran out (the worker died mid-send) or whose enqueue was
lost (the process stopped between the commit and the enqueue). Re-enqueueing is always safe:
:func:`booking.tasks.deliver_notification` claims a row before sending, so it is sent once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q, QuerySet
from django.utils import timezone

from booking.models import Notification
from booking.tasks import RETRYABLE, deliver_notification

# A queued row that was never claimed this long after it was written has lost its task.
LOST_AFTER = timedelta(minutes=10)


def due_notifications(now: datetime | None = None) -> QuerySet[Notification]:
    """Rows that should be attempted now: failed and due, or queued and evidently stuck."""
    now = now or timezone.now()
    return Notification.objects.filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - LOST_AFTER),
        status__in=RETRYABLE,
    ).order_by("created_at")


class Command(BaseCommand):
    help = "Re-enqueue failed (and stuck) notification emails that are due for another attempt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="At most this many per run (default 500).")
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Send in this process instead of enqueueing (when no task worker is running).",
        )

    def handle(self, *args, limit: int, inline: bool, **options) -> None:
        ids = list(due_notifications().values_list("pk", flat=True)[:limit])
        for pk in ids:
            if inline:
                deliver_notification.call(pk)
            else:
                deliver_notification.enqueue(pk)
        verb = "Retried" if inline else "Re-enqueued"
        self.stdout.write(f"{verb} {len(ids)} notification(s).")
