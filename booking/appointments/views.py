"""Patient-facing views: book, confirm, look up, cancel, move, download. Rules live in ``services``."""

from __future__ import annotations

from datetime import datetime

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
from wagtail.models import Site

from portal import ratelimit

from ..access import appointment_from_token, get_appointment_for_request, grant_session_access, session_references
from ..availability.selectors import slot_week
from ..errors import BookingError
from ..models import Appointment
from ..notifications.calendar import appointment_ics as build_ics
from .checkout import MoneySummary, get_checkout
from .forms import BookingForm, FindAppointmentForm
from .selectors import bookable_doctor, has_signed_prescription, own_booking_of_slot, patient_appointments
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
    """GET: a week of free slots and the form. POST: book through the service, then confirm.

    The checkout (``checkout.get_checkout()``) says what the page tells patients about paying
    and how a booking starts: as a request to the doctor, or as a hold while the patient pays on
    the next page. Amounts are never read from the form.
    """
    doctor = _doctor_or_404(request, page_path)
    status = 200
    checkout = get_checkout()
    terms = checkout.terms(doctor)
    form_kwargs = {"offers_online": doctor.offers_online, "payment_choice": terms.offers_choice}

    if request.method == "POST":
        form = BookingForm(request.POST, **form_kwargs)
        if form.is_valid():
            patient = request.user if request.user.is_authenticated and request.user.is_patient else None
            now = timezone.now()
            start = checkout.start(
                doctor, mode=form.cleaned_data["mode"], pay_online=form.chose_online_payment, now=now
            )
            try:
                appointment = book_appointment(
                    doctor_id=doctor.pk,
                    starts_at=form.cleaned_data["slot"],
                    details=form.details(),
                    patient=patient,
                    now=now,
                    status=start.status,
                    hold_until=start.hold_until,
                )
            except BookingError as exc:
                # The same form sent twice (a double click): continue where the first one went.
                appointment = own_booking_of_slot(
                    session_references(request), doctor, form.cleaned_data["slot"], form.cleaned_data["email"]
                )
                if appointment is None:
                    form.add_error("slot", exc.message)
                    status = 409
            if appointment is not None and status != 409:
                grant_session_access(request, appointment)
                confirmed = reverse(
                    "appointments:confirmed", kwargs={"page_path": page_path, "reference": appointment.reference}
                )
                return redirect(checkout.next_url(appointment) or confirmed)
        else:
            status = 400
    else:
        form = BookingForm(initial=_initial_for(request.user), **form_kwargs)

    context = {"page": doctor, "self": doctor, "form": form, "terms": terms, **slot_week_context(request, doctor)}
    return TemplateResponse(request, "booking/appointments/book.html", context, status=status)


def _money(appointment: Appointment) -> MoneySummary | None:
    return get_checkout().summaries([appointment], now=timezone.now()).get(appointment.pk)


@never_cache
def booking_confirmed(request: HttpRequest, page_path: str, reference: str) -> HttpResponse:
    """The confirmation shown right after booking; only to whoever may see the appointment."""
    doctor = _doctor_or_404(request, page_path)
    appointment = get_appointment_for_request(request, reference)
    if appointment.doctor_id != doctor.pk:
        raise Http404("No such appointment.")
    context = {
        "page": doctor,
        "appointment": appointment,
        "money": _money(appointment),
        "can_change": appointment.patient_can_change(),
        "cutoff": appointment.cancel_cutoff,
        "cutoff_hours": settings.BOOKING_CANCEL_CUTOFF_HOURS,
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
            appointment = Appointment.objects.filter(
                reference=form.cleaned_data["reference"], email__iexact=form.cleaned_data["email"]
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
        "money": _money(appointment),
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
    """The signed link in a guest's emails: opens the appointment for this browser session."""
    appointment = appointment_from_token(reference, token)
    if appointment is None:
        raise Http404("This link is invalid or has expired.")
    grant_session_access(request, appointment)
    return redirect("appointments:detail", reference=appointment.reference)


@require_POST
def cancel_appointment(request: HttpRequest, reference: str) -> HttpResponse:
    """The patient (or the guest who proved the booking) cancels, up to the cutoff."""
    appointment = get_appointment_for_request(request, reference)
    actor = _patient_actor(request, appointment)
    if actor is None:
        raise Http404("No such appointment.")
    money = _money(appointment)
    try:
        transition(appointment, Appointment.Status.CANCELLED, actor, remark=request.POST.get("remark", "")[:500])
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        refund = f" {money.cancel_refund} is being refunded to your card." if money and money.cancel_refund else ""
        messages.success(request, f"Your appointment is cancelled. We have emailed you a confirmation.{refund}")
    return redirect("appointments:detail", reference=appointment.reference)


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
    """The signed-in user's own appointments, upcoming first, with what was paid and refunded."""
    context: dict = patient_appointments(request.user)
    upcoming, past = list(context["upcoming"]), list(context["past"])
    context.update(upcoming=upcoming, past=past, money=get_checkout().summaries(upcoming + past, now=timezone.now()))
    return TemplateResponse(request, "booking/appointments/mine.html", context)
