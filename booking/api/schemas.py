"""Request and response shapes, and the conversions they share.

Inputs forbid unknown fields and refuse naive datetimes and dates outside the portal's sane range
(``portal.validation``); the field rules themselves (names, phone numbers, emails, plain text)
stay in the web forms, which the endpoints bind to the same data (see ``forms``). Every time in a
response is ISO 8601 in the clinic's zone with its offset.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, Field, PlainSerializer

from portal.validation import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE

from ..models import Appointment, clinic_zone


def _in_clinic_zone(value: datetime) -> str:
    # isoformat() itself: JSON encoders shorten "+00:00" to "Z", and clients should read the
    # clinic's offset (winter and summer alike) from every time.
    return timezone.localtime(value, clinic_zone()).isoformat()


def _sane_datetime(value: datetime) -> datetime:
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        raise ValueError(DATE_RANGE_MESSAGE)
    return value


def _iso_text(value: object) -> object:
    # Pydantic would read a number as seconds since 1970: a client sending one has a bug.
    if isinstance(value, int | float):
        raise ValueError("Send an ISO 8601 date-time with its offset, e.g. 2030-01-15T09:30:00+00:00.")
    return value


def _iso_date_text(value: object) -> object:
    # Pydantic would read "0" or 0 as a Unix timestamp; a date is sent as YYYY-MM-DD.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Send a date as YYYY-MM-DD.")
    if isinstance(value, int | float):
        raise ValueError("Send a date as YYYY-MM-DD.")
    return value


def _sane_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(DATE_RANGE_MESSAGE)
    return value


# Out: shown in the clinic's zone. In: must carry an offset, and lie in a sane range.
ClinicTime = Annotated[AwareDatetime, PlainSerializer(_in_clinic_zone, return_type=str)]
AwareTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_sane_datetime)]
SaneDate = Annotated[date, BeforeValidator(_iso_date_text), AfterValidator(_sane_date)]


# A database id: anything outside 1..2^63-1 cannot name a row (and SQLite refuses to compare it).
MAX_ID = 2**63 - 1
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]


class Input(Schema):
    """Every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


# --- Public -------------------------------------------------------------------------------------


class SpecializationOut(Schema):
    id: int
    title: str
    slug: str
    summary: str


class DoctorOut(Schema):
    id: int
    name: str
    slug: str
    job_title: str
    specializations: list[SpecializationOut]
    languages: list[str]
    consultation_fee: Decimal
    slot_minutes: int
    offers_online: bool
    url: str


class SlotOut(Schema):
    starts_at: ClinicTime
    ends_at: ClinicTime


class DoctorDetailOut(DoctorOut):
    qualifications: list[str]
    address: str
    next_free_times: list[SlotOut]


class ClinicOut(Schema):
    name: str
    tagline: str
    address: list[str]
    phone: str
    email: str
    opening_hours: list[str]
    time_zone: str
    booking_horizon_days: int
    cancel_cutoff_hours: int
    guest_confirmation_minutes: int


class PageOut(Schema):
    id: int
    title: str
    slug: str
    url: str
    type: str


class PageDetailOut(PageOut):
    search_description: str
    intro: str = ""
    summary: str = ""


# --- Appointments -------------------------------------------------------------------------------


class DoctorRef(Schema):
    id: int
    name: str


def payment_path(reference: str) -> str:
    return f"/api/v1/appointments/{reference}/payment"


class AppointmentOut(Schema):
    reference: str
    status: str
    status_label: str
    doctor: DoctorRef
    starts_at: ClinicTime
    ends_at: ClinicTime
    mode: str
    full_name: str
    email: str
    mobile: str
    message: str = Field(description="The reason for the visit, as the patient wrote it.")
    fee: Decimal
    hold_expires_at: ClinicTime | None
    cancel_cutoff: ClinicTime
    meeting_url: str = Field(description="Shown shortly before an online consultation starts (doctors: always).")
    payment_url: str | None = Field(
        description=(
            "While the booking waits for its online payment (status pending_payment): the endpoint that "
            "starts the payment (POST). The time is held only until hold_expires_at."
        )
    )

    @staticmethod
    def build(appointment: Appointment, *, clinician: bool = False) -> dict:
        return {
            "payment_url": payment_path(appointment.reference) if appointment.is_awaiting_payment else None,
            "reference": appointment.reference,
            "status": appointment.status,
            "status_label": str(appointment.get_status_display()),
            "doctor": {"id": appointment.doctor_id, "name": appointment.doctor.title},
            "starts_at": appointment.starts_at,
            "ends_at": appointment.ends_at,
            "mode": appointment.mode,
            "full_name": appointment.full_name,
            "email": appointment.email,
            "mobile": str(appointment.mobile),
            "message": appointment.reason,
            "fee": appointment.fee,
            "hold_expires_at": appointment.hold_expires_at,
            "cancel_cutoff": appointment.cancel_cutoff,
            "meeting_url": appointment.meeting_url if clinician or appointment.online_link_visible() else "",
        }


