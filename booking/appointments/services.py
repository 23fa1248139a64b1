"""The booking service: the one place that creates appointments and moves them between states.

Every entry point (the doctor page's booking form, dashboards, the Wagtail admin, the API) calls
these functions, so the rules are checked once. Two defences stop a double booking:

1. :func:`book_appointment` locks the doctor's row (``SELECT … FOR UPDATE``) and re-computes the
   doctor's free slots inside the same transaction, so concurrent bookings of one doctor queue
   up and each sees the appointments committed before it. On SQLite the IMMEDIATE transaction
   mode gives the same serialisation.
2. The unique constraint on (doctor, starts_at, holds_slot) catches anything that slips past
   (a slot booked through another path, a different slot length); the IntegrityError becomes the
   same clear "just taken" refusal.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from home.models import DoctorPage
from portal import pagecache
from portal.emails import InvalidEmail, normalize_email

from ..access import check_owner
from ..audit.services import Origin, record_audit
from ..availability.selectors import booking_window, doctor_free_slots, slot_taken
from ..errors import (
    SLOT_TAKEN_MESSAGE,
    SLOT_UNAVAILABLE_MESSAGE,
    AlreadyConfirmed,
    BookingError,
    ConfirmationLapsed,
    DoctorUnavailable,
    SlotTaken,
    SlotUnavailable,
    TransitionRefused,
)
from ..models import Appointment, AppointmentEvent, AuditEvent, Notification, clinic_zone
from ..notifications.emails import queue_notification
from .signals import appointment_moved, status_changed


@dataclass(frozen=True)
class PatientDetails:
    full_name: str
    email: str
    mobile: str
    reason: str = ""
    mode: str = Appointment.Mode.IN_PERSON


def lock_doctor(doctor_id: int, *, live_only: bool = True) -> DoctorPage:
    """Lock and return the doctor page; the lock serialises bookings of this doctor.

    Only a live page takes bookings. ``live_only=False`` is for the doctor an appointment is
    moved *away* from: staff must still be able to move a withdrawn or suspended doctor's patients
    to a colleague.
    """
    doctors = DoctorPage.objects.select_for_update()
    try:
        return (doctors.live() if live_only else doctors).get(pk=doctor_id)
    except DoctorPage.DoesNotExist:
        raise DoctorUnavailable("This doctor is not taking bookings.") from None


def _check_slot(
    doctor: DoctorPage, starts_at: datetime, *, now: datetime | None, ignore: Appointment | None = None
) -> None:
    """Raise unless ``starts_at`` is one of the doctor's free slot starts.

    :class:`SlotTaken` when another booking holds the time (the picker was out of date: pick
    another), :class:`SlotUnavailable` when the time was never bookable (outside the doctor's
    hours, a closed day, too soon, beyond the horizon).
    """
    if timezone.is_naive(starts_at):
        raise SlotUnavailable("That time is not valid.")
    if starts_at <= (now or timezone.now()):
        raise SlotUnavailable("That time is in the past — please pick a later one.")
    try:
        day = timezone.localtime(starts_at, clinic_zone()).date()
    except OverflowError:  # a hand-made time near year 9999
        raise SlotUnavailable("That time is not valid.") from None
    _, last = booking_window(now)
    if day > last:
        raise SlotUnavailable(
            f"Bookings open {settings.BOOKING_HORIZON_DAYS} days ahead — please pick an earlier date."
        )
    slots = doctor_free_slots(doctor, day, day, now=now, ignore=ignore)
    if any(slot.start == starts_at for slot in slots):
        return
    if slot_taken(doctor, starts_at, now=now, ignore=ignore):
        raise SlotTaken(SLOT_TAKEN_MESSAGE)
    raise SlotUnavailable(SLOT_UNAVAILABLE_MESSAGE)


@transaction.atomic
def book_appointment(
    *,
    doctor_id: int,
    starts_at: datetime,
    details: PatientDetails,
    patient=None,
    now: datetime | None = None,
    status: str = Appointment.Status.PENDING,
    hold_until: datetime | None = None,
    origin: Origin | None = None,
    booked_from: str = "",
    actor: Actor | None = None,
) -> Appointment:
    """Book ``starts_at`` with the doctor, or raise a :class:`BookingError` and save nothing.

    ``patient`` is the patient's account, or ``None`` for a guest; ``origin`` where the request
    came from, for the audit trail. ``actor`` is who books, for the timeline: the patient or
    guest themselves by default, or clinic staff booking for a patient who phoned. ``status`` is
    where the booking starts: pending (the doctor confirms), a hold status (awaiting the
    patient's email confirmation or payment) that keeps the slot only until ``hold_until``, or
    confirmed, which only the clinic's side may choose: its own booking needs no one else's
    confirmation. The first email follows the status (``FIRST_EMAIL``): "confirm your booking"
    for a booking awaiting email confirmation, "confirmed" with the calendar invite for the
    clinic's own booking, none while awaiting payment, "received" otherwise.
    The email is stored in the normal form of ``portal.emails``: lookups, signed links and
    accounts compare it exactly. ``booked_from`` is the keyed hash of the booking client's
    network (see ``booking.appointments.limits``), kept only while the booking is unconfirmed.
    """
    actor = actor or Actor(Actor.PATIENT if patient else Actor.GUEST, patient, origin=origin)
    try:
        email = normalize_email(details.email)
    except InvalidEmail as exc:
        raise BookingError(str(exc)) from None
    if status not in Appointment.ACTIVE_STATUSES:
        raise ValueError(f"A booking cannot start as {status}.")
    if status == Status.CONFIRMED and actor.role not in CLINIC_SIDE:
        raise TransitionRefused("Only the clinic can book an appointment as confirmed.")
    now = now or timezone.now()
    doctor = lock_doctor(doctor_id)
    release_stale_holds(doctor.pk, now=now)
    _check_slot(doctor, starts_at, now=now)
    if details.mode == Appointment.Mode.ONLINE and not doctor.offers_online:
        raise BookingError("This doctor does not offer online consultations.")
    appointment = Appointment(
        doctor=doctor,
        patient=patient,
        full_name=details.full_name,
        email=email,
        mobile=details.mobile,
        reason=details.reason,
        mode=details.mode,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=doctor.slot_minutes),
        fee=doctor.fee(online=details.mode == Appointment.Mode.ONLINE),
        booked_from=booked_from,
    )
    appointment.set_status(status, hold_until=hold_until)
    if appointment.is_confirmed and appointment.is_online:
        appointment.meeting_url = generate_meeting_url(appointment)
    try:
        # A savepoint, so the outer transaction stays usable after a constraint violation.
        with transaction.atomic():
            appointment.save()
    except IntegrityError:
        raise SlotTaken(SLOT_TAKEN_MESSAGE) from None
    record_event(appointment, actor, from_status="")
    _audit_change(appointment, actor, "booked", guest_email=appointment.email)
    first_email = FIRST_EMAIL.get(Status(appointment.status), Notification.Kind.RECEIVED)
    if first_email:
        queue_notification(appointment, first_email)
    return appointment


# The first email a new booking gets, by the status it starts in; "received" unless listed, none
# for None. A booking being paid for gets nothing yet: the patient is on the pay page, and the
# payment's receipt (booking.payments) is the first email once it is paid.
FIRST_EMAIL: dict[str, str | None] = {
    Appointment.Status.UNCONFIRMED: Notification.Kind.CONFIRM_EMAIL,
    Appointment.Status.CONFIRMED: Notification.Kind.CONFIRMED,
    Appointment.Status.PENDING_PAYMENT: None,
}


def book_on_website(
    *,
    doctor_id: int,
    starts_at: datetime,
    details: PatientDetails,
    patient=None,
    booked_from: str = "",
    now: datetime | None = None,
    origin: Origin | None = None,
    payment_due: datetime | None = None,
) -> Appointment:
    """A booking made on the public site: where it starts depends on who made it.

    A signed-in patient proved their email when the account was made, so the request goes
    straight to the doctor (pending). A guest may have typed anyone's address: the booking holds
    the time for ``GUEST_CONFIRMATION_MINUTES`` while the guest confirms it from the email
    (:func:`confirm_guest_email`); unconfirmed, the hold lapses and the time is released by the
    usual expiry. That keeps one client from filling a diary with made-up addresses, and keeps
    the clinic from mailing strangers more than once.

    A booking that must be paid first (``payment_due``, from the checkout) starts as awaiting
    payment for anyone, holding its time until then: the card payment is its confirmation, no
    email goes out before it, and a guest's payment holds count against the same caps as
    unconfirmed bookings (``limits``).
    """
    now = now or timezone.now()
    if payment_due is not None:
        return book_appointment(
            doctor_id=doctor_id,
            starts_at=starts_at,
            details=details,
            patient=patient,
            now=now,
            origin=origin,
            status=Appointment.Status.PENDING_PAYMENT,
            hold_until=payment_due,
            booked_from="" if patient is not None else booked_from,
        )
    if patient is not None:
        return book_appointment(
            doctor_id=doctor_id, starts_at=starts_at, details=details, patient=patient, now=now, origin=origin
        )
    return book_appointment(
        doctor_id=doctor_id,
        starts_at=starts_at,
        details=details,
        now=now,
        origin=origin,
        status=Appointment.Status.UNCONFIRMED,
        hold_until=guest_confirmation_deadline(now),
        booked_from=booked_from,
    )


def guest_confirmation_deadline(now: datetime) -> datetime:
    """When a guest booking made at ``now`` is released unless confirmed from the email."""
    return now + timedelta(minutes=settings.GUEST_CONFIRMATION_MINUTES)


NOT_CONFIRMED_IN_TIME = (
    "This booking was not confirmed within {minutes} minutes, so the time was released for other patients. "
    "If you still want an appointment, please book again."
)


def confirmation_refusal(appointment: Appointment, *, now: datetime) -> TransitionRefused | None:
    """Why this guest booking cannot be confirmed from its email now, or None if it can."""
    if appointment.is_awaiting_email_confirmation:
        if appointment.hold_expires_at is not None and appointment.hold_expires_at > now:
            return None
        return ConfirmationLapsed(NOT_CONFIRMED_IN_TIME.format(minutes=settings.GUEST_CONFIRMATION_MINUTES))
    if appointment.is_active:
        return AlreadyConfirmed("You have already confirmed this booking; it is with the clinic.")
    if appointment.status == Appointment.Status.EXPIRED:
        return ConfirmationLapsed(NOT_CONFIRMED_IN_TIME.format(minutes=settings.GUEST_CONFIRMATION_MINUTES))
    return ConfirmationLapsed(
        f"This booking is {appointment.get_status_display().lower()}, so it can no longer be confirmed. "
        "If you still want an appointment, please book again."
    )


def confirm_guest_email(appointment: Appointment, *, now: datetime | None = None) -> Appointment:
    """The guest followed the link in the confirmation email: the request now goes to the doctor.

    Decided under the appointment's lock (:func:`confirmation_refusal`): a booking already
    confirmed raises :class:`AlreadyConfirmed`, so a second click changes and sends nothing; one
    whose hold lapsed is expired on the spot (committed, so the time is free at once) and raises
    :class:`ConfirmationLapsed`, as does one that is no longer active. Otherwise the move to
    pending goes through :func:`transition` as the guest, which records it and sends the usual
    "received" email.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_appointment(appointment)
        refusal = confirmation_refusal(locked, now=now)
        if refusal is None:
            transition(locked, Status.PENDING, Actor(Actor.GUEST), now=now)
            appointment.refresh_from_db()
            return appointment
        if locked.is_awaiting_email_confirmation:
            expire_hold(locked, now=now)
    raise refusal


# --- Lifecycle ------------------------------------------------------------------------------

Status = Appointment.Status


@dataclass(frozen=True)
class Actor:
    """Who asks for a change. ``role`` is patient, guest, doctor, staff or system.

    ``origin`` (client address, session fingerprint) is what views know about the request, passed
    along for the audit trail; commands and the system act without one.
    """

    role: str
    user: Any = None  # the account acting (None for guests and the system)
    origin: Origin | None = None

    PATIENT = "patient"
    GUEST = "guest"
    DOCTOR = "doctor"
    STAFF = "staff"
    SYSTEM = "system"


PATIENT_SIDE = frozenset({Actor.PATIENT, Actor.GUEST})
CLINIC_SIDE = frozenset({Actor.DOCTOR, Actor.STAFF})

# (from, to) → who may make that move. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (Status.UNCONFIRMED, Status.PENDING): frozenset({Actor.GUEST, Actor.PATIENT, Actor.SYSTEM}),
    (Status.UNCONFIRMED, Status.PENDING_PAYMENT): frozenset({Actor.GUEST, Actor.PATIENT, Actor.SYSTEM}),
    (Status.UNCONFIRMED, Status.EXPIRED): frozenset({Actor.SYSTEM}),
    (Status.UNCONFIRMED, Status.CANCELLED): PATIENT_SIDE | {Actor.STAFF, Actor.SYSTEM},
    (Status.PENDING_PAYMENT, Status.PENDING): frozenset({Actor.SYSTEM}),
    # A guest who chose to pay online and then pays at the clinic instead: like any guest
    # booking, it now waits for the emailed confirmation.
    (Status.PENDING_PAYMENT, Status.UNCONFIRMED): frozenset({Actor.SYSTEM}),
    (Status.PENDING_PAYMENT, Status.CONFIRMED): frozenset({Actor.SYSTEM}),
    (Status.PENDING_PAYMENT, Status.EXPIRED): frozenset({Actor.SYSTEM}),
    (Status.PENDING_PAYMENT, Status.CANCELLED): PATIENT_SIDE | {Actor.STAFF, Actor.SYSTEM},
    (Status.PENDING, Status.CONFIRMED): CLINIC_SIDE,
    (Status.PENDING, Status.DECLINED): CLINIC_SIDE,
    (Status.PENDING, Status.CANCELLED): PATIENT_SIDE | CLINIC_SIDE,
    (Status.CONFIRMED, Status.CANCELLED): PATIENT_SIDE | CLINIC_SIDE,
    (Status.CONFIRMED, Status.COMPLETED): CLINIC_SIDE,
    (Status.CONFIRMED, Status.NO_SHOW): CLINIC_SIDE,
}

