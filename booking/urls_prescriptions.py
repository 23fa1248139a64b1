"""Prescription routes, included under ``appointments/<str:reference>/prescription/`` in "booking".

Each view receives ``reference`` from the including pattern.
"""

from django.urls import path

from . import prescription_views as views

urlpatterns = [
    path("", views.prescription_detail, name="prescription"),
    path("edit/", views.prescription_edit, name="prescription_edit"),
    path("sign/", views.prescription_sign, name="prescription_sign"),
    path("pdf/", views.prescription_pdf, name="prescription_pdf"),
    path("attachments/<int:pk>/", views.prescription_attachment, name="prescription_attachment"),
]
