"""Every change to payments and refunds, and what a payment does to its appointment.

The rules, in the order a payment meets them:

* **Hold.** A booking that must be paid starts as ``pending_payment`` through the booking service
  (``booking.appointments.services.book_appointment``), holding its slot until its payment is due.
  Its :class:`Payment` is opened on the pay page (:func:`prepare_payment`) and its PaymentIntent is
  created there with an idempotency key derived from the appointment, so reloads, second tabs and
  retries after an outage all meet the same intent.
* **Truth from Stripe.** What Stripe says about an intent — in a webhook, on the return page
  (a server-side retrieve, never the redirect's query string) or in ``reconcile_payments`` — goes
  through one function, :func:`apply_intent`, under the payment's row lock. States only move
  forward: a late "failed" never un-pays, a success after a cancellation still counts as money
  taken. The amount, currency and appointment in Stripe's answer must match ours, or nothing changes.
* **Settling.** A successful payment moves its hold on to ``pending`` (or ``confirmed`` with
  ``PAYMENT_AUTO_CONFIRM``) through the lifecycle service. If the hold had already expired, the slot
  is taken again through the booking service's own lock and check; if it is gone, or the booking
  was cancelled meanwhile, the money goes straight back (a full refund) and the patient is told.
* **Refunds.** One function, :func:`request_refund`, records every refund (policy, late payment,
  staff) under the payment's lock before Stripe is asked, never beyond what was paid, with an
  idempotency key naming the business action; the Stripe call runs after commit and is retried by
  ``reconcile_payments`` if Stripe was down. Their state then follows Stripe's answers and events.
* **Reactions.** Appointments announce status changes after commit
  (``booking.appointments.signals.status_changed``); :func:`on_status_changed` refunds by policy
  when a paid appointment is declined or cancelled, and cancels the PaymentIntent of a hold that
  expired or was cancelled.

Lock order, everywhere: a payment's row, then (through the lifecycle or booking service) the
doctor's and the appointment's rows. No code path takes a payment lock while holding an
appointment lock, so these never deadlock with bookings.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone

from portal.money import clinic_currency, format_minor

from ..appointments.services import (
    Actor,
    guest_confirmation_deadline,
    lock_appointment,
    record_event,
    reinstate_expired_hold,
    transition,
)
from ..errors import BookingError, PaymentError, PaymentRefused, PaymentUnavailable, RefundRefused
from ..models import Appointment, AppointmentEvent, clinic_zone
from ..notifications.emails import queue_notification
from . import gateway, policy
from .gateway import Event, Intent, RefundInfo
from .models import Payment, Refund, StripeEvent
from .signals import payment_succeeded, refund_succeeded, send_on_commit

logger = logging.getLogger(__name__)

Status = Appointment.Status
SYSTEM = Actor(Actor.SYSTEM)

# Intent statuses in which the patient can still (re)try paying on our page.
PAYABLE_INTENT_STATUSES = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


def online_key(appointment: Appointment) -> str:
    """The business action "pay online for this appointment": the Payment's and the intent's key."""
    return f"pay-{appointment.reference}"


def not_payable_message(appointment: Appointment, *, now: datetime | None = None) -> str:
    """Why this appointment cannot be paid for (any more), in the patient's words."""
    now = now or timezone.now()
    if appointment.status == Status.EXPIRED or (
        appointment.is_awaiting_payment and appointment.hold_expires_at and appointment.hold_expires_at <= now
    ):
        return (
            f"We held this time for {settings.PAYMENT_DUE_MINUTES} minutes while you paid, and it has now been "
            "released. Nothing was charged. Please book again."
        )
    if appointment.status in (Status.CANCELLED, Status.DECLINED):
        return f"This booking is {appointment.get_status_display().lower()}, so there is nothing to pay."
    return "This booking is not waiting for a payment."


# --- Opening a payment ------------------------------------------------------------------------


@transaction.atomic
def open_online_payment(appointment: Appointment, *, now: datetime | None = None) -> Payment:
    """The appointment's online payment record, created on first need.

    Created under the appointment's row lock, and its key is unique, so two tabs opening the pay
    page at once still share one payment. The amount is the fee recorded on the appointment when
    it was booked, in minor units: never a number from the browser.
    """
    now = now or timezone.now()
    locked = lock_appointment(appointment)
    existing = Payment.objects.filter(idempotency_key=online_key(locked)).first()
    if existing is not None:
        return existing
    if not locked.is_awaiting_payment or (locked.hold_expires_at and locked.hold_expires_at <= now):
        raise PaymentRefused(not_payable_message(locked, now=now))
    amount = policy.minor_amount(locked.fee)
    if amount <= 0:
        raise PaymentRefused("There is nothing to pay for this appointment.")
    return Payment.objects.create(
        appointment=locked,
        method=Payment.Method.ONLINE,
        amount=amount,
        currency=clinic_currency(),
        idempotency_key=online_key(locked),
        created_at=now,
    )


