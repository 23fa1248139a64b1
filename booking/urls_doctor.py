"""The doctor's dashboard routes, under /doctor/ in the "booking" namespace."""

from django.urls import path

from . import doctor_views

urlpatterns = [
    path("", doctor_views.dashboard, name="doctor_dashboard"),
    path("appointments/<str:reference>/", doctor_views.appointment_detail, name="doctor_appointment"),
    path("appointments/<str:reference>/status/", doctor_views.appointment_transition, name="doctor_transition"),
    path("appointments/<str:reference>/meeting/", doctor_views.meeting_link, name="doctor_meeting_link"),
    path("schedule/", doctor_views.schedule, name="doctor_schedule"),
    path("search/", doctor_views.search, name="doctor_search"),
    path("report/", doctor_views.report, name="doctor_report"),
    path("report.csv", doctor_views.report_csv, name="doctor_report_csv"),
]
