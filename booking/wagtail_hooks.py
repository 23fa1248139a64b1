"""Wagtail admin wiring for booking records, grouped under one "Bookings" menu.

Lists use wagtail-modeladmin. Appointments are never created or edited by a bare model form:
"New appointment" (a menu item, and a button on the Appointments list from
``templates/booking/staff/appointment_index.html``) books through the booking service, and
the "Manage" view changes status or moves them through ``booking.appointments.services``.

The audit trail (``booking.models.audit``) has two lists: the whole trail, searchable and
exportable as CSV, for holders of ``booking.view_auditevent`` (the "Auditors" group), and its
prescription rows as the "Prescription access log" (``booking.view_prescriptionaccesslog``, held
by clinic staff). Looking at an appointment's details here, exporting, and opening or changing
an account in Wagtail's Users area are themselves written to the trail.

The Manage view also records payments taken at the desk and refunds, through
``booking.payments.services``; payments, refunds and Stripe events are records, read-only here.
"""

from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.widgets.button import Button
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register
from wagtail_modeladmin.views import IndexView, InspectView

from home.models import DoctorPage

from .appointments.reports import csv_safe
from .appointments.selectors import affected_by_closure
from .audit.services import record_audit
from .models import (
    Appointment,
    AuditEvent,
    ClinicClosure,
    DoctorApplication,
    Notification,
    PrescriptionAccessLog,
    WebhookDelivery,
    WebhookEndpoint,
)
from .payments.models import Payment, Refund, StripeEvent
from .staff.forms import WebhookEndpointForm
from .staff.listing import (
    AppointmentIndexView,
    AppointmentSearchHandler,
    DoctorFilter,
    WhenFilter,
    list_ordering,
    manage_url,
)
from .staff.modeladmin import NotificationInspectView, SafeIndexView
from .staff.views import (
    AppointmentReportView,
    ClosureAppointmentsView,
    DoctorApplicationView,
    DoctorAppointmentsView,
    ManageAppointmentView,
    NewAppointmentView,
    SuspendDoctorView,
    application_document,
)


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


class AuditedInspectView(InspectView):
    """The appointment's details (the patient's name, contacts, reason): each look is recorded."""

    def get(self, request, *args, **kwargs):
        record_audit(
            AuditEvent.Action.VIEW,
            AuditEvent.ObjectType.APPOINTMENT,
            self.instance.reference,
            request=request,
            detail="admin details",
        )
        return super().get(request, *args, **kwargs)


class AppointmentAdmin(ModelAdmin):
    """The staff list: see ``booking/staff/listing.py`` for how it stays fast at a million rows."""

    model = Appointment
    inspect_view_class = AuditedInspectView
    menu_label = "Appointments"
    menu_icon = "date"
    # Which columns sort; the rows themselves are drawn by listing.list_rows in the list's template.
    list_display = ("reference", "starts_at", "doctor", "full_name", "status", "mode")
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


