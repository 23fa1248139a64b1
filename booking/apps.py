from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed
        from django.contrib.auth.signals import user_logged_in

        from home.availability import register_first_free_times

        from .appointments.receivers import on_email_confirmed, on_user_logged_in
        from .availability.selectors import first_free_starts

        # Guest bookings found for the patient's verified address are offered, never attached.
        email_confirmed.connect(on_email_confirmed, dispatch_uid="booking.found_bookings_on_confirm")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="booking.found_bookings_on_login")
        # The doctors index filters and sorts by availability, which only booking can compute.
        register_first_free_times(first_free_starts)
