"""Doctor endpoints: the agenda, requests waiting, one appointment, status changes, the meeting
link and prescriptions.

Only for an account with the doctor role and a linked doctor page, and only ever that doctor's
appointments: anyone else, and a colleague's reference, gets 404 (``booking.access``), as on the
dashboard. Inputs are validated by the dashboard's own forms; changes go through the lifecycle
and prescription services.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from home.models import DoctorPage

from ..access import get_doctors_appointment, linked_doctor_page
from ..appointments.selectors import doctor_agenda, doctor_counts, doctor_search, pending_requests
from ..appointments.services import Actor, allowed_targets, generate_meeting_url, set_meeting_url, transition
from ..audit.services import Origin
from ..doctor.forms import MeetingLinkForm, SearchForm, TransitionForm
from ..errors import AlreadySigned, PrescriptionError
from ..models import Appointment, AuditEvent, clinic_zone
from ..prescriptions.reading import REFUSED, Action, audit_prescription, doctors_own_prescription
from ..prescriptions.services import save_prescription, sign_prescription
from ..prescriptions.snapshots import current_snapshot
from .errors import InvalidInput, responds
from .pagination import Paged, PageParams, paginate
from .patient import prescription_json
from .schemas import AppointmentOut, MeetingLinkIn, PrescriptionIn, PrescriptionOut, SaneDate, TransitionIn

router = Router(tags=["doctor"])

MAX_AGENDA_DAYS = 31


class DoctorAppointmentOut(AppointmentOut):
    actions: list[str]


def _doctor(request: HttpRequest) -> DoctorPage:
    doctor = linked_doctor_page(request.user)
    if doctor is None:
        raise Http404("No such page.")
    return doctor


def _actor(request: HttpRequest) -> Actor:
    return Actor(Actor.DOCTOR, request.user, origin=Origin.from_request(request))


def _json(request: HttpRequest, appointment: Appointment, actor: Actor | None = None) -> dict:
    return {
        **AppointmentOut.build(appointment, clinician=True),
        "actions": allowed_targets(appointment, actor or _actor(request)),
    }


class AgendaRange(Schema):
    start: SaneDate | None = None
    end: SaneDate | None = None


@router.get("/agenda", response=responds(Paged[DoctorAppointmentOut]), summary="My agenda between two dates")
def agenda(request: HttpRequest, range: Query[AgendaRange], page: Query[PageParams]):
    """Local dates ``start``..``end`` (both included, at most 31; default: today and six more days).

    ``actions`` lists the statuses the doctor may move each appointment to now.
    """
    doctor = _doctor(request)
    today = timezone.localdate(timezone=clinic_zone())
    start: date = range.start or today
    end: date = range.end or start + timedelta(days=6)
    if end < start or (end - start).days + 1 > MAX_AGENDA_DAYS:
        raise InvalidInput(
            f"Choose an end date after the start, at most {MAX_AGENDA_DAYS} days in all.",
            {"end": [f"At most {MAX_AGENDA_DAYS} days after the start, and not before it."]},
        )
    actor = _actor(request)
    return paginate(doctor_agenda(doctor, start, end), page, lambda a: _json(request, a, actor))


@router.get("/requests", response=responds(Paged[DoctorAppointmentOut]), summary="Requests waiting for my answer")
def requests(request: HttpRequest, page: Query[PageParams]):
    doctor = _doctor(request)
    now = timezone.now()
    rows = pending_requests(doctor, now, limit=page.offset + page.limit)[page.offset :]
    actor = _actor(request)
    return {
        "count": doctor_counts(doctor, now)["pending"],
        "limit": page.limit,
        "offset": page.offset,
        "items": [_json(request, a, actor) for a in rows],
    }


class SearchQuery(Schema):
    q: str = ""
    status: str = ""


@router.get("/appointments", response=responds(Paged[DoctorAppointmentOut]), summary="Search my appointments")
def search(request: HttpRequest, query: Query[SearchQuery], page: Query[PageParams]):
    doctor = _doctor(request)
    form = SearchForm({"q": query.q, "status": query.status})
    if not form.is_valid():
        raise InvalidInput.from_form(form)
    results = doctor_search(doctor, query=" ".join(form.cleaned_data["q"].split()), status=form.cleaned_data["status"])
    actor = _actor(request)
    return paginate(results, page, lambda a: _json(request, a, actor))


@router.get("/appointments/{reference}", response=responds(DoctorAppointmentOut), summary="One of my appointments")
def appointment(request: HttpRequest, reference: str):
    doctor = _doctor(request)
    found = get_doctors_appointment(request, doctor, reference)
    return _json(request, found)


@router.post(
    "/appointments/{reference}/status",
    response=responds(DoctorAppointmentOut),
    summary="Confirm, decline (with remark), cancel, mark completed or no-show",
)
def change_status(request: HttpRequest, reference: str, payload: TransitionIn):
    doctor = _doctor(request)
    found = get_doctors_appointment(request, doctor, reference, action=AuditEvent.Action.CHANGE, record_allowed=False)
    form = TransitionForm({"target": payload.status, "remark": payload.remark})
    if not form.is_valid():
        raise InvalidInput.from_form(form)
    transition(found, form.cleaned_data["target"], _actor(request), remark=form.cleaned_data["remark"])
    return _json(request, found)


@router.post(
    "/appointments/{reference}/meeting-link", response=responds(DoctorAppointmentOut), summary="Set the meeting link"
)
def meeting_link(request: HttpRequest, reference: str, payload: MeetingLinkIn):
    """A typed https link, or ``generate: true`` for a new room under the clinic's meeting service."""
    doctor = _doctor(request)
    found = get_doctors_appointment(request, doctor, reference, action=AuditEvent.Action.CHANGE, record_allowed=False)
    if payload.generate:
        url = generate_meeting_url(found)
    else:
        form = MeetingLinkForm({"meeting_url": payload.meeting_url})
        if not form.is_valid():
            raise InvalidInput.from_form(form)
        url = form.cleaned_data["meeting_url"]
    set_meeting_url(found, url, _actor(request))
    return _json(request, found)


