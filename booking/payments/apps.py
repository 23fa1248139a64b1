from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "booking.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ..appointments.checkout import use_checkout
        from ..appointments.signals import status_changed
        from . import checks  # noqa: F401 - registers the settings checks
        from .checkout import PaymentsCheckout
        from .services import on_status_changed

        # The booking page asks this checkout whether and how much to pay.
        use_checkout(PaymentsCheckout())
        # Refunds on cancel/decline and abandoned payments on expiry follow appointment changes.
        status_changed.connect(on_status_changed, dispatch_uid="payments.on_status_changed")
