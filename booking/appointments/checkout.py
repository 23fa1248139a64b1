"""The seam between booking and paying: how a booking starts, and what patients are told about money.

Appointments never import payments: payments react to appointments, never the other way round
(see the import-linter contracts in ``pyproject.toml``). Yet the booking page has to say whether
and how much to pay, a booking that must be paid online has to *start* as a hold
(``pending_payment``, keeping its slot only until a deadline), and the patient has to continue
on a pay page afterwards. So this module says what the appointment views need to ask — a
:class:`Checkout` — and provides the answer for a clinic that takes no payments online: every fee
is paid at the clinic and every booking starts as the website books it.

``booking.payments`` subclasses :class:`Checkout` and installs its own with :func:`use_checkout`
when Django starts (``PaymentsConfig.ready``). The booking views only ever call
:func:`get_checkout`. There is no setting naming a module and no import inside a function: the
dependency points from payments to appointments, as the layers require, and removing the payments
app leaves a working "pay at the clinic" booking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from home.models import DoctorPage
from portal.money import format_amount

from ..models import Appointment


@dataclass(frozen=True)
class PaymentTerms:
    """What the booking page says about paying for one doctor.

    ``online`` is ``"required"`` (the booking must be paid now), ``"optional"`` (the patient
    chooses) or ``"never"`` (pay at the clinic). ``fees`` lists (consultation label, amount) so
    a doctor whose online consultations cost differently shows both.
    """

    online: str
    fees: list[tuple[str, str]]
    summary: str
    details: list[str] = field(default_factory=list)
    submit_label: str = "Book this time"

    @property
    def offers_choice(self) -> bool:
        return self.online == "optional"

    @property
    def requires_payment(self) -> bool:
        return self.online == "required"


@dataclass(frozen=True)
class MoneySummary:
    """What the patient's pages show about an appointment's money.

    ``lines`` are (label, text) pairs such as ("Paid", "£60.00 by card on 3 Dec"); ``cancel_note``
    tells the patient, before they cancel, what they would get back (``cancel_refund``, the amount);
    ``pay_url`` is set while the booking still waits for a payment; ``paid_label`` is the short
    form for lists ("Paid £60.00 · refunded £60.00").
    """

    lines: list[tuple[str, str]] = field(default_factory=list)
    cancel_note: str = ""
    cancel_refund: str = ""  # the amount a cancellation now gives back ("£60.00"), or ""
    pay_url: str = ""
    paid_label: str = ""


class Checkout:
    """A clinic without online payments: fees are paid at the clinic, bookings go to the doctor."""

    def terms(self, doctor: DoctorPage) -> PaymentTerms:
        fees = fee_lines(doctor)
        if not fees:
            return PaymentTerms(online="never", fees=[], summary="There is no fee for this consultation.")
        return PaymentTerms(
            online="never",
            fees=fees,
            summary="You pay at the clinic, by card or cash on the day. Nothing is charged online.",
        )

    def payment_due(self, doctor: DoctorPage, *, mode: str, pay_online: bool, now: datetime) -> datetime | None:
        """If a new booking must be paid before it counts: until when its time is held for that.

        ``None`` (here, always): the booking starts as the website books any other
        (``services.book_on_website``). A time: it starts as awaiting payment, holding its slot
        until then, and the patient continues on :meth:`next_url`.
        """
        return None

    def next_url(self, appointment: Appointment) -> str | None:
        """Where the patient goes after booking, if not to the confirmation page."""
        return None

    def summaries(self, appointments: Iterable[Appointment], *, now: datetime) -> dict[int, MoneySummary]:
        """Money facts per appointment id, in a bounded number of queries (none here)."""
        return {}


def fee_lines(doctor: DoctorPage) -> list[tuple[str, str]]:
    """(consultation, fee) for each way the doctor sees patients that costs something."""
    modes = [(Appointment.Mode.IN_PERSON, False)]
    if doctor.offers_online:
        modes.append((Appointment.Mode.ONLINE, True))
    lines = [
        (str(mode.label), format_amount(doctor.fee(online=online)))
        for mode, online in modes
        if doctor.fee(online=online)
    ]
    if len(lines) == 2 and lines[0][1] == lines[1][1]:
        return [("Consultation", lines[0][1])]
    return lines


_checkout: Checkout = Checkout()


def use_checkout(checkout: Checkout) -> None:
    """Install the checkout the booking views use (called once, by the payments app at start-up)."""
    global _checkout
    _checkout = checkout


def get_checkout() -> Checkout:
    return _checkout