# A declined or clinic-cancelled appointment tells the patient why.
REMARK_REQUIRED = {
    (Status.PENDING, Status.DECLINED): CLINIC_SIDE,
    (Status.PENDING, Status.CANCELLED): CLINIC_SIDE,
    (Status.CONFIRMED, Status.CANCELLED): CLINIC_SIDE,
}

# Outcomes can only be recorded once the appointment has started.
AFTER_START_ONLY = {Status.COMPLETED, Status.NO_SHOW}


def allowed_targets(appointment: Appointment, actor: Actor, *, now: datetime | None = None) -> list[str]:
    """The statuses ``actor`` could move ``appointment`` to right now (for showing buttons)."""
    targets = []
    for (source, target), roles in TRANSITIONS.items():
        if source != appointment.status or actor.role not in roles:
            continue
        try:
            _check_timing(appointment, target, actor, now or timezone.now())
        except TransitionRefused:
            continue
        targets.append(target)
    return targets


def _check_timing(appointment: Appointment, target: str, actor: Actor, now: datetime) -> None:
    if target in AFTER_START_ONLY and now < appointment.starts_at:
        raise TransitionRefused("An appointment can be marked completed or no-show only once it has started.")
    patient_cancel = (
        target == Status.CANCELLED
        and actor.role in PATIENT_SIDE
        and appointment.status not in Appointment.HOLD_STATUSES
    )
    if patient_cancel and now >= appointment.cancel_cutoff:
        raise TransitionRefused(
            f"Appointments can be cancelled online up to {settings.BOOKING_CANCEL_CUTOFF_HOURS} hours "
            "before they start. Please phone the clinic."
        )


