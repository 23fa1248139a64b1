"""Reads of payments for pages, dashboards and reports; each in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import dateformat, timezone

from portal.money import clinic_currency, format_minor, from_minor

from ..appointments.checkout import MoneySummary
from ..models import Appointment, clinic_zone
from . import policy
from .models import Payment, Refund


def payments_by_appointment(appointment_ids: Iterable[int]) -> dict[int, list[Payment]]:
    """Every payment of these appointments, oldest first, with its refunds (two queries)."""
    ids = list(appointment_ids)
    grouped: dict[int, list[Payment]] = defaultdict(list)
    if not ids:
        return grouped
    payments = Payment.objects.filter(appointment_id__in=ids).prefetch_related("refunds").order_by("created_at", "pk")
    for payment in payments:
        grouped[payment.appointment_id].append(payment)
    return grouped


def _day(moment: datetime | None) -> str:
    return dateformat.format(timezone.localtime(moment, clinic_zone()), "j M Y") if moment else ""


def summarise(appointment: Appointment, payments: list[Payment], *, now: datetime) -> MoneySummary:
    """The money lines a patient sees for one appointment (see ``MoneySummary``)."""
    lines: list[tuple[str, str]] = []
    paid = [p for p in payments if p.is_paid]
    for payment in paid:
        how = "by card" if payment.is_online else "at the clinic"
        lines.append(("Paid", f"{payment.amount_display} {how} on {_day(payment.paid_at)}"))
        for refund in sorted(payment.refunds.all(), key=lambda r: (r.created_at, r.pk)):
            if refund.is_released:
                continue
            state = "" if refund.status == Refund.Status.SUCCEEDED else " (on its way)"
            lines.append(("Refunded", f"{refund.amount_display} on {_day(refund.created_at)}{state}"))
    pay_url = ""
    if appointment.is_awaiting_payment and appointment.hold_expires_at and appointment.hold_expires_at > now:
        due = timezone.localtime(appointment.hold_expires_at, clinic_zone())
        lines.append(("To pay", f"{format_minor(policy.minor_amount(appointment.fee))} online by {due:%H:%M}"))
        pay_url = reverse("payments:pay", args=[appointment.reference])
    preview = refund_preview(appointment, payments, now=now)
    cancel_note = cancel_refund = ""
    if appointment.is_active and not appointment.is_held and preview.refundable:
        cancel_note = policy.cancel_note(
            appointment, paid=preview.paid, refundable=preview.refundable, currency=preview.currency, now=now
        )
        cancel_refund = format_minor(preview.amount) if preview.amount else ""
    paid_total = sum(p.amount for p in paid)
    refunded_total = sum(p.amount_refunded for p in paid)
    label = ""
    if paid_total:
        label = f"Paid {format_minor(paid_total)}"
        if refunded_total:
            label += f" · refunded {format_minor(refunded_total)}"
    return MoneySummary(
        lines=lines, cancel_note=cancel_note, cancel_refund=cancel_refund, pay_url=pay_url, paid_label=label
    )


@dataclass(frozen=True)
class RefundPreview:
    """What a patient who cancelled at ``now`` would get back (minor units), and why.

    ``paid`` and ``refundable`` count card payments only: money taken at the desk is handed back
    at the desk. ``percent`` is the policy's share at ``now``; ``cutoff`` is when it changes.
    """

    amount: int
    currency: str
    percent: int
    cutoff: datetime
    paid: int
    refundable: int
    explanation: str


def refund_preview(appointment: Appointment, payments: list[Payment], *, now: datetime) -> RefundPreview:
    """The patient-cancellation refund for ``appointment`` given its ``payments`` (no query).

    The same policy functions that make the refund when the cancellation happens
    (``services.apply_refund_policy``), so the preview and the refund cannot disagree.
    """
    online_paid = [p for p in payments if p.is_paid and p.is_online]
    paid = sum(p.amount for p in online_paid)
    refundable = sum(p.refundable for p in online_paid)
    share = policy.refund_share(appointment, to_status=Appointment.Status.CANCELLED, actor_role="patient", at=now)
    return RefundPreview(
        amount=policy.cancel_refund(appointment, paid=paid, refundable=refundable, now=now),
        currency=online_paid[0].currency if online_paid else clinic_currency(),
        percent=share.percent,
        cutoff=policy.refund_cutoff(appointment),
        paid=paid,
        refundable=refundable,
        explanation=share.explanation,
    )


def refund_preview_for(appointment: Appointment, *, now: datetime | None = None) -> RefundPreview:
    """:func:`refund_preview` reading the appointment's payments (two queries)."""
    payments = payments_by_appointment([appointment.pk]).get(appointment.pk, [])
    return refund_preview(appointment, payments, now=now or timezone.now())


