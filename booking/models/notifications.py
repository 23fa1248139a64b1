"""The email outbox."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .appointments import Appointment


class Notification(models.Model):
    """An email to a patient or doctor, kept so sending can fail, be retried and be seen by staff.

    Most emails are about an appointment; the doctor-account ones (an application received,
    approved, sent back, a suspension, profile changes reviewed) have none, so ``appointment`` is
    optional.

        The row is written in the same transaction as the change it announces; the send itself runs
        in a background task after commit. An SMTP outage leaves rows ``failed`` with the error and
        a ``next_attempt_at``; ``manage.py retry_notifications`` (run periodically) sends them again.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Booking received")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        PRESCRIPTION = "prescription", _("Prescription ready")
        REMINDER = "reminder", _("Reminder")
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
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
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

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to}"
