"""Payment records: what was paid for which appointment, what was refunded, which Stripe events arrived.

Amounts are integers in the currency's minor unit (pence), exactly as Stripe counts them, so sums
never round. Three database rules back up the services:

* ``Payment.idempotency_key`` is unique: an appointment has at most one online payment (its key
  is derived from the appointment), and the same key is what Stripe sees when the PaymentIntent
  is created, so a retried or doubled create can never make a second charge.
* ``Payment.amount_refunded`` never exceeds ``Payment.amount`` (a CHECK constraint): whatever a
  race or a bug attempts, the database refuses to record more refunded than paid.
* ``StripeEvent.event_id`` is unique and written in the same transaction as the event's effect,
  so a webhook delivered twice (or concurrently) has its effect once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models import Appointment
from portal.money import format_minor


class Payment(models.Model):
    class Method(models.TextChoices):
        ONLINE = "online", _("Card, online")
        DESK = "desk", _("At the clinic desk")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        SUCCEEDED = "succeeded", _("Paid")
        CANCELED = "canceled", _("Cancelled")

    # A state only moves forward: a late "payment failed" never un-pays a paid payment, and money
    # Stripe reports as taken wins over a cancellation we recorded.
    RANK = {Status.PENDING: 0, Status.CANCELED: 1, Status.SUCCEEDED: 2}

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=16, choices=Method.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    amount = models.PositiveIntegerField(help_text="In the currency's minor unit (pence).")
    currency = models.CharField(max_length=3)
    amount_refunded = models.PositiveIntegerField(
        default=0, help_text="Refunded or being refunded (failed refunds are taken off again), in minor units."
    )
    idempotency_key = models.CharField(max_length=100, unique=True, editable=False)
    intent_id = models.CharField("PaymentIntent", max_length=255, null=True, blank=True, unique=True)
    stripe_status = models.CharField(max_length=32, blank=True, help_text="The PaymentIntent's status last seen.")
    last_error = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(amount_refunded__lte=F("amount")), name="payment_refunds_within_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment.reference} · {self.amount_display} · {self.get_status_display()}"

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.SUCCEEDED

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_online(self) -> bool:
        return self.method == self.Method.ONLINE

    @property
    def refundable(self) -> int:
        """What can still be refunded, in minor units (nothing unless the payment succeeded)."""
        return self.amount - self.amount_refunded if self.is_paid else 0

    @property
    def amount_display(self) -> str:
        return format_minor(self.amount, self.currency)

    @property
    def refunded_display(self) -> str:
        return format_minor(self.amount_refunded, self.currency)

    @property
    def reference(self) -> str:
        """What a receipt quotes: the PaymentIntent for card payments, our own number for the desk."""
        return self.intent_id or f"DESK-{self.pk}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Being refunded")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Cancelled")

    RANK = {Status.PENDING: 0, Status.SUCCEEDED: 1, Status.FAILED: 1, Status.CANCELED: 1}
    # Statuses whose amount no longer counts against the payment.
    RELEASED = (Status.FAILED, Status.CANCELED)

    class Reason(models.TextChoices):
        PATIENT_CANCELLED = "patient_cancelled", _("Cancelled by the patient")
        CLINIC_DECLINED = "clinic_declined", _("Declined by the clinic")
        CLINIC_CANCELLED = "clinic_cancelled", _("Cancelled by the clinic")
        LATE_PAYMENT = "late_payment", _("Paid after the time was released")
        STAFF = "staff", _("Refunded by staff")
        STRIPE = "stripe", _("Refunded in Stripe")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField(help_text="In the currency's minor unit (pence).")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    note = models.TextField(blank=True, help_text="Why, in words the patient reads.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    refund_id = models.CharField("Stripe refund", max_length=255, null=True, blank=True, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(max_length=16)
    last_error = models.CharField(max_length=500, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.payment.appointment.reference} · refund {self.amount_display} · {self.get_status_display()}"

    @property
    def amount_display(self) -> str:
        return format_minor(self.amount, self.payment.currency)

    @property
    def is_released(self) -> bool:
        return self.status in self.RELEASED


class StripeEvent(models.Model):
    """One webhook event received, stored with its effect so a second delivery changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    stripe_created_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "Stripe event"

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
