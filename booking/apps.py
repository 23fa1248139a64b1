from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks
        from django.db.models.signals import post_migrate
        from wagtail.signals import page_published, workflow_rejected

        from home.availability import register_first_free_times

        from .api.webhooks import on_appointment_moved, on_payment_succeeded, on_refund_succeeded, on_status_changed
        from .appointments.receivers import on_email_confirmed, on_user_logged_in
        from .appointments.signals import appointment_moved, status_changed
        from .availability import receivers as availability_receivers
        from .availability.selectors import first_free_starts
        from .onboarding.checks import check_licence_pattern
        from .onboarding.receivers import on_page_published, on_workflow_rejected, send_wagtail_emails_after_commit
        from .onboarding.workflow import ensure_vetting_workflow_after_migrate
        from .payments.signals import payment_succeeded, refund_succeeded

        # Guest bookings found for the patient's verified address are offered, never attached.
        email_confirmed.connect(on_email_confirmed, dispatch_uid="booking.found_bookings_on_confirm")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="booking.found_bookings_on_login")

        # Doctors who join through the site: Wagtail's moderation decides, the application follows.
        page_published.connect(on_page_published, dispatch_uid="booking.onboarding_page_published")
        workflow_rejected.connect(on_workflow_rejected, dispatch_uid="booking.onboarding_workflow_rejected")
        send_wagtail_emails_after_commit()
        # The "Doctor vetting" workflow is data the code relies on: (re)create it after migrate.
        post_migrate.connect(
            ensure_vetting_workflow_after_migrate, sender=self, dispatch_uid="booking.vetting_workflow"
        )
        checks.register(check_licence_pattern)

        # The doctors index filters and sorts by availability, which only booking can compute.
        register_first_free_times(first_free_starts)

        # Outgoing webhooks hang off the lifecycle's committed changes, not off each service.
        status_changed.connect(on_status_changed, dispatch_uid="booking.webhooks_on_status")
        appointment_moved.connect(on_appointment_moved, dispatch_uid="booking.webhooks_on_move")
        # … and off the money the payments services announce (payments never import the API).
        payment_succeeded.connect(on_payment_succeeded, dispatch_uid="booking.webhooks_on_payment")
        refund_succeeded.connect(on_refund_succeeded, dispatch_uid="booking.webhooks_on_refund")

        # Cached public pages showing free times follow every change to them (portal/pagecache.py).
        availability_receivers.connect()
