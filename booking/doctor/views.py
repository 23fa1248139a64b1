"""The doctor's dashboard: agenda, requests to answer, one appointment, search and a report.

Every view is for a signed-in user with the doctor role *and* a linked doctor page, and only ever
sees that doctor's appointments. Anyone else gets a 404 (anonymous visitors are sent to log in),
and so does a reference that belongs to a colleague: the dashboard never confirms that someone
else's appointment exists. Status changes go through ``booking.services.transition`` so the
rules (who may do what, when, with which remark) are the same as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from home.models import DoctorPage

from ..access import get_doctors_appointment, linked_doctor_page
from ..appointments.reports import ReportForm, appointment_report, appointment_rows, csv_download
from ..appointments.selectors import doctor_agenda, doctor_counts, doctor_search, pending_requests
from ..appointments.services import (
    REMARK_REQUIRED,
    Actor,
    allowed_targets,
    generate_meeting_url,
    meeting_link_refusal,
    set_meeting_url,
    transition,
)
from ..audit.services import Origin, record_audit
from ..availability.forms import STALE_ROWS_MESSAGE, schedule_formsets
from ..availability.services import ScheduleLocked
from ..errors import BookingError
from ..models import Appointment, AuditEvent, clinic_zone
from ..models.schedules import EARLIEST_SCHEDULE_DATE, LATEST_SCHEDULE_DATE
from ..onboarding.selectors import application_for, profile_edit_state
from ..onboarding.services import PUBLISHED, save_profile_changes
from ..onboarding.views import status_response
from ..payments.selectors import money_summaries
from .forms import DoctorProfileForm, MeetingLinkForm, SearchForm, TransitionForm

Status = Appointment.Status

PENDING_LIMIT = 20
SEARCH_PAGE_SIZE = 20
REPORT_PAGE_SIZE = 50

DoctorView = Callable[..., HttpResponseBase]


# --- Access ---------------------------------------------------------------------------------


def doctor_required(view: DoctorView) -> DoctorView:
    """Pass the doctor's page to ``view``; log in anonymous visitors, 404 for everyone else.

    A 404 rather than a 403 for patients and staff: the dashboard is not something they can
    gain access to by asking, and its URLs should not advertise themselves. A doctor who joined
    through the site and is not approved (profile not sent, in review, sent back, suspended)
    sees where their application stands at /doctor/ — never the agenda, never a 404 — and every
    other dashboard URL, a POST included, leads there without doing anything.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        doctor = linked_doctor_page(request.user)
        if doctor is None:
            application = application_for(request.user) if request.user.is_doctor else None
            if application is None:
                raise Http404("No such page.")
            if request.method != "GET" or (
                request.resolver_match is None or request.resolver_match.url_name != "dashboard"
            ):
                return redirect("doctor:dashboard")
            return status_response(request, application)
        return view(request, doctor, *args, **kwargs)

    return wrapper


def _doctor_actor(request: HttpRequest) -> Actor:
    return Actor(Actor.DOCTOR, request.user, origin=Origin.from_request(request))


# --- Actions offered as buttons ---------------------------------------------------------------

ACTION_LABELS = {
    Status.CONFIRMED: "Confirm",
    Status.DECLINED: "Decline",
    Status.CANCELLED: "Cancel appointment",
    Status.COMPLETED: "Mark completed",
    Status.NO_SHOW: "Mark no-show",
}

SUCCESS_MESSAGES = {
    Status.CONFIRMED: "Appointment {ref} with {name} is confirmed. The patient will be emailed.",
    Status.DECLINED: "Appointment {ref} with {name} is declined. The patient will be emailed your remark.",
    Status.CANCELLED: "Appointment {ref} with {name} is cancelled. The patient will be emailed your remark.",
    Status.COMPLETED: "Appointment {ref} with {name} is marked completed.",
    Status.NO_SHOW: "Appointment {ref} with {name} is marked as a no-show.",
}


@dataclass(frozen=True)
class Action:
    """One button: the status it moves to, its label, and whether it asks for a remark."""

    target: str
    label: str
    needs_remark: bool
    destructive: bool


def make_action(source: str, target: str, actor: Actor) -> Action:
    """The button for moving an appointment in status ``source`` to ``target``."""
    return Action(
        target=target,
        label=ACTION_LABELS.get(Status(target), str(Status(target).label)),
        needs_remark=actor.role in REMARK_REQUIRED.get((Status(source), Status(target)), ()),
        destructive=target in (Status.DECLINED, Status.CANCELLED, Status.NO_SHOW),
    )


