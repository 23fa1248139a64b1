"""The email outbox."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .appointments import Appointment

# The kinds about an account rather than an appointment: they alone have no appointment.
ACCOUNT_KINDS = (
    "account",
    "doctor_applied",
    "doctor_approved",
    "doctor_rejected",
    "doctor_suspended",
    "reinstated",
    "edits_published",
    "edits_rejected",
)


class Notification(models.Model):
    """An email to a patient or doctor, kept so sending can fail, be retried and be seen by staff.

    The row is written in the same transaction as the change it announces; the send itself runs
    in a background task after commit. An SMTP outage leaves rows ``failed`` with the error and
    a ``next_attempt_at``; ``manage.py retry_notifications`` (run periodically) sends them again.

    Account emails (verify your address, reset your password, …) go through the same outbox
    (``booking.notifications.accounts``): kind ``account`` and no appointment. They carry links
    that act for the account, so staff never see their text, and it is blanked once the row is
    sent or given up.

    The doctor-account emails (an application received, approved, sent back, a suspension,
    profile changes reviewed; ``booking.onboarding``) have no appointment either.
    """

    class Kind(models.TextChoices):
        CONFIRM_EMAIL = "confirm_email", _("Confirm your booking")
        RECEIVED = "received", _("Booking received")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        PRESCRIPTION = "prescription", _("Prescription ready")
        REMINDER = "reminder", _("Reminder")
        ACCOUNT = "account", _("Account email")
        RECEIPT = "receipt", _("Payment receipt")
        REFUND = "refund", _("Refund")
        # Doctors' accounts (``booking.onboarding``); at most 16 characters like the others.
        DOCTOR_APPLIED = "doctor_applied", _("Doctor application received")
        DOCTOR_APPROVED = "doctor_approved", _("Doctor approved")
        DOCTOR_REJECTED = "doctor_rejected", _("Doctor application sent back")
        DOCTOR_SUSPENDED = "doctor_suspended", _("Doctor suspended")
        DOCTOR_REINSTATED = "reinstated", _("Doctor reinstated")
        EDITS_PUBLISHED = "edits_published", _("Profile changes published")
        EDITS_REJECTED = "edits_rejected", _("Profile changes sent back")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Failed for good")

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    ics = models.TextField(blank=True, help_text="Calendar invite attached as invite.ics.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            # Only account emails stand alone (a patient's account, or a doctor's application and
            # profile); every other kind announces something about a booking.
            models.CheckConstraint(
                condition=models.Q(kind__in=ACCOUNT_KINDS) | models.Q(appointment__isnull=False),
                name="notification_appointment_unless_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to}"

    @property
    def is_account_email(self) -> bool:
        return self.kind == self.Kind.ACCOUNT

    @property
    def about(self) -> str:
        """What the email is about, for logs: the appointment's reference, or the account email's subject."""
        return self.appointment.reference if self.appointment is not None else self.subject