def prepare_payment(appointment: Appointment, *, now: datetime | None = None) -> tuple[Payment, Intent]:
    """What the pay page needs: the payment and a live PaymentIntent for the Payment Element.

    An existing intent is read back from Stripe first and applied (a payment whose webhook has
    not arrived yet counts). Then refuses (:class:`PaymentRefused`, ``code="already_paid"`` for a
    paid one) a booking that is not waiting for payment: expired, cancelled, already paid. Stripe
    unreachable raises :class:`PaymentUnavailable`; the hold and the payment record stay as they
    are, so the patient can try again until the hold lapses.
    """
    now = now or timezone.now()
    existing = Payment.objects.filter(idempotency_key=online_key(appointment)).first()
    intent: Intent | None = None
    if existing is not None and existing.intent_id and existing.is_pending:
        intent = gateway.retrieve_intent(existing.intent_id)
        apply_intent(intent, source="pay page", now=now)
        existing.refresh_from_db()
    if existing is not None and existing.is_paid:
        raise PaymentRefused("This booking is already paid.", code="already_paid")
    appointment.refresh_from_db()
    if intent is not None and intent.status == "processing":
        raise PaymentRefused(
            "Your payment is being processed. This page will show the result shortly.", code="processing"
        )
    if not appointment.is_awaiting_payment or (appointment.hold_expires_at and appointment.hold_expires_at <= now):
        raise PaymentRefused(not_payable_message(appointment, now=now))
    payment = open_online_payment(appointment, now=now)
    if not payment.is_pending:
        raise PaymentRefused(not_payable_message(appointment, now=now))
    if payment.intent_id is None:
        intent = gateway.create_intent(
            amount=payment.amount,
            currency=payment.currency,
            metadata={"appointment": appointment.reference, "payment": str(payment.pk)},
            idempotency_key=payment.idempotency_key,
        )
        intent = _remember_intent(payment, intent)
        payment.refresh_from_db()
    elif intent is None or intent.id != payment.intent_id:
        intent = gateway.retrieve_intent(payment.intent_id)  # another tab created it meanwhile
    if intent.status not in PAYABLE_INTENT_STATUSES:
        raise PaymentRefused(not_payable_message(appointment, now=now))
    return payment, intent


def _remember_intent(payment: Payment, intent: Intent) -> Intent:
    """Store a freshly created intent's id, unless another request stored one first.

    Real Stripe returns the same intent for the same idempotency key; a server that ignores keys
    could make a second one, which is cancelled at once so it can never be paid.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.intent_id is None:
            locked.intent_id = intent.id
            locked.stripe_status = intent.status
            locked.save(update_fields=["intent_id", "stripe_status", "updated_at"])
            return intent
        winner = locked.intent_id
    if winner != intent.id:
        logger.warning("Payment %s got a second PaymentIntent %s; cancelling it.", payment.pk, intent.id)
        try:
            gateway.cancel_intent(intent.id, reason="duplicate")
        except PaymentError:
            logger.warning("Could not cancel duplicate PaymentIntent %s.", intent.id)
        return gateway.retrieve_intent(winner)
    return intent


# --- What Stripe says about an intent ------------------------------------------------------------


def _find_payment(intent: Intent) -> Payment | None:
    """Our payment for this intent; adopts an intent whose create response never reached us."""
    payment = Payment.objects.filter(intent_id=intent.id).first()
    if payment is not None or not intent.id:
        return payment
    payment_id = intent.metadata.get("payment", "")
    if not payment_id.isdigit():
        return None
    candidate = Payment.objects.filter(pk=int(payment_id), intent_id__isnull=True).select_related("appointment").first()
    if candidate is None or intent.metadata.get("appointment") != candidate.appointment.reference:
        return None
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=candidate.pk)
        if locked.intent_id is None:
            locked.intent_id = intent.id
            locked.save(update_fields=["intent_id", "updated_at"])
    return Payment.objects.filter(intent_id=intent.id).first()


def _mismatch(payment: Payment, intent: Intent) -> str:
    """Why Stripe's view of this intent cannot be ours (tampered, misrouted or edited elsewhere)."""
    reference = payment.appointment.reference
    if intent.metadata.get("appointment") != reference:
        return f"appointment {intent.metadata.get('appointment')!r} in the intent, {reference!r} here"
    if intent.amount != payment.amount:
        return f"amount {intent.amount} in the intent, {payment.amount} here"
    if intent.amount_received not in (None, 0) and intent.amount_received != payment.amount:
        return f"amount received {intent.amount_received}, {payment.amount} expected"
    if intent.currency != payment.currency.upper():
        return f"currency {intent.currency} in the intent, {payment.currency} here"
    return ""


