"""Appointments and their timeline.

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

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.emails import ExactEmailField
from portal.phones import PhoneNumberField

from .schedules import clinic_zone

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 10


def new_reference() -> str:
    """A random, non-sequential reference such as ``K7M2Q-X9PR4`` (50 bits of entropy)."""
    raw = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_reference(value: str) -> str:
    """Accept references typed in lower case, with spaces, or with O/I/L for 0/1/1."""
    cleaned = "".join(ch for ch in value.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != REFERENCE_LENGTH:
        return value.strip().upper()
    return f"{cleaned[:5]}-{cleaned[5:]}"


class AppointmentQuerySet(models.QuerySet):
    def stale_holds(self, now: datetime):
        """Unconfirmed or unpaid appointments whose hold has run out: they must not block anyone."""
        return self.filter(status__in=Appointment.HOLD_STATUSES, hold_expires_at__lte=now)

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


# Statuses in which an appointment holds its slot, as stored values (for the CHECK constraint,
# which must not change when a label does). ``Appointment.ACTIVE_STATUSES`` is the same set.
ACTIVE_STATUS_VALUES = ["unconfirmed", "pending_payment", "pending", "confirmed"]


class Appointment(models.Model):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Awaiting email confirmation")
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("No-show")
        EXPIRED = "expired", _("Expired")

    # Statuses in which the appointment holds its slot; every other status releases it.
    ACTIVE_STATUSES = (Status.UNCONFIRMED, Status.PENDING_PAYMENT, Status.PENDING, Status.CONFIRMED)
    # Active statuses that hold the slot only until ``hold_expires_at``: a booking nobody
    # confirmed or paid for must not block the diary for ever.
    HOLD_STATUSES = (Status.UNCONFIRMED, Status.PENDING_PAYMENT)

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
    # The normal form of portal.emails, compared exactly: a guest's proof of ownership (lookup,
    # signed link) and what a verified account address must equal for the booking to be offered.
    email = ExactEmailField()
    mobile = PhoneNumberField(max_length=32)
    reason = models.TextField(max_length=1000, blank=True)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.IN_PERSON)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    holds_slot = models.BooleanField(null=True, default=True, editable=False)
    # Set while the status is one of HOLD_STATUSES: the moment the hold lapses and the slot is
    # free again (see ``booking.appointments.services.release_stale_holds``).
    hold_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Which network a guest booking awaiting email confirmation (or its payment) came from, so the
    # number of such bookings per address can be capped (booking/appointments/limits.py). Privacy:
    # never the address itself, only a keyed hash of it (IPv6: of its /64), and only while the
    # booking is held; set_status() clears it the moment the booking leaves its hold.
    booked_from = models.CharField(max_length=64, blank=True, editable=False)
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
        # Each index serves named queries (EXPLAINed on MariaDB with a million rows; see
        # booking/staff/listing.py). A doctor's appointments by time use the unique constraint's
        # (doctor, starts_at, …) index, so no separate (doctor, starts_at) one.
        indexes = [
            # The staff list in time order ((starts_at, doctor, id), read backwards for "latest
            # first"), its date windows, the CSV's keyset pages.
            models.Index(fields=["starts_at", "doctor"], name="appointment_start_doctor"),
            # The staff list filtered by status in time order; the report reads a date range for
            # every status from this index alone (no table rows).
            models.Index(fields=["status", "starts_at", "doctor"], name="appointment_status_start"),
            models.Index(fields=["status", "hold_expires_at"], name="appointment_hold_expiry"),
            # Staff search: exact reference (unique), or a prefix of the name, email or mobile. With
            # the start and doctor in each, a search counts and sorts its matches from the index.
            # The email one also finds a guest's bookings (lookups, claims).
            models.Index(fields=["email", "starts_at", "doctor"], name="appointment_email"),
            models.Index(fields=["full_name", "starts_at", "doctor"], name="appointment_full_name"),
            models.Index(fields=["mobile", "starts_at", "doctor"], name="appointment_mobile"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "starts_at", "holds_slot"], name="one_active_appointment_per_slot"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"),
            # holds_slot is TRUE exactly while the status is active, NULL otherwise. The explicit
            # isnull=False matters: a CHECK passes when it evaluates to NULL, and "NULL = TRUE" is NULL.
            models.CheckConstraint(
                condition=(
                    Q(status__in=ACTIVE_STATUS_VALUES, holds_slot__isnull=False, holds_slot=True)
                    | (~Q(status__in=ACTIVE_STATUS_VALUES) & Q(holds_slot__isnull=True))
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

    @property
    def local_hold_expires_at(self) -> datetime | None:
        """When a held booking is released, in the clinic's zone (None when nothing is held)."""
        return timezone.localtime(self.hold_expires_at, clinic_zone()) if self.hold_expires_at else None

    # --- Status helpers: templates and views ask these instead of comparing status strings ---

    @property
    def is_awaiting_payment(self) -> bool:
        return self.status == self.Status.PENDING_PAYMENT

    @property
    def is_awaiting_email_confirmation(self) -> bool:
        return self.status == self.Status.UNCONFIRMED

    @property
    def is_held(self) -> bool:
        """Holding its slot only until ``hold_expires_at`` (unconfirmed or unpaid)."""
        return self.status in self.HOLD_STATUSES

    @property
    def is_pending(self) -> bool:
        """Waiting for the clinic, a payment or the patient's confirmation: no confirmed time yet."""
        return self.status in (self.Status.UNCONFIRMED, self.Status.PENDING, self.Status.PENDING_PAYMENT)

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def is_online(self) -> bool:
        return self.mode == self.Mode.ONLINE

    @property
    def cancel_cutoff(self) -> datetime:
        """Patients may cancel or move the appointment online until this moment."""
        return self.starts_at - timedelta(hours=settings.BOOKING_CANCEL_CUTOFF_HOURS)

    def patient_can_change(self, now: datetime | None = None) -> bool:
        """True while a patient may still cancel or reschedule (active and before the cutoff)."""
        return self.is_active and (now or timezone.now()) < self.cancel_cutoff

    def online_link_visible(self, now: datetime | None = None) -> bool:
        """Patients see the meeting link only from shortly before the start until it ends.

        A link in an inbox or a forwarded calendar for weeks is a link anyone may use; opening it
        late keeps the room private to the patient who is about to join.
        """
        now = now or timezone.now()
        opens = self.starts_at - timedelta(minutes=settings.ONLINE_LINK_VISIBLE_MINUTES)
        return self.is_online and self.is_confirmed and bool(self.meeting_url) and opens <= now <= self.ends_at

    def set_status(self, status: str, *, hold_until: datetime | None = None) -> None:
        """Change status and keep ``holds_slot`` in step; the only place that writes either.

        A hold status needs ``hold_until`` (when the slot is released again); moving on to
        another active status clears it, so a confirmed appointment can never lapse. A finished
        appointment keeps it as a record of when its hold ran out. Leaving a hold also forgets
        ``booked_from``. Callers saving with ``update_fields`` list all four fields.
        """
        if status in self.HOLD_STATUSES:
            if hold_until is None:
                raise ValueError(f"A {status} appointment needs a hold deadline.")
            self.hold_expires_at = hold_until
        elif status in self.ACTIVE_STATUSES:
            self.hold_expires_at = None
        if status not in self.HOLD_STATUSES:
            # Needed only to cap unproven holds per network; not kept a moment longer.
            self.booked_from = ""
        self.status = status
        self.holds_slot = True if status in self.ACTIVE_STATUSES else None


class DismissedClaim(models.Model):
    """A patient said "not mine" to a guest booking made with one of their verified addresses.

    Anyone can book as a guest with any address, so a booking found for a patient's address is
    only *offered* to them (see ``booking.appointments.claims``); a dismissed one is not offered
    to that account again and stays the guest's.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="dismissed_claims")
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "appointment"], name="one_dismissal_per_user")]

    def __str__(self) -> str:
        return f"{self.appointment.reference} dismissed by {self.user}"


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

    @property
    def is_note(self) -> bool:
        """A line that records a change without a status move (a new time, a meeting link)."""
        return self.from_status == self.to_status
