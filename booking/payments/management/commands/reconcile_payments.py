"""Recover what missed webhooks would have done, retry refunds Stripe did not take, cancel abandoned intents.

Webhooks are the normal path; this is the safety net for the ones that never arrive (an outage
on our side, a misconfigured endpoint). It reads from Stripe the intents of open holds and of
recent payments and applies them through the same functions as the webhook, so it is safe to run
at any time, twice, or concurrently (``make run`` runs it every minute; run it from cron in
production).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from booking.payments.services import reconcile_payments


class Command(BaseCommand):
    help = "Bring payments in line with Stripe: missed events, pending refunds, abandoned intents."

    def handle(self, *args, **options) -> None:
        report = reconcile_payments()
        for line in report.outcomes:
            self.stdout.write(line)
        summary = f"Checked {report.checked} payment(s)."
        if report.unreachable:
            summary += f" Stripe could not be reached for {report.unreachable}; they are retried on the next run."
        self.stdout.write(summary)
