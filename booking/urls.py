"""The booking app's public URLs: one include per feature, each with its own namespace."""

from django.urls import include, path

urlpatterns = [
    path("", include("booking.prescriptions.urls")),
    path("doctor/", include("booking.doctor.urls")),
    path("payments/", include("booking.payments.urls")),
    path("join/doctor/", include("booking.onboarding.urls")),
    path("", include("booking.patients.urls")),
    # Last: its booking pattern matches any page path ending in /book/.
    path("", include("booking.appointments.urls")),
]
