"""Fixtures for the payment tests: a real Stripe-compatible server (localstripe) on loopback.

Without the ``stripe_on`` fixture the portal runs as it does by default, with no Stripe keys
("pay at the clinic"). With it, the settings point at localstripe with test keys, and helpers act
as the patient's browser (book, open the pay page, confirm the card as Stripe.js would) and as
Stripe (signed webhook deliveries of the events localstripe generated).
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment
from booking.payments.models import Payment
from tests import payments_server

WEBHOOK_URL = "/payments/stripe/webhook/"


# ``localstripe`` and ``stripe_on`` live in tests/conftest.py: one session-wide server for the
# payment pages and the API's payment endpoints alike.


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...`` runs what waits for a commit (signal reactions, refunds, emails)
    at the end of the block, as a real commit would in production."""

    def _committed() -> AbstractContextManager:
        return django_capture_on_commit_callbacks(execute=True)

    return _committed


@pytest.fixture
def slot_after(free_slot):
    """``slot_after(doctor, hours)``: the doctor's first free slot starting at least ``hours`` from now."""

    def _slot_after(doctor, hours: int, n: int = 0):
        earliest = timezone.now() + timedelta(hours=hours)
        first, last = booking_window()
        slots = [s for s in doctor_free_slots(doctor, first, last) if s.start >= earliest]
        return slots[n]

    return _slot_after


def booking_data(slot, *, email: str = "pat@example.com", **extra) -> dict:
    data = {
        "slot": slot.start.isoformat(),
        "full_name": "Pat Payer",
        "email": email,
        "mobile": "07912 345678",
        "reason": "",
        "mode": Appointment.Mode.IN_PERSON,
    }
    data.update(extra)
    return data


@dataclass
class Checkout:
    """One patient's trip through booking and paying, as their browser makes it."""

    client: Client
    appointment: Appointment
    response: object

    @property
    def pay_url(self) -> str:
        return reverse("payments:pay", args=[self.appointment.reference])

    def open_pay_page(self):
        return self.client.get(self.pay_url)

    def client_secret(self) -> str:
        page = self.open_pay_page()
        assert page.status_code == 200, page.content.decode()[:2000]
        return page.context["client_secret"]

    @property
    def payment(self) -> Payment:
        return Payment.objects.get(appointment=self.appointment, method=Payment.Method.ONLINE)

    def refresh(self) -> Appointment:
        self.appointment.refresh_from_db()
        return self.appointment

    def back_from_stripe(self):
        """The browser arriving on the return URL (its query string is never trusted anyway)."""
        return self.client.get(
            reverse("payments:return", args=[self.appointment.reference]) + "?redirect_status=succeeded"
        )


def book(client: Client, doctor, slot, *, email: str = "pat@example.com", **extra) -> Checkout:
    """Post the booking form on the doctor's page and follow nothing; the appointment it made."""
    response = client.post(f"{doctor.url}book/", booking_data(slot, email=email, **extra))
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    reference = re.search(r"/payments/([^/]+)/pay/|/confirmed/([^/]+)/", response["Location"])
    assert reference, response["Location"]
    appointment = Appointment.objects.get(reference=reference.group(1) or reference.group(2))
    return Checkout(client=client, appointment=appointment, response=response)


def deliver(client: Client, event: dict | str, *, secret: str = payments_server.WEBHOOK_SECRET, timestamp=None):
    """POST one webhook event to the portal, signed as Stripe signs it."""
    body, header = payments_server.signed(event, secret=secret, timestamp=timestamp)
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def event_for(localstripe, type_: str, intent_id: str | None, *, last: bool = True) -> dict:
    assert intent_id, "an event of which intent?"
    events = localstripe.events(type_, intent_id)
    assert events, f"localstripe generated no {type_} for {intent_id}"
    return events[-1] if last else events[0]


def forged_event(type_: str, obj: dict, *, event_id: str = "evt_forged", created: datetime | None = None) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": type_,
        "created": int((created.timestamp() if created else 0) or 1_700_000_000),
        "api_version": "2017-08-15",
        "data": {"object": json.loads(json.dumps(obj))},
    }
