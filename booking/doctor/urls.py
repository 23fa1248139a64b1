"""The doctor's dashboard routes, under /doctor/ in the "doctor" namespace."""

from django.urls import path

from . import views

app_name = "doctor"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("day/", views.day, name="day"),
    path("appointments/<str:reference>/", views.appointment_detail, name="appointment"),
    path("appointments/<str:reference>/status/", views.appointment_transition, name="transition"),
    path("appointments/<str:reference>/meeting/", views.meeting_link, name="meeting_link"),
    path("schedule/", views.schedule, name="schedule"),
    path("search/", views.search, name="search"),
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report_csv"),
]