def apply_intent(intent: Intent, *, source: str, now: datetime | None = None) -> tuple[str, Payment | None]:
    """Bring our records in line with Stripe's view of one intent; return (outcome, payment).

    The one place intent states are applied, whether they come from a webhook, the return page,
    the pay page or ``reconcile_payments``. Safe to call any number of times, in any order.
    """
    now = now or timezone.now()
    found = _find_payment(intent)
    if found is None:
        return "ignored: not one of our payments", None
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("appointment").get(pk=found.pk)
        mismatch = _mismatch(payment, intent)
        if mismatch:
            logger.error("Refused %s for payment %s (%s): %s", intent.status, payment.pk, source, mismatch)
            if payment.is_pending:
                payment.last_error = f"Refused an update from Stripe: {mismatch}"[:500]
                payment.save(update_fields=["last_error", "updated_at"])
            return f"refused: {mismatch}", payment
        if intent.status == "succeeded":
            return _on_succeeded(payment, intent, now=now), payment
        if not payment.is_pending:
            return f"ignored: payment already {payment.get_status_display().lower()}", payment
        if intent.status == "canceled":
            return _on_canceled(payment, intent, now=now), payment
        if intent.status == "requires_payment_method" and intent.last_error_message:
            return _on_failed(payment, intent), payment
        if payment.stripe_status != intent.status:
            payment.stripe_status = intent.status
            payment.save(update_fields=["stripe_status", "updated_at"])
        return f"noted: {intent.status}", payment


def _on_failed(payment: Payment, intent: Intent) -> str:
    """A declined card or failed authentication: the patient may try again while the hold lasts."""
    message = intent.last_error_message[:500]
    if payment.last_error == message and payment.stripe_status == intent.status:
        return "duplicate: failure already noted"
    payment.last_error = message
    payment.stripe_status = intent.status
    payment.save(update_fields=["last_error", "stripe_status", "updated_at"])
    record_event(payment.appointment, SYSTEM, remark=f"Card payment attempt failed: {message}")
    return "failed attempt noted"


def _on_canceled(payment: Payment, intent: Intent, *, now: datetime) -> str:
    """Stripe cancelled the intent (we did, or someone did in Stripe): a hold still waiting ends."""
    payment.status = Payment.Status.CANCELED
    payment.stripe_status = intent.status
    payment.save(update_fields=["status", "stripe_status", "updated_at"])
    appointment = payment.appointment
    appointment.refresh_from_db()
    if appointment.is_awaiting_payment:
        # Moved on meanwhile (paid at the desk, cancelled) means nothing is left to release.
        with contextlib.suppress(BookingError):
            transition(
                appointment,
                Status.EXPIRED,
                SYSTEM,
                remark="The payment was cancelled, so the time was released.",
                now=now,
            )
    return "cancelled"


def _on_succeeded(payment: Payment, intent: Intent, *, now: datetime) -> str:
    if payment.is_paid:
        return "duplicate: already paid"
    payment.status = Payment.Status.SUCCEEDED
    payment.stripe_status = intent.status
    payment.paid_at = now
    payment.last_error = ""
    payment.save(update_fields=["status", "stripe_status", "paid_at", "last_error", "updated_at"])
    record_event(
        payment.appointment,
        SYSTEM,
        remark=f"Payment of {payment.amount_display} received (card, {payment.reference}).",
        now=now,
    )
    send_on_commit(payment_succeeded, payment_id=payment.pk, appointment_id=payment.appointment_id)
    return settle(payment, now=now)


