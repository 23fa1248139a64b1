"""Outgoing webhooks: appointment events, signed and delivered by the task worker, retried.

**What starts a delivery.** The appointment service announces each committed change with
``booking.appointments.signals`` (``status_changed``, ``appointment_moved``), and the payments
services announce money taken and given back with ``booking.payments.signals``
(``payment_succeeded``, ``refund_succeeded``); the receivers here turn those into events for the
endpoints that want them. No service is edited per event, and a
change that rolled back never reaches an integration.

**What is sent.** ``{"id", "event", "created_at", "data": {appointment}}`` as JSON: the
reference, status, doctor, times (clinic zone, ISO 8601), mode and the patient's contact details.
Never the reason for the visit, remarks or anything from a prescription: those are clinical and
an integration has no business reading them. Payment events add the amount, currency, method
and our payment reference (and, for a refund, its amount and reason) — never card data, which
never reaches the portal anyway.

**Signature.** ``X-Clinic-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
The receiver recomputes it over the raw body with the endpoint's secret and refuses deliveries
whose ``t`` is too old (replays). Each attempt is signed afresh.

**Delivery.** One :class:`~booking.models.WebhookDelivery` row per endpoint and event, written
first; the send runs in the task worker after commit. The task *claims* the row with one
conditional UPDATE (like the email outbox), so a second copy of the task, or the retry command,
never sends twice at once. A failure (network error, timeout, any non-2xx) is recorded with the
receiver's status and the start of its answer, and retried with back-off
(:data:`BACKOFF_MINUTES`) until :data:`MAX_ATTEMPTS`; ``manage.py retry_webhooks`` re-enqueues
due rows for task backends that cannot schedule a later run themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from ..models import Appointment, WebhookDelivery, WebhookEndpoint, WebhookEvent, clinic_zone
from ..payments.models import Payment, Refund

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

BACKOFF_MINUTES = (1, 5, 15, 60, 180, 360, 720)
MAX_ATTEMPTS = 8
SEND_LEASE = timedelta(minutes=5)
RESPONSE_KEPT = 2000
SIGNATURE_HEADER = "X-Clinic-Signature"

# Status moves that are events; the rest (e.g. to pending, expired, no-show) are not.
STATUS_EVENTS = {
    Appointment.Status.CONFIRMED: WebhookEvent.APPOINTMENT_CONFIRMED,
    Appointment.Status.DECLINED: WebhookEvent.APPOINTMENT_DECLINED,
    Appointment.Status.CANCELLED: WebhookEvent.APPOINTMENT_CANCELLED,
    Appointment.Status.COMPLETED: WebhookEvent.APPOINTMENT_COMPLETED,
}


# "Created" is when a booking reaches the clinic: made by a signed-in patient, or a guest's hold
# confirmed from the email (or paid). A guest's unconfirmed hold is not an appointment yet: its
# address is unproven, and most integrations (a CRM) must not file strangers' typed addresses.
REACHING_THE_CLINIC = ("", *Appointment.HOLD_STATUSES)


# --- Signing -----------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Clinic-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance_seconds: int = 300, now: float | None = None
) -> bool:
    """What a receiver does (documented in the README; used by the tests as the receiver)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance_seconds:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


# --- Events --------------------------------------------------------------------------------------


def _local(value: datetime) -> str:
    return timezone.localtime(value, clinic_zone()).isoformat()


def appointment_data(appointment: Appointment) -> dict[str, Any]:
    """What an integration learns about the appointment: never reason, remarks or prescriptions."""
    return {
        "reference": appointment.reference,
        "status": appointment.status,
        "doctor": {"id": appointment.doctor_id, "name": appointment.doctor.title},
        "starts_at": _local(appointment.starts_at),
        "ends_at": _local(appointment.ends_at),
        "mode": appointment.mode,
        "patient": {
            "full_name": appointment.full_name,
            "email": appointment.email,
            "mobile": str(appointment.mobile),
            "has_account": appointment.patient_id is not None,
        },
    }