@router.put(
    "/appointments/{reference}/prescription",
    response=responds(PrescriptionOut),
    summary="Write the prescription (saved as a draft; a signed one starts the next version)",
)
def write_prescription(request: HttpRequest, reference: str, payload: PrescriptionIn):
    _doctor(request)
    found = doctors_own_prescription(request, reference)
    try:
        saved = save_prescription(
            found,
            request.user,
            advice=payload.advice,
            follow_up_on=payload.follow_up_on,
            medications=[line.dict() for line in payload.medications],
            tests=[line.dict() for line in payload.tests],
        )
    except PrescriptionError as exc:
        audit_prescription(request, found, Action.CHANGE, f"save: {exc.message}", outcome=REFUSED)
        raise
    saved.refresh_from_db()
    saved.appointment = found
    audit_prescription(request, found, Action.CHANGE, f"version {saved.version} saved (API)")
    return prescription_json(current_snapshot(saved))


@router.post(
    "/appointments/{reference}/prescription/sign",
    response=responds(PrescriptionOut),
    summary="Sign the current version (the patient is told)",
)
def sign(request: HttpRequest, reference: str):
    _doctor(request)
    found = doctors_own_prescription(request, reference)
    try:
        signed = sign_prescription(found, request.user)
    except AlreadySigned:
        raise  # a repeated sign is no refused attempt (as on the page): 409, nothing recorded
    except PrescriptionError as exc:
        audit_prescription(request, found, Action.CHANGE, f"sign: {exc.message}", outcome=REFUSED)
        raise
    audit_prescription(request, found, Action.CHANGE, f"version {signed.version} signed (API)")
    signed.appointment = found
    return prescription_json(current_snapshot(signed))
