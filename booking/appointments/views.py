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

from ..access import (
    appointment_from_confirm_token,
    appointment_from_token,
    can_view,
    end_session_access,
    get_appointment_for_request,
    grant_session_access,
    guest_grant_applies,
    record_appointment_audit,
    session_access_ends,
    session_references,
    sign_in_if_anonymous,
)
from ..availability.selectors import slot_week
from ..errors import AlreadyConfirmed, BookingError, ClaimRefused, ProofOfWorkRefused, TooManyAttempts
from ..models import Appointment, AuditEvent, normalize_reference
from ..notifications.calendar import appointment_ics as build_ics
from . import limits
from .checkout import MoneySummary, get_checkout
from .claims import claim_booking, dismiss_booking, found_bookings
from .entry import book_from_request, find_guest_booking, patient_actor
from .forms import BookingForm, CancelForm, FindAppointmentForm
from .selectors import bookable_doctor, has_signed_prescription, own_booking_of_slot, patient_appointments
from .services import (
    Actor,
    confirm_guest_email,
    confirmation_refusal,
    move_appointment,
    transition,
)


def slot_week_context(request: HttpRequest, doctor, *, show_slots: bool = True) -> dict:
    """The slot picker's week (``?from=``, or the POSTed ``from``), its day shown and the time to preselect."""
    # A time chosen on the doctor's page or a card arrives preselected (?slot=); the service re-checks it.
    selected_slot = (request.POST.get("slot") or request.GET.get("slot", ""))[:64]
    week = slot_week(
        doctor,
        request.GET.get("from") or request.POST.get("from"),
        show_slots=show_slots,
        day=request.GET.get("day") or request.POST.get("day"),
        selected_slot=selected_slot,
    )
    return {**week, "selected_slot": selected_slot}


def _doctor_or_404(request: HttpRequest, page_path: str):
    doctor = bookable_doctor(Site.find_for_request(request), page_path)
    if doctor is None:
        raise Http404("No such doctor.")
    return doctor


def _initial_for(user) -> dict:
    if not user.is_authenticated:
        return {}
    return {"full_name": user.get_full_name(), "email": user.email, "mobile": user.mobile}


def _refusal_status(exc: BookingError) -> int:
    """429 for a limit (the page says what to do), 400 for a missing puzzle answer, 409 otherwise."""
    if isinstance(exc, TooManyAttempts):
        return 429
    if isinstance(exc, ProofOfWorkRefused):
        return 400
    return 409


def _with_retry_after(response: TemplateResponse, refusal: BookingError | None) -> TemplateResponse:
    """Tell a rate-limited client when it may try again."""
    if isinstance(refusal, TooManyAttempts):
        response["Retry-After"] = str(refusal.retry_after)
    return response


@never_cache
def book_with_doctor(request: HttpRequest, page_path: str) -> HttpResponse:
    """GET: a week of free slots and the form. POST: check the limits, book through the service.

    A guest's booking then waits for its email to be confirmed; a signed-in patient's goes
    straight to the doctor (``services.book_on_website``). The checkout
    (``checkout.get_checkout()``) says what the page tells patients about paying, and whether
    this booking must be paid first: then it holds its time while the patient pays on the next
    page. Amounts are never read from the form.
    """
    doctor = _doctor_or_404(request, page_path)
    status = 200
    refusal: BookingError | None = None
    checkout = get_checkout()
    terms = checkout.terms(doctor)
    form_kwargs = {"offers_online": doctor.offers_online, "payment_choice": terms.offers_choice}

    if request.method == "POST":
        form = BookingForm(request.POST, **form_kwargs)
        appointment: Appointment | None = None
        try:
            appointment = book_from_request(request, doctor, form, pow_answer=request.POST.get(limits.POW_FIELD, ""))
        except (TooManyAttempts, ProofOfWorkRefused) as exc:
            form.add_error(None, exc.message)
            refusal, status = exc, _refusal_status(exc)
        except BookingError as exc:
            # The same form sent twice (a double click): continue where the first one went.
            appointment = own_booking_of_slot(
                session_references(request), doctor, form.cleaned_data["slot"], form.cleaned_data["email"]
            )
            if appointment is None:
                form.add_error("slot", exc.message)
                status = 409
        else:
            if appointment is None:
                status = 400
        if appointment is not None:
            grant_session_access(request, appointment)
            confirmed = reverse(
                "appointments:confirmed", kwargs={"page_path": page_path, "reference": appointment.reference}
            )
            return redirect(checkout.next_url(appointment) or confirmed)
    else:
        form = BookingForm(initial=_initial_for(request.user), **form_kwargs)

    context = {
        "page": doctor,
        "self": doctor,
        "form": form,
        "terms": terms,
        "guest_confirmation_minutes": settings.GUEST_CONFIRMATION_MINUTES,
        **slot_week_context(request, doctor),
        **limits.proof_of_work_context(),
    }
    response = TemplateResponse(request, "booking/appointments/book.html", context, status=status)
    return _with_retry_after(response, refusal)