def queue_event(event: str, appointment_id: int, extra: dict[str, Any] | None = None) -> list[WebhookDelivery]:
    """Write one delivery per endpoint that wants ``event``; enqueue their sends after commit."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if e.wants(event)]
    if not endpoints:
        return []
    appointment = Appointment.objects.select_related("doctor").filter(pk=appointment_id).first()
    if appointment is None:
        return []
    deliveries = []
    with transaction.atomic():
        for endpoint in endpoints:
            body = {
                "id": str(uuid.uuid4()),
                "event": event,
                "created_at": _local(timezone.now()),
                "data": {**appointment_data(appointment), **(extra or {})},
            }
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, event=event, body=json.dumps(body, separators=(",", ":"))
            )
            transaction.on_commit(partial(_enqueue, delivery.pk), robust=True)
            deliveries.append(delivery)
    return deliveries


def on_status_changed(sender, appointment_id: int, from_status: str, to_status: str, actor_role: str, **kwargs) -> None:
    events = []
    if from_status in REACHING_THE_CLINIC and to_status in (Appointment.Status.PENDING, Appointment.Status.CONFIRMED):
        events.append(WebhookEvent.APPOINTMENT_CREATED)
    if to_status in STATUS_EVENTS and from_status != "":
        events.append(STATUS_EVENTS[Appointment.Status(to_status)])
    for event in events:
        queue_event(event, appointment_id, {"previous_status": from_status, "changed_by": actor_role})


def on_appointment_moved(
    sender, appointment_id: int, from_starts_at: datetime, from_doctor_id: int, actor_role: str, **kwargs
) -> None:
    queue_event(
        WebhookEvent.APPOINTMENT_MOVED,
        appointment_id,
        {"previous_starts_at": _local(from_starts_at), "previous_doctor_id": from_doctor_id, "changed_by": actor_role},
    )


def payment_data(payment: Payment) -> dict[str, Any]:
    """What an integration learns about a payment: amounts in minor units, no card details."""
    return {
        "reference": payment.reference,
        "method": payment.method,
        "amount": payment.amount,
        "currency": payment.currency,
        "amount_refunded": payment.amount_refunded,
        "paid_at": _local(payment.paid_at) if payment.paid_at else None,
    }


def on_payment_succeeded(sender, payment_id: int, appointment_id: int, **kwargs) -> None:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None:
        queue_event(WebhookEvent.PAYMENT_SUCCEEDED, appointment_id, {"payment": payment_data(payment)})


def on_refund_succeeded(sender, refund_id: int, payment_id: int, appointment_id: int, **kwargs) -> None:
    refund = Refund.objects.select_related("payment").filter(pk=refund_id).first()
    if refund is None:
        return
    queue_event(
        WebhookEvent.PAYMENT_REFUNDED,
        appointment_id,
        {
            "payment": payment_data(refund.payment),
            "refund": {
                "id": refund.pk,
                "amount": refund.amount,
                "currency": refund.payment.currency,
                "reason": refund.reason,
                "succeeded_at": _local(refund.succeeded_at) if refund.succeeded_at else None,
            },
        },
    )


# --- Delivery ----------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    index = min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1
    return timedelta(minutes=BACKOFF_MINUTES[index])


def _enqueue(delivery_id: int, run_after: datetime | None = None) -> None:
    if run_after is not None:
        if not deliver_webhook.get_backend().supports_defer:
            return  # left for ``manage.py retry_webhooks``
        deliver_webhook.using(run_after=run_after).enqueue(delivery_id)
        return
    deliver_webhook.enqueue(delivery_id)


def claim(delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Reserve the row for one attempt, or None if it is not due or another worker holds it."""
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = WebhookDelivery.objects.filter(due, pk=delivery_id, status__in=(Status.QUEUED, Status.FAILED)).update(
        attempts=F("attempts") + 1, next_attempt_at=now + SEND_LEASE
    )
    if claimed != 1:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def _post(delivery: WebhookDelivery) -> tuple[int, str]:
    """POST the signed body; the receiver's status and the start of its answer. Raises on no answer."""
    body = delivery.body.encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is validated (https, or http to loopback)
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "RiversideClinic-Webhooks/1",
            "X-Clinic-Event": delivery.event,
            "X-Clinic-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: signature(delivery.endpoint.secret, int(time.time()), body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read(RESPONSE_KEPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:  # a non-2xx answer is an answer: keep it for staff
        return exc.code, exc.read(RESPONSE_KEPT).decode("utf-8", "replace")


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Send one delivery at most once at a time; record the outcome instead of raising."""
    delivery = claim(delivery_id)
    if delivery is None:
        return "skipped"
    try:
        status_code, answer = _post(delivery)
        error = "" if 200 <= status_code < 300 else f"HTTP {status_code}"
    except Exception as exc:  # noqa: BLE001 - network errors, timeouts, bad TLS: recorded, retried
        status_code, answer, error = None, "", f"{type(exc).__name__}: {exc}"[:2000]
    delivery.last_status_code = status_code
    delivery.last_response = answer[:RESPONSE_KEPT]
    delivery.last_error = error
    if not error:
        delivery.status = Status.SENT
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = Status.GAVE_UP
        delivery.next_attempt_at = None
        logger.error("Webhook delivery %s to %s gave up: %s", delivery.pk, delivery.endpoint, error)
    else:
        delivery.status = Status.FAILED
        delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
        logger.warning("Webhook delivery %s to %s failed (%s); retrying", delivery.pk, delivery.endpoint, error)
    delivery.save(
        update_fields=[
            "status",
            "last_status_code",
            "last_response",
            "last_error",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    if delivery.status == Status.FAILED:
        _enqueue(delivery.pk, run_after=delivery.next_attempt_at)
    return str(delivery.status)


LOST_AFTER = timedelta(minutes=10)


def due_deliveries(now: datetime | None = None) -> QuerySet[WebhookDelivery]:
    """Rows to attempt now: failed and due, or queued and evidently lost (never claimed)."""
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - LOST_AFTER),
        status__in=(Status.QUEUED, Status.FAILED),
    ).order_by("created_at")
