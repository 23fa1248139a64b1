"""What payments announce, after commit, for whoever listens (the API's outgoing webhooks).

Payments sit below the JSON API in the layers and must not import it; integrations still want to
hear when money moves. So the services send these signals once the change is committed — never
for a change that rolled back — and the API connects its webhook receivers to them
(``booking.apps``). The arguments are ids: a receiver reads what it may show from the database.

* ``payment_succeeded(payment_id, appointment_id)`` — a card payment was taken (Stripe said so),
  or staff recorded money taken at the desk.
* ``refund_succeeded(refund_id, payment_id, appointment_id)`` — a refund went through.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.dispatch import Signal

payment_succeeded = Signal()
refund_succeeded = Signal()


def send_on_commit(signal: Signal, **kwargs: int) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(signal.send, sender=None, **kwargs), robust=True)