def lock_appointment(appointment: Appointment) -> Appointment:
    """Lock the appointment's row and re-read it (with its doctor): the one lock every change takes.

    Re-reading under the lock is what makes two people acting at once safe: the second one sees
    the first one's status, not the one their page was built from. Only the appointment's row is
    locked: on MySQL/MariaDB a ``SELECT … FOR UPDATE`` with a join locks the joined doctor rows
    too, and a change holding an appointment while waiting for its doctor deadlocks with a
    booking holding the doctor while it releases that doctor's stale holds. The doctor is read
    without a lock; whoever needs the doctor's lock takes it first (``lock_doctor``).
    """
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    locked.doctor = DoctorPage.objects.get(pk=locked.doctor_id)
    return locked


def record_event(
    appointment: Appointment,
    actor: Actor,
    *,
    to_status: str | None = None,
    from_status: str | None = None,
    remark: str = "",
    now: datetime | None = None,
) -> AppointmentEvent:
    """Add one line to the appointment's timeline; a change without a status move keeps its status."""
    event = AppointmentEvent.objects.create(
        appointment=appointment,
        actor=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        actor_role=actor.role,
        from_status=appointment.status if from_status is None else from_status,
        to_status=to_status or appointment.status,
        remark=remark,
        created_at=now or timezone.now(),
    )
    if event.from_status != event.to_status:
        # After commit, so listeners (refunds, outgoing webhooks) never act on a rolled-back change.
        transaction.on_commit(
            lambda: status_changed.send(
                sender=Appointment,
                appointment_id=appointment.pk,
                from_status=event.from_status,
                to_status=event.to_status,
                actor_role=actor.role,
                remark=remark,
            ),
            robust=True,
        )
    return event