def settle(payment: Payment, *, now: datetime | None = None) -> str:
    """What a (locked) successful payment does to its appointment.

    Awaiting payment → on to the doctor (or confirmed). Expired → its slot again through the
    booking service, or a full refund if the slot is gone. Already active → nothing to move.
    Cancelled or declined meanwhile → a full refund. The patient is emailed either way.
    """
    now = now or timezone.now()
    target = Status.CONFIRMED if settings.PAYMENT_AUTO_CONFIRM else Status.PENDING
    appointment = payment.appointment
    for _attempt in range(2):
        appointment.refresh_from_db()
        if appointment.is_held:
            # Awaiting this payment, or (a guest who switched to paying at the clinic) awaiting the
            # email confirmation that a payment makes unnecessary.
            move_to = target if appointment.is_awaiting_payment else Status.PENDING
            try:
                transition(
                    appointment, move_to, SYSTEM, remark="Paid online." if payment.is_online else "Paid.", now=now
                )
            except BookingError:
                continue  # it expired or changed under us: look again
            _queue_receipt(payment)
            return "paid"
        if appointment.status == Status.EXPIRED:
            try:
                reinstate_expired_hold(
                    appointment,
                    target,
                    remark="Paid after the hold ran out; the time was still free, so it is booked again.",
                    now=now,
                )
            except BookingError as exc:
                logger.info("Late payment %s for %s: %s", payment.pk, appointment.reference, exc.message)
                _refund_in_full(
                    payment,
                    Refund.Reason.LATE_PAYMENT,
                    "Your payment arrived after the time we held for you had been released, and that time "
                    "has since been taken. We are refunding your payment in full. Please book another time.",
                    now=now,
                )
                return "refunded in full: paid after the hold ran out and the time was taken"
            _queue_receipt(payment)
            return "paid after expiry: the time was still free and is booked again"
        break
    if appointment.is_active or appointment.status in (Status.COMPLETED, Status.NO_SHOW):
        _queue_receipt(payment)
        return "paid"
    _refund_in_full(
        payment,
        Refund.Reason.LATE_PAYMENT,
        f"Your payment arrived after this booking was {appointment.get_status_display().lower()}, "
        "so we are refunding it in full.",
        now=now,
    )
    return f"refunded in full: booking {appointment.status}"


def _refund_in_full(payment: Payment, reason: str, note: str, *, now: datetime) -> None:
    if payment.refundable > 0:
        request_refund(
            payment,
            payment.refundable,
            reason=reason,
            note=note,
            actor=SYSTEM,
            key=f"late-{payment.pk}",
            now=now,
        )


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return dateformat.format(timezone.localtime(moment, clinic_zone()), "j F Y, H:i")


def _queue_receipt(payment: Payment) -> None:
    appointment = payment.appointment
    appointment.refresh_from_db()
    queue_notification(
        appointment,
        "receipt",
        facts={
            "amount": payment.amount_display,
            "paid_on": _local(payment.paid_at),
            "method": payment.get_method_display(),
            "payment_reference": payment.reference,
            "refund_policy": policy.refund_policy_lines() if payment.is_online else [],
        },
    )


# --- Webhooks ----------------------------------------------------------------------------------

INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "payment_intent.requires_action",
    }
)
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})
CHARGE_REFUNDED = "charge.refunded"
HANDLED_EVENTS = INTENT_EVENTS | REFUND_EVENTS | {CHARGE_REFUNDED}


def handle_event(event: Event, *, now: datetime | None = None) -> str:
    """Apply one verified webhook event exactly once; return what it did (kept with the event).

    The event's id is stored in the same transaction as its effect: a second delivery, even one
    arriving at the same moment, finds it and does nothing. Unknown types are stored and ignored.
    """
    now = now or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=event.id,
                    type=event.type[:100],
                    stripe_created_at=datetime.fromtimestamp(event.created, tz=UTC) if event.created else None,
                    received_at=now,
                )
        except IntegrityError:
            return "duplicate delivery: already handled"
        payment: Payment | None = None
        if event.type in INTENT_EVENTS:
            outcome, payment = apply_intent(gateway.intent_from_data(event.object), source=event.type, now=now)
        elif event.type in REFUND_EVENTS:
            outcome, payment = apply_refund(gateway.refund_from_data(event.object), source=event.type, now=now)
        elif event.type == CHARGE_REFUNDED:
            outcome, payment = _charge_refunded(event.object, now=now)
        else:
            outcome = "ignored: not an event the portal handles"
        record.outcome = outcome[:300]
        record.payment = payment
        record.save(update_fields=["outcome", "payment"])
    return outcome


def _charge_refunded(charge: dict, *, now: datetime) -> tuple[str, Payment | None]:
    """A charge was refunded (perhaps in Stripe's dashboard): read its refunds and apply each."""
    raw = charge.get("payment_intent")
    intent_id = str((raw.get("id") if isinstance(raw, dict) else raw) or "")
    payment = Payment.objects.filter(intent_id=intent_id).first() if intent_id else None
    if payment is None:
        return "ignored: not one of our payments", None
    outcomes = [apply_refund(info, source="charge.refunded", now=now)[0] for info in gateway.list_refunds(intent_id)]
    return "; ".join(outcomes) or "no refunds listed", payment


# --- Refunds -------------------------------------------------------------------------------------