class NotificationAdmin(ModelAdmin):
    """Every email the portal sent or tried to send; failed ones show their error and next try.

    Account emails (sign-up, password reset, …) are here too, with their text hidden.
    """

    model = Notification
    menu_label = "Emails"
    menu_icon = "mail"
    list_display = ("created_at", "kind", "to", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("to", "subject", "appointment__reference")
    inspect_view_enabled = True
    permission_helper_class = ReadOnlyPermissionHelper
    index_view_class = SafeIndexView
    inspect_view_class = NotificationInspectView

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("appointment")


AUDIT_LIST_DISPLAY = ("at", "actor_email", "actor_role", "guest_email", "action", "object_type", "object_ref")


class AuditIndexView(IndexView):
    """The trail's list; its CSV export is formula-safe and is itself recorded."""

    def as_spreadsheet(self, queryset, spreadsheet_format):
        record_audit(
            AuditEvent.Action.EXPORT,
            AuditEvent.ObjectType.AUDIT,
            "audit trail",
            request=self.request,
            detail=f"{spreadsheet_format}: {self.request.GET.urlencode()}",
        )
        return super().as_spreadsheet(queryset, spreadsheet_format)

    def write_csv_row(self, writer, row_dict):
        # References and details can come from what a visitor typed into a URL.
        return super().write_csv_row(writer, {key: csv_safe(value) for key, value in row_dict.items()})


class AuditEventAdmin(ModelAdmin):
    """Who viewed or changed health data, and who was refused. Read-only; CSV export."""

    model = AuditEvent
    menu_label = "Audit trail"
    menu_icon = "history"
    list_display = (*AUDIT_LIST_DISPLAY, "outcome", "ip_address", "detail")
    list_filter = ("outcome", "action", "object_type", "actor_role", "at")
    search_fields = ("object_ref", "actor_email", "guest_email", "ip_address", "session", "detail")
    list_export = (*AUDIT_LIST_DISPLAY, "outcome", "ip_address", "session", "detail")
    export_filename = "audit-trail"
    list_per_page = 100
    index_view_class = AuditIndexView
    permission_helper_class = ReadOnlyPermissionHelper


class PrescriptionAccessLogAdmin(ModelAdmin):
    """Who viewed or downloaded which prescription or attachment, and when: the trail's prescription rows."""

    model = PrescriptionAccessLog
    menu_label = "Prescription access log"
    menu_icon = "view"
    list_display = (*AUDIT_LIST_DISPLAY, "outcome", "ip_address", "detail")
    list_filter = ("outcome", "action", "object_type", "at")
    search_fields = ("object_ref", "actor_email", "guest_email")
    list_per_page = 100
    permission_helper_class = ReadOnlyPermissionHelper
    index_view_class = SafeIndexView


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
    index_view_class = SafeIndexView

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("appointment")

    @admin_column("Appointment", order_field="appointment__reference")
    def appointment_link(self, obj):
        return format_html('<a href="{}">{}</a>', manage_url(obj.appointment), obj.appointment.reference)

    @admin_column("Email")
    def patient_email(self, obj):
        return obj.appointment.email

    @admin_column("Amount", order_field="amount")
    def amount_display(self, obj):
        return obj.amount_display

    @admin_column("Refunded")
    def refunded_display(self, obj):
        return obj.refunded_display if obj.amount_refunded else "—"


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
    index_view_class = SafeIndexView

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment__appointment", "requested_by")

    @admin_column("Appointment", order_field="payment__appointment__reference")
    def appointment_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', manage_url(obj.payment.appointment), obj.payment.appointment.reference
        )

    @admin_column("Amount", order_field="amount")
    def amount_display(self, obj):
        return obj.amount_display


class StripeEventAdmin(ModelAdmin):
    """The webhook events received and what each did (or why it was ignored or refused)."""

    model = StripeEvent
    menu_label = "Stripe events"
    menu_icon = "code"
    list_display = ("received_at", "type", "event_id", "payment", "outcome")
    list_filter = ("type", "received_at")
    search_fields = ("event_id", "type", "payment__intent_id", "payment__appointment__reference")
    permission_helper_class = ReadOnlyPermissionHelper
    index_view_class = SafeIndexView

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment__appointment")


class DoctorApplicationAdmin(ModelAdmin):
    """Doctors who joined through the site; "Review" opens the application (document, suspension)."""

    model = DoctorApplication
    menu_label = "Doctor applications"
    menu_icon = "user"
    list_display = ("applicant", "email", "licence_number", "status", "submitted_at", "review")
    list_filter = ("status",)
    search_fields = ("user__email", "user__first_name", "user__last_name", "licence_number", "page__title")
    ordering = ("-submitted_at",)
    permission_helper_class = ReadOnlyPermissionHelper
    index_view_class = SafeIndexView

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "page")

    @admin_column("Doctor", order_field="page__title")
    def applicant(self, obj):
        return str(obj)

    @admin_column("Email", order_field="user__email")
    def email(self, obj):
        return obj.user.email

    @admin_column("Actions")
    def review(self, obj):
        url = reverse("booking_admin_application", args=[obj.pk])
        return format_html('<a class="button button-small" href="{}">Review</a>', url)