def _audit_change(
    appointment: Appointment,
    actor: Actor,
    detail: str,
    *,
    outcome: str = AuditEvent.Outcome.ALLOWED,
    guest_email: str = "",
) -> None:
    """The audit row for a change (or a refused one); never the remark, which may be clinical."""
    record_audit(
        AuditEvent.Action.CHANGE,
        AuditEvent.ObjectType.APPOINTMENT,
        appointment.reference,
        user=actor.user,
        role=actor.role,
        origin=actor.origin,
        outcome=outcome,
        detail=detail,
        guest_email=guest_email or (appointment.email if actor.role == Actor.GUEST else ""),
    )


def _audit_refusal(appointment: Appointment, actor: Actor, attempted: str, exc: BookingError) -> None:
    """Record a refused change. Called after the change's transaction rolled back, so it stays."""
    _audit_change(appointment, actor, f"{attempted}: {exc.message}", outcome=AuditEvent.Outcome.REFUSED)


NOTIFY_ON = {
    Status.CONFIRMED: "confirmed",
    Status.DECLINED: "declined",
    Status.CANCELLED: "cancelled",
}
# Moves that send another email than NOTIFY_ON says (None: none at all). A guest who confirmed
# the booking from the email now gets the "received" email a signed-in patient gets on booking.
# An unconfirmed booking's address is unproven: after the one "confirm" email nothing more goes
# to it, so cancelling one (the address's owner saying "not me", or staff) sends nothing.
NOTIFY_ON_MOVE: dict[tuple[str, str], str | None] = {
    (Status.UNCONFIRMED, Status.PENDING): "received",
    (Status.UNCONFIRMED, Status.CANCELLED): None,
    # Nothing was booked until it is paid: cancelling the unpaid hold sends nothing either.
    (Status.PENDING_PAYMENT, Status.CANCELLED): None,
    (Status.PENDING_PAYMENT, Status.UNCONFIRMED): Notification.Kind.CONFIRM_EMAIL,
    # Paying at the clinic instead: the request now reaches the doctor, as on booking.
    (Status.PENDING_PAYMENT, Status.PENDING): None,
}


