"""Booking records: doctors' weekly hours and time off, and appointments.

The rule that matters most lives in the database: at most one *active* appointment holds a
doctor's slot. ``Appointment.holds_slot`` is ``True`` while the appointment is active and ``NULL``
otherwise, and (doctor, starts_at, holds_slot) is unique. NULLs never collide in a unique index,
so any number of cancelled appointments may share a start time with one active one. This works on
MySQL/MariaDB, which have no partial unique indexes (a conditional ``UniqueConstraint`` is
silently not created there).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.models import Orderable

# Crockford's base32 without I, L, O, U: easy to read out over the phone, no ambiguous glyphs.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 10


def new_reference() -> str:
    """A random, non-sequential reference such as ``K7M2Q-X9PR4`` (50 bits of entropy)."""
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_reference(value: str) -> str:
    """Accept references typed in lower case, with spaces, or with O/I/L for 0/1/1."""
    cleaned = "".join(ch for ch in value.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != REFERENCE_LENGTH:
        return value.strip().upper()
    return f"{cleaned[:5]}-{cleaned[5:]}"


def clinic_zone() -> ZoneInfo:
    """The clinic's time zone: every wall-clock time (hours, time off) is read in it."""
    return ZoneInfo(settings.TIME_ZONE)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(Orderable):
    """One interval of a doctor's week, in the clinic's local time. A day may have several."""

    doctor = ParentalKey("home.DoctorPage", on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField("from")
    ends = models.TimeField("until")

    panels = [FieldRowPanel([FieldPanel("weekday"), FieldPanel("starts"), FieldPanel("ends")])]

    class Meta(Orderable.Meta):
        verbose_name = "working hours"
        verbose_name_plural = "working hours"
        constraints = [models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="hours_end_after_start")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"

    def clean(self):
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ValidationError({"ends": "The end must be after the start (intervals cannot cross midnight)."})


class TimeOff(Orderable):
    """A period the doctor does not see patients: whole days, or a time range when times are given."""

    doctor = ParentalKey("home.DoctorPage", on_delete=models.CASCADE, related_name="time_off")
    start_date = models.DateField()
    start_time = models.TimeField(null=True, blank=True, help_text="Leave empty for the whole day.")
    end_date = models.DateField()
    end_time = models.TimeField(null=True, blank=True, help_text="Leave empty for the whole day.")
    reason = models.CharField(max_length=120, blank=True)

    panels = [
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("start_time")]),
        FieldRowPanel([FieldPanel("end_date"), FieldPanel("end_time")]),
        FieldPanel("reason"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "time off"
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="time_off_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.start_date} – {self.end_date}"

    def clean(self):
        if self.start_date and self.end_date:
            try:
                start, end = self.interval()
            except OverflowError:
                raise ValidationError({"end_date": "Pick an end date before the year 9999."}) from None
            if end <= start:
                raise ValidationError({"end_date": "Time off must end after it starts."})

    def interval(self, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
        """The aware [start, end) this time off covers; empty times mean start and end of day."""
        tz = tz or clinic_zone()
        start = datetime.combine(self.start_date, self.start_time or time.min, tzinfo=tz)
        if self.end_time is None:
            end = datetime.combine(self.end_date + timedelta(days=1), time.min, tzinfo=tz)
        else:
            end = datetime.combine(self.end_date, self.end_time, tzinfo=tz)
        return start, end


class AppointmentQuerySet(models.QuerySet):
    def holding_slots(self):
        return self.filter(holds_slot=True)

    def for_patient(self, user):
        return self.filter(patient=user)

    def overlapping(self, start: datetime, end: datetime):
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def starting_between(self, first: date, last: date):
        """Appointments starting on the clinic's local dates ``first``..``last``, both included."""
        tz = clinic_zone()
        return self.filter(
            starts_at__gte=datetime.combine(first, time.min, tzinfo=tz),
            starts_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
        )


class Appointment(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")
        EXPIRED = "expired", _("Expired")

    # Statuses in which the appointment holds its slot; every other status releases it.
    ACTIVE_STATUSES = (Status.PENDING_PAYMENT, Status.PENDING, Status.CONFIRMED)

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")

    reference = models.CharField(max_length=11, unique=True, default=new_reference, editable=False)
    doctor = models.ForeignKey("home.DoctorPage", on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
        help_text="The patient's account; empty for a guest booking.",
    )
    full_name = models.CharField(max_length=120)
    email = models.EmailField()
    mobile = models.CharField(max_length=32)
    reason = models.TextField(max_length=1000, blank=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.IN_PERSON)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    holds_slot = models.BooleanField(null=True, default=True, editable=False)
    fee = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    meeting_url = models.URLField(blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped on every change of time or state, so calendar apps replace the earlier invite.
    ics_sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["doctor", "starts_at"]), models.Index(fields=["email"])]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "starts_at", "holds_slot"], name="one_active_appointment_per_slot"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"),
            # holds_slot is TRUE exactly while the status is active, NULL otherwise. The explicit
            # isnull=False matters: a CHECK passes when it evaluates to NULL, and "NULL = TRUE" is NULL.
            models.CheckConstraint(
                condition=(
                    Q(status__in=["pending_payment", "pending", "confirmed"], holds_slot__isnull=False, holds_slot=True)
                    | (~Q(status__in=["pending_payment", "pending", "confirmed"]) & Q(holds_slot__isnull=True))
                ),
                name="holds_slot_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.full_name}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def local_starts_at(self) -> datetime:
        return timezone.localtime(self.starts_at, clinic_zone())

    @property
    def local_ends_at(self) -> datetime:
        return timezone.localtime(self.ends_at, clinic_zone())

    def set_status(self, status: str) -> None:
        """Change status and keep ``holds_slot`` in step; the only place that writes either."""
        self.status = status
        self.holds_slot = True if status in self.ACTIVE_STATUSES else None


class AppointmentEvent(models.Model):
    """One line of an appointment's timeline: who moved it from which status to which, and why."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_role = models.CharField(max_length=16)
    from_status = models.CharField(max_length=16, choices=Appointment.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Appointment.Status.choices)
    remark = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.appointment.reference}: {self.from_status or '—'} → {self.to_status}"


# --- Prescriptions --------------------------------------------------------------------------


def private_storage() -> FileSystemStorage:
    """Storage for attachments: outside MEDIA_ROOT, no URL; files are served only through views."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


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


class PrescriptionAccessLog(models.Model):
    """Every view or download of a prescription or its attachments: who, what, when."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        PDF = "pdf", _("Downloaded PDF")
        ATTACHMENT = "attachment", _("Downloaded attachment")

    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    guest_email = models.EmailField(blank=True, help_text="Set when a guest opened it through a link.")
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = "prescription access"
        verbose_name_plural = "prescription access log"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.prescription.appointment.reference}"


# --- Notifications --------------------------------------------------------------------------


class Notification(models.Model):
    """An email to a patient or doctor, kept so sending can fail, be retried and be seen by staff.

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

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Failed for good")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="notifications")
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
