"""Reads of appointments and of the doctor being booked, for the patient-side views."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from wagtail.models import Site

from home.models import DoctorPage

from ..models import Appointment, ClinicClosure, Prescription, PrescriptionRevision, normalize_reference

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


def patient_appointments(user) -> dict[str, QuerySet[Appointment]]:
    """The signed-in patient's upcoming (soonest first) and past (latest first, 50) appointments."""
    now = timezone.now()
    return {
        "upcoming": own_appointments(user, past=False, now=now),
        "past": own_appointments(user, past=True, now=now)[:50],
    }


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
