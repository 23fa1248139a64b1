"""Staff views inside the Wagtail admin: the appointments report, managing one appointment, the
appointments a closure falls on, and doctors' applications (review, document, suspension).

They only call the booking services and the shared report; nothing here changes an appointment
or an application by itself.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import WorkflowState

from home.models import DoctorPage

from ..appointments.reports import ReportForm, appointment_report, appointment_rows, csv_download
from ..appointments.selectors import affected_by_closure, doctor_future_appointments
from ..appointments.services import Actor, allowed_targets, move_appointment, transition
from ..errors import ApplicationError, BookingError
from ..models import Appointment, ClinicClosure, DoctorApplication
from ..onboarding.selectors import application_history
from ..onboarding.services import reinstate_doctor, suspend_doctor
from .forms import MoveForm, ReinstateDoctorForm, StatusForm, SuspendDoctorForm

logger = logging.getLogger(__name__)


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

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = ReportForm.from_query(request.GET)
        if form.is_valid() and request.GET.get("format") == "csv":
            return self.csv_response(form)
        status = 200 if form.is_valid() else 400
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        if form.is_valid():
            context.update(
                report=appointment_report(form.start, form.end),
                csv_url=f"{self.request.path}?{form.query}&format=csv",
            )
        return context

    def csv_response(self, form: ReportForm) -> StreamingHttpResponse:
        queryset = (
            Appointment.objects.starting_between(form.start, form.end)
            .select_related("doctor")
            .order_by("starts_at", "pk")
        )
        rows = appointment_rows(queryset, with_doctor=True, with_contact=True)
        return csv_download(rows, f"appointments-{form.start}-{form.end}.csv")


class ManageAppointmentView(WagtailAdminTemplateMixin, TemplateView):
    """Change an appointment's status or move it (time and/or doctor), through the service."""

    template_name = "booking/staff/manage.html"
    page_title = "Manage appointment"
    header_icon = "date"

    def dispatch(self, request, reference: str, *args, **kwargs):
        if not request.user.has_perm("booking.change_appointment"):
            raise PermissionDenied
        self.appointment = get_object_or_404(
            Appointment.objects.select_related("doctor", "patient"), reference=reference
        )
        self.actor = Actor(Actor.STAFF, request.user)
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
            form = StatusForm(request.POST, targets=allowed_targets(self.appointment, self.actor))
            if form.is_valid():
                try:
                    transition(
                        self.appointment, form.cleaned_data["target"], self.actor, remark=form.cleaned_data["remark"]
                    )
                except BookingError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, f"Appointment {self.appointment.reference} updated.")
                    return redirect(request.path)
            return self.render_to_response(self.get_context_data(status_form=form), status=400)
        messages.error(request, "Unknown action.")
        return redirect(request.path)


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
        page = application.page.specific if application.page_id else None
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
                if in_review and page.live and latest is not None
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


class DoctorPageMixin:
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
def application_document(request: HttpRequest, pk: int) -> HttpResponse:
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
