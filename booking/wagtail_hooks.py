"""Wagtail admin wiring for booking records (wagtail-modeladmin), grouped under one menu item."""

from django.utils import timezone
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register

from .models import Appointment, clinic_zone


class AppointmentAdmin(ModelAdmin):
    model = Appointment
    menu_label = "Appointments"
    menu_icon = "date"
    list_display = ("reference", "local_start", "doctor", "full_name", "email", "mobile", "status", "mode")
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
    # Appointments are created and moved only through the booking service, never by a bare form.
    create_view_enabled = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("doctor", "patient")

    def local_start(self, obj):
        return timezone.localtime(obj.starts_at, clinic_zone()).strftime("%a %d %b %Y %H:%M")

    local_start.short_description = "Starts (clinic time)"
    local_start.admin_order_field = "starts_at"


class BookingGroup(ModelAdminGroup):
    menu_label = "Bookings"
    menu_icon = "date"
    menu_order = 200
    items = (AppointmentAdmin,)


modeladmin_register(BookingGroup)
