"""Staff endpoints: search appointments across doctors, change or move one, reports as JSON.

Permission-checked like the admin views: ``booking.view_appointment`` to search and read reports
(403 without it: these lists reveal no particular appointment), ``booking.change_appointment``
to change one (404 without it, so a reference's existence is never confirmed; the refused look
is recorded as on the admin's manage page). Changes go through the lifecycle services as staff.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from ..appointments.reports import ReportForm, appointment_report
from ..appointments.selectors import search_appointments
from ..appointments.services import Actor, allowed_targets, move_appointment, transition
from ..audit.services import Origin, record_audit
from ..doctor.forms import SearchForm, TransitionForm
from ..models import Appointment, AuditEvent, normalize_reference
from .doctor import DoctorAppointmentOut
from .errors import InvalidInput, responds
from .pagination import Paged, PageParams, paginate
from .schemas import AppointmentOut, ObjectId, ReportOut, StaffMoveIn, TransitionIn

router = Router(tags=["staff"])


def _actor(request: HttpRequest) -> Actor:
    return Actor(Actor.STAFF, request.user, origin=Origin.from_request(request))


def _json(appointment: Appointment, actor: Actor) -> dict:
    return {**AppointmentOut.build(appointment, clinician=True), "actions": allowed_targets(appointment, actor)}


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _managed(request: HttpRequest, reference: str) -> Appointment:
    """The appointment for a staff change; 404 without ``change_appointment`` or for no such one."""
    reference = normalize_reference(reference)
    appointment = Appointment.objects.select_related("doctor").filter(reference=reference).first()
    if appointment is None:
        raise Http404("No such appointment.")
    if not request.user.has_perm("booking.change_appointment"):
        record_audit(
            AuditEvent.Action.CHANGE,
            AuditEvent.ObjectType.APPOINTMENT,
            reference,
            request=request,
            outcome=AuditEvent.Outcome.REFUSED,
            detail="staff API",
        )
        raise Http404("No such appointment.")
    return appointment


class StaffSearch(Schema):
    q: str = ""
    status: str = ""
    doctor_id: ObjectId | None = None


@router.get(
    "/appointments", response=responds(Paged[DoctorAppointmentOut]), summary="Search appointments across doctors"
)
def search(request: HttpRequest, query: Query[StaffSearch], page: Query[PageParams]):
    """By reference, patient name or email, status and doctor; newest first."""
    _require(request, "booking.view_appointment")
    form = SearchForm({"q": query.q, "status": query.status})
    if not form.is_valid():
        raise InvalidInput.from_form(form)
    scope = Appointment.objects.select_related("doctor")
    if query.doctor_id is not None:
        scope = scope.filter(doctor_id=query.doctor_id)
    results = search_appointments(
        scope, query=" ".join(form.cleaned_data["q"].split()), status=form.cleaned_data["status"]
    )
    actor = _actor(request)
    return paginate(results, page, lambda a: _json(a, actor))


@router.post(
    "/appointments/{reference}/status", response=responds(DoctorAppointmentOut), summary="Change the status (staff)"
)
def change_status(request: HttpRequest, reference: str, payload: TransitionIn):
    appointment = _managed(request, reference)
    form = TransitionForm({"target": payload.status, "remark": payload.remark})
    if not form.is_valid():
        raise InvalidInput.from_form(form)
    actor = _actor(request)
    transition(appointment, form.cleaned_data["target"], actor, remark=form.cleaned_data["remark"])
    return _json(appointment, actor)


@router.post(
    "/appointments/{reference}/move",
    response=responds(DoctorAppointmentOut),
    summary="Move to another free time, with the same or another doctor",
)
def move(request: HttpRequest, reference: str, payload: StaffMoveIn):
    appointment = _managed(request, reference)
    actor = _actor(request)
    move_appointment(appointment, payload.starts_at, actor, doctor_id=payload.doctor_id)
    return _json(appointment, actor)


class ReportQuery(Schema):
    start: str = ""
    end: str = ""


@router.get("/reports/appointments", response=responds(ReportOut), summary="Appointments per doctor and status")
def report(request: HttpRequest, query: Query[ReportQuery]):
    """Local dates ``start``..``end`` (ISO dates, both included, at most 366 days; default this month)."""
    _require(request, "booking.view_appointment")
    form = ReportForm.from_query({"from": query.start, "to": query.end})
    if not form.is_valid():
        errors = {{"from": "start", "to": "end"}.get(k, k): [str(m) for m in v] for k, v in form.errors.items()}
        raise InvalidInput(" ".join(form.errors_list), errors)
    summary = appointment_report(form.start, form.end)
    statuses = [str(s.value) for s in summary.statuses]
    return {
        "start": summary.start,
        "end": summary.end,
        "rows": [
            {
                "doctor_id": row.doctor_id,
                "doctor": row.doctor,
                "counts": dict(zip(statuses, row.counts, strict=True)),
                "total": row.total,
            }
            for row in summary.rows
        ],
        "totals": dict(zip(statuses, summary.totals, strict=True)),
        "total": summary.grand_total,
    }
