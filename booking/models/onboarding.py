"""Doctors who join through the site: their application, its vetting data and its history.

A doctor who signs up at "Join as a doctor" gets an account with the doctor role and a
:class:`DoctorApplication`; their profile becomes a *draft* ``home.DoctorPage`` that staff approve
or reject in Wagtail's moderation workflow. The application keeps what the page must not show
(the registration/licence number, the supporting document, kept in private storage) and the
status that decides whether the account may work as a doctor (see ``booking.access``). Doctors
set up by staff in the admin have no application and are unaffected.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .prescriptions import private_storage


class DoctorApplication(models.Model):
    class Status(models.TextChoices):
        STARTED = "started", _("Profile not sent yet")
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Changes requested")
        SUSPENDED = "suspended", _("Suspended")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="doctor_application")
    page = models.OneToOneField(
        "home.DoctorPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="application",
        help_text="The doctor's profile page (a draft until the application is approved).",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTED, db_index=True)
    # NULL until the profile is sent, so the unique constraint holds on every database (MySQL
    # and MariaDB have no partial unique indexes, but all of them allow many NULLs).
    licence_number = models.CharField(
        "registration / licence number", max_length=40, null=True, blank=True, unique=True
    )
    document = models.FileField(
        "supporting document", upload_to="doctor-applications/%Y/%m/", storage=private_storage, blank=True
    )
    document_name = models.CharField(max_length=200, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    document_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, help_text="The last approval, rejection or suspension.")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        verbose_name = "doctor application"

    def __str__(self) -> str:
        name = self.page.draft_title if self.page_id and self.page else ""
        return name or self.user.get_full_name() or self.user.email

    @property
    def is_started(self) -> bool:
        return self.status == self.Status.STARTED

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_rejected(self) -> bool:
        return self.status == self.Status.REJECTED

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED

    @property
    def may_practise(self) -> bool:
        """Only an approved doctor sees appointments, prescribes and keeps their page."""
        return self.is_approved

    @property
    def can_send_profile(self) -> bool:
        """The profile step is open: never sent yet, or sent back by staff with changes requested."""
        return self.status in (self.Status.STARTED, self.Status.REJECTED)


class DoctorApplicationEvent(models.Model):
    """One line of an application's history: who moved it where, and what they said."""

    application = models.ForeignKey(DoctorApplication, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=DoctorApplication.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=DoctorApplication.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "doctor application event"

    def __str__(self) -> str:
        return f"{self.application}: {self.from_status or '—'} → {self.to_status}"
