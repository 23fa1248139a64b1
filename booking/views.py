"""Patient-facing booking views. Pages in ``home`` route here; rules live in ``booking.services``."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import ratelimit
from .access import appointment_from_token, get_appointment_for_request, grant_session_access
from .availability import Slot, group_by_local_day
from .forms import BookingForm, FindAppointmentForm
from .models import Appointment, Prescription, clinic_zone
from .prescriptions import latest_signed_snapshot
from .schedules import booking_window, doctor_free_slots
from .services import (
    Actor,
    BookingError,
    book_appointment,
    cancel_cutoff,
    move_appointment,
    patient_can_change,
    transition,
)

DAYS_PER_PAGE = 7


def upcoming_days_for_doctor(doctor, *, days_with_slots: int = 3) -> list[tuple[date, list[Slot]]]:
    """The next few local days on which the doctor has free slots (for the doctor's page)."""
    first, last = booking_window()
    days = group_by_local_day(doctor_free_slots(doctor, first, last), clinic_zone())
    return days[:days_with_slots]


def _parse_from(raw: str | None, first: date, last: date) -> date:
    try:
        start = date.fromisoformat(raw) if raw else first
    except ValueError:
        start = first
    return min(max(start, first), last)


def slot_week_context(request: HttpRequest, doctor, *, show_slots: bool = True) -> dict:
    """The slot picker's context: a week of the doctor's free slots from ``?from=`` (or POST)."""
    first, last = booking_window()
    page_start = _parse_from(request.GET.get("from") or request.POST.get("from"), first, last)
    page_end = min(page_start + timedelta(days=DAYS_PER_PAGE - 1), last)
    tz = clinic_zone()
    slots = doctor_free_slots(doctor, page_start, page_end) if show_slots else []
    return {
        "days": group_by_local_day(slots, tz),
        # A time chosen on the doctor's page arrives preselected (?slot=); the service re-checks it.
        "selected_slot": request.POST.get("slot") or request.GET.get("slot", ""),
        "page_start": page_start,
        "page_end": page_end,
        "previous_from": page_start - timedelta(days=DAYS_PER_PAGE) if page_start > first else None,
        "next_from": page_end + timedelta(days=1) if page_end < last else None,
        "clinic_tz": tz,
    }


def _initial_for(user) -> dict:
    if not user.is_authenticated:
        return {}
    return {"full_name": user.get_full_name(), "email": user.email, "mobile": user.mobile}


def book_with_doctor(request: HttpRequest, doctor) -> HttpResponse:
    """GET: a week of free slots and the form. POST: book through the service, then confirm."""
    status = 200
    form_kwargs = {"offers_online": doctor.offers_online}

    if request.method == "POST":
        form = BookingForm(request.POST, **form_kwargs)
        if form.is_valid():
            patient = request.user if request.user.is_authenticated and request.user.is_patient else None
            try:
                appointment = book_appointment(
                    doctor_id=doctor.pk, starts_at=form.cleaned_data["slot"], details=form.details(), patient=patient
                )
            except BookingError as exc:
                form.add_error("slot", exc.message)
                status = 409
            else:
                grant_session_access(request, appointment)
                return redirect(doctor.url + doctor.reverse_subpage("book_confirmed", args=[appointment.reference]))
        else:
            status = 400
    else:
        form = BookingForm(initial=_initial_for(request.user), **form_kwargs)

    context = {"page": doctor, "self": doctor, "form": form, **slot_week_context(request, doctor)}
    return TemplateResponse(request, "booking/book.html", context, status=status)


def booking_confirmed(request: HttpRequest, doctor, reference: str) -> HttpResponse:
    """The confirmation shown right after booking; only to whoever may see the appointment."""
    appointment = get_appointment_for_request(request, reference)
    if appointment.doctor_id != doctor.pk:
        raise Http404("No such appointment.")
    context = {
        "page": doctor,
        "appointment": appointment,
        "can_change": patient_can_change(appointment),
        "cutoff": cancel_cutoff(appointment),
        "cutoff_hours": settings.BOOKING_CANCEL_CUTOFF_HOURS,
    }
    return TemplateResponse(request, "booking/confirmed.html", context)


@never_cache
def find_appointment(request: HttpRequest) -> HttpResponse:
    """A guest proves reference + email; a match opens the appointment for this session."""
    form = FindAppointmentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not ratelimit.hit(f"find:{ratelimit.client_ip(request)}", limit=10, window_seconds=600):
            form.add_error(None, "Too many attempts. Please wait ten minutes and try again.")
            status = 429
        elif form.is_valid():
            appointment = Appointment.objects.filter(
                reference=form.cleaned_data["reference"], email__iexact=form.cleaned_data["email"]
            ).first()
            if appointment is not None and appointment.patient_id is not None:
                # Reference and email travel in every email: for an account holder's
                # appointment they are not enough; the account's password is.
                login_url = (
                    reverse("account_login") + "?next=" + reverse("booking:appointment", args=[appointment.reference])
                )
                form.add_error(
                    None,
                    format_html(
                        'This appointment belongs to an account. <a href="{}">Sign in</a> to see it.', login_url
                    ),
                )
                status = 403
            elif appointment is not None:
                grant_session_access(request, appointment)
                return redirect("booking:appointment", reference=appointment.reference)
            else:
                # One message for a wrong reference and a wrong email: neither is confirmed.
                form.add_error(None, "No appointment matches that reference and email. Check both and try again.")
                status = 404
        else:
            status = 400
    return TemplateResponse(request, "booking/find.html", {"form": form}, status=status)


def _patient_actor(request: HttpRequest, appointment: Appointment) -> Actor | None:
    """The actor for patient-side changes, or None if this request is not the patient's side.

    Doctors and staff reach the same appointment page but change appointments from their own
    dashboards, so the patient's cancel and reschedule buttons are not theirs.
    """
    user = request.user
    if user.is_authenticated:
        return Actor(Actor.PATIENT, user) if appointment.patient_id == user.pk else None
    return Actor(Actor.GUEST)


def online_link_visible(appointment: Appointment, now=None) -> bool:
    """Patients see the meeting link only from shortly before the start until it ends."""
    now = now or timezone.now()
    opens = appointment.starts_at - timedelta(minutes=settings.ONLINE_LINK_VISIBLE_MINUTES)
    return (
        appointment.mode == Appointment.Mode.ONLINE
        and appointment.status == Appointment.Status.CONFIRMED
        and bool(appointment.meeting_url)
        and opens <= now <= appointment.ends_at
    )


@never_cache
def appointment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = get_appointment_for_request(
        request, reference, Appointment.objects.select_related("doctor", "doctor__photo")
    )
    actor = _patient_actor(request, appointment)
    if actor is None and request.user.is_doctor:
        # The appointment's doctor works from the dashboard's version of this page.
        return redirect("booking:doctor_appointment", reference=appointment.reference)
    prescription = Prescription.objects.filter(appointment=appointment).first()
    context = {
        "appointment": appointment,
        "events": appointment.events.all(),
        "is_patient_side": actor is not None,
        "can_change": actor is not None and patient_can_change(appointment),
        "cutoff": cancel_cutoff(appointment),
        "cutoff_hours": settings.BOOKING_CANCEL_CUTOFF_HOURS,
        "show_meeting_link": online_link_visible(appointment),
        "link_opens_minutes": settings.ONLINE_LINK_VISIBLE_MINUTES,
        # Patients see the newest signed version, even while the doctor drafts the next one.
        "has_prescription": prescription is not None and latest_signed_snapshot(prescription) is not None,
    }
    return TemplateResponse(request, "booking/appointment_detail.html", context)


@never_cache
def guest_link(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    """The signed link in a guest's emails: opens the appointment for this browser session."""
    appointment = appointment_from_token(reference, token)
    if appointment is None:
        raise Http404("This link is invalid or has expired.")
    grant_session_access(request, appointment)
    return redirect("booking:appointment", reference=appointment.reference)


@require_POST
def cancel_appointment(request: HttpRequest, reference: str) -> HttpResponse:
    """The patient (or the guest who proved the booking) cancels, up to the cutoff."""
    appointment = get_appointment_for_request(request, reference)
    actor = _patient_actor(request, appointment)
    if actor is None:
        raise Http404("No such appointment.")
    try:
        transition(appointment, Appointment.Status.CANCELLED, actor, remark=request.POST.get("remark", "")[:500])
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your appointment is cancelled. We have emailed you a confirmation.")
    return redirect("booking:appointment", reference=appointment.reference)


@never_cache
def reschedule_appointment(request: HttpRequest, reference: str) -> HttpResponse:
    """Pick another free slot of the same doctor; the move goes through the booking lock."""
    appointment = get_appointment_for_request(request, reference)
    actor = _patient_actor(request, appointment)
    if actor is None:
        raise Http404("No such appointment.")
    doctor = appointment.doctor
    status = 200
    error = ""
    can_change = patient_can_change(appointment)
    if not can_change:
        error = (
            f"This appointment can no longer be moved online: changes are possible up to "
            f"{settings.BOOKING_CANCEL_CUTOFF_HOURS} hours before the start. Please phone the clinic."
        )
        status = 409 if request.method == "POST" else 200
    elif request.method == "POST":
        try:
            starts_at = datetime.fromisoformat(request.POST.get("slot", ""))
            if timezone.is_naive(starts_at):
                raise ValueError
        except ValueError:
            error, status = "Pick a new time from the list.", 400
        else:
            try:
                move_appointment(appointment, starts_at, actor)
            except BookingError as exc:
                error, status = exc.message, 409
            else:
                messages.success(request, "Your appointment has been moved. We have emailed you the new time.")
                return redirect("booking:appointment", reference=appointment.reference)

    context = {
        "appointment": appointment,
        "error": error,
        "slot_errors": [error] if error else [],
        "can_change": can_change,
        **slot_week_context(request, doctor, show_slots=can_change),
    }
    return TemplateResponse(request, "booking/reschedule.html", context, status=status)


@never_cache
def appointment_ics(request: HttpRequest, reference: str) -> HttpResponse:
    """The appointment as a calendar file, for whoever may see the appointment."""
    from .ics import appointment_ics as build_ics

    appointment = get_appointment_for_request(request, reference)
    # PUBLISH: a file saved from the site is a calendar entry, not a meeting request to answer.
    response = HttpResponse(build_ics(appointment, method="PUBLISH"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.reference}.ics"'
    return response


@never_cache
@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own appointments, upcoming first."""
    now = timezone.now()
    mine = Appointment.objects.for_patient(request.user).select_related("doctor")
    context = {
        "upcoming": mine.filter(ends_at__gte=now).order_by("starts_at"),
        "past": mine.filter(ends_at__lt=now).order_by("-starts_at")[:50],
    }
    return TemplateResponse(request, "booking/me.html", context)