class WebhookEndpointAdmin(ModelAdmin):
    """Integrations' endpoints: URL, secret and the events each wants (``booking.api.webhooks``)."""

    model = WebhookEndpoint
    menu_label = "Webhooks"
    menu_icon = "link"
    list_display = ("name", "url", "events", "is_active", "created_at")
    list_filter = ("is_active",)
    index_view_class = SafeIndexView
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("url"), FieldPanel("events"), FieldPanel("secret"), FieldPanel("is_active")],
        base_form_class=WebhookEndpointForm,
    )


class WebhookDeliveryAdmin(ModelAdmin):
    """Every delivery: its status, attempts, the receiver's last status code and answer."""

    model = WebhookDelivery
    menu_label = "Webhook deliveries"
    menu_icon = "list-ul"
    list_display = ("created_at", "endpoint", "event", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status", "event", "endpoint")
    inspect_view_enabled = True
    permission_helper_class = ReadOnlyPermissionHelper
    index_view_class = SafeIndexView

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("endpoint")


class BookingGroup(ModelAdminGroup):
    menu_label = "Bookings"
    menu_icon = "date"
    menu_order = 200
    items = (
        AppointmentAdmin,
        PaymentAdmin,
        RefundAdmin,
        ClinicClosureAdmin,
        DoctorApplicationAdmin,
        NotificationAdmin,
        PrescriptionAccessLogAdmin,
        StripeEventAdmin,
        AuditEventAdmin,
        WebhookEndpointAdmin,
        WebhookDeliveryAdmin,
    )

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
        path("bookings/applications/<int:pk>/", DoctorApplicationView.as_view(), name="booking_admin_application"),
        path(
            "bookings/applications/<int:pk>/document/",
            application_document,
            name="booking_admin_application_document",
        ),
        path(
            "bookings/doctors/<int:page_id>/suspend/",
            SuspendDoctorView.as_view(),
            name="booking_admin_suspend_doctor",
        ),
        path(
            "bookings/doctors/<int:page_id>/appointments/",
            DoctorAppointmentsView.as_view(),
            name="booking_admin_doctor_appointments",
        ),
    ]


# --- Accounts in Wagtail's Users area: opening and changing one is recorded ------------------


def _account_type(user) -> str:
    return AuditEvent.ObjectType.PATIENT if getattr(user, "is_patient", False) else AuditEvent.ObjectType.ACCOUNT


@hooks.register("before_edit_user")
def audit_account_viewed(request, user):
    if request.method == "GET":
        record_audit(AuditEvent.Action.VIEW, _account_type(user), f"user {user.pk}", request=request)


@hooks.register("after_edit_user")
def audit_account_changed(request, user):
    record_audit(AuditEvent.Action.CHANGE, _account_type(user), f"user {user.pk}", request=request, detail="edited")


@hooks.register("after_create_user")
def audit_account_created(request, user):
    record_audit(AuditEvent.Action.CHANGE, _account_type(user), f"user {user.pk}", request=request, detail="created")


@hooks.register("before_delete_user")
def audit_account_deleted(request, user):
    # Before, not after: a deleted row has no primary key left to name it by.
    if request.method == "POST":
        record_audit(
            AuditEvent.Action.CHANGE, _account_type(user), f"user {user.pk}", request=request, detail="deleted"
        )


# --- Doctor pages: suspension and future appointments --------------------------------------


def doctor_page_buttons(page, user, priority: int):
    """ "Suspend doctor" and "Future appointments" on doctor pages, for staff allowed to use them."""
    if page.specific_class is None or not issubclass(page.specific_class, DoctorPage):
        return
    if page.live and user.has_perm("booking.change_doctorapplication"):
        yield Button(
            "Suspend doctor",
            reverse("booking_admin_suspend_doctor", args=[page.pk]),
            icon_name="warning",
            priority=priority,
        )
    if user.has_perm("booking.view_appointment"):
        yield Button(
            "Future appointments",
            reverse("booking_admin_doctor_appointments", args=[page.pk]),
            icon_name="date",
            priority=priority + 1,
        )


@hooks.register("register_page_header_buttons")
def doctor_page_header_buttons(page, user, view_name=None, next_url=None):
    yield from doctor_page_buttons(page, user, priority=62)


@hooks.register("register_page_listing_more_buttons")
def doctor_page_listing_buttons(page, user, next_url=None):
    yield from doctor_page_buttons(page, user, priority=42)
