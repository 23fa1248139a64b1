"""Everything the portal holds about one patient, collected for their own export.

The export is a list of *sections*, each a titled list of plain records (strings, numbers, lists
and dicts only), so the same data becomes the JSON download and the readable HTML page without
either knowing what a section contains. Each feature that keeps data about patients contributes
its own section through :func:`export_section`; a feature added later (payments, say) registers
one more from its own package, and the export grows without this module learning about it.

Times are given in the clinic's zone, as the patient saw them on the site, with their offset.
Notifications are listed by subject and status only: their bodies hold signed links that act
for the patient, which must not travel in a file that gets saved and forwarded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Prefetch, Q
from django.utils import timezone

from ..models import (
    Appointment,
    AppointmentEvent,
    DismissedClaim,
    Notification,
    Prescription,
    PrescriptionRevision,
    clinic_zone,
)
from ..prescriptions.snapshots import prescription_content

Record = dict[str, Any]


@dataclass(frozen=True)
class ExportSection:
    key: str
    title: str
    records: list[Record]


SectionBuilder = Callable[[Any], list[Record]]
_SECTIONS: list[tuple[str, str, SectionBuilder]] = []


def export_section(key: str, title: str) -> Callable[[SectionBuilder], SectionBuilder]:
    """Register ``builder(user) -> records`` as a section of every patient's export, in order."""

    def register(builder: SectionBuilder) -> SectionBuilder:
        if any(existing == key for existing, _, _ in _SECTIONS):
            raise ValueError(f"An export section named {key!r} is already registered.")
        _SECTIONS.append((key, title, builder))
        return builder

    return register


def patient_export(user) -> list[ExportSection]:
    """Every registered section for ``user``; a fixed number of queries per section."""
    return [ExportSection(key, title, builder(user)) for key, title, builder in _SECTIONS]


def export_as_json(sections: list[ExportSection], *, generated_at: datetime | None = None) -> Record:
    """The sections as one JSON-ready document."""
    return {
        "generated_at": _when(generated_at or timezone.now()),
        "sections": {section.key: {"title": section.title, "records": section.records} for section in sections},
    }


def _when(value: datetime | None) -> str | None:
    return timezone.localtime(value, clinic_zone()).isoformat() if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def user_emails(user) -> list[str]:
    """The account's login email and every address it added (verified or not)."""
    addresses = set(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
    return sorted(addresses | {user.email})


@export_section("account", "Your account")
def _account(user) -> list[Record]:
    addresses = EmailAddress.objects.filter(user=user).order_by("email")
    return [
        {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "mobile": str(user.mobile or ""),
            "date_of_birth": _day(user.date_of_birth),
            "reminder_emails": user.reminder_emails,
            "joined": _when(user.date_joined),
            "last_sign_in": _when(user.last_login),
            "email_addresses": [{"email": a.email, "verified": a.verified, "primary": a.primary} for a in addresses],
        }
    ]


@export_section("appointments", "Your appointments")
def _appointments(user) -> list[Record]:
    events = Prefetch("events", queryset=AppointmentEvent.objects.order_by("created_at", "pk"))
    rows = Appointment.objects.for_patient(user).select_related("doctor").prefetch_related(events)
    return [
        {
            "reference": a.reference,
            "doctor": a.doctor.title,
            "starts_at": _when(a.starts_at),
            "ends_at": _when(a.ends_at),
            "status": a.get_status_display(),
            "consultation": a.get_mode_display(),
            "full_name": a.full_name,
            "email": a.email,
            "mobile": str(a.mobile or ""),
            "reason": a.reason,
            "fee": _money(a.fee),
            "booked_at": _when(a.created_at),
            "timeline": [
                {
                    "at": _when(e.created_at),
                    "by": e.actor_role,
                    "from": e.get_from_status_display() if e.from_status else "",
                    "to": e.get_to_status_display(),
                    "remark": e.remark,
                }
                for e in a.events.all()
            ],
        }
        for a in rows.order_by("starts_at", "pk")
    ]


@export_section("prescriptions", "Your signed prescriptions")
def _prescriptions(user) -> list[Record]:
    """Signed versions only, the current one and the earlier ones: drafts are the doctor's, not yet
    the patient's (the same rule as the prescription page)."""
    signed_revisions = Prefetch(
        "revisions", queryset=PrescriptionRevision.objects.filter(signed_at__isnull=False).order_by("version")
    )
    prescriptions = (
        Prescription.objects.filter(appointment__patient=user)
        # The signer's page and application: whether the signature names the doctor page (see snapshots).
        .select_related("appointment__doctor", "signed_by__doctor_page", "signed_by__doctor_application")
        .prefetch_related("medications", "tests", "attachments", signed_revisions)
        .order_by("appointment__starts_at", "pk")
    )
    records = []
    for prescription in prescriptions:
        versions = [revision.content for revision in prescription.revisions.all()]
        if prescription.is_signed:
            versions.append(prescription_content(prescription))
        if versions:
            records.append({"appointment": prescription.appointment.reference, "versions": versions})
    return records


@export_section("notifications", "Emails we sent you")
def _notifications(user) -> list[Record]:
    about_you = Q(appointment__patient=user) | Q(kind=Notification.Kind.ACCOUNT, to__in=user_emails(user))
    rows = Notification.objects.filter(about_you).select_related("appointment").order_by("created_at", "pk")
    return [
        {
            "subject": n.subject,
            "to": n.to,
            "kind": n.get_kind_display(),
            "appointment": n.appointment.reference if n.appointment else "",
            "status": n.get_status_display(),
            "queued_at": _when(n.created_at),
            "sent_at": _when(n.sent_at),
        }
        for n in rows
    ]


@export_section("claims", "Guest bookings you said were not yours")
def _claims(user) -> list[Record]:
    rows = DismissedClaim.objects.filter(user=user).select_related("appointment").order_by("dismissed_at", "pk")
    return [{"appointment": d.appointment.reference, "dismissed_at": _when(d.dismissed_at)} for d in rows]
