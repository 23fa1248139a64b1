"""Send again the webhook deliveries whose earlier attempt failed, once their back-off has passed.

Meant to run every few minutes beside ``retry_notifications``: task backends that can schedule a
later run get the retry enqueued already, and this also picks up deliveries whose enqueue was
lost. Re-enqueueing is safe: :func:`booking.api.webhooks.deliver_webhook` claims a row first.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from booking.api.webhooks import deliver_webhook, due_deliveries


class Command(BaseCommand):
    help = "Re-enqueue failed (and lost) webhook deliveries that are due for another attempt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="At most this many per run (default 500).")
        parser.add_argument("--inline", action="store_true", help="Send in this process instead of enqueueing.")

    def handle(self, *args, limit: int, inline: bool, **options) -> None:
        ids = list(due_deliveries().values_list("pk", flat=True)[:limit])
        for pk in ids:
            if inline:
                deliver_webhook.call(pk)
            else:
                deliver_webhook.enqueue(pk)
        self.stdout.write(f"{'Retried' if inline else 'Re-enqueued'} {len(ids)} webhook delivery(ies).")
