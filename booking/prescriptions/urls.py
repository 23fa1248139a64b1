"""Prescription routes, under ``/appointments/<reference>/prescription/`` in the "prescriptions" namespace."""

from django.urls import path

from . import views

app_name = "prescriptions"

urlpatterns = [
    path("appointments/<str:reference>/prescription/", views.prescription_detail, name="detail"),
    path("appointments/<str:reference>/prescription/edit/", views.prescription_edit, name="edit"),
    path("appointments/<str:reference>/prescription/sign/", views.prescription_sign, name="sign"),
    path("appointments/<str:reference>/prescription/pdf/", views.prescription_pdf, name="pdf"),
    path(
        "appointments/<str:reference>/prescription/attachments/<int:pk>/",
        views.prescription_attachment,
        name="attachment",
    ),
]