def actions_for(appointment: Appointment, actor: Actor, now: datetime | None = None) -> list[Action]:
    """The buttons to show, straight from ``allowed_targets`` so the page never offers a refusal.

    Pure Python (no queries), so the dashboard can call it for every row of the agenda.
    """
    return [make_action(appointment.status, target, actor) for target in allowed_targets(appointment, actor, now=now)]


def _back_url(request: HttpRequest, appointment: Appointment) -> str:
    """Where to return after a POST: the page that sent it if it is ours, else the appointment."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("doctor:appointment", args=[appointment.reference])


# --- Dashboard ---------------------------------------------------------------------------------


@dataclass
class AgendaDay:
    day: date
    appointments: list[Appointment]
    is_today: bool
    is_past: bool


def _date_param(request: HttpRequest, name: str, default: date) -> date:
    """A date from the query string, or ``default`` (with a message) when it is missing or not sane."""
    raw = request.GET.get(name, "")
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not EARLIEST_SCHEDULE_DATE <= value <= LATEST_SCHEDULE_DATE:
        messages.error(request, "That date could not be read, so today is shown instead.")
        return default
    return value


@never_cache
@require_GET
@doctor_required
def dashboard(request: HttpRequest, doctor: DoctorPage) -> HttpResponse:
    """Today, a week (Monday–Sunday, clinic time; ``?week=`` any date in it) and the requests waiting.

    Three queries however busy the doctor is: the week's agenda, the oldest-first pending
    requests (capped), and one aggregate for the counts. Rows need no related objects.
    """
    now = timezone.now()
    today = timezone.localdate(now, clinic_zone())
    monday = _date_param(request, "week", today)
    monday -= timedelta(days=monday.weekday())
    this_monday = today - timedelta(days=today.weekday())
    week = doctor_agenda(doctor, monday, monday + timedelta(days=6))
    by_day: dict[date, list[Appointment]] = {monday + timedelta(days=i): [] for i in range(7)}
    for appointment in week:
        by_day[appointment.local_starts_at.date()].append(appointment)
    days = [AgendaDay(day, rows, day == today, day < today) for day, rows in by_day.items()]

    actor = _doctor_actor(request)
    today_rows = [
        (appointment, actions_for(appointment, actor, now))
        for appointment in (by_day[today] if monday == this_monday else doctor_agenda(doctor, today, today))
    ]
    pending = pending_requests(doctor, now, limit=PENDING_LIMIT)
    counts = doctor_counts(doctor, now)
    # "Paid £60.00" on a request tells the doctor the patient has paid (and is refunded if declined).
    money = money_summaries(pending, now=now)
    context = {
        "doctor": doctor,
        "today": today,
        "today_rows": today_rows,
        "week_days": days,
        "week_start": monday,
        "week_end": monday + timedelta(days=6),
        "is_this_week": monday == this_monday,
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
        "pending": pending,
        "money": money,
        # Every upcoming pending request can be confirmed or declined by its doctor.
        "confirm_action": make_action(Status.PENDING, Status.CONFIRMED, actor),
        "decline_action": make_action(Status.PENDING, Status.DECLINED, actor),
        "counts": {**counts, "today": len(today_rows), "week": len(week)},
        "clinic_tz": clinic_zone(),
        "dashboard_url": request.get_full_path(),
        "active_nav": "dashboard",
    }
    return TemplateResponse(request, "booking/doctor/dashboard.html", context)


@never_cache
@require_GET
@doctor_required
def day(request: HttpRequest, doctor: DoctorPage) -> HttpResponse:
    """One day's agenda (``?date=``, default today) with its actions; prints as a clean day list."""
    now = timezone.now()
    today = timezone.localdate(now, clinic_zone())
    shown = _date_param(request, "date", today)
    actor = _doctor_actor(request)
    rows = [(appointment, actions_for(appointment, actor, now)) for appointment in doctor_agenda(doctor, shown, shown)]
    context = {
        "doctor": doctor,
        "day": shown,
        "today": today,
        "rows": rows,
        "previous_day": shown - timedelta(days=1),
        "next_day": shown + timedelta(days=1),
        "week_of_day": shown - timedelta(days=shown.weekday()),
        "clinic_tz": clinic_zone(),
        "dashboard_url": request.get_full_path(),
        "active_nav": "dashboard",
    }
    return TemplateResponse(request, "booking/doctor/day.html", context)


# --- One appointment -----------------------------------------------------------------------------


