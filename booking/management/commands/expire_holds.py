"""Release the slots of unconfirmed or unpaid bookings whose hold ran out.

Bookings already release stale holds of a doctor before checking a slot, so this command is not
what keeps the diary correct; it keeps statuses honest for everyone else (the patient's page,
the doctor's agenda, reports) and lets reactions such as cancelling an abandoned payment run
promptly. Safe to run at any time, twice, or concurrently.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from booking.appointments.services import expire_stale_holds


class Command(BaseCommand):
    help = "Expire unconfirmed or unpaid bookings whose hold has run out, releasing their slots."

    def handle(self, *args, **options) -> None:
        expired = expire_stale_holds()
        self.stdout.write(f"Expired {expired} hold(s).")
