"""Staff views inside the Wagtail admin: the appointments report, booking for a patient who
phones, managing one appointment, the appointments a closure falls on, and doctors'
applications (review, document, suspension).

They only call the booking, payment and onboarding services, the availability selectors and the
shared report; nothing here changes an appointment, a payment or an application by itself.
Managing an appointment includes its payments: recording money taken at the desk and refunding
(fully or partly, with a reason the patient reads).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import WorkflowState

from home.models import DoctorPage

from ..appointments.reports import ReportForm, appointment_report, appointment_rows, csv_download
from ..appointments.selectors import affected_by_closure, doctor_future_appointments, find_patient_accounts
from ..appointments.services import Actor, allowed_targets, book_appointment, move_appointment, transition
from ..audit.services import Origin, record_audit
from ..availability.selectors import booking_window, doctor_free_slots, slot_week
from ..errors import ApplicationError, BookingError
from ..models import Appointment, AuditEvent, ClinicClosure, DoctorApplication, clinic_zone, normalize_reference
from ..onboarding.selectors import application_history
from ..onboarding.services import reinstate_doctor, suspend_doctor
from ..payments.selectors import csv_money_columns, money_by_doctor, payments_by_appointment, total_of, with_money
from ..payments.services import record_desk_payment, staff_refund
from .forms import (
    DeskPaymentForm,
    DoctorChoiceForm,
    MoveForm,
    PhoneBookingForm,
    RefundForm,
    ReinstateDoctorForm,
    StatusForm,
    SuspendDoctorForm,
    parse_slot,
)

logger = logging.getLogger(__name__)


REPORT_DOCTORS_PER_PAGE = 50


class AppointmentReportView(WagtailAdminTemplateMixin, TemplateView):
    """Counts of appointments by doctor and status between two dates, with a CSV export."""

    template_name = "booking/staff/report.html"
    page_title = "Appointments report"
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("booking.view_appointment"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:  # type: ignore[override]  # or a CSV stream
        form = ReportForm.from_query(request.GET)
        if form.is_valid() and request.GET.get("format") == "csv":
            return self.csv_response(form)
        status = 200 if form.is_valid() else 400
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        if form.is_valid():
            money = money_by_doctor(form.start, form.end)
            report = appointment_report(form.start, form.end)
            context.update(
                report=report,
                # Counted for every doctor (the totals are the clinic's), shown a page of doctors
                # at a time: a thousand rows took most of a second to render and nobody reads them
                # on one screen; the CSV has every appointment.
                rows=Paginator(report.rows, REPORT_DOCTORS_PER_PAGE).get_page(self.request.GET.get("p")),
                money=money,
                money_total=total_of(money.values()),
                csv_url=f"{self.request.path}?{form.query}&format=csv",
            )
        return context

    def csv_response(self, form: ReportForm) -> StreamingHttpResponse:
        queryset = with_money(Appointment.objects.starting_between(form.start, form.end))
        rows = appointment_rows(queryset, with_doctor=True, with_contact=True, extra_columns=csv_money_columns())
        record_audit(
            AuditEvent.Action.EXPORT,
            AuditEvent.ObjectType.REPORT,
            f"{form.start.isoformat()}..{form.end.isoformat()}",
            request=self.request,
            detail="appointments CSV with patients' contact details",
        )
        return csv_download(rows, f"appointments-{form.start}-{form.end}.csv")


class NewAppointmentView(WagtailAdminTemplateMixin, TemplateView):
    """Book for a patient who phones: a doctor, then a free time, then the patient, then the service.

    The steps are plain GET pages (``?doctor=…``, then ``&slot=…``, with ``&q=…`` to search
    patient accounts), so the browser's back button and a reload are safe; only the final POST
    books. The times offered are the doctor's free slots as the public page shows them
    (``slot_week``: working hours, time off, clinic closures, minimum notice, horizon), and the
    booking goes through :func:`book_appointment`, which re-checks the slot under the doctor's
    lock, exactly as for a patient booking online.

    Staff bookings start **confirmed**: the receptionist agrees the time with the patient on the
    phone from the doctor's published free times, and confirming is a clinic-side decision staff
    may already take (pending → confirmed). Leaving it pending would make the patient wait for a
    second confirmation of a time they were just told, and send a "request received" email for
    what is, to them, a made appointment. The patient gets the "confirmed" email with its
    calendar invite; the timeline names the staff member who booked.
    """

    template_name = "booking/staff/new_appointment.html"
    page_title = "New appointment"
    header_icon = "date"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("booking.add_appointment"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("booking_appointment_modeladmin_index"), "label": "Appointments"},
            {"url": "", "label": self.page_title},
        ]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        doctor_form = DoctorChoiceForm(request.GET if "doctor" in request.GET else None)
        if not doctor_form.is_valid():
            status = 400 if doctor_form.is_bound else 200
            return self.render_to_response(self.get_context_data(step="doctor", doctor_form=doctor_form), status=status)
        doctor = doctor_form.cleaned_data["doctor"]
        starts_at = parse_slot(request.GET.get("slot"))
        if starts_at is None:
            return self.slot_step(doctor, picked_badly="slot" in request.GET)
        form = PhoneBookingForm(initial={"slot": starts_at.isoformat()}, offers_online=doctor.offers_online)
        return self.patient_step(doctor, starts_at, form)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        doctor_form = DoctorChoiceForm(request.POST)
        if not doctor_form.is_valid():
            messages.error(request, "That doctor is not taking bookings. Choose another one.")
            return redirect(request.path)
        doctor = doctor_form.cleaned_data["doctor"]
        form = PhoneBookingForm(request.POST, offers_online=doctor.offers_online)
        status = 400
        if form.is_valid():
            try:
                appointment = book_appointment(
                    doctor_id=doctor.pk,
                    starts_at=form.cleaned_data["slot"],
                    details=form.details(),
                    patient=form.cleaned_data["patient"],
                    status=Appointment.Status.CONFIRMED,
                    actor=Actor(Actor.STAFF, request.user, origin=Origin.from_request(request)),
                )
            except BookingError as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                messages.success(
                    request,
                    f"Appointment {appointment.reference} booked and confirmed for {appointment.full_name} "
                    f"with {doctor.title} on {appointment.local_starts_at:%a %d %b %Y %H:%M}. "
                    f"The confirmation has been emailed to {appointment.email}.",
                )
                return redirect("booking_admin_manage", appointment.reference)
        # The time tried last comes back with the form when none of the day's other times was
        # picked, so the patient's details typed in so far are kept.
        starts_at = parse_slot(request.POST.get("slot")) or parse_slot(request.POST.get("tried_slot"))
        if starts_at is None:
            return self.slot_step(doctor, picked_badly=True)
        return self.patient_step(doctor, starts_at, form, status=status)

    def slot_step(self, doctor, *, picked_badly: bool = False) -> HttpResponse:
        week = slot_week(doctor, self.request.GET.get("from"))
        context = self.get_context_data(step="slot", doctor=doctor, picked_badly=picked_badly, **week)
        return self.render_to_response(context, status=400 if picked_badly else 200)

    def patient_step(self, doctor, starts_at, form: PhoneBookingForm, *, status: int = 200) -> HttpResponse:
        """The patient form, with the account search and, if the time is no longer free, the day's others."""
        local = timezone.localtime(starts_at, clinic_zone())
        first, last = booking_window()
        in_window = first <= local.date() <= last
        day_slots = doctor_free_slots(doctor, local.date(), local.date()) if in_window else []
        still_free = any(slot.start == starts_at for slot in day_slots)
        query = (self.request.GET.get("q") or self.request.POST.get("q") or "").strip()[:100]
        matches = find_patient_accounts(query) if query else []
        chosen = form.cleaned_data.get("patient") if hasattr(form, "cleaned_data") else None
        if chosen is not None and chosen not in matches:
            matches.insert(0, chosen)
        context = self.get_context_data(
            step="patient",
            doctor=doctor,
            starts_at=local,
            ends_at=timezone.localtime(starts_at + timedelta(minutes=doctor.slot_minutes), clinic_zone()),
            slot_value=starts_at.isoformat(),
            still_free=still_free,
            # Picked or refused time gone: offer the rest of that day in the same form.
            other_slots=[] if still_free else day_slots,
            form=form,
            query=query,
            matches=matches,
            searched=bool(query),
            chosen_patient=self.chosen_patient(form, chosen, matches),
            change_time_url=f"{self.request.path}?{urlencode({'doctor': doctor.pk, 'from': local.date()})}",
        )
        return self.render_to_response(context, status=status)

    @staticmethod
    def chosen_patient(form: PhoneBookingForm, chosen, matches: list) -> str:
        """Which patient radio starts checked: the one posted, else a search's only match, else guest."""
        if chosen is not None:
            return str(chosen.pk)
        if form.is_bound:
            return str(form.data.get("patient", ""))
        return str(matches[0].pk) if len(matches) == 1 else ""


