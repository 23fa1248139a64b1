"""Payment routes, in the "payments" namespace."""

from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("<str:reference>/pay/", views.pay, name="pay"),
    path("<str:reference>/return/", views.payment_return, name="return"),
]