class EventOut(Schema):
    at: ClinicTime
    actor_role: str
    from_status: str
    to_status: str
    remark: str


class AppointmentDetailOut(AppointmentOut):
    can_change: bool
    has_prescription: bool
    events: list[EventOut]


class BookingIn(Input):
    """The seed's booking fields: full name, email, mobile, date and time, doctor, message."""

    doctor_id: ObjectId
    starts_at: AwareTime = Field(description="A free slot's start, with its offset (see the slots endpoint).")
    full_name: str
    email: str
    mobile: str
    message: str = ""
    mode: Appointment.Mode = Appointment.Mode.IN_PERSON
    payment: Literal["online", "clinic"] = Field(
        "online",
        description=(
            "Where the doctor lets patients choose: pay online now (the booking then waits for its payment) "
            "or at the clinic. Ignored where paying online is required or not offered."
        ),
    )
    pow: str = Field("", max_length=2000, description="Proof-of-work answer, when the clinic turned it on.")


class PaymentOut(Schema):
    """What an app's Stripe SDK needs to confirm the payment (card details go to Stripe only)."""

    client_secret: str = Field(description="The PaymentIntent's client secret, for the Stripe SDK.")
    publishable_key: str
    amount: int = Field(description="In minor units (pence), as Stripe counts it.")
    currency: str = Field(description="ISO 4217, upper case.")
    amount_display: str
    pay_by: ClinicTime = Field(description="The booking's time is held until then; unpaid, it is released.")


class RefundPreviewOut(Schema):
    """What cancelling now would give back, by the same policy that makes the refund."""

    amount: int = Field(description="In minor units; 0 when nothing was paid online or the policy gives nothing.")
    currency: str
    amount_display: str
    percent: int = Field(description="The policy's share of the card payment at this moment.")
    cutoff: ClinicTime = Field(description="Cancelling before this gives the early share; after it, the late one.")
    paid: int = Field(description="Paid by card, in minor units.")
    refundable: int = Field(description="Paid by card and not refunded yet, in minor units.")
    can_cancel: bool
    explanation: str


class CancelIn(Input):
    remark: str = ""


class RescheduleIn(Input):
    starts_at: AwareTime


class LookupIn(Input):
    reference: str = Field(max_length=20)
    email: str = Field(max_length=254)
    pow: str = Field("", max_length=2000)


class TransitionIn(Input):
    status: Appointment.Status
    remark: str = ""


class MeetingLinkIn(Input):
    meeting_url: str = Field("", description="Empty with generate=true for a new room.")
    generate: bool = False


class StaffMoveIn(Input):
    starts_at: AwareTime
    doctor_id: ObjectId | None = None


# --- Prescriptions ----------------------------------------------------------------------------


class MedicationIo(Input):
    drug: str
    dose: str = ""
    frequency: str = ""
    duration: str = ""
    instructions: str = ""


class TestIo(Input):
    name: str
    notes: str = ""


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class PrescriptionOut(Schema):
    version: int
    advice: str
    follow_up_on: date | None
    medications: list[MedicationIo]
    tests: list[TestIo]
    attachments: list[AttachmentOut]
    doctor_name: str
    signed_at: ClinicTime | None
    signed_by: str
    is_signed: bool


class PrescriptionIn(Input):
    advice: str = ""
    follow_up_on: SaneDate | None = None
    medications: list[MedicationIo] = Field(default_factory=list, max_length=50)
    tests: list[TestIo] = Field(default_factory=list, max_length=50)


# --- Staff -------------------------------------------------------------------------------------


class ReportRowOut(Schema):
    doctor_id: ObjectId
    doctor: str
    counts: dict[str, int]
    total: int


class ReportOut(Schema):
    start: date
    end: date
    rows: list[ReportRowOut]
    totals: dict[str, int]
    total: int