class ManageAppointmentView(WagtailAdminTemplateMixin, TemplateView):
    """Change an appointment's status or move it (time and/or doctor), through the service."""

    template_name = "booking/staff/manage.html"
    page_title = "Manage appointment"
    header_icon = "date"

    def dispatch(self, request, reference: str, *args, **kwargs):
        if not request.user.has_perm("booking.change_appointment"):
            if Appointment.objects.filter(reference=normalize_reference(reference)).exists():
                record_audit(
                    AuditEvent.Action.VIEW,
                    AuditEvent.ObjectType.APPOINTMENT,
                    normalize_reference(reference),
                    request=request,
                    outcome=AuditEvent.Outcome.REFUSED,
                    detail="admin manage page",
                )
            raise PermissionDenied
        self.appointment = get_object_or_404(
            Appointment.objects.select_related("doctor", "patient"), reference=reference
        )
        self.actor = Actor(Actor.STAFF, request.user, origin=Origin.from_request(request))
        if request.method in ("GET", "HEAD"):  # a POST is recorded by the service it calls
            record_audit(
                AuditEvent.Action.VIEW,
                AuditEvent.ObjectType.APPOINTMENT,
                self.appointment.reference,
                request=request,
                detail="admin manage page",
            )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.appointment.reference

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("booking_appointment_modeladmin_index"), "label": "Appointments"},
            {"url": "", "label": self.appointment.reference},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        local = self.appointment.local_starts_at
        context.setdefault(
            "move_form",
            MoveForm(initial={"doctor": self.appointment.doctor_id, "day": local.date(), "start": local.time()}),
        )
        context.setdefault("status_form", StatusForm(targets=allowed_targets(self.appointment, self.actor)))
        context.update(appointment=self.appointment, events=self.appointment.events.select_related("actor"))
        user = self.request.user
        if user.has_perm("payments.view_payment"):
            payments = payments_by_appointment([self.appointment.pk]).get(self.appointment.pk, [])
            refundable = [p for p in payments if p.refundable > 0]
            context.update(payments=payments, show_payments=True)
            if user.has_perm("payments.add_payment"):
                context.setdefault("desk_form", DeskPaymentForm(initial={"amount": self.appointment.fee or None}))
            if user.has_perm("payments.add_refund") and refundable:
                context.setdefault("refund_form", RefundForm(payments=refundable))
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        action = request.POST.get("action")
        if action == "move":
            form = MoveForm(request.POST)
            if form.is_valid():
                try:
                    move_appointment(
                        self.appointment, form.starts_at(), self.actor, doctor_id=form.cleaned_data["doctor"].pk
                    )
                except BookingError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, f"Appointment {self.appointment.reference} moved.")
                    return redirect(request.path)
            return self.render_to_response(self.get_context_data(move_form=form), status=400)
        if action == "status":
            status_form = StatusForm(request.POST, targets=allowed_targets(self.appointment, self.actor))
            if status_form.is_valid():
                try:
                    transition(
                        self.appointment,
                        status_form.cleaned_data["target"],
                        self.actor,
                        remark=status_form.cleaned_data["remark"],
                    )
                except BookingError as exc:
                    status_form.add_error(None, exc.message)
                else:
                    messages.success(request, f"Appointment {self.appointment.reference} updated.")
                    return redirect(request.path)
            return self.render_to_response(self.get_context_data(status_form=status_form), status=400)
        if action == "desk_payment" and request.user.has_perm("payments.add_payment"):
            return self.record_desk_payment(request)
        if action == "refund" and request.user.has_perm("payments.add_refund"):
            return self.refund(request)
        messages.error(request, "Unknown action.")
        return redirect(request.path)

    def record_desk_payment(self, request: HttpRequest) -> HttpResponse:
        form = DeskPaymentForm(request.POST)
        if form.is_valid():
            try:
                payment = record_desk_payment(
                    self.appointment,
                    form.amount_minor(),
                    user=request.user,
                    note=form.cleaned_data["note"],
                    key=str(form.cleaned_data["token"]),
                )
            except BookingError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, f"Payment of {payment.amount_display} recorded; the patient is emailed a receipt."
                )
                return redirect(request.path)
        return self.render_to_response(self.get_context_data(desk_form=form), status=400)

    def refund(self, request: HttpRequest) -> HttpResponse:
        payments = payments_by_appointment([self.appointment.pk]).get(self.appointment.pk, [])
        form = RefundForm(request.POST, payments=[p for p in payments if p.refundable > 0])
        if form.is_valid():
            try:
                refund = staff_refund(
                    form.cleaned_data["payment"],
                    form.amount_minor(),
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    key=str(form.cleaned_data["token"]),
                )
            except BookingError as exc:
                form.add_error("amount", exc.message)
            else:
                messages.success(
                    request, f"Refund of {refund.amount_display} recorded ({refund.get_status_display().lower()})."
                )
                return redirect(request.path)
        return self.render_to_response(self.get_context_data(refund_form=form), status=400)