def money_summaries(appointments: Iterable[Appointment], *, now: datetime | None = None) -> dict[int, MoneySummary]:
    """:func:`summarise` for many appointments at once (for /me/, dashboards): two queries."""
    now = now or timezone.now()
    appointments = list(appointments)
    grouped = payments_by_appointment(a.pk for a in appointments)
    return {a.pk: summarise(a, grouped.get(a.pk, []), now=now) for a in appointments}


# --- Reports -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyTotals:
    paid: int = 0
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.paid - self.refunded

    @property
    def paid_display(self) -> str:
        return format_minor(self.paid, clinic_currency())

    @property
    def refunded_display(self) -> str:
        return format_minor(self.refunded, clinic_currency())

    @property
    def net_display(self) -> str:
        return format_minor(self.net, clinic_currency())


def money_by_doctor(first: date, last: date, *, doctor_id: int | None = None) -> dict[int, MoneyTotals]:
    """Paid, refunded (including refunds on their way) and net per doctor, for appointments
    starting on local dates ``first``..``last`` — the report's own date rule. One grouped query."""
    appointments = Appointment.objects.starting_between(first, last)
    if doctor_id is not None:
        appointments = appointments.filter(doctor_id=doctor_id)
    rows = (
        Payment.objects.filter(status=Payment.Status.SUCCEEDED, appointment__in=appointments)
        .order_by()
        .values("appointment__doctor_id")
        .annotate(paid=Sum("amount"), refunded=Sum("amount_refunded"))
        .values_list("appointment__doctor_id", "paid", "refunded")
    )
    return {doc: MoneyTotals(paid or 0, refunded or 0) for doc, paid, refunded in rows}


def total_of(totals: Iterable[MoneyTotals]) -> MoneyTotals:
    totals = list(totals)
    return MoneyTotals(sum(t.paid for t in totals), sum(t.refunded for t in totals))


def with_money(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Annotate each appointment with ``paid_minor`` and ``refunded_minor`` (for the CSV export)."""
    succeeded = Payment.objects.filter(appointment=OuterRef("pk"), status=Payment.Status.SUCCEEDED).order_by()
    paid = succeeded.values("appointment").annotate(total=Sum("amount")).values("total")
    refunded = succeeded.values("appointment").annotate(total=Sum("amount_refunded")).values("total")
    return queryset.annotate(
        paid_minor=Coalesce(Subquery(paid, output_field=IntegerField()), Value(0)),
        refunded_minor=Coalesce(Subquery(refunded, output_field=IntegerField()), Value(0)),
    )


def _annotated(row: Mapping[str, object], name: str) -> int:
    """A money annotation added by :func:`with_money` to an exported row (0 if not annotated)."""
    value = row.get(name) or 0
    return int(value) if isinstance(value, int | Decimal | str) else 0


def csv_money_columns() -> list[tuple[str, Callable[[Mapping[str, object]], object]]]:
    """Extra CSV columns for rows of appointments annotated by :func:`with_money`: amounts in major units."""
    return [
        ("paid", lambda a: from_minor(_annotated(a, "paid_minor"))),
        ("refunded", lambda a: from_minor(_annotated(a, "refunded_minor"))),
        ("net", lambda a: from_minor(_annotated(a, "paid_minor") - _annotated(a, "refunded_minor"))),
    ]
