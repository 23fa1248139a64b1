"""Wagtail admin wiring for booking records, grouped under one "Bookings" menu.

Lists use wagtail-modeladmin. Appointments are never created or edited by a bare model form:
the "Manage" view changes status or moves them through ``booking.appointments.services``.
"""

from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register

from .models import Appointment, Notification, PrescriptionAccessLog, clinic_zone
from .staff.listing import (
    AppointmentIndexView,
    AppointmentSearchHandler,
    DoctorFilter,
    WhenFilter,
    list_ordering,
)
from .staff.views import AppointmentReportView, ManageAppointmentView


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
    """The staff list: see ``booking/staff/listing.py`` for how it stays fast at a million rows."""

    model = Appointment
    menu_label = "Appointments"
    menu_icon = "date"
    list_display = ("reference", "local_start", "doctor", "full_name", "status", "mode", "manage")
    list_filter = (WhenFilter, "status", "mode", DoctorFilter)
    search_fields = ("reference", "full_name", "email", "mobile")
    search_handler_class = AppointmentSearchHandler
    index_view_class = AppointmentIndexView
    index_template_name = "booking/staff/appointment_index.html"
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
        # Doctors are fetched for the page's rows only: joined into the sorted query, they made
        # MariaDB sort every row (see listing.py). The inspect view reads one row either way.
        return super().get_queryset(request).prefetch_related("doctor")

    def get_ordering(self, request):
        return list_ordering(request.GET)

    def local_start(self, obj):
        return timezone.localtime(obj.starts_at, clinic_zone()).strftime("%a %d %b %Y %H:%M")

    local_start.short_description = "Starts (clinic time)"

    def manage(self, obj):
        return format_html('<a class="button button-small" href="{}">Manage</a>', manage_url(obj))

    manage.short_description = "Actions"


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


class BookingGroup(ModelAdminGroup):
    menu_label = "Bookings"
    menu_icon = "date"
    menu_order = 200
    items = (AppointmentAdmin, NotificationAdmin, PrescriptionAccessLogAdmin)

    def get_submenu_items(self):
        items = super().get_submenu_items()
        items.insert(
            1,
            ReportMenuItem("Report", reverse("booking_admin_report"), icon_name="table", order=150),
        )
        return items


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("booking.view_appointment")


modeladmin_register(BookingGroup)


@hooks.register("register_admin_urls")
def register_booking_admin_urls():
    return [
        path("bookings/report/", AppointmentReportView.as_view(), name="booking_admin_report"),
        path(
            "bookings/appointments/<str:reference>/manage/",
            ManageAppointmentView.as_view(),
            name="booking_admin_manage",
        ),
    ]
