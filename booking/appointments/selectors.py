"""Reads of appointments, of the doctor being booked and of the patient being booked for."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import phonenumbers
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from wagtail.models import Site

from home.models import DoctorPage
from portal.models import User
from portal.phones import default_region

from ..models import (
    REFERENCE_ALPHABET,
    Appointment,
    AppointmentQuerySet,
    ClinicClosure,
    Prescription,
    PrescriptionRevision,
    clinic_zone,
    normalize_reference,
)

Status = Appointment.Status

# What a day's agenda shows: appointments that take (or took) the doctor's time. Declined,
# cancelled, expired and unpaid ones released their slot and would only clutter the day.
AGENDA_STATUSES = (Status.PENDING, Status.CONFIRMED, Status.COMPLETED, Status.NO_SHOW)


def bookable_doctor(site: Site | None, page_path: str) -> DoctorPage | None:
    """The live doctor page at ``page_path`` below ``site``'s root (e.g. ``doctors/ada``), or None.

    One query on Wagtail's ``url_path``, which already holds the page's full path in the tree.
    """
    if site is None:
        return None
    url_path = f"{site.root_page.url_path}{page_path.strip('/')}/"
    return DoctorPage.objects.live().filter(url_path=url_path).first()


def own_booking_of_slot(
    references: list[str], doctor: DoctorPage, starts_at: datetime, email: str
) -> Appointment | None:
    """The active booking of this slot that this browser session made for this email, if any.

    A booking form sent twice (a double click on a slow connection) meets its own first booking
    in the slot; the second request then continues where the first went instead of reporting
    the time as taken. Someone else booking in the same browser still hears it is taken.
    """
    if not references:
        return None
    return (
        Appointment.objects.filter(
            reference__in=references, doctor=doctor, starts_at=starts_at, email__iexact=email.strip()
        )
        .filter(status__in=Appointment.ACTIVE_STATUSES)
        .first()
    )


def has_signed_prescription(appointment: Appointment) -> bool:
    """True once the appointment's prescription has a signed version the patient may read.

    A prescription being edited again (unsigned) still counts while an earlier signed version
    exists: the patient keeps reading that one.
    """
    return (
        Prescription.objects.filter(appointment=appointment, signed_at__isnull=False).exists()
        or PrescriptionRevision.objects.filter(prescription__appointment=appointment, signed_at__isnull=False).exists()
    )


def own_appointments(user, *, past: bool, now: datetime | None = None) -> QuerySet[Appointment]:
    """The patient's own upcoming appointments (soonest first) or past ones (latest first)."""
    now = now or timezone.now()
    mine = Appointment.objects.for_patient(user).select_related("doctor")
    if past:
        return mine.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return mine.filter(ends_at__gte=now).order_by("starts_at", "pk")


# Appointments /me/ lists in each section. Rendering is what grows with the rows (a patient with
# 700 upcoming bookings waited a second for the page); everything is in the data export.
LISTED_PER_SECTION = 50


def patient_appointments(user) -> dict[str, tuple[list[Appointment], bool]]:
    """The signed-in patient's upcoming (soonest first) and past (latest first) appointments,
    at most :data:`LISTED_PER_SECTION` of each, with whether there are more."""
    now = timezone.now()
    sections = {}
    for name, past in (("upcoming", False), ("past", True)):
        rows = list(own_appointments(user, past=past, now=now)[: LISTED_PER_SECTION + 1])
        sections[name] = (rows[:LISTED_PER_SECTION], len(rows) > LISTED_PER_SECTION)
    return sections


# --- The doctor's own appointments --------------------------------------------------------


def doctor_agenda(doctor: DoctorPage, first: date, last: date) -> list[Appointment]:
    """The doctor's appointments that take their time on local dates ``first``..``last``, in order."""
    return list(
        Appointment.objects.filter(doctor=doctor)
        .select_related("doctor")
        .starting_between(first, last)
        .filter(status__in=AGENDA_STATUSES)
        .order_by("starts_at")
    )