def release_stale_holds(doctor_id: int, *, now: datetime | None = None) -> int:
    """Expire the doctor's unconfirmed or unpaid bookings whose hold ran out; return how many.

    Called by the booking service inside the doctor's lock, before it checks a slot, so an
    expired hold never blocks anyone even if the periodic ``expire_holds`` command has not run
    yet. Each row is locked and its deadline re-read: a payment that lands at the same moment
    (it locks the same row) either wins and the hold is no longer stale, or finds it expired.
    """
    now = now or timezone.now()
    expired = 0
    stale = Appointment.objects.stale_holds(now).filter(doctor_id=doctor_id)
    for appointment in stale.select_for_update().order_by("pk"):
        expire_hold(appointment, now=now)
        expired += 1
    return expired


def expire_hold(appointment: Appointment, *, now: datetime) -> None:
    """Expire one locked, stale hold: the one release function for lapsed holds."""
    source = appointment.status
    appointment.set_status(Status.EXPIRED)
    appointment.save(update_fields=["status", "holds_slot", "hold_expires_at", "booked_from", "updated_at"])
    record_event(
        appointment,
        Actor(Actor.SYSTEM),
        from_status=source,
        to_status=Status.EXPIRED,
        remark="Not confirmed in time: the time was released."
        if source == Status.UNCONFIRMED
        else "Not paid in time: the time was released.",
        now=now,
    )


