"""The clinic's payment rules, as plain functions: who pays online, how much, until when, what comes back.

Nothing here writes or calls Stripe; services apply these rules and pages quote them, so the words
a patient reads before paying are computed by the same code that later decides the refund.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings

from home.models import DoctorPage, OnlinePayment
from portal.money import format_minor, to_minor

from ..models import Appointment
from . import gateway
from .models import Refund

Status = Appointment.Status

REQUIRED = "required"
OPTIONAL = "optional"
NEVER = "never"

PATIENT_SIDE = frozenset({"patient", "guest"})


def online_requirement(doctor: DoctorPage) -> str:
    """``required``, ``optional`` or ``never`` (pay at the clinic) for this doctor's bookings.

    The doctor's page decides, or the clinic's ``PAYMENT_ONLINE_DEFAULT`` when the page says "as
    the clinic's default". Never without Stripe keys, whatever either says: a clinic that has not
    set up payments takes every fee at the desk.
    """
    if not gateway.is_configured():
        return NEVER
    choice = doctor.online_payment or settings.PAYMENT_ONLINE_DEFAULT
    if choice == OnlinePayment.REQUIRED:
        return REQUIRED
    if choice == OnlinePayment.OPTIONAL:
        return OPTIONAL
    return NEVER


def pays_online(doctor: DoctorPage, *, mode: str, chose_online: bool) -> bool:
    """Whether a new booking with this doctor in ``mode`` must be paid before it reaches the doctor."""
    if doctor.fee(online=mode == Appointment.Mode.ONLINE) <= 0:
        return False
    requirement = online_requirement(doctor)
    return requirement == REQUIRED or (requirement == OPTIONAL and chose_online)


def minor_amount(fee: Decimal) -> int:
    """A fee in the clinic's currency as the integer Stripe charges (pence)."""
    return to_minor(fee)


def payment_due(now: datetime) -> datetime:
    """Until when a booking being paid for holds its slot (``PAYMENT_DUE_MINUTES`` from now)."""
    return now + timedelta(minutes=settings.PAYMENT_DUE_MINUTES)


# --- Refunds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundShare:
    percent: int
    reason: str
    explanation: str
    when: str = ""  # for a patient's cancellation: "at least 48 hours before the start", or "less than…"


def refund_cutoff(appointment: Appointment) -> datetime:
    """Patients who cancel before this moment get the early share back."""
    return appointment.starts_at - timedelta(hours=settings.PAYMENT_REFUND_CUTOFF_HOURS)


def share_words(percent: int) -> str:
    if percent >= 100:
        return "a full refund"
    if percent <= 0:
        return "no refund"
    return f"{percent}% back"


def refund_share(appointment: Appointment, *, to_status: str, actor_role: str, at: datetime) -> RefundShare:
    """How much of what was paid comes back when a paid appointment is declined or cancelled at ``at``.

    Declined, or cancelled by the doctor, the clinic or the system: everything. Cancelled by the
    patient: ``PAYMENT_REFUND_BEFORE_CUTOFF_PERCENT`` up to ``PAYMENT_REFUND_CUTOFF_HOURS`` before
    the start, ``PAYMENT_REFUND_AFTER_CUTOFF_PERCENT`` after that.
    """
    if to_status == Status.DECLINED:
        return RefundShare(
            100, Refund.Reason.CLINIC_DECLINED, "The clinic could not accept your request, so you get everything back."
        )
    if actor_role not in PATIENT_SIDE:
        return RefundShare(
            100, Refund.Reason.CLINIC_CANCELLED, "The clinic cancelled your appointment, so you get everything back."
        )
    hours = settings.PAYMENT_REFUND_CUTOFF_HOURS
    if at < refund_cutoff(appointment):
        percent = settings.PAYMENT_REFUND_BEFORE_CUTOFF_PERCENT
        when = f"at least {hours} hours before the start"
    else:
        percent = settings.PAYMENT_REFUND_AFTER_CUTOFF_PERCENT
        when = f"less than {hours} hours before the start"
    percent = max(0, min(100, percent))
    return RefundShare(
        percent,
        Refund.Reason.PATIENT_CANCELLED,
        f"You cancelled {when}; under the clinic's refund policy that is {share_words(percent)}.",
        when,
    )


def refund_amount(paid: int, percent: int) -> int:
    """The policy's share of ``paid`` (minor units), rounded down: a refund never exceeds the share."""
    return paid * max(0, min(100, percent)) // 100


def refund_policy_lines() -> list[str]:
    """The refund policy in the words shown before paying, on the receipt and on the cancel page."""
    hours = settings.PAYMENT_REFUND_CUTOFF_HOURS
    before = share_words(settings.PAYMENT_REFUND_BEFORE_CUTOFF_PERCENT)
    after = share_words(settings.PAYMENT_REFUND_AFTER_CUTOFF_PERCENT)
    return [
        f"If you cancel at least {hours} hours before the start: {before}.",
        f"If you cancel later than that: {after}.",
        "If the clinic declines or cancels your appointment: a full refund.",
    ]


def cancel_refund(appointment: Appointment, *, paid: int, refundable: int, now: datetime) -> int:
    """What a patient who cancels now would get back, in minor units (the same rule as the refund)."""
    share = refund_share(appointment, to_status=Status.CANCELLED, actor_role="patient", at=now)
    return min(refund_amount(paid, share.percent), refundable)


def cancel_note(appointment: Appointment, *, paid: int, refundable: int, currency: str, now: datetime) -> str:
    """What a patient who cancels now gets back, said before they confirm the cancellation."""
    if refundable <= 0:
        return ""
    share = refund_share(appointment, to_status=Status.CANCELLED, actor_role="patient", at=now)
    amount = cancel_refund(appointment, paid=paid, refundable=refundable, now=now)
    if amount <= 0:
        return (
            "If you cancel now you will not get any money back: the refund policy gives "
            f"{share_words(share.percent)} when cancelling {share.when}."
        )
    return (
        f"If you cancel now you will get {format_minor(amount, currency)} back "
        f"({share_words(share.percent)} when cancelling {share.when})."
    )
