"""The checkout the booking page uses once payments are installed (see ``booking.appointments.checkout``).

It answers with the clinic's policy: without Stripe keys, or for a doctor whose patients pay at
the clinic, exactly the default (pay at the clinic); otherwise a booking that must be paid starts
as a ``pending_payment`` hold until its payment is due, and the patient continues on the pay page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from home.models import DoctorPage

from ..appointments.checkout import Checkout, MoneySummary, PaymentTerms, fee_lines
from ..models import Appointment
from . import policy, selectors


class PaymentsCheckout(Checkout):
    def terms(self, doctor: DoctorPage) -> PaymentTerms:
        requirement = policy.online_requirement(doctor)
        fees = fee_lines(doctor)
        if requirement == policy.NEVER or not fees:
            return super().terms(doctor)
        details = [
            f"We hold your time for {settings.PAYMENT_DUE_MINUTES} minutes while you pay. "
            "Your card details go straight to our card processor, Stripe, never to us.",
            *policy.refund_policy_lines(),
        ]
        if requirement == policy.REQUIRED:
            return PaymentTerms(
                online=requirement,
                fees=fees,
                summary="You pay online by card when you book; the next page shows the amount before you pay.",
                details=details,
                submit_label="Continue to payment",
            )
        return PaymentTerms(
            online=requirement,
            fees=fees,
            summary="Pay online by card now, or at the clinic on the day — your choice.",
            details=details,
        )

    def payment_due(self, doctor: DoctorPage, *, mode: str, pay_online: bool, now: datetime) -> datetime | None:
        if policy.pays_online(doctor, mode=mode, chose_online=pay_online):
            return policy.payment_due(now)
        return None

    def next_url(self, appointment: Appointment) -> str | None:
        if appointment.is_awaiting_payment:
            return reverse("payments:pay", args=[appointment.reference])
        return None

    def summaries(self, appointments: Iterable[Appointment], *, now: datetime) -> dict[int, MoneySummary]:
        return selectors.money_summaries(appointments, now=now)
