"""Patient-facing views: book, confirm, look up, cancel, move, download, add found bookings.

Rules live in ``services``, ``claims`` and ``booking.access``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.models import Site

from portal import ratelimit

from ..access import (
    appointment_from_token,
    can_view,
    get_appointment_for_request,
    grant_session_access,
    guest_grant_applies,
    sign_in_if_anonymous,
)
from ..availability.selectors import slot_week
from ..errors import BookingError, ClaimRefused
from ..models import Appointment
from ..notifications.calendar import appointment_ics as build_ics
from .claims import claim_booking, dismiss_booking, found_bookings
from .forms import BookingForm, FindAppointmentForm
from .selectors import bookable_doctor, has_signed_prescription, patient_appointments
from .services import Actor, book_appointment, move_appointment, transition


def slot_week_context(request: HttpRequest, doctor, *, show_slots: bool = True) -> dict:
    """The slot picker's week (``?from=``, or the POSTed ``from``) and the time to preselect."""
    return {
        **slot_week(doctor, request.GET.get("from") or request.POST.get("from"), show_slots=show_slots),
        # A time chosen on the doctor's page arrives preselected (?slot=); the service re-checks it.
        "selected_slot": request.POST.get("slot") or request.GET.get("slot", ""),
    }


def _doctor_or_404(request: HttpRequest, page_path: str):
    doctor = bookable_doctor(Site.find_for_request(request), page_path)
    if doctor is None:
        raise Http404("No such doctor.")
    return doctor


def _initial_for(user) -> dict:
    if not user.is_authenticated:
        return {}
    return {"full_name": user.get_full_name(), "email": user.email, "mobile": user.mobile}


@never_cache
def book_with_doctor(request: HttpRequest, page_path: str) -> HttpResponse:
    """GET: a week of free slots and the form. POST: book through the service, then confirm."""
    doctor = _doctor_or_404(request, page_path)
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
                return redirect("appointments:confirmed", page_path=page_path, reference=appointment.reference)
        else:
            status = 400
    else:
        form = BookingForm(initial=_initial_for(request.user), **form_kwargs)

    context = {"page": doctor, "self": doctor, "form": form, **slot_week_context(request, doctor)}
    return TemplateResponse(request, "booking/appointments/book.html", context, status=status)