class ClosureAppointmentsView(WagtailAdminTemplateMixin, TemplateView):
    """The booked appointments a clinic closure falls on, each with a link to move or cancel it."""

    template_name = "booking/staff/closure_appointments.html"
    page_title = "Appointments on closed days"
    header_icon = "warning"

    def dispatch(self, request, pk: int, *args, **kwargs):
        if not request.user.has_perm("booking.view_appointment"):
            raise PermissionDenied
        self.closure = get_object_or_404(ClinicClosure, pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.closure)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("booking_clinicclosure_modeladmin_index"), "label": "Clinic closures"},
            {"url": "", "label": str(self.closure)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(closure=self.closure, appointments=affected_by_closure(self.closure))
        return context


# --- Doctors' applications and suspension ----------------------------------------------------------


def applications_index_url() -> str:
    return reverse("booking_doctorapplication_modeladmin_index")


class DoctorApplicationView(WagtailAdminTemplateMixin, TemplateView):
    """One application: what the doctor sent, where its review stands, its history; reinstate.

    Approving and requesting changes happen where Wagtail reviews every page: the page editor
    (or the dashboard's "Awaiting your review"), linked from here with the comparison against
    the live version when a profile change is waiting. Suspending has its own page, for every
    doctor (:class:`SuspendDoctorView`).
    """

    template_name = "booking/staff/doctor_application.html"
    page_title = "Doctor application"
    header_icon = "user"

    def dispatch(self, request, pk: int, *args, **kwargs):
        if not request.user.has_perm("booking.view_doctorapplication"):
            raise PermissionDenied
        self.application = get_object_or_404(DoctorApplication.objects.select_related("user", "page"), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.application)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": applications_index_url(), "label": "Doctor applications"},
            {"url": "", "label": str(self.application)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.application
        page = application.page
        draft = page.get_latest_revision_as_object() if page is not None else None
        state = page.current_workflow_state if page is not None else None
        in_review = state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS
        latest = page.get_latest_revision() if page is not None else None
        can_change = self.request.user.has_perm("booking.change_doctorapplication")
        context.update(
            application=application,
            page=page,
            draft=draft,
            in_review=in_review,
            edit_url=reverse("wagtailadmin_pages:edit", args=[page.pk]) if page is not None else "",
            compare_url=(
                reverse("wagtailadmin_pages:revisions_compare", args=[page.pk, "live", latest.pk])
                if in_review and page is not None and page.live and latest is not None
                else ""
            ),
            events=application_history(application),
            future_count=doctor_future_appointments(page).count() if page is not None else 0,
            can_suspend=can_change and page is not None and application.is_approved,
        )
        if can_change and application.is_suspended:
            context.setdefault("reinstate_form", ReinstateDoctorForm())
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm("booking.change_doctorapplication"):
            raise PermissionDenied
        form = ReinstateDoctorForm(request.POST)
        if form.is_valid():
            try:
                reinstate_doctor(self.application, by=request.user, comment=form.cleaned_data["comment"])
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{self.application} is reinstated and their page published again.")
                return redirect(request.path)
        return self.render_to_response(self.get_context_data(reinstate_form=form), status=400)


class DoctorPageMixin(WagtailAdminTemplateMixin, TemplateView):
    """Admin views about one doctor page (any doctor, whether they joined through the site or not)."""

    permission = "booking.change_doctorapplication"

    def dispatch(self, request, page_id: int, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        self.doctor = get_object_or_404(DoctorPage, pk=page_id)
        self.application = DoctorApplication.objects.filter(page=self.doctor).first()
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.doctor.draft_title or self.doctor.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailadmin_pages:edit", args=[self.doctor.pk]), "label": self.get_page_subtitle()},
            {"url": "", "label": self.page_title},
        ]


class SuspendDoctorView(DoctorPageMixin, WagtailAdminTemplateMixin, TemplateView):
    """Suspend a doctor: their page goes offline at once; then their future appointments are listed."""

    template_name = "booking/staff/suspend_doctor.html"
    page_title = "Suspend doctor"
    header_icon = "warning"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", SuspendDoctorForm())
        context.update(
            doctor=self.doctor,
            application=self.application,
            future_count=doctor_future_appointments(self.doctor).count(),
        )
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = SuspendDoctorForm(request.POST)
        if form.is_valid():
            try:
                suspend_doctor(self.doctor, by=request.user, reason=form.cleaned_data["reason"])
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"{self.get_page_subtitle()} is suspended and their page unpublished. Move or cancel their "
                    "future appointments below; each patient is emailed.",
                )
                return redirect("booking_admin_doctor_appointments", page_id=self.doctor.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DoctorAppointmentsView(DoctorPageMixin, WagtailAdminTemplateMixin, TemplateView):
    """A doctor's appointments from now on, each with a link to move or cancel it (after a suspension)."""

    template_name = "booking/staff/doctor_appointments.html"
    page_title = "Future appointments"
    header_icon = "date"
    permission = "booking.view_appointment"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            doctor=self.doctor, application=self.application, appointments=doctor_future_appointments(self.doctor)
        )
        return context


@never_cache
def application_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The application's supporting document, for staff only, always as a download.

    Served with the type found at upload and ``nosniff``, so a browser never renders it; the file
    lives in private storage and has no URL of its own.
    """
    if not request.user.has_perm("booking.view_doctorapplication"):
        raise PermissionDenied
    application = get_object_or_404(DoctorApplication, pk=pk)
    if not application.document:
        raise Http404("No document.")
    try:
        handle = application.document.open("rb")
    except FileNotFoundError:
        logger.error("Doctor application %s: the document is missing from storage", application.pk)
        raise Http404("No document.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=application.document_name, content_type=application.document_content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
