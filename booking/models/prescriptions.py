"""Prescriptions: versioned, signed content and attachments kept outside the public media (encrypted).

Reads are recorded in the audit trail (``booking.models.audit``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from .appointments import Appointment


class _PrivateStorage(LazyObject):
    """``storages["private"]`` (portal/storage.py: a folder outside MEDIA_ROOT, or the bucket's
    ``private/``), looked up when first used and again after the STORAGES setting changes."""

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _forget_private_storage(setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty  # type: ignore[assignment]  # LazyObject's "not set up yet" marker


def private_storage() -> Storage:
    """Storage for attachments: never public, no URL; files are served only through views."""
    return _private  # type: ignore[return-value]


class Prescription(models.Model):
    """What the doctor prescribes at an appointment: medication lines, tests, advice, follow-up.

    Editable by the appointment's doctor until signed. Editing a signed prescription first keeps
    the signed content as a :class:`PrescriptionRevision` and bumps ``version``; the new version
    must be signed again before the patient sees it as final.
    """

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="prescription")
    advice = models.TextField(blank=True, max_length=4000)
    follow_up_on = models.DateField("follow-up date", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Prescription for {self.appointment.reference} (v{self.version})"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class MedicationLine(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="medications")
    drug = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, help_text="e.g. 500 mg")
    frequency = models.CharField(max_length=100, help_text="e.g. twice a day")
    duration = models.CharField(max_length=100, help_text="e.g. 7 days")
    instructions = models.CharField(max_length=300, blank=True, help_text="e.g. after food")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose}, {self.frequency}, {self.duration}"


class RecommendedTest(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="tests")
    name = models.CharField(max_length=200, help_text="e.g. Full blood count")
    notes = models.CharField(max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class PrescriptionRevision(models.Model):
    """A signed version, frozen when the doctor starts editing it again."""

    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    content = models.JSONField()
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["prescription", "version"], name="one_revision_per_version")]

    def __str__(self) -> str:
        return f"{self.prescription} revision {self.version}"


class PrescriptionAttachment(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="prescriptions/%Y/%m/", storage=private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