@transaction.atomic
def expire_stale_holds(*, now: datetime | None = None) -> int:
    """Expire every stale hold in the clinic (the periodic command); safe to run concurrently.

    Rows are locked with ``skip_locked`` so two runs (or a run and a booking) never wait on each
    other: a row another transaction holds is that transaction's to decide.
    """
    now = now or timezone.now()
    expired = 0
    for appointment in Appointment.objects.stale_holds(now).select_for_update(skip_locked=True).order_by("pk"):
        expire_hold(appointment, now=now)
        expired += 1
    return expired


# The one way out of EXPIRED: a payment that arrived after its hold ran out takes the slot again
# through :func:`reinstate_expired_hold` (doctor lock and slot check, as for a new booking).
REINSTATE_TARGETS = frozenset({Status.PENDING, Status.CONFIRMED})


@transaction.atomic
def reinstate_expired_hold(
    appointment: Appointment, target: str, *, remark: str = "", now: datetime | None = None
) -> Appointment:
    """Give an expired hold its slot back, if the slot is still free; otherwise change nothing.

    For the system only (a payment that succeeded after the hold lapsed). It takes the same
    doctor lock, releases the same stale holds and runs the same slot check as
    :func:`book_appointment`, so it can never take a time someone else holds: a time that was
    taken, or is now too soon, raises :class:`SlotUnavailable` and nothing is saved.
    """
    if target not in REINSTATE_TARGETS:
        raise ValueError(f"An expired hold cannot be reinstated as {target}.")
    now = now or timezone.now()
    doctor = lock_doctor(appointment.doctor_id)
    release_stale_holds(doctor.pk, now=now)
    locked = lock_appointment(appointment)
    if locked.status != Status.EXPIRED:
        raise TransitionRefused(f"A {locked.get_status_display().lower()} appointment cannot be reinstated.")
    _check_slot(doctor, locked.starts_at, now=now, ignore=locked)
    locked.set_status(target)
    if target == Status.CONFIRMED and locked.mode == Appointment.Mode.ONLINE and not locked.meeting_url:
        locked.meeting_url = generate_meeting_url(locked)
    locked.ics_sequence += 1
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise SlotTaken(SLOT_TAKEN_MESSAGE) from None
    actor = Actor(Actor.SYSTEM)
    record_event(locked, actor, from_status=Status.EXPIRED, to_status=target, remark=remark, now=now)
    _audit_change(locked, actor, f"status {Status.EXPIRED} to {target} (reinstated: paid after the hold)")
    if target in NOTIFY_ON:
        queue_notification(locked, NOTIFY_ON[Status(target)], remark=remark)
    appointment.refresh_from_db()
    return appointment


def transition(
    appointment: Appointment,
    target: str,
    actor: Actor,
    *,
    remark: str = "",
    now: datetime | None = None,
    hold_until: datetime | None = None,
) -> Appointment:
    """Move ``appointment`` to ``target`` if ``actor`` may, record it, and notify the patient.

    The row is locked and its status re-read first, so two people acting at once (a patient
    cancelling while the doctor confirms) cannot both succeed. Leaving an active status releases
    the slot through :meth:`Appointment.set_status`, the same switch the booking service uses.
    A refusal is written to the audit trail after the transaction has rolled back.
    """
    try:
        return _transition(appointment, target, actor, remark=remark, now=now, hold_until=hold_until)
    except BookingError as exc:
        _audit_refusal(appointment, actor, f"status to {target}", exc)
        raise