def request_refund(
    payment: Payment,
    amount: int,
    *,
    reason: str,
    note: str,
    actor: Actor,
    key: str,
    now: datetime | None = None,
) -> Refund:
    """Record a refund of ``amount`` (minor units) and send it to Stripe after commit.

    The one way money goes back. Under the payment's lock: refuses a payment that is not paid,
    an amount of zero or less, or more than is left to refund (what was paid minus every refund
    not failed). ``key`` names the business action ("policy refund on cancel", "staff refund from
    form X"); asking twice with one key returns the first refund instead of refunding again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("appointment").get(pk=payment.pk)
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        if not locked.is_paid:
            raise RefundRefused("Only a completed payment can be refunded.")
        if amount <= 0:
            raise RefundRefused("Enter an amount greater than zero.")
        if amount > locked.refundable:
            raise RefundRefused(
                f"At most {format_minor(locked.refundable, locked.currency)} can be refunded: "
                f"{locked.refunded_display} of {locked.amount_display} has been refunded already."
            )
        refund = Refund.objects.create(
            payment=locked,
            amount=amount,
            reason=reason,
            note=note,
            actor_role=actor.role,
            requested_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
            idempotency_key=key,
            created_at=now,
        )
        locked.amount_refunded += amount
        locked.save(update_fields=["amount_refunded", "updated_at"])
        record_event(
            locked.appointment,
            actor,
            remark=f"Refund of {refund.amount_display} ({refund.get_reason_display().lower()}).",
            now=now,
        )
        transaction.on_commit(lambda: send_refund(refund.pk), robust=True)
    payment.refresh_from_db()
    return refund


def send_refund(refund_id: int) -> Refund:
    """Carry out a recorded refund: at Stripe for card payments, at once for desk payments.

    Runs after the refund is committed, outside any lock. Stripe unreachable leaves it pending
    with the error noted; ``reconcile_payments`` sends it again with the same idempotency key,
    so Stripe refunds it once however many times this runs.
    """
    refund = Refund.objects.select_related("payment__appointment").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING or refund.refund_id:
        return refund
    payment = refund.payment
    if not payment.is_online:
        # Money taken at the desk is handed back at the desk: recording it is the refund.
        _set_refund_status(refund, Refund.Status.SUCCEEDED, refund_id=None, error="")
        return Refund.objects.get(pk=refund_id)
    try:
        info = gateway.create_refund(
            intent_id=payment.intent_id or "",
            amount=refund.amount,
            metadata={"refund": refund.idempotency_key, "appointment": payment.appointment.reference},
            idempotency_key=refund.idempotency_key,
        )
    except PaymentUnavailable as exc:
        Refund.objects.filter(pk=refund.pk).update(last_error=exc.message[:500], updated_at=timezone.now())
        return Refund.objects.get(pk=refund_id)
    except PaymentRefused as exc:
        _set_refund_status(refund, Refund.Status.FAILED, refund_id=None, error=f"Stripe refused: {exc.code}")
        return Refund.objects.get(pk=refund_id)
    apply_refund(info, source="refund request")
    return Refund.objects.get(pk=refund_id)


REFUND_STATUSES = {
    "succeeded": Refund.Status.SUCCEEDED,
    "failed": Refund.Status.FAILED,
    "canceled": Refund.Status.CANCELED,
    "pending": Refund.Status.PENDING,
    "requires_action": Refund.Status.PENDING,
}


def apply_refund(info: RefundInfo, *, source: str, now: datetime | None = None) -> tuple[str, Payment | None]:
    """Bring a refund's record in line with Stripe's view of it (a response or a refund event).

    Found by its Stripe id, else by the key we sent in its metadata (a response that never came
    back). A refund made in Stripe's dashboard for one of our payments is recorded as such, as
    long as it fits what is left to refund.
    """
    now = now or timezone.now()
    refund = Refund.objects.filter(refund_id=info.id).first() if info.id else None
    if refund is None and info.metadata.get("refund"):
        refund = Refund.objects.filter(idempotency_key=info.metadata["refund"]).first()
    if refund is None:
        return _record_outside_refund(info, now=now)
    status = REFUND_STATUSES.get(info.status)
    if status is None:
        return f"ignored: refund status {info.status!r}", refund.payment
    if info.amount != refund.amount or info.payment_intent != (refund.payment.intent_id or ""):
        logger.error("Refund %s from %s does not match refund %s; ignored.", info.id, source, refund.pk)
        return "refused: refund does not match our record", refund.payment
    changed = _set_refund_status(refund, status, refund_id=info.id, error=info.failure_reason)
    return (f"refund {status}" if changed else f"duplicate: refund already {refund.status}"), refund.payment


def _record_outside_refund(info: RefundInfo, *, now: datetime) -> tuple[str, Payment | None]:
    payment = Payment.objects.filter(intent_id=info.payment_intent).first() if info.payment_intent else None
    if payment is None:
        return "ignored: refund of a payment that is not ours", None
    if REFUND_STATUSES.get(info.status) in Refund.RELEASED:
        return "ignored: failed refund made outside the portal", payment
    try:
        refund = request_refund(
            payment,
            info.amount,
            reason=Refund.Reason.STRIPE,
            note="Refunded by the clinic in Stripe.",
            actor=SYSTEM,
            key=f"stripe-{info.id}",
            now=now,
        )
    except RefundRefused as exc:
        logger.error("Refund %s made in Stripe does not fit payment %s: %s", info.id, payment.pk, exc.message)
        return f"refused: {exc.message}", payment
    _set_refund_status(refund, REFUND_STATUSES.get(info.status, Refund.Status.PENDING), refund_id=info.id, error="")
    return "refund made in Stripe recorded", payment


def _set_refund_status(refund: Refund, status: str, *, refund_id: str | None, error: str) -> bool:
    """Move a refund forward (pending → succeeded / failed / cancelled); return whether anything changed.

    A failed or cancelled refund gives its amount back to what can be refunded. The patient is
    emailed once, when the refund is first accepted.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("appointment").get(pk=refund.payment_id)
        locked = Refund.objects.get(pk=refund.pk)
        changed = False
        if refund_id and not locked.refund_id:
            locked.refund_id = refund_id
            changed = True
        if locked.status == Refund.Status.PENDING and status != Refund.Status.PENDING:
            locked.status = status
            changed = True
            if status == Refund.Status.SUCCEEDED:
                locked.succeeded_at = timezone.now()
                send_on_commit(
                    refund_succeeded, refund_id=locked.pk, payment_id=payment.pk, appointment_id=payment.appointment_id
                )
            if status in Refund.RELEASED:
                payment.amount_refunded -= locked.amount
                payment.save(update_fields=["amount_refunded", "updated_at"])
                locked.last_error = (error or "The refund did not go through.")[:500]
                record_event(
                    payment.appointment,
                    SYSTEM,
                    remark=(
                        f"Refund of {locked.amount_display} {locked.get_status_display().lower()}: {locked.last_error}"
                    ),
                )
        if not changed:
            return False
        accepted = locked.status == Refund.Status.SUCCEEDED or (
            locked.status == Refund.Status.PENDING and locked.refund_id
        )
        if accepted and locked.notified_at is None:
            locked.notified_at = timezone.now()
            _queue_refund_email(payment, locked)
        locked.save()
    return True


