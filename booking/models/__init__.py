"""Booking records, one module per feature; everything is re-exported so ``booking.models.X`` works.

Django finds models through this package (``booking`` stays one app with one label), so moving
a model between these modules needs no migration.
"""

from .appointments import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    Appointment,
    AppointmentEvent,
    AppointmentQuerySet,
    DismissedClaim,
    new_reference,
    normalize_reference,
)
from .audit import AuditEvent, AuditImmutable, PrescriptionAccessLog
from .notifications import Notification
from .onboarding import DoctorApplication, DoctorApplicationEvent
from .prescriptions import (
    MedicationLine,
    Prescription,
    PrescriptionAttachment,
    PrescriptionRevision,
    RecommendedTest,
    private_storage,
)
from .schedules import ClinicClosure, TimeOff, Weekday, WorkingHours, clinic_zone
from .webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "Appointment",
    "AppointmentEvent",
    "AppointmentQuerySet",
    "AuditEvent",
    "AuditImmutable",
    "ClinicClosure",
    "DismissedClaim",
    "DoctorApplication",
    "DoctorApplicationEvent",
    "MedicationLine",
    "Notification",
    "Prescription",
    "PrescriptionAccessLog",
    "PrescriptionAttachment",
    "PrescriptionRevision",
    "RecommendedTest",
    "TimeOff",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "Weekday",
    "WorkingHours",
    "clinic_zone",
    "new_reference",
    "normalize_reference",
    "private_storage",
]
