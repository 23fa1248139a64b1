"""Staff views inside the Wagtail admin: the appointments report and managing one appointment.

Both only call the booking and payment services and the shared report; nothing here changes an
appointment or a payment by itself. Managing an appointment includes its payments: recording
money taken at the desk and refunding (fully or partly, with a reason the patient reads).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..appointments.reports import ReportForm, appointment_report, appointment_rows, csv_download
from ..appointments.selectors import affected_by_closure
from ..appointments.services import Actor, allowed_targets, move_appointment, transition
from ..audit.services import Origin, record_audit
from ..errors import BookingError
from ..models import Appointment, AuditEvent, ClinicClosure, normalize_reference
from ..payments.selectors import csv_money_columns, money_by_doctor, payments_by_appointment, total_of, with_money
from ..payments.services import record_desk_payment, staff_refund
from .forms import DeskPaymentForm, MoveForm, RefundForm, StatusForm


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
            context.update(
                report=appointment_report(form.start, form.end),
                money=money,
                money_total=total_of(money.values()),
                csv_url=f"{self.request.path}?{form.query}&format=csv",
            )
        return context

    def csv_response(self, form: ReportForm) -> StreamingHttpResponse:
        queryset = with_money(
            Appointment.objects.starting_between(form.start, form.end)
            .select_related("doctor")
            .order_by("starts_at", "pk")
        )
        rows = appointment_rows(queryset, with_doctor=True, with_contact=True, extra_columns=csv_money_columns())
        record_audit(
            AuditEvent.Action.EXPORT,
            AuditEvent.ObjectType.REPORT,
            f"{form.start.isoformat()}..{form.end.isoformat()}",
            request=self.request,
            detail="appointments CSV with patients' contact details",
        )
        return csv_download(rows, f"appointments-{form.start}-{form.end}.csv")


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
