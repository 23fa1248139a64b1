"""Wagtail admin wiring for booking records, grouped under one "Bookings" menu.

Lists use wagtail-modeladmin. Appointments are never created or edited by a bare model form:
"New appointment" (a menu item, and a button on the Appointments list from
``templates/modeladmin/booking/appointment/index.html``) books through the booking service, and
the "Manage" view changes status or moves them through ``booking.appointments.services``.
"""

from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register

from .appointments.selectors import affected_by_closure
from .models import Appointment, ClinicClosure, Notification, PrescriptionAccessLog, clinic_zone
from .staff.views import AppointmentReportView, ClosureAppointmentsView, ManageAppointmentView, NewAppointmentView


def admin_column(label: str, *, order_field: str | None = None):
    """Give a computed list column its heading (and the field it sorts by), as modeladmin reads them."""

    def decorate(method):
        method.short_description = label
        if order_field:
            method.admin_order_field = order_field
        return method

    return decorate


class ReadOnlyPermissionHelper(PermissionHelper):
    """Lists and inspect views only, for everyone including superusers.

    Appointments change only through the booking service (the Manage view); emails and the
    access log are records of what happened. A bare model form would skip the slot checks,
    the timeline and the patient's emails.
    """

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class AppointmentAdmin(ModelAdmin):
    model = Appointment
    menu_label = "Appointments"
    menu_icon = "date"
    list_display = ("reference", "local_start", "doctor", "full_name", "status", "mode", "manage")
    list_filter = ("status", "mode", "doctor", "starts_at")
    search_fields = ("reference", "full_name", "email", "mobile")
    ordering = ("-starts_at",)
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_fields = (
        "reference",
        "status",
        "doctor",
        "patient",
        "full_name",
        "email",
        "mobile",
        "mode",
        "starts_at",
        "ends_at",
        "reason",
        "fee",
        "meeting_url",
        "created_at",
        "updated_at",
    )
    permission_helper_class = ReadOnlyPermissionHelper

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("doctor", "patient")

    @admin_column("Starts (clinic time)", order_field="starts_at")
    def local_start(self, obj):
        return timezone.localtime(obj.starts_at, clinic_zone()).strftime("%a %d %b %Y %H:%M")

    @admin_column("Actions")
    def manage(self, obj):
        return format_html('<a class="button button-small" href="{}">Manage</a>', manage_url(obj))


def manage_url(appointment: Appointment) -> str:
    return reverse("booking_admin_manage", args=[appointment.reference])


class NotificationAdmin(ModelAdmin):
    """Every email the portal sent or tried to send; failed ones show their error and next try."""

    model = Notification
    menu_label = "Emails"
    menu_icon = "mail"
    list_display = ("created_at", "kind", "to", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("to", "subject", "appointment__reference")
    inspect_view_enabled = True
    permission_helper_class = ReadOnlyPermissionHelper

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("appointment")


class PrescriptionAccessLogAdmin(ModelAdmin):
    """Who viewed or downloaded which prescription, and when. Read-only."""

    model = PrescriptionAccessLog
    menu_label = "Prescription access log"
    menu_icon = "view"
    list_display = ("at", "action", "prescription", "user", "guest_email", "ip_address", "detail")
    list_filter = ("action", "at")
    search_fields = ("prescription__appointment__reference", "user__email", "guest_email")
    permission_helper_class = ReadOnlyPermissionHelper

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("prescription__appointment", "user")


class ClinicClosureAdmin(ModelAdmin):
    """Bank holidays and other days the clinic is closed; availability everywhere leaves them out."""

    model = ClinicClosure
    menu_label = "Clinic closures"
    menu_icon = "warning"
    list_display = ("reason", "start_date", "end_date", "still_open", "booked")
    ordering = ("-start_date",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("open_doctors")

    @admin_column("Doctors still seeing patients")
    def still_open(self, obj):
        return ", ".join(doctor.title for doctor in obj.open_doctors.all()) or "—"

    @admin_column("Booked appointments")
    def booked(self, obj):
        # One small query per closure row: closures are a handful a year.
        count = affected_by_closure(obj).count()
        url = reverse("booking_admin_closure_appointments", args=[obj.pk])
        if not count:
            return format_html('<a href="{}">None</a>', url)
        return format_html('<a href="{}"><strong>{} to move or cancel</strong></a>', url, count)


class BookingGroup(ModelAdminGroup):
    menu_label = "Bookings"
    menu_icon = "date"
    menu_order = 200
    items = (AppointmentAdmin, ClinicClosureAdmin, NotificationAdmin, PrescriptionAccessLogAdmin)

    def get_submenu_items(self):
        items = super().get_submenu_items()
        items.insert(
            1,
            NewAppointmentMenuItem(
                "New appointment", reverse("booking_admin_new_appointment"), icon_name="plus", order=110
            ),
        )
        items.insert(
            2,
            ReportMenuItem("Report", reverse("booking_admin_report"), icon_name="table", order=150),
        )
        return items


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("booking.view_appointment")


class NewAppointmentMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("booking.add_appointment")


modeladmin_register(BookingGroup)


@hooks.register("register_admin_urls")
def register_booking_admin_urls():
    return [
        path("bookings/report/", AppointmentReportView.as_view(), name="booking_admin_report"),
        path("bookings/appointments/new/", NewAppointmentView.as_view(), name="booking_admin_new_appointment"),
        path(
            "bookings/appointments/<str:reference>/manage/",
            ManageAppointmentView.as_view(),
            name="booking_admin_manage",
        ),
        path(
            "bookings/closures/<int:pk>/appointments/",
            ClosureAppointmentsView.as_view(),
            name="booking_admin_closure_appointments",
        ),
    ]
