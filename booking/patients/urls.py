"""The patient's own data, under /me/ next to their appointments; "patients" namespace."""

from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("me/profile/", views.profile, name="profile"),
    path("me/export/", views.export_page, name="export"),
    path("me/export.json", views.export_json, name="export_json"),
    path("me/delete/", views.delete_account, name="delete"),
]