def pending_requests(doctor: DoctorPage, now: datetime, *, limit: int) -> list[Appointment]:
    """Upcoming requests waiting for the doctor's answer, soonest first."""
    upcoming = Appointment.objects.filter(doctor=doctor, status=Status.PENDING, starts_at__gte=now).select_related(
        "doctor"
    )
    return list(upcoming.order_by("starts_at")[:limit])


def doctor_counts(doctor: DoctorPage, now: datetime) -> dict[str, int]:
    """The dashboard's figures, in one aggregate query."""
    return Appointment.objects.filter(doctor=doctor).aggregate(
        pending=Count("pk", filter=Q(status=Status.PENDING, starts_at__gte=now)),
        upcoming_confirmed=Count("pk", filter=Q(status=Status.CONFIRMED, starts_at__gte=now)),
        # Started but still "confirmed": the doctor has not recorded how it went.
        awaiting_outcome=Count("pk", filter=Q(status=Status.CONFIRMED, starts_at__lt=now)),
    )


def doctor_search(doctor: DoctorPage, *, query: str = "", status: str = "") -> QuerySet[Appointment]:
    """The doctor's appointments matching a reference (typed any way, or part of it), part of the
    patient's name or email, and/or a status; newest first."""
    return search_appointments(
        Appointment.objects.filter(doctor=doctor).select_related("doctor"), query=query, status=status
    )


def search_appointments(results: QuerySet[Appointment], *, query: str = "", status: str = "") -> QuerySet[Appointment]:
    """``results`` matching a reference (typed any way, or part of it), part of the patient's name
    or email, and/or a status; newest first. The doctor's search and the staff API share it."""
    if query:
        results = results.filter(
            Q(reference=normalize_reference(query))
            | Q(reference__icontains=query)
            | Q(full_name__icontains=query)
            | Q(email__icontains=query)
        )
    if status:
        results = results.filter(status=status)
    return results.order_by("-starts_at", "pk")


def affected_by_closure(closure: ClinicClosure) -> QuerySet[Appointment]:
    """Active appointments that fall on a closure's days with a doctor it applies to.

    A closure added after bookings were made does not cancel them silently: staff see this list
    and move or cancel each one, with the usual notice to the patient.
    """
    start, end = closure.interval()
    return (
        Appointment.objects.holding_slots()
        .overlapping(start, end)
        .exclude(doctor__in=closure.open_doctors.all())
        .select_related("doctor")
        .order_by("starts_at", "pk")
    )


# A phone booking's patient search shows at most this many accounts: a pick list, not a directory.
PATIENT_SEARCH_LIMIT = 10


def patient_accounts() -> QuerySet[User]:
    """Accounts staff may book for: active patients (doctors and staff are not booked as patients)."""
    return User.objects.filter(role=User.Role.PATIENT, is_active=True)