def _money(appointment: Appointment) -> MoneySummary | None:
    return get_checkout().summaries([appointment], now=timezone.now()).get(appointment.pk)


@never_cache
@sign_in_if_anonymous
def booking_confirmed(request: HttpRequest, page_path: str, reference: str) -> HttpResponse:
    """The confirmation shown right after booking; only to whoever may see the appointment."""
    doctor = _doctor_or_404(request, page_path)
    appointment = get_appointment_for_request(request, reference, detail="booking confirmation")
    if appointment.doctor_id != doctor.pk:
        raise Http404("No such appointment.")
    context = {
        "page": doctor,
        "appointment": appointment,
        "money": _money(appointment),
        "can_change": appointment.patient_can_change(),
        "cutoff": appointment.cancel_cutoff,
        "cutoff_hours": settings.BOOKING_CANCEL_CUTOFF_HOURS,
        "guest_confirmation_minutes": settings.GUEST_CONFIRMATION_MINUTES,
        "link_opens_minutes": settings.ONLINE_LINK_VISIBLE_MINUTES,
    }
    return TemplateResponse(request, "booking/appointments/confirmed.html", context)


CONFIRM_TEMPLATE = "booking/appointments/confirm_email.html"


@never_cache
def confirm_email(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    """The link in a guest's "confirm your booking" email.

    GET shows the booking with a button; the POST confirms it (or, "I did not book this",
    cancels it). Not a GET that confirms: mail filters open the links in emails to scan them,
    and that must not confirm a booking somebody else made with this address.
    """
    appointment = appointment_from_confirm_token(reference, token)
    minutes = settings.GUEST_CONFIRMATION_MINUTES
    if appointment is None:
        return TemplateResponse(request, CONFIRM_TEMPLATE, {"state": "invalid", "minutes": minutes}, status=404)
    context = {"appointment": appointment, "page": appointment.doctor, "minutes": minutes}
    if request.method == "POST" and request.POST.get("action") == "cancel":
        return _not_my_booking(request, appointment, context)
    try:
        if request.method != "POST":
            refusal = confirmation_refusal(appointment, now=timezone.now())
            if refusal is not None:
                raise refusal
            context.update(state="ask")
            return TemplateResponse(request, CONFIRM_TEMPLATE, context)
        confirm_guest_email(appointment)
    except AlreadyConfirmed as exc:
        _grant_guest(request, appointment)
        messages.info(request, exc.message)
        return redirect("appointments:detail", reference=appointment.reference)
    except BookingError as exc:
        context.update(state="lapsed", message=exc.message)
        return TemplateResponse(request, CONFIRM_TEMPLATE, context, status=409)
    _grant_guest(request, appointment)
    messages.success(
        request,
        f"Thank you for confirming. Your request is now with {appointment.doctor.title}: we have emailed you "
        "that we received it, and the clinic will confirm the time by email.",
    )
    return redirect("appointments:detail", reference=appointment.reference)


def _grant_guest(request: HttpRequest, appointment: Appointment) -> None:
    """Open a guest's booking in this browser; one that joined an account opens after signing in."""
    if appointment.patient_id is None:
        grant_session_access(request, appointment)


def _not_my_booking(request: HttpRequest, appointment: Appointment, context: dict) -> HttpResponse:
    """The mailbox's owner did not make this booking: cancel it so the time is free at once."""
    try:
        transition(
            appointment, Appointment.Status.CANCELLED, Actor(Actor.GUEST), remark="Not made by the email's owner."
        )
    except BookingError as exc:
        context.update(state="lapsed", message=exc.message)
        return TemplateResponse(request, CONFIRM_TEMPLATE, context, status=409)
    context.update(state="cancelled")
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


@never_cache
def find_appointment(request: HttpRequest) -> HttpResponse:
    """A guest proves reference + email; a match opens the appointment for this session."""
    form = FindAppointmentForm(request.POST or None)
    status = 200
    refusal: BookingError | None = None
    if request.method == "POST":
        try:
            appointment = find_guest_booking(request, form, pow_answer=request.POST.get(limits.POW_FIELD, ""))
        except (TooManyAttempts, ProofOfWorkRefused) as exc:
            form.add_error(None, exc.message)
            refusal, status = exc, _refusal_status(exc)
    if request.method == "POST" and refusal is None:
        if form.is_valid():
            if appointment is not None:
                return redirect("appointments:detail", reference=appointment.reference)
            # One answer for a wrong reference, a wrong email and an account holder's booking:
            # the page never tells whether a reference exists or belongs to an account.
            login_url = reverse("account_login") + "?next=" + reverse("appointments:mine")
            form.add_error(
                None,
                format_html(
                    "No appointment matches that reference and email. Check both and try again. "
                    'If you booked while signed in to an account, <a href="{}">sign in</a> to see it.',
                    login_url,
                ),
            )
            status = 404
        else:
            status = 400
    context = {"form": form, **limits.proof_of_work_context()}
    response = TemplateResponse(request, "booking/appointments/find.html", context, status=status)
    return _with_retry_after(response, refusal)


@never_cache
@sign_in_if_anonymous
def appointment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    appointment = get_appointment_for_request(
        request, reference, Appointment.objects.select_related("doctor", "doctor__photo")
    )
    actor = patient_actor(request, appointment)
    if actor is None and getattr(request.user, "is_doctor", False):
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
        # Set when this browser sees the appointment through a guest grant: the page offers to end it.
        "browser_access_ends": session_access_ends(request, appointment.reference),
    }
    return TemplateResponse(request, "booking/appointments/detail.html", context)


