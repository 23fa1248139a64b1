"""Outgoing webhooks: the integrations staff register, and every delivery made to them.

A :class:`WebhookEndpoint` is a URL, a shared secret and the events it wants. Each event becomes
one :class:`WebhookDelivery` per endpoint, kept so a delivery can fail, be retried with back-off
and be looked at by staff with the receiver's last answer (``booking.api.webhooks`` sends them).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    APPOINTMENT_CREATED = "appointment.created", _("Appointment created")
    APPOINTMENT_CONFIRMED = "appointment.confirmed", _("Appointment confirmed")
    APPOINTMENT_DECLINED = "appointment.declined", _("Appointment declined")
    APPOINTMENT_CANCELLED = "appointment.cancelled", _("Appointment cancelled")
    APPOINTMENT_MOVED = "appointment.moved", _("Appointment moved")
    APPOINTMENT_COMPLETED = "appointment.completed", _("Appointment completed")
    PAYMENT_SUCCEEDED = "payment.succeeded", _("Payment succeeded")
    PAYMENT_REFUNDED = "payment.refunded", _("Payment refunded")


# Plain http is allowed only to this machine (a receiver in development or tests): anything else
# would send patients' booking details and the signature over the network in clear.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def validate_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return
    raise ValidationError("Use an https:// address (plain http only to localhost, for testing).")


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=120, help_text="Who receives it, e.g. 'CRM' or 'Call-centre tool'.")
    url = models.URLField(max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(
        max_length=128,
        default=new_webhook_secret,
        help_text="Shared with the receiver, which checks each delivery's X-Clinic-Signature with it.",
    )
    # Event names (WebhookEvent values), comma-separated; the admin shows them as checkboxes.
    events = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def event_list(self) -> list[str]:
        return [event for event in self.events.split(",") if event]

    def wants(self, event: str) -> bool:
        return self.is_active and event in self.event_list


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Delivered")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Failed for good")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    # The exact bytes sent (and signed), so a retry sends the same body with a fresh signature.
    body = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response = models.TextField(blank=True, help_text="The start of the receiver's last answer.")
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