def _appointment_context(
    request: HttpRequest, doctor: DoctorPage, appointment: Appointment, meeting_form: MeetingLinkForm | None = None
) -> dict:
    is_online = appointment.is_online
    can_set_link = is_online and appointment.is_active
    if can_set_link and meeting_form is None:
        meeting_form = MeetingLinkForm(initial={"meeting_url": appointment.meeting_url})
    now = timezone.now()
    return {
        "doctor": doctor,
        "appointment": appointment,
        "events": appointment.events.select_related("actor"),
        "actions": actions_for(appointment, _doctor_actor(request), now),
        "has_started": appointment.starts_at <= now,
        "is_online": is_online,
        "meeting_form": meeting_form if can_set_link else None,
        "prescription": getattr(appointment, "prescription", None),
        "money": money_summaries([appointment], now=now).get(appointment.pk),
        "prescription_edit_url": reverse("prescriptions:edit", args=[appointment.reference]),
        "prescription_url": reverse("prescriptions:detail", args=[appointment.reference]),
        "clinic_tz": clinic_zone(),
        "active_nav": "",
    }


@never_cache
@require_GET
@doctor_required
def appointment_detail(request: HttpRequest, doctor: DoctorPage, reference: str) -> HttpResponse:
    """Everything the doctor needs about one appointment, and the changes they may make now."""
    appointment = get_doctors_appointment(request, doctor, reference, "patient", "prescription")
    return TemplateResponse(
        request, "booking/doctor/appointment.html", _appointment_context(request, doctor, appointment)
    )


@never_cache
@require_POST
@doctor_required
def appointment_transition(request: HttpRequest, doctor: DoctorPage, reference: str) -> HttpResponse:
    """Confirm, decline, cancel or record the outcome, through the lifecycle service.

    A refusal (wrong state, too early, missing remark, someone else acted first) becomes an
    error message and changes nothing; the service locks the row, so the check is race-free.
    """
    appointment = get_doctors_appointment(
        request,
        doctor,
        reference,
        action=AuditEvent.Action.CHANGE,
        record_allowed=False,  # the service records it
    )
    back = _back_url(request, appointment)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        if "remark" in form.errors:
            messages.error(request, f"Remark: {form.errors['remark'][0]} Nothing was changed.")
        else:
            messages.error(request, "That action is not available. Nothing was changed.")
        return redirect(back)
    target = form.cleaned_data["target"]
    try:
        transition(appointment, target, _doctor_actor(request), remark=form.cleaned_data["remark"])
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        template = SUCCESS_MESSAGES.get(target, "Appointment {ref} with {name} is updated.")
        messages.success(request, template.format(ref=appointment.reference, name=appointment.full_name))
    return redirect(back)


@never_cache
@require_POST
@doctor_required
def meeting_link(request: HttpRequest, doctor: DoctorPage, reference: str) -> HttpResponse:
    """Set an active online consultation's link, typed in or generated (``action=generate``)."""
    appointment = get_doctors_appointment(
        request, doctor, reference, "patient", "prescription", action=AuditEvent.Action.CHANGE, record_allowed=False
    )
    back = reverse("doctor:appointment", args=[appointment.reference])
    refusal = meeting_link_refusal(appointment)
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    if request.POST.get("action") == "generate":
        url = generate_meeting_url(appointment)
    else:
        form = MeetingLinkForm(request.POST)
        if not form.is_valid():
            # Re-show the page with the error next to the field, where a screen reader finds it.
            context = _appointment_context(request, doctor, appointment, meeting_form=form)
            return TemplateResponse(request, "booking/doctor/appointment.html", context, status=400)
        url = form.cleaned_data["meeting_url"]
    try:
        set_meeting_url(appointment, url, _doctor_actor(request))
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The meeting link is saved. The patient sees it shortly before the start.")
    return redirect(back)


# --- Profile and schedule ----------------------------------------------------------------------