@transaction.atomic
def _transition(
    appointment: Appointment,
    target: str,
    actor: Actor,
    *,
    remark: str,
    now: datetime | None,
    hold_until: datetime | None,
) -> Appointment:
    now = now or timezone.now()
    locked = lock_appointment(appointment)
    source = locked.status
    roles = TRANSITIONS.get((source, target))
    if roles is None:
        raise TransitionRefused(
            f"A {locked.get_status_display().lower()} appointment cannot be {Status(target).label.lower()}."
        )
    if actor.role not in roles:
        raise TransitionRefused("You are not allowed to make that change.")
    check_owner(locked, actor.role, actor.user)
    _check_timing(locked, target, actor, now)
    remark = remark.strip()
    if not remark and actor.role in REMARK_REQUIRED.get((Status(source), Status(target)), ()):
        raise TransitionRefused("Please add a remark for the patient explaining why.")

    locked.set_status(target, hold_until=hold_until)
    if target == Status.CONFIRMED and locked.mode == Appointment.Mode.ONLINE and not locked.meeting_url:
        locked.meeting_url = generate_meeting_url(locked)
    locked.ics_sequence += 1
    locked.save()
    record_event(locked, actor, from_status=source, to_status=target, remark=remark, now=now)
    _audit_change(locked, actor, f"status {source} to {target}")
    kind = NOTIFY_ON_MOVE[(source, target)] if (source, target) in NOTIFY_ON_MOVE else NOTIFY_ON.get(Status(target))
    if kind:
        queue_notification(locked, kind, remark=remark)
    appointment.refresh_from_db()
    return appointment


def generate_meeting_url(appointment: Appointment) -> str:
    """A unique, unguessable room under ``ONLINE_MEETING_BASE_URL``."""
    return f"{settings.ONLINE_MEETING_BASE_URL}{secrets.token_urlsafe(12)}"


def meeting_link_refusal(appointment: Appointment) -> str | None:
    """Why this appointment's meeting link cannot be set, or None if it can."""
    if appointment.mode != Appointment.Mode.ONLINE:
        return "Only online consultations have a meeting link."
    if not appointment.is_active:
        return f"The appointment is {appointment.get_status_display().lower()}; its meeting link can no longer change."
    return None


def set_meeting_url(appointment: Appointment, url: str, actor: Actor) -> Appointment:
    """Store an online consultation's link and note it on the timeline.

    The row is locked and re-read so a link cannot be set on an appointment that the patient
    cancelled a moment ago. The calendar sequence is bumped because the invite carries the link.
    """
    try:
        return _set_meeting_url(appointment, url, actor)
    except BookingError as exc:
        _audit_refusal(appointment, actor, "meeting link", exc)
        raise


@transaction.atomic
def _set_meeting_url(appointment: Appointment, url: str, actor: Actor) -> Appointment:
    if actor.role not in CLINIC_SIDE:
        raise TransitionRefused("Only the doctor or clinic staff can set the meeting link.")
    locked = lock_appointment(appointment)
    check_owner(locked, actor.role, actor.user)
    refusal = meeting_link_refusal(locked)
    if refusal:
        raise TransitionRefused(refusal)
    if locked.meeting_url != url:
        remark = "Meeting link changed." if locked.meeting_url else "Meeting link added."
        locked.meeting_url = url
        locked.ics_sequence += 1
        locked.save(update_fields=["meeting_url", "ics_sequence", "updated_at"])
        record_event(locked, actor, remark=remark)
        _audit_change(locked, actor, remark)
    appointment.refresh_from_db()
    return appointment


