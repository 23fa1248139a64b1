from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed
        from django.contrib.auth.signals import user_logged_in

        from .api.webhooks import on_appointment_moved, on_status_changed
        from .appointments.receivers import on_email_confirmed, on_user_logged_in
        from .appointments.signals import appointment_moved, status_changed

        # Guest bookings found for the patient's verified address are offered, never attached.
        email_confirmed.connect(on_email_confirmed, dispatch_uid="booking.found_bookings_on_confirm")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="booking.found_bookings_on_login")
        # Outgoing webhooks hang off the lifecycle's committed changes, not off each service.
        status_changed.connect(on_status_changed, dispatch_uid="booking.webhooks_on_status")
        appointment_moved.connect(on_appointment_moved, dispatch_uid="booking.webhooks_on_move")