@require_POST
def end_browser_access(request: HttpRequest) -> HttpResponse:
    """ "End access on this browser": forget every appointment this browser proved as a guest."""
    end_session_access(request)
    if not request.user.is_authenticated:
        # A fresh session id too, so a copy of the old cookie opens nothing either.
        request.session.cycle_key()
    messages.success(
        request,
        "This browser no longer shows your appointment. To see it again, enter its reference and your "
        "email, or open the link in your emails.",
    )
    return redirect("appointments:find")


@never_cache
def guest_link(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    """The signed link in a guest's emails: opens a guest booking for this browser session.

    A booking that has since joined an account opens only with that account's password: the
    link then leads to sign-in and on to the appointment (straight there if already signed in
    to an account that may see it).
    """
    appointment = appointment_from_token(reference, token)
    if appointment is None:
        existing = Appointment.objects.filter(reference=normalize_reference(reference)).first()
        if existing is not None:
            record_appointment_audit(
                request, existing, AuditEvent.Action.VIEW, outcome=AuditEvent.Outcome.REFUSED, detail="signed link"
            )
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
    appointment = get_appointment_for_request(
        request,
        reference,
        action=AuditEvent.Action.CHANGE,
        record_allowed=False,  # the service records it
    )
    actor = patient_actor(request, appointment)
    if actor is None:
        raise Http404("No such appointment.")
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Reason for cancelling: {form.errors['remark'][0]} Nothing was changed.")
        return redirect("appointments:detail", reference=appointment.reference)
    money = _money(appointment)
    try:
        transition(appointment, Appointment.Status.CANCELLED, actor, remark=form.cleaned_data["remark"])
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        refund = f" {money.cancel_refund} is being refunded to your card." if money and money.cancel_refund else ""
        messages.success(request, f"Your appointment is cancelled. We have emailed you a confirmation.{refund}")
    return redirect("appointments:detail", reference=appointment.reference)


@never_cache
@sign_in_if_anonymous
def reschedule_appointment(request: HttpRequest, reference: str) -> HttpResponse:
    """Pick another free slot of the same doctor; the move goes through the booking lock."""
    # A POST is recorded by the move service (done or refused); a GET is a look.
    posted = request.method == "POST"
    appointment = get_appointment_for_request(
        request,
        reference,
        action=AuditEvent.Action.CHANGE if posted else AuditEvent.Action.VIEW,
        record_allowed=not posted,
        detail="reschedule page",
    )
    actor = patient_actor(request, appointment)
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
    appointment = get_appointment_for_request(
        request, reference, action=AuditEvent.Action.DOWNLOAD, detail="calendar file"
    )
    # PUBLISH: a file saved from the site is a calendar entry, not a meeting request to answer.
    response = HttpResponse(build_ics(appointment, method="PUBLISH"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.reference}.ics"'
    return response


@never_cache
@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own appointments, upcoming first, with what was paid and refunded, and
    guest bookings found for their verified addresses, each waiting for "add to my account" or
    "not mine"."""
    mine = patient_appointments(request.user)
    (upcoming, more_upcoming), (past, more_past) = mine["upcoming"], mine["past"]
    context = {
        "upcoming": upcoming,
        "past": past,
        "more_upcoming": more_upcoming,
        "more_past": more_past,
        "money": get_checkout().summaries(upcoming + past, now=timezone.now()),
        "found": found_bookings(request.user),
    }
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