@never_cache
@sign_in_if_anonymous
def booking_confirmed(request: HttpRequest, page_path: str, reference: str) -> HttpResponse:
    """The confirmation shown right after booking; only to whoever may see the appointment."""
    doctor = _doctor_or_404(request, page_path)
    appointment = get_appointment_for_request(request, reference)
    if appointment.doctor_id != doctor.pk:
        raise Http404("No such appointment.")
    context = {
        "page": doctor,
        "appointment": appointment,
        "can_change": appointment.patient_can_change(),
        "cutoff": appointment.cancel_cutoff,
        "cutoff_hours": settings.BOOKING_CANCEL_CUTOFF_HOURS,
        "link_opens_minutes": settings.ONLINE_LINK_VISIBLE_MINUTES,
    }
    return TemplateResponse(request, "booking/appointments/confirmed.html", context)


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
            # The form gives the email in the stored form; equality is exact on every database.
            appointment = Appointment.objects.filter(
                reference=form.cleaned_data["reference"], email=form.cleaned_data["email"]
            ).first()
            if appointment is not None and appointment.patient_id is not None:
                # Reference and email travel in every email: for an account holder's
                # appointment they are not enough; the account's password is.
                login_url = (
                    reverse("account_login") + "?next=" + reverse("appointments:detail", args=[appointment.reference])
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
                return redirect("appointments:detail", reference=appointment.reference)
            else:
                # One message for a wrong reference and a wrong email: neither is confirmed.
                form.add_error(None, "No appointment matches that reference and email. Check both and try again.")
                status = 404
        else:
            status = 400
    return TemplateResponse(request, "booking/appointments/find.html", {"form": form}, status=status)


def _patient_actor(request: HttpRequest, appointment: Appointment) -> Actor | None:
    """The actor for patient-side changes, or None if this request is not the patient's side.

    Doctors and staff reach the same appointment page but change appointments from their own
    dashboards, so the patient's cancel and reschedule buttons are not theirs.
    """
    user = request.user
    if user.is_authenticated:
        return Actor(Actor.PATIENT, user) if appointment.patient_id == user.pk else None
    return Actor(Actor.GUEST)


@never_cache
@sign_in_if_anonymous
def appointment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = get_appointment_for_request(
        request, reference, Appointment.objects.select_related("doctor", "doctor__photo")
    )
    actor = _patient_actor(request, appointment)
    if actor is None and request.user.is_doctor:
        # The appointment's doctor works from the dashboard's version of this page.
        return redirect("doctor:appointment", reference=appointment.reference)
    context = {
        "appointment": appointment,
        "events": appointment.events.all(),
        "is_patient_side": actor is not None,
        "can_change": actor is not None and appointment.patient_can_change(),
        "cutoff": appointment.cancel_cutoff,
        "cutoff_hours": settings.BOOKING_CANCEL_CUTOFF_HOURS,
        "show_meeting_link": appointment.online_link_visible(),
        "link_opens_minutes": settings.ONLINE_LINK_VISIBLE_MINUTES,
        # Patients see the newest signed version, even while the doctor drafts the next one.
        "has_prescription": has_signed_prescription(appointment),
    }
    return TemplateResponse(request, "booking/appointments/detail.html", context)


@never_cache
def guest_link(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    """The signed link in a guest's emails: opens a guest booking for this browser session.

    A booking that has since joined an account opens only with that account's password: the
    link then leads to sign-in and on to the appointment (straight there if already signed in
    to an account that may see it).
    """
    appointment = appointment_from_token(reference, token)
    if appointment is None:
        raise Http404("This link is invalid or has expired.")
    detail_url = reverse("appointments:detail", args=[appointment.reference])
    if guest_grant_applies(request.user, appointment):
        grant_session_access(request, appointment)
        return redirect(detail_url)
    if request.user.is_authenticated and can_view(request.user, appointment):
        return redirect(detail_url)
    if appointment.patient_id is not None:
        messages.info(request, "This appointment is now in a patient account. Sign in to see it.")
    return redirect_to_login(detail_url)


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
    return redirect("appointments:detail", reference=appointment.reference)


@never_cache
@sign_in_if_anonymous
def reschedule_appointment(request: HttpRequest, reference: str) -> HttpResponse:
    """Pick another free slot of the same doctor; the move goes through the booking lock."""
    appointment = get_appointment_for_request(request, reference)
    actor = _patient_actor(request, appointment)
    if actor is None:
        raise Http404("No such appointment.")
    doctor = appointment.doctor
    status = 200
    error = ""
    can_change = appointment.patient_can_change()
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
                return redirect("appointments:detail", reference=appointment.reference)

    context = {
        "appointment": appointment,
        "error": error,
        "slot_errors": [error] if error else [],
        "can_change": can_change,
        **slot_week_context(request, doctor, show_slots=can_change),
    }
    return TemplateResponse(request, "booking/appointments/reschedule.html", context, status=status)


@never_cache
@sign_in_if_anonymous
def appointment_ics(request: HttpRequest, reference: str) -> HttpResponse:
    """The appointment as a calendar file, for whoever may see the appointment."""
    appointment = get_appointment_for_request(request, reference)
    # PUBLISH: a file saved from the site is a calendar entry, not a meeting request to answer.
    response = HttpResponse(build_ics(appointment, method="PUBLISH"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.reference}.ics"'
    return response


@never_cache
@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own appointments, upcoming first, and guest bookings found for their
    verified addresses, each waiting for "add to my account" or "not mine"."""
    context = {**patient_appointments(request.user), "found": found_bookings(request.user)}
    return TemplateResponse(request, "booking/appointments/mine.html", context)


@require_POST
@login_required
def claim_found_booking(request: HttpRequest, reference: str) -> HttpResponse:
    """The patient confirms a found guest booking is theirs; 404 unless it is offered to them."""
    try:
        appointment = claim_booking(request.user, reference)
    except ClaimRefused:
        raise Http404("No such booking.") from None
    messages.success(
        request,
        f"The appointment {appointment.reference} on {date_format(appointment.local_starts_at, 'j F Y')} "
        "is now in your account. Links in earlier emails now ask you to sign in.",
    )
    return redirect(reverse("appointments:mine") + "#found")


@require_POST
@login_required
def dismiss_found_booking(request: HttpRequest, reference: str) -> HttpResponse:
    """The patient says a found guest booking is not theirs; 404 unless it is offered to them."""
    try:
        appointment = dismiss_booking(request.user, reference)
    except ClaimRefused:
        raise Http404("No such booking.") from None
    messages.success(
        request,
        f"We will not offer booking {appointment.reference} to your account again. "
        "If you think someone booked with your email by mistake, please contact the clinic.",
    )
    return redirect(reverse("appointments:mine") + "#found")
