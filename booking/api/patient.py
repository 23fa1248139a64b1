"""Patient endpoints: book (guest or signed in), own appointments, cancel, reschedule, calendar
file, prescriptions.

Booking runs the web form's validation (``BookingForm``) and the same limits and service
(``booking.appointments.entry.book_from_request``): a guest's booking starts unconfirmed and is
confirmed from the email, exactly as on the site, and the booking is granted to the caller's
session as the page does. Every reference goes through ``booking.access`` (404 for anything not
the caller's) and every change through the lifecycle services.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.decorators import decorate_view

from home.models import ClinicSettings

from ..access import get_appointment_for_request, grant_session_access, is_appointments_doctor
from ..appointments import limits as booking_limits
from ..appointments.checkout import get_checkout
from ..appointments.entry import book_from_request, find_guest_booking, patient_actor
from ..appointments.forms import BookingForm, CancelForm, FindAppointmentForm
from ..appointments.selectors import has_signed_prescription, own_appointments
from ..appointments.services import move_appointment, transition
from ..errors import TooManyAttempts
from ..models import Appointment, AuditEvent
from ..notifications.calendar import appointment_ics
from ..prescriptions.pdf import prescription_pdf
from ..prescriptions.reading import Action, audit_prescription, readable_prescription
from ..prescriptions.snapshots import PrescriptionSnapshot
from .errors import ERROR_CODES, ErrorOut, InvalidInput, rate_limited, responds
from .pagination import Paged, PageParams, paginate
from .public import live_doctor
from .schemas import (
    AppointmentDetailOut,
    AppointmentOut,
    BookingIn,
    CancelIn,
    LookupIn,
    PrescriptionOut,
    RescheduleIn,
)
from .security import OPTIONAL_AUTH_OPENAPI, SIGNED_IN, optional_user

router = Router(tags=["patient"])

# Form field → API field, so field errors name what the client sent.
BOOKING_FIELDS = {"slot": "starts_at", "reason": "message"}


def appointment_json(request: HttpRequest, appointment: Appointment) -> dict:
    return AppointmentOut.build(appointment, clinician=is_appointments_doctor(request.user, appointment))


def _visible(request: HttpRequest, reference: str, **kwargs) -> Appointment:
    """The appointment if the caller (account, or guest session) may see it; else 404."""
    optional_user(request)
    return get_appointment_for_request(request, reference, Appointment.objects.select_related("doctor"), **kwargs)


def _patient_side(request: HttpRequest, reference: str):
    """The appointment and the patient-side actor for a change; 404 for everyone else."""
    appointment = _visible(request, reference, action=AuditEvent.Action.CHANGE, record_allowed=False)
    actor = patient_actor(request, appointment)
    if actor is None:
        raise Http404("No such appointment.")
    return appointment, actor


def counted_before_parsing(check: Callable[[HttpRequest], None]):
    """Count every request against a web form's per-address limit, even one whose body does not
    parse: the forms count every post, valid or not, so a flood of junk costs as much as good posts."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                check(request)
            except TooManyAttempts as exc:
                return rate_limited(exc.message, exc.retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@router.post(
    "/appointments",
    response=responds(AppointmentOut, 201),
    auth=None,
    summary="Book an appointment",
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
@decorate_view(counted_before_parsing(booking_limits.check_booking_attempt))
def book(request: HttpRequest, payload: BookingIn):
    """Guests and signed-in patients alike; the same limits as the booking page (429 with Retry-After).

    A guest's booking is ``unconfirmed`` and holds the time while the guest confirms it from the
    email; a signed-in patient's goes straight to the doctor (``pending``). Where the clinic takes
    payment online first (the same checkout as the booking page), the booking is
    ``pending_payment`` instead, holding its time until ``hold_expires_at``, and ``payment_url``
    names the endpoint that starts the payment.
    """
    optional_user(request)
    doctor = live_doctor(payload.doctor_id)
    form = BookingForm(
        {
            "slot": payload.starts_at.isoformat(),
            "full_name": payload.full_name,
            "email": payload.email,
            "mobile": payload.mobile,
            "reason": payload.message,
            "mode": payload.mode,
            "payment": payload.payment,
        },
        offers_online=doctor.offers_online,
        payment_choice=get_checkout().terms(doctor).offers_choice,
    )
    appointment = book_from_request(request, doctor, form, pow_answer=payload.pow, attempt_counted=True)
    if appointment is None:
        errors = {
            BOOKING_FIELDS.get(field, field): [str(m) for m in messages] for field, messages in form.errors.items()
        }
        raise InvalidInput("Some fields are not valid; nothing was booked.", errors)
    grant_session_access(request, appointment)
    return 201, appointment_json(request, appointment)


@router.post(
    "/appointments/lookup",
    response=responds(AppointmentOut),
    auth=None,
    summary="Open a guest booking (reference + email)",
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
@decorate_view(counted_before_parsing(booking_limits.check_lookup_attempt))
def lookup(request: HttpRequest, payload: LookupIn):
    """A guest proves a booking with its reference and the email it was made with, as on the
    "find my appointment" page: the booking opens for this session (cookie) from then on.

    One 404 for a wrong reference, a wrong email and a booking that belongs to an account (which
    opens by signing in), so nobody learns which references exist. Rate-limited per address and
    per email like the page.
    """
    optional_user(request)
    form = FindAppointmentForm({"reference": payload.reference, "email": payload.email})
    appointment = find_guest_booking(request, form, pow_answer=payload.pow, attempt_counted=True)
    if appointment is None:
        if not form.is_valid():
            raise InvalidInput.from_form(form)
        raise Http404("No such appointment.")
    return appointment_json(request, appointment)


@router.get("/appointments", response=responds(Paged[AppointmentOut]), auth=SIGNED_IN, summary="My appointments")
def my_appointments(request: HttpRequest, page: Query[PageParams], past: bool = False):
    """The signed-in patient's own appointments: upcoming (soonest first) or ``past=true``."""
    return paginate(own_appointments(request.user, past=past), page, lambda a: appointment_json(request, a))


@router.get(
    "/appointments/{reference}",
    response=responds(AppointmentDetailOut),
    auth=None,
    summary="One appointment",
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def appointment_detail(request: HttpRequest, reference: str):
    appointment = _visible(request, reference, detail="API")
    actor = patient_actor(request, appointment)
    return {
        **appointment_json(request, appointment),
        "can_change": actor is not None and appointment.patient_can_change(),
        "has_prescription": has_signed_prescription(appointment),
        "events": [
            {
                "at": event.created_at,
                "actor_role": event.actor_role,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "remark": event.remark,
            }
            for event in appointment.events.all()
        ],
    }


@router.post(
    "/appointments/{reference}/cancel",
    response=responds(AppointmentOut),
    auth=None,
    summary="Cancel (patient)",
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def cancel(request: HttpRequest, reference: str, payload: CancelIn):
    """Up to the cutoff before the start; after it, 409 with the clinic's message."""
    appointment, actor = _patient_side(request, reference)
    form = CancelForm({"remark": payload.remark})
    if not form.is_valid():
        raise InvalidInput.from_form(form)
    transition(appointment, Appointment.Status.CANCELLED, actor, remark=form.cleaned_data["remark"])
    appointment.refresh_from_db()
    return appointment_json(request, appointment)


@router.post(
    "/appointments/{reference}/reschedule",
    response=responds(AppointmentOut),
    auth=None,
    summary="Move to another free time of the same doctor (patient)",
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def reschedule(request: HttpRequest, reference: str, payload: RescheduleIn):
    appointment, actor = _patient_side(request, reference)
    move_appointment(appointment, payload.starts_at, actor)
    return appointment_json(request, appointment)


def _file_response(content_type: str) -> dict:
    return {"responses": {200: {"description": "The file.", "content": {content_type: {"schema": {"type": "string"}}}}}}


@router.get(
    "/appointments/{reference}/calendar.ics",
    response={ERROR_CODES: ErrorOut},
    auth=None,
    summary="The appointment as a calendar file",
    openapi_extra={**_file_response("text/calendar"), **OPTIONAL_AUTH_OPENAPI},
)
def calendar_file(request: HttpRequest, reference: str):
    appointment = _visible(request, reference, action=AuditEvent.Action.DOWNLOAD, detail="calendar file (API)")
    response = HttpResponse(appointment_ics(appointment, method="PUBLISH"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.reference}.ics"'
    return response


def prescription_json(snapshot: PrescriptionSnapshot) -> dict:
    return {
        "version": snapshot.version,
        "advice": snapshot.advice,
        "follow_up_on": snapshot.follow_up_on,
        "medications": [
            {k: getattr(m, k) for k in ("drug", "dose", "frequency", "duration", "instructions")}
            for m in snapshot.medications
        ],
        "tests": [{"name": t.name, "notes": t.notes} for t in snapshot.tests],
        "attachments": [
            {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size}
            for a in snapshot.attachments
        ],
        "doctor_name": snapshot.doctor_name,
        "signed_at": snapshot.signed_at,
        "signed_by": snapshot.signed_by,
        "is_signed": snapshot.is_signed,
    }


@router.get(
    "/appointments/{reference}/prescription",
    response=responds(PrescriptionOut),
    auth=None,
    summary="The prescription (patients: the latest signed version; its doctor: the live draft)",
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def prescription(request: HttpRequest, reference: str):
    """Every read is written to the access log, as on the prescription page."""
    optional_user(request)
    appointment, _prescription, _audience, snapshot = readable_prescription(request, reference, Action.VIEW)
    audit_prescription(request, appointment, Action.VIEW, f"version {snapshot.version} (API)")
    return prescription_json(snapshot)


@router.get(
    "/appointments/{reference}/prescription.pdf",
    response={ERROR_CODES: ErrorOut},
    auth=None,
    summary="The prescription as a PDF",
    openapi_extra={**_file_response("application/pdf"), **OPTIONAL_AUTH_OPENAPI},
)
def prescription_download(request: HttpRequest, reference: str):
    optional_user(request)
    appointment, prescription_row, _audience, snapshot = readable_prescription(request, reference, Action.DOWNLOAD)
    pdf = prescription_pdf(prescription_row, snapshot=snapshot, clinic=ClinicSettings.current(request))
    audit_prescription(request, appointment, Action.DOWNLOAD, f"PDF, version {snapshot.version} (API)")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="prescription-{appointment.reference}-v{snapshot.version}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