@never_cache
@doctor_required
def schedule(request: HttpRequest, doctor: DoctorPage) -> HttpResponse:
    """The doctor keeps their profile details, weekly hours and time off up to date.

    Changes are saved as a new revision of the doctor's page, exactly as if staff had made them
    in the Wagtail admin, so the page history shows who changed what: published at once, or — with
    the clinic's "review doctors' profile changes" setting on — sent to staff for review first
    (``booking.onboarding.services.save_profile_changes``). Existing appointments are kept:
    moving or cancelling them stays a deliberate step.
    """
    edit = profile_edit_state(doctor)
    if not edit.can_save and request.method == "POST":
        messages.error(request, edit.blocked_reason)
        return redirect("doctor:schedule")
    page = doctor.get_latest_revision_as_object()
    form = DoctorProfileForm(request.POST or None, instance=page)
    hours, time_off = schedule_formsets(page, request.POST or None)
    if request.method == "POST":
        try:
            valid = all([form.is_valid(), hours.is_valid(), time_off.is_valid()])
        except (KeyError, ValueError, OverflowError, ValidationError):
            # modelcluster's formsets index the posted row ids directly: rows that do not match
            # the page (a stale tab, a hand-made POST) must end in a message, not a 500.
            messages.error(request, "The form was out of date. Nothing was saved; please make your changes again.")
            return redirect("doctor:schedule")
        if not valid and (hours.has_stale_rows or time_off.has_stale_rows):
            # Rows that are not (or no longer) the page's own: a fresh form is the only fix.
            messages.error(request, STALE_ROWS_MESSAGE)
            return redirect("doctor:schedule")
        if valid:
            try:
                outcome = save_profile_changes(doctor, form, hours, time_off, user=request.user)
            except ScheduleLocked as exc:
                messages.error(request, exc.message)
            else:
                if outcome == PUBLISHED:
                    messages.success(
                        request, "Your profile and schedule are published. Existing appointments are unchanged."
                    )
                else:
                    messages.success(
                        request,
                        "Your changes are sent to the clinic for review. Your page shows the current version "
                        "until they are approved.",
                    )
            return redirect("doctor:schedule")
        messages.error(request, "Nothing was saved: please correct the fields marked below.")
    context = {
        "doctor": doctor,
        "form": form,
        "hours": hours,
        "time_off": time_off,
        "active_nav": "schedule",
        "edit": edit,
        "blocked": not edit.can_save,
        "clinic_tz": clinic_zone(),
    }
    # A POST that reaches this point failed validation: the page comes back with the errors.
    return TemplateResponse(
        request, "booking/doctor/schedule.html", context, status=400 if request.method == "POST" else 200
    )


# --- Search ----------------------------------------------------------------------------------------


@never_cache
@require_GET
@doctor_required
def search(request: HttpRequest, doctor: DoctorPage) -> HttpResponse:
    """The doctor's own appointments matching ``q`` and/or ``status``, newest first, paginated."""
    form = SearchForm(request.GET)
    page = None
    searched = False
    if form.is_valid():
        query = " ".join(form.cleaned_data["q"].split())
        status = form.cleaned_data["status"]
        if query or status:
            searched = True
            results = doctor_search(doctor, query=query, status=status)
            page = Paginator(results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"doctor": doctor, "form": form, "page": page, "searched": searched, "active_nav": "search"}
    return TemplateResponse(request, "booking/doctor/search.html", context, status=200 if form.is_valid() else 400)


# --- Report ----------------------------------------------------------------------------------------


@never_cache
@require_GET
@doctor_required
def report(request: HttpRequest, doctor: DoctorPage) -> HttpResponse:
    """Counts per status and the list of the doctor's appointments between two dates."""
    form = ReportForm.from_query(request.GET)
    context: dict = {"doctor": doctor, "form": form, "active_nav": "report"}
    if not form.is_valid():
        for error in form.errors_list:
            messages.error(request, error)
        return TemplateResponse(request, "booking/doctor/report.html", context, status=400)

    summary = appointment_report(form.start, form.end, doctor_id=doctor.pk)
    counts = summary.totals
    rows = Appointment.objects.filter(doctor=doctor).starting_between(form.start, form.end)
    context.update(
        start=form.start,
        end=form.end,
        counts=list(zip(summary.statuses, counts, strict=True)),
        total=summary.grand_total,
        page=Paginator(rows.order_by("starts_at", "pk"), REPORT_PAGE_SIZE).get_page(request.GET.get("page")),
        csv_query=form.query,
    )
    return TemplateResponse(request, "booking/doctor/report.html", context)


@never_cache
@require_GET
@doctor_required
def report_csv(request: HttpRequest, doctor: DoctorPage) -> HttpResponseBase:
    """The report's appointments as CSV (local date and time); bad dates go back to the report."""
    form = ReportForm.from_query(request.GET)
    if not form.is_valid():
        return redirect(f"{reverse('doctor:report')}?{request.GET.urlencode()}")
    queryset = (
        Appointment.objects.filter(doctor=doctor).starting_between(form.start, form.end).order_by("starts_at", "pk")
    )
    rows = appointment_rows(queryset, with_doctor=False, with_contact=False)
    record_audit(
        AuditEvent.Action.EXPORT,
        AuditEvent.ObjectType.REPORT,
        f"{form.start.isoformat()}..{form.end.isoformat()}",
        request=request,
        detail="doctor's appointments CSV",
    )
    return csv_download(rows, f"appointments-{form.start.isoformat()}-{form.end.isoformat()}.csv")