def _queue_refund_email(payment: Payment, refund: Refund) -> None:
    queue_notification(
        payment.appointment,
        "refund",
        facts={
            "refund_amount": refund.amount_display,
            "paid_amount": payment.amount_display,
            "refunded_total": payment.refunded_display,
            "refund_reason": refund.note,
            "refund_reference": refund.refund_id or f"REFUND-{refund.pk}",
            "to_card": payment.is_online,
        },
    )


# --- Staff: desk payments and refunds by hand -----------------------------------------------------


def record_desk_payment(
    appointment: Appointment, amount: int, *, user, note: str = "", key: str, now: datetime | None = None
) -> Payment:
    """Staff record money taken at the desk (card machine or cash); the patient gets a receipt.

    ``key`` comes from the form, so a double-submitted form records the payment once. A booking
    still waiting for its online payment moves on as if paid online; its unused intent is then
    cancelled by ``reconcile_payments``.
    """
    now = now or timezone.now()
    if amount <= 0:
        raise PaymentRefused("Enter an amount greater than zero.")
    with transaction.atomic():
        existing = Payment.objects.filter(idempotency_key=f"desk-{key}").first()
        if existing is not None:
            return existing
        locked = lock_appointment(appointment)
        if locked.status in (Status.CANCELLED, Status.DECLINED, Status.EXPIRED):
            raise PaymentRefused(f"A {locked.get_status_display().lower()} appointment cannot take a payment.")
        payment = Payment.objects.create(
            appointment=locked,
            method=Payment.Method.DESK,
            status=Payment.Status.SUCCEEDED,
            amount=amount,
            currency=clinic_currency(),
            idempotency_key=f"desk-{key}",
            recorded_by=user,
            note=note[:500],
            created_at=now,
            paid_at=now,
        )
        record_event(
            locked, Actor(Actor.STAFF, user), remark=f"Payment of {payment.amount_display} taken at the desk.", now=now
        )
        send_on_commit(payment_succeeded, payment_id=payment.pk, appointment_id=locked.pk)
        settle(payment, now=now)
    return payment


def staff_refund(payment: Payment, amount: int, *, user, reason: str, key: str) -> Refund:
    """A full or partial refund by staff from the admin, with the reason the patient reads."""
    reason = " ".join(reason.split())
    if not reason:
        raise RefundRefused("Give a reason for the refund: the patient reads it.")
    return request_refund(
        payment,
        amount,
        reason=Refund.Reason.STAFF,
        note=reason[:1000],
        actor=Actor(Actor.STAFF, user),
        key=f"staff-{key}",
    )


