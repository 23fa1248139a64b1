"""Staff views inside the Wagtail admin: the appointments report and managing one appointment.

Both only call the booking service; nothing here changes an appointment by itself.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .doctor_forms import EARLIEST_REPORT_DATE, LATEST_REPORT_DATE, MAX_REPORT_DAYS, this_month
from .models import Appointment, clinic_zone
from .reports import appointment_rows, csv_download
from .services import Actor, BookingError, allowed_targets, move_appointment, transition


class ReportForm(forms.Form):
    start = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[MinValueValidator(EARLIEST_REPORT_DATE), MaxValueValidator(LATEST_REPORT_DATE)],
    )
    end = forms.DateField(
        label="To (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[MinValueValidator(EARLIEST_REPORT_DATE), MaxValueValidator(LATEST_REPORT_DATE)],
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end date must not be before the start date.")
            if (end - start).days > MAX_REPORT_DAYS:
                raise forms.ValidationError(f"Pick at most {MAX_REPORT_DAYS} days.")
        return data


class AppointmentReportView(WagtailAdminTemplateMixin, TemplateView):
    """Counts of appointments by doctor and status between two dates, with a CSV export."""

    template_name = "booking/admin/report.html"
    page_title = "Appointments report"
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("booking.view_appointment"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        first, last = this_month()
        form = ReportForm(request.GET or {"start": first, "end": last})
        if form.is_valid() and request.GET.get("format") == "csv":
            return self.csv_response(form.cleaned_data["start"], form.cleaned_data["end"])
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        if not form.is_valid():
            return context
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        rows = Appointment.objects.starting_between(start, end).values_list("doctor__title", "status")
        counts = Counter(rows)
        statuses = list(Appointment.Status)
        doctors = sorted({doctor for doctor, _ in counts})
        table = [
            (doctor, [counts.get((doctor, s), 0) for s in statuses], sum(counts.get((doctor, s), 0) for s in statuses))
            for doctor in doctors
        ]
        totals = [sum(counts.get((d, s), 0) for d in doctors) for s in statuses]
        context.update(
            start=start,
            end=end,
            statuses=statuses,
            table=table,
            totals=totals,
            grand_total=sum(totals),
            csv_url=f"{self.request.path}?start={start}&end={end}&format=csv",
        )
        return context

    def csv_response(self, start: date, end: date) -> StreamingHttpResponse:
        queryset = Appointment.objects.starting_between(start, end).select_related("doctor").order_by("starts_at")
        rows = appointment_rows(queryset, with_doctor=True, with_contact=True)
        return csv_download(rows, f"appointments-{start}-{end}.csv")


class MoveForm(forms.Form):
    doctor = forms.ModelChoiceField(queryset=None, label="Doctor")
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label="Start (clinic time)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = apps.get_model("home", "DoctorPage").objects.live().order_by("title")

    def starts_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["start"], tzinfo=clinic_zone())


class StatusForm(forms.Form):
    target = forms.ChoiceField(label="New status")
    remark = forms.CharField(
        label="Remark for the patient",
        required=False,
        help_text="Required when declining or cancelling; the patient reads it in their email.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # No preselected status: one stray click must not confirm or cancel anything.
        self.fields["target"].choices = [("", "Choose…")] + [(t, Appointment.Status(t).label) for t in targets]


class ManageAppointmentView(WagtailAdminTemplateMixin, TemplateView):
    """Change an appointment's status or move it (time and/or doctor), through the service."""

    template_name = "booking/admin/manage.html"
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