def move_appointment(
    appointment: Appointment,
    starts_at: datetime,
    actor: Actor,
    *,
    doctor_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move an active appointment to another free slot (and, for staff, another doctor).

    Goes through the same lock-and-recheck as :func:`book_appointment`, ignoring the
    appointment's own current slot. Patients may move only their own, and only before the cutoff.
    A refusal is written to the audit trail after the transaction has rolled back.
    """
    try:
        return _move_appointment(appointment, starts_at, actor, doctor_id=doctor_id, now=now)
    except BookingError as exc:
        _audit_refusal(appointment, actor, "move", exc)
        raise


@transaction.atomic
def _move_appointment(
    appointment: Appointment, starts_at: datetime, actor: Actor, *, doctor_id: int | None, now: datetime | None
) -> Appointment:
    now = now or timezone.now()
    doctor_id = doctor_id or appointment.doctor_id
    if doctor_id != appointment.doctor_id and actor.role != Actor.STAFF:
        raise TransitionRefused("Only clinic staff can move an appointment to another doctor.")
    # Lock doctors in primary-key order so two moves between the same pair cannot deadlock.
    # Only the doctor it moves to must be taking bookings.
    locked_doctors = {
        pk: lock_doctor(pk, live_only=pk == doctor_id) for pk in sorted({appointment.doctor_id, doctor_id})
    }
    for pk in locked_doctors:
        release_stale_holds(pk, now=now)
    locked = lock_appointment(appointment)
    if locked.doctor_id != appointment.doctor_id:
        # Someone moved it to another doctor since this page was loaded; the doctor we locked
        # above is no longer the one whose diary changes.
        raise TransitionRefused("This appointment was just changed by someone else. Please reload and try again.")
    if not locked.is_active:
        raise TransitionRefused(f"A {locked.get_status_display().lower()} appointment cannot be moved.")
    check_owner(locked, actor.role, actor.user)
    if actor.role in PATIENT_SIDE and locked.is_awaiting_email_confirmation:
        raise TransitionRefused("Please confirm this booking from the email we sent you first; then you can move it.")
    if actor.role in PATIENT_SIDE and not locked.patient_can_change(now):
        raise TransitionRefused(
            f"Appointments can be moved online up to {settings.BOOKING_CANCEL_CUTOFF_HOURS} hours "
            "before they start. Please phone the clinic."
        )
    doctor = locked_doctors[doctor_id]
    if doctor_id == locked.doctor_id and starts_at == locked.starts_at:
        raise SlotUnavailable("That is the appointment's current time — pick a different one.")
    _check_slot(doctor, starts_at, now=now, ignore=locked)
    if locked.mode == Appointment.Mode.ONLINE and not doctor.offers_online:
        raise BookingError("That doctor does not offer online consultations.")

    old_start = locked.local_starts_at
    old_doctor_title = locked.doctor.title
    old_starts_at, old_doctor_id = locked.starts_at, locked.doctor_id
    # The save below tells the page cache about the doctor it moves to; the time it leaves is the
    # old doctor's, which only this service knows (booking/availability/receivers.py).
    pagecache.bump("availability", locked.doctor_id)
    locked.doctor = doctor
    locked.starts_at = starts_at
    locked.ends_at = starts_at + timedelta(minutes=doctor.slot_minutes)
    locked.reminder_sent_at = None
    locked.ics_sequence += 1
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise SlotTaken(SLOT_TAKEN_MESSAGE) from None
    remark = f"Moved from {old_start:%a %d %b %Y %H:%M}"
    if doctor.title != old_doctor_title:
        remark += f" with {old_doctor_title}"
    record_event(locked, actor, remark=remark, now=now)
    _audit_change(locked, actor, remark)
    # After commit, like status_changed: listeners (outgoing webhooks) never see a rolled-back move.
    transaction.on_commit(
        lambda: appointment_moved.send(
            sender=Appointment,
            appointment_id=locked.pk,
            from_starts_at=old_starts_at,
            from_doctor_id=old_doctor_id,
            actor_role=actor.role,
        ),
        robust=True,
    )
    if not locked.is_awaiting_email_confirmation:  # an unproven address gets only the one "confirm" email
        queue_notification(locked, "rescheduled", remark=remark)
    appointment.refresh_from_db()
    return appointment
