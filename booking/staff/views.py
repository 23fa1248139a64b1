"""Staff views inside the Wagtail admin: the appointments report and managing one appointment.

Both only call the booking services and the shared report; nothing here changes an appointment
by itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..appointments.reports import ReportForm, appointment_report, appointment_rows, csv_download
from ..appointments.services import Actor, allowed_targets, move_appointment, transition
from ..errors import BookingError
from ..models import Appointment
from .forms import MoveForm, StatusForm


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
        queryset = Appointment.objects.starting_between(form.start, form.end)
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