# --- Patient: pay at the clinic instead ------------------------------------------------------------


def pay_at_clinic_instead(appointment: Appointment, *, now: datetime | None = None) -> Appointment:
    """For a doctor where paying online is optional: the held booking goes on unpaid.

    A signed-in patient's goes to the doctor; a guest's then waits for the emailed confirmation
    every guest booking needs (the payment would have confirmed it). The appointment moves on
    first; its unused intent is then cancelled by the reaction to that change
    (:func:`react_to_status_change`), so a forgotten tab cannot charge later. A payment that
    succeeds in between simply counts (see :func:`settle`).
    """
    now = now or timezone.now()
    payment = Payment.objects.filter(idempotency_key=online_key(appointment)).first()
    if payment is not None and payment.is_paid:
        raise PaymentRefused("This booking is already paid.", code="already_paid")
    appointment.refresh_from_db()
    if not appointment.is_awaiting_payment or (appointment.hold_expires_at and appointment.hold_expires_at <= now):
        raise PaymentRefused(not_payable_message(appointment, now=now))
    with transaction.atomic():
        if appointment.patient_id is None:
            # A guest's booking not paid online waits for the emailed confirmation, as any other.
            transition(
                appointment,
                Status.UNCONFIRMED,
                SYSTEM,
                remark="The patient will pay at the clinic.",
                now=now,
                hold_until=guest_confirmation_deadline(now),
            )
        else:
            transition(appointment, Status.PENDING, SYSTEM, remark="The patient will pay at the clinic.", now=now)
            queue_notification(appointment, "received")
    return appointment


def _cancel_intent(payment: Payment, *, now: datetime) -> str:
    """Cancel a pending payment's intent at Stripe and apply the answer; an outage leaves it for later."""
    try:
        intent = gateway.cancel_intent(payment.intent_id or "", reason="abandoned")
    except PaymentUnavailable:
        return "cancel postponed: Stripe unreachable"
    except PaymentRefused:
        # Already succeeded, processing or cancelled: whatever it is, Stripe's current view decides.
        try:
            intent = gateway.retrieve_intent(payment.intent_id or "")
        except PaymentError:
            return "cancel postponed: Stripe unreachable"
    return apply_intent(intent, source="cancel", now=now)[0]


# --- Reactions to appointment changes --------------------------------------------------------------


def on_status_changed(sender, *, appointment_id: int, from_status: str, to_status: str, actor_role: str, **kwargs):
    """Receiver of ``status_changed`` (sent after commit): refunds and abandoned intents follow."""
    try:
        react_to_status_change(appointment_id, from_status=from_status, to_status=to_status, actor_role=actor_role)
    except BookingError as exc:
        logger.warning(
            "Payments could not react to %s → %s of appointment %s: %s",
            from_status,
            to_status,
            appointment_id,
            exc.message,
        )


