"""Send again the emails whose earlier attempt failed, once their backoff has passed.

Meant to run every few minutes. It also picks up rows that were never delivered for another
reason: a ``queued`` row whose send lease ran out (the worker died mid-send) or whose enqueue was
lost (the process stopped between the commit and the enqueue). Re-enqueueing is always safe:
:func:`booking.tasks.deliver_notification` claims a row before sending, so it is sent once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from booking.notifications.tasks import deliver_notification, due_notifications


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
