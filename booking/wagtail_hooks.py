"""Wagtail admin wiring for booking records, grouped under one "Bookings" menu.

Lists use wagtail-modeladmin. Appointments are never created or edited by a bare model form:
the "Manage" view changes status or moves them through ``booking.appointments.services``, and
records payments taken at the desk and refunds through ``booking.payments.services``. Payments,
refunds and Stripe events are records, read-only here.
"""

from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register

from .models import Appointment, Notification, PrescriptionAccessLog, clinic_zone
from .payments.models import Payment, Refund, StripeEvent
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

    def local_start(self, obj):
        return timezone.localtime(obj.starts_at, clinic_zone()).strftime("%a %d %b %Y %H:%M")

    local_start.short_description = "Starts (clinic time)"
    local_start.admin_order_field = "starts_at"

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


class PaymentAdmin(ModelAdmin):
    """Every payment, online or at the desk; records of what happened, changed only by the services.

    Desk payments and refunds are made from an appointment's Manage page, where the booking and
    refund rules apply.
    """

    model = Payment
    menu_label = "Payments"
    menu_icon = "tick-inverse"
    list_display = (
        "created_at",
        "appointment_link",
        "patient_email",
        "method",
        "amount_display",
        "status",
        "refunded_display",
        "intent_id",
    )
    list_filter = ("status", "method", "created_at", "paid_at")
    search_fields = ("appointment__reference", "intent_id", "appointment__email", "appointment__full_name")
    ordering = ("-created_at",)
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_fields = (
        "appointment",
        "method",
        "status",
        "amount_display",
        "refunded_display",
        "currency",
        "intent_id",
        "stripe_status",
        "last_error",
        "recorded_by",
        "note",
        "created_at",
        "paid_at",
    )
    permission_helper_class = ReadOnlyPermissionHelper

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("appointment")

    def appointment_link(self, obj):
        return format_html('<a href="{}">{}</a>', manage_url(obj.appointment), obj.appointment.reference)

    appointment_link.short_description = "Appointment"
    appointment_link.admin_order_field = "appointment__reference"

    def patient_email(self, obj):
        return obj.appointment.email

    patient_email.short_description = "Email"

    def amount_display(self, obj):
        return obj.amount_display

    amount_display.short_description = "Amount"

    def refunded_display(self, obj):
        return obj.refunded_display if obj.amount_refunded else "—"

    refunded_display.short_description = "Refunded"


class RefundAdmin(ModelAdmin):
    """Every refund: by policy, for a late payment, by staff or made in Stripe; with its state at Stripe."""

    model = Refund
    menu_label = "Refunds"
    menu_icon = "undo"
    list_display = (
        "created_at",
        "appointment_link",
        "amount_display",
        "reason",
        "status",
        "requested_by",
        "refund_id",
        "last_error",
    )
    list_filter = ("status", "reason", "created_at")
    search_fields = (
        "payment__appointment__reference",
        "payment__intent_id",
        "refund_id",
        "payment__appointment__email",
    )
    ordering = ("-created_at",)
    inspect_view_enabled = True
    permission_helper_class = ReadOnlyPermissionHelper

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment__appointment", "requested_by")

    def appointment_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', manage_url(obj.payment.appointment), obj.payment.appointment.reference
        )

    appointment_link.short_description = "Appointment"

    def amount_display(self, obj):
        return obj.amount_display

    amount_display.short_description = "Amount"


class StripeEventAdmin(ModelAdmin):
    """The webhook events received and what each did (or why it was ignored or refused)."""

    model = StripeEvent
    menu_label = "Stripe events"
    menu_icon = "code"
    list_display = ("received_at", "type", "event_id", "payment", "outcome")
    list_filter = ("type", "received_at")
    search_fields = ("event_id", "type", "payment__intent_id", "payment__appointment__reference")
    permission_helper_class = ReadOnlyPermissionHelper

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment__appointment")


class BookingGroup(ModelAdminGroup):
    menu_label = "Bookings"
    menu_icon = "date"
    menu_order = 200
    items = (
        AppointmentAdmin,
        PaymentAdmin,
        RefundAdmin,
        NotificationAdmin,
        PrescriptionAccessLogAdmin,
        StripeEventAdmin,
    )

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