def react_to_status_change(
    appointment_id: int, *, from_status: str, to_status: str, actor_role: str, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    if from_status == Status.PENDING_PAYMENT:
        # The booking stopped waiting for its payment (paid, expired, cancelled, or to be paid at
        # the clinic): nobody may pay an intent still open for it any more.
        for payment in Payment.objects.filter(
            appointment_id=appointment_id, method=Payment.Method.ONLINE, status=Payment.Status.PENDING
        ).exclude(intent_id=None):
            _cancel_intent(payment, now=now)
    if from_status in (Status.PENDING, Status.CONFIRMED) and to_status in (Status.CANCELLED, Status.DECLINED):
        apply_refund_policy(appointment_id, to_status=to_status, actor_role=actor_role, at=now)


def apply_refund_policy(appointment_id: int, *, to_status: str, actor_role: str, at: datetime) -> list[Refund]:
    """Refund the policy's share of every card payment of a paid appointment that was declined or cancelled.

    Keyed per payment and status, so running it again (the signal and ``reconcile_payments``)
    never refunds twice. Desk payments are handed back at the desk by staff.
    """
    appointment = Appointment.objects.get(pk=appointment_id)
    share = policy.refund_share(appointment, to_status=to_status, actor_role=actor_role, at=at)
    refunds = []
    payments = Payment.objects.filter(
        appointment_id=appointment_id, method=Payment.Method.ONLINE, status=Payment.Status.SUCCEEDED
    )
    for payment in payments:
        key = f"policy-{payment.pk}-{to_status}"
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            refunds.append(existing)
            continue
        amount = min(policy.refund_amount(payment.amount, share.percent), payment.refundable)
        if amount <= 0:
            continue
        try:
            refunds.append(
                request_refund(
                    payment, amount, reason=share.reason, note=share.explanation, actor=SYSTEM, key=key, now=at
                )
            )
        except RefundRefused as exc:
            logger.warning("Policy refund for payment %s refused: %s", payment.pk, exc.message)
    return refunds


# --- Reconciliation ----------------------------------------------------------------------------------


@dataclass
class ReconcileReport:
    checked: int = 0
    outcomes: list[str] = field(default_factory=list)
    unreachable: int = 0

    def note(self, what: str) -> None:
        self.outcomes.append(what)


def refresh_payment(payment: Payment, *, now: datetime | None = None) -> str:
    """Ask Stripe about one payment's intent and apply the answer (the return page, reconcile)."""
    if not payment.intent_id:
        return "no intent yet"
    return apply_intent(gateway.retrieve_intent(payment.intent_id), source="retrieve", now=now)[0]


def reconcile_payments(*, now: datetime | None = None) -> ReconcileReport:
    """Apply what webhooks would have: recover missed events, retry refunds, cancel abandoned intents.

    Safe at any time, twice, or concurrently: every step goes through the same locked, forward-only
    and idempotent functions the webhook uses.
    """
    now = now or timezone.now()
    report = ReconcileReport()
    if not gateway.is_configured():
        report.note("payments are not configured: nothing to reconcile")
        return report
    since = now - timedelta(days=settings.PAYMENT_RECONCILE_DAYS)

    # 1. Intents of open holds and of recent payments: missed succeeded/failed/canceled events.
    online = Payment.objects.filter(method=Payment.Method.ONLINE).exclude(intent_id=None)
    recent = online.filter(status=Payment.Status.PENDING) | online.filter(
        status=Payment.Status.SUCCEEDED, paid_at__gte=since
    )
    for payment in recent.select_related("appointment").order_by("pk"):
        report.checked += 1
        try:
            intent = gateway.retrieve_intent(payment.intent_id or "")
            outcome, _ = apply_intent(intent, source="reconcile", now=now)
            report.note(f"{payment.appointment.reference}: {outcome}")
            payment.refresh_from_db()
            if payment.is_paid:
                for info in gateway.list_refunds(payment.intent_id or ""):
                    apply_refund(info, source="reconcile", now=now)
            elif payment.is_pending:
                payment.appointment.refresh_from_db()
                if not payment.appointment.is_awaiting_payment and intent.status in PAYABLE_INTENT_STATUSES:
                    report.note(f"{payment.appointment.reference}: {_cancel_intent(payment, now=now)}")
        except PaymentUnavailable:
            report.unreachable += 1
        except PaymentRefused as exc:
            report.note(f"{payment.appointment.reference}: Stripe refused ({exc.code})")

    # 2. Payments opened but never given an intent, for bookings no longer waiting: close them.
    for payment in Payment.objects.filter(
        method=Payment.Method.ONLINE, status=Payment.Status.PENDING, intent_id=None
    ).exclude(appointment__status=Status.PENDING_PAYMENT):
        Payment.objects.filter(pk=payment.pk, intent_id=None, status=Payment.Status.PENDING).update(
            status=Payment.Status.CANCELED, updated_at=now
        )
        report.note(f"payment {payment.pk}: closed, never started")

    # 3. Refunds recorded but never accepted by Stripe (it was down): send them again, same key.
    for refund in Refund.objects.filter(status=Refund.Status.PENDING, refund_id=None).order_by("pk"):
        sent = send_refund(refund.pk)
        if sent.refund_id or sent.status != Refund.Status.PENDING:
            report.note(f"refund {refund.pk}: {sent.status}")
        else:
            report.unreachable += 1

    # 4. Paid appointments declined or cancelled whose policy refund never ran (a crash after commit).
    for payment in Payment.objects.filter(
        method=Payment.Method.ONLINE,
        status=Payment.Status.SUCCEEDED,
        appointment__status__in=(Status.CANCELLED, Status.DECLINED),
        appointment__updated_at__gte=since,
    ).select_related("appointment"):
        appointment = payment.appointment
        if Refund.objects.filter(idempotency_key=f"policy-{payment.pk}-{appointment.status}").exists():
            continue
        event = (
            AppointmentEvent.objects.filter(appointment=appointment, to_status=appointment.status)
            .exclude(from_status=appointment.status)
            .order_by("-created_at", "-pk")
            .first()
        )
        if event is None or event.from_status not in (Status.PENDING, Status.CONFIRMED):
            continue
        refunds = apply_refund_policy(
            appointment.pk, to_status=appointment.status, actor_role=event.actor_role, at=event.created_at
        )
        if refunds:
            report.note(f"{appointment.reference}: policy refund recovered")
    return report
