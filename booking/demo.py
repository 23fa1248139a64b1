"""The booking side of the demo clinic: demo accounts, doctors' weekly hours and time off.

``manage.py seed_demo`` builds the pages with ``home.demo.pages`` and calls in here for what
``home`` may not know about: WorkingHours and TimeOff are booking models (with a ParentalKey to
``home.DoctorPage``), and the demo accounts matter because doctors' accounts own their pages and
see their appointments. This module sits in ``booking`` so that the import direction stays
portal ← home ← booking; the words and numbers it uses come from ``home.demo.content``.

Idempotent like the page side: accounts are looked up by email and created only when missing
(passwords are set on creation and never reset), and hours and time off are only ever added to a
doctor page that is being created, never to one that exists.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.utils import timezone

from booking.appointments.services import (
    Actor,
    PatientDetails,
    book_appointment,
    expire_hold,
    record_event,
    transition,
)
from booking.availability.selectors import doctor_free_slots
from booking.models import Appointment, ClinicClosure, TimeOff, WorkingHours, clinic_zone
from booking.prescriptions.services import save_prescription, sign_prescription
from home.demo.content import ACCOUNTS, CLOSED_DAYS, HOURS_PATTERNS, TIME_OFF
from home.demo.pages import SeedOutput, publish
from home.models import DoctorPage
from portal.mfa import DEMO_TOTP_SECRET, enrol_totp
from portal.models import User
from portal.phones import normalize_phone
from portal.roles import sync_role_groups

# Whose diary the demo fills: the demo doctor (doctor@example.com's page) and the demo patient.
DEMO_DOCTOR_SLUG = "dr-amara-okafor"
DEMO_DOCTOR_EMAIL = "doctor@example.com"
DEMO_PATIENT_EMAIL = "patient@example.com"


class BookingSeeder:
    """The booking-side seeding steps; ``seed_accounts`` must run before any doctor page is created."""

    def __init__(self, out: SeedOutput) -> None:
        self.out = out
        self.accounts: dict[str, User] = {}

    # --- Accounts ---------------------------------------------------------------------------

    def seed_accounts(self) -> None:
        """One account per role. Passwords are set only on creation, never reset."""
        created = 0
        for account in ACCOUNTS:
            user = User.objects.filter(email=account["email"]).first()
            if user is None:
                user = create_account(account)
                created += 1
            # Mandatory email verification: without a verified address the demo logins would stall.
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            if user.requires_strong_auth:  # second factor required: an authenticator app with the README's key
                enrol_totp(user, DEMO_TOTP_SECRET)
            self.accounts[account["email"]] = user
        self.out.report("demo accounts", created, len(ACCOUNTS) - created)

    # --- Doctors ----------------------------------------------------------------------------

    def prepare_doctor(self, page: DoctorPage, doctor: dict) -> None:
        """Give a new, unsaved doctor page its account, weekly hours and time off.

        Passed to ``PageSeeder.seed_doctors`` as its ``prepare`` callback, so that all of this is
        part of the page's first published revision.
        """
        page.user = self.unlinked_account_for(doctor["slug"])
        for order, hours in enumerate(working_hours(doctor["hours"])):
            hours.sort_order = order
            page.working_hours.add(hours)
        for order, time_off in enumerate(time_off_for(doctor["slug"])):
            time_off.sort_order = order
            page.time_off.add(time_off)

    def unlinked_account_for(self, doctor_slug: str) -> User | None:
        """The demo doctor account meant for this page, unless it already has a page of its own."""
        for account in ACCOUNTS:
            if account.get("doctor") == doctor_slug:
                user = self.accounts[account["email"]]
                if user.role == User.Role.DOCTOR and not DoctorPage.objects.filter(user=user).exists():
                    return user
        return None

    def link_doctor_accounts(self, doctors: dict[str, DoctorPage]) -> None:
        """Link demo doctor accounts to existing pages that have no account yet (new pages got theirs)."""
        linked = 0
        for slug, page in doctors.items():
            user = self.unlinked_account_for(slug)
            if user is not None and page.user_id is None:
                page.user = user
                publish(page)
                linked += 1
        if linked:
            self.out.created(f"Linked {linked} doctor accounts to their pages")
        else:
            self.out.write("Doctor accounts already linked")

    # --- Closures ---------------------------------------------------------------------------

    def seed_closures(self) -> None:
        """The bank holidays in ``CLOSED_DAYS`` for this year and the next, each created once."""
        this_year = timezone.localdate(timezone=clinic_zone()).year
        created = existing = 0
        for year in (this_year, this_year + 1):
            for month, day, reason in CLOSED_DAYS:
                on = date(year, month, day)
                _closure, new = ClinicClosure.objects.get_or_create(
                    start_date=on, end_date=on, defaults={"reason": reason}
                )
                created += new
                existing += not new
        self.out.report("clinic closures", created, existing)

    # --- Appointments -------------------------------------------------------------------------

    def seed_appointments(self, doctors: dict[str, DoctorPage]) -> None:
        """Appointments in every state for the demo doctor and patient, so dashboards are alive.

        Future ones go through the booking and lifecycle services like any booking; past ones are
        written directly (the service rightly refuses the past) with their timeline, and one of
        them carries a signed prescription. Skipped when the demo patient already has appointments
        with the demo doctor, so running the command again adds nothing.
        """
        doctor = doctors.get(DEMO_DOCTOR_SLUG)
        patient = self.accounts.get(DEMO_PATIENT_EMAIL)
        doctor_user = self.accounts.get(DEMO_DOCTOR_EMAIL)
        if doctor is None or patient is None or doctor_user is None:
            return
        if Appointment.objects.filter(doctor=doctor, patient=patient).exists():
            self.out.write("Demo appointments already present")
            return
        today = timezone.localdate(timezone=clinic_zone())
        as_doctor = Actor(Actor.DOCTOR, doctor_user)
        as_patient = Actor(Actor.PATIENT, patient)
        guest = PatientDetails(full_name="Gus Guest", email="gus.guest@example.com", mobile="+447400123457")
        mine = PatientDetails(full_name=patient.get_full_name(), email=patient.email, mobile=str(patient.mobile))
        created = 0

        def book(days_ahead: int, details: PatientDetails, owner: User | None, **extra) -> Appointment | None:
            for day in range(days_ahead, days_ahead + 7):
                slots = doctor_free_slots(doctor, today + timedelta(days=day), today + timedelta(days=day))
                if slots:
                    return book_appointment(
                        doctor_id=doctor.pk, starts_at=slots[len(slots) // 3].start, details=details, patient=owner
                    )
            return None

        upcoming = [
            (2, guest, None, None, ""),
            (3, mine, patient, None, ""),
            (5, mine, patient, Appointment.Status.CONFIRMED, ""),
            (6, mine, patient, Appointment.Status.CANCELLED, "I have to travel for work that week."),
            (9, guest, None, Appointment.Status.DECLINED, "Please book with our GP first for a referral."),
        ]
        for days_ahead, details, owner, target, remark in upcoming:
            appointment = book(days_ahead, details, owner)
            if appointment is None:
                continue
            created += 1
            if target == Appointment.Status.CANCELLED:
                transition(appointment, target, as_patient, remark=remark)
            elif target is not None:
                transition(appointment, target, as_doctor, remark=remark)

        past = [
            (7, Appointment.Status.COMPLETED, True),
            (14, Appointment.Status.NO_SHOW, False),
            (30, Appointment.Status.COMPLETED, False),
            (20, Appointment.Status.EXPIRED, False),
        ]
        for days_ago, status, prescribe in past:
            appointment = past_appointment(doctor, doctor_user, patient, today - timedelta(days=days_ago), status)
            created += 1
            if prescribe:
                save_prescription(
                    appointment,
                    doctor_user,
                    advice="Keep a diary of palpitations for two weeks and cut down on caffeine.",
                    follow_up_on=today + timedelta(days=21),
                    medications=[
                        {
                            "drug": "Bisoprolol",
                            "dose": "1.25 mg",
                            "frequency": "once a day",
                            "duration": "4 weeks",
                            "instructions": "in the morning",
                        }
                    ],
                    tests=[{"name": "24-hour ECG (Holter)", "notes": "Book at reception"}],
                )
                sign_prescription(appointment, doctor_user)
        self.out.report("demo appointments", created, 0)


def past_appointment(doctor: DoctorPage, doctor_user: User, patient: User, day: date, status: str) -> Appointment:
    """An appointment that already happened (or lapsed), with the timeline it would have had."""
    starts_at = datetime.combine(day, time(10, 0), tzinfo=clinic_zone())
    appointment = Appointment(
        doctor=doctor,
        patient=patient,
        full_name=patient.get_full_name(),
        email=patient.email,
        mobile=patient.mobile,
        reason="Palpitations in the evenings." if status != Appointment.Status.EXPIRED else "",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=doctor.slot_minutes),
        fee=doctor.consultation_fee,
    )
    if status == Appointment.Status.EXPIRED:
        appointment.set_status(Appointment.Status.PENDING_PAYMENT, hold_until=starts_at - timedelta(days=3))
        appointment.save()
        record_event(appointment, Actor(Actor.PATIENT, patient), from_status="")
        expire_hold(appointment, now=starts_at - timedelta(days=3))
        return appointment
    appointment.set_status(Appointment.Status.CONFIRMED)
    appointment.save()
    record_event(appointment, Actor(Actor.PATIENT, patient), from_status="", to_status=Appointment.Status.PENDING)
    record_event(
        appointment,
        Actor(Actor.DOCTOR, doctor_user),
        from_status=Appointment.Status.PENDING,
        to_status=Appointment.Status.CONFIRMED,
    )
    transition(appointment, status, Actor(Actor.DOCTOR, doctor_user), now=appointment.starts_at + timedelta(minutes=5))
    appointment.refresh_from_db()
    return appointment


def create_account(account: dict) -> User:
    """A demo user in its role's group (the admin is a superuser); ``seed_accounts`` verifies the email."""
    fields = {
        "role": account["role"],
        "first_name": account["first_name"],
        "last_name": account["last_name"],
        "mobile": normalize_phone(account["mobile"]) if account.get("mobile") else "",
    }
    if account.get("superuser"):
        user = User.objects.create_superuser(account["email"], account["password"], **fields)
    else:
        is_staff = account["role"] == User.Role.STAFF
        user = User.objects.create_user(account["email"], account["password"], is_staff=is_staff, **fields)
    sync_role_groups(user)
    return user


def working_hours(pattern: str) -> list[WorkingHours]:
    """Unsaved WorkingHours rows for one of ``HOURS_PATTERNS``."""
    return [
        WorkingHours(weekday=weekday, starts=_time(starts), ends=_time(ends))
        for weekdays, intervals in HOURS_PATTERNS[pattern]
        for weekday in weekdays
        for starts, ends in intervals
    ]


def time_off_for(doctor_slug: str) -> list[TimeOff]:
    """Unsaved TimeOff rows placed relative to today, so the demo always has upcoming leave."""
    today = timezone.localdate(timezone=clinic_zone())
    return [
        TimeOff(
            start_date=today + timedelta(days=first),
            end_date=today + timedelta(days=last),
            start_time=_time(starts),
            end_time=_time(ends),
            reason=reason,
        )
        for first, last, starts, ends, reason in TIME_OFF.get(doctor_slug, ())
    ]


def _time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None