def find_patient_accounts(query: str, *, limit: int = PATIENT_SEARCH_LIMIT) -> list[User]:
    """Patient accounts whose email or name contains every word of ``query``; at most ``limit``.

    One bounded query whatever the number of accounts. Fewer than two characters find nothing,
    so a stray keystroke does not list the first patients of the clinic.
    """
    words = query.split()[:4]
    if len("".join(words)) < 2:
        return []
    accounts = patient_accounts()
    for word in words:
        accounts = accounts.filter(
            Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    return list(accounts.order_by("last_name", "first_name", "email")[:limit])


def doctor_future_appointments(doctor: DoctorPage, now: datetime | None = None) -> QuerySet[Appointment]:
    """The doctor's appointments that still hold a time from ``now`` on, soonest first.

    What staff must move to a colleague or cancel (each with the usual notice to the patient)
    when a doctor is suspended: like a closure, a suspension never cancels bookings silently.
    """
    now = now or timezone.now()
    return (
        Appointment.objects.holding_slots()
        .filter(doctor=doctor, ends_at__gt=now)
        .select_related("doctor")
        .order_by("starts_at", "pk")
    )


# --- Staff: the appointment list in the admin ---------------------------------------------

# Time windows of the staff list, by the name used in its URL (``?when=``).
STAFF_WINDOWS = ("upcoming", "today", "next7", "past7", "past", "all")


def in_window(queryset: AppointmentQuerySet, window: str, today: date) -> QuerySet[Appointment]:
    """Appointments of ``queryset`` starting within ``window`` (see STAFF_WINDOWS), in clinic days.

    Each window is one range on ``starts_at``, which the (starts_at, doctor) index reads in
    order; an unknown name means all of them.
    """
    if window == "upcoming":
        return queryset.filter(starts_at__gte=datetime.combine(today, time.min, tzinfo=clinic_zone()))
    if window == "today":
        return queryset.starting_between(today, today)
    if window == "next7":
        return queryset.starting_between(today, today + timedelta(days=6))
    if window == "past7":
        return queryset.starting_between(today - timedelta(days=7), today - timedelta(days=1))
    if window == "past":
        return queryset.filter(starts_at__lt=datetime.combine(today, time.min, tzinfo=clinic_zone()))
    return queryset


REFERENCE_SHAPE = re.compile(rf"^[{REFERENCE_ALPHABET}]{{5}}-[{REFERENCE_ALPHABET}]{{5}}$")
# Phone-like input: an optional +, then digits with the usual separators.
PHONE_SHAPE = re.compile(r"^\+?[\d\s().-]+$")
SEARCH_MAX_LENGTH = 100


def phone_prefix(term: str) -> str | None:
    """The E.164 beginning of a phone number typed the usual ways (``07912 3``, ``+44 7912``,
    ``0044 7912``), or None if ``term`` does not look like the start of one."""
    if not PHONE_SHAPE.match(term):
        return None
    digits = re.sub(r"\D", "", term)
    if len(digits) < 4:
        return None
    if term.lstrip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return f"+{phonenumbers.country_code_for_region(default_region())}{digits[1:]}"
    return "+" + digits


def staff_search(queryset: QuerySet[Appointment], term: str) -> QuerySet[Appointment]:
    """Appointments matching what staff typed, read as what it looks like.

    * a reference with a digit in it (typed any way: ``k7m2q x9pr4``) → that reference, exactly;
    * an email address or the start of one (``@``, or one word with ``.`` or ``_``) → emails
      starting with it;
    * the start of a phone number (``07912 3``, ``+44 7912``) → mobiles starting with it, in E.164;
    * anything else → patients' names starting with it (and the reference, if it has that shape).

    One column per search, and prefixes rather than substrings: each is a range of one index that
    also holds the start time and doctor, so matching, counting and sorting never read table rows.
    ``LIKE '%term%'`` over four columns read every row (6.5 s at a million); an OR over several
    columns makes MariaDB fetch every matching row to merge them (0.5–1 s for a common name).
    """
    term = " ".join(term.split())[:SEARCH_MAX_LENGTH]
    if not term:
        return queryset
    reference = normalize_reference(term)
    reference_shaped = bool(REFERENCE_SHAPE.match(reference))
    if reference_shaped and any(ch.isdigit() for ch in reference):
        return queryset.filter(reference=reference)
    if "@" in term or (" " not in term and any(ch in term for ch in "._")):
        # Emails are stored lower-cased and compared exactly (a binary collation on MySQL), so
        # the prefix is lower-cased here rather than left to a case-insensitive LIKE.
        return queryset.filter(email__startswith=term.lower())
    phone = phone_prefix(term)
    if phone:
        return queryset.filter(mobile__istartswith=phone)
    condition = Q(full_name__istartswith=term)
    if reference_shaped:  # ten letters: a name, or a reference without digits
        condition |= Q(reference=reference)
    return queryset.filter(condition)
