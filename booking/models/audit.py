"""The audit trail of health data: who viewed or changed what, from where, allowed or refused.

Append-only. A row is written once and never changed: :meth:`AuditEvent.save` refuses updates,
:meth:`AuditEvent.delete` and the queryset's ``update``/``delete`` refuse outright, and the admin
is read-only. The only way rows leave is :meth:`AuditEventQuerySet.prune`, which the
``prune_audit`` command calls for rows older than ``AUDIT_RETENTION_DAYS``.

Rows hold no health data themselves (no names, no prescription content): the object's reference
and a short detail are enough to find what was touched, and the trail outlives the records it
points to. Who acted is kept twice, as a link to the account and as the email it had at the
time, so deleting an account does not erase who read what.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditImmutable(Exception):
    """Raised on any attempt to change or delete audit rows outside of retention pruning."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("Audit events cannot be changed.")

    def delete(self):
        raise AuditImmutable("Audit events cannot be deleted; old ones are pruned by `manage.py prune_audit`.")

    def prune(self, before, *, batch_size: int = 5000) -> int:
        """Delete rows older than ``before`` in batches (short locks on a big table); return how many."""
        deleted = 0
        while True:
            ids = list(self.filter(at__lt=before).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return deleted
            count, _ = models.QuerySet.delete(AuditEvent.objects.all().filter(pk__in=ids))
            deleted += count


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        DOWNLOAD = "download", _("Downloaded")
        CHANGE = "change", _("Changed")
        EXPORT = "export", _("Exported")

    class ObjectType(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment")
        PRESCRIPTION = "prescription", _("Prescription")
        ATTACHMENT = "attachment", _("Prescription attachment")
        PATIENT = "patient", _("Patient's details")
        ACCOUNT = "account", _("Account (not a patient)")
        REPORT = "report", _("Appointments report")
        AUDIT = "audit", _("Audit trail")

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        REFUSED = "refused", _("Refused")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True, help_text="The account's email at the time.")
    actor_role = models.CharField(max_length=16, help_text="patient, doctor, staff, guest or system.")
    guest_email = models.CharField(
        max_length=254, blank=True, help_text="For a guest: the email the booking they proved was made with."
    )
    session = models.CharField(
        max_length=16, blank=True, help_text="A fingerprint of the browser session (not the session key)."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=16, choices=ObjectType.choices)
    object_ref = models.CharField("reference", max_length=64)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.ALLOWED)
    detail = models.CharField(max_length=300, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "audit event"
        verbose_name_plural = "audit trail"
        indexes = [models.Index(fields=["object_type", "object_ref", "at"], name="audit_object_at")]

    def __str__(self) -> str:
        who = self.actor_email or self.guest_email or self.actor_role
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_type} {self.object_ref} ({self.outcome})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("Audit events cannot be deleted; old ones are pruned by `manage.py prune_audit`.")


class PrescriptionAccessManager(models.Manager):
    def get_queryset(self):
        types = (AuditEvent.ObjectType.PRESCRIPTION, AuditEvent.ObjectType.ATTACHMENT)
        return AuditEventQuerySet(self.model, using=self._db).filter(object_type__in=types)


class PrescriptionAccessLog(AuditEvent):
    """The audit trail's prescription and attachment rows: the admin's "Prescription access log".

    Once a table of its own, now a view over the one trail (migration 0007 moved its rows). The
    name is kept so that ``booking.view_prescriptionaccesslog``, which clinic staff hold, still
    opens the list; the whole trail needs ``booking.view_auditevent``.
    """

    objects = PrescriptionAccessManager()  # type: ignore[misc,assignment]  # a narrower manager on a proxy

    class Meta:
        proxy = True
        ordering = ["-at", "-pk"]
        verbose_name = "prescription access"
        verbose_name_plural = "prescription access log"
