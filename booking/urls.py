from django.urls import include, path

from . import views

app_name = "booking"

# Everything shares the "booking" namespace; the prescription and doctor-dashboard routes live
# in their own modules to keep each file about one audience.
urlpatterns = [
    path("appointments/find/", views.find_appointment, name="find"),
    path("appointments/<str:reference>/", views.appointment_detail, name="appointment"),
    path("appointments/<str:reference>/access/<str:token>/", views.guest_link, name="guest_link"),
    path("appointments/<str:reference>/cancel/", views.cancel_appointment, name="cancel"),
    path("appointments/<str:reference>/reschedule/", views.reschedule_appointment, name="reschedule"),
    path("appointments/<str:reference>/calendar.ics", views.appointment_ics, name="ics"),
    path("appointments/<str:reference>/prescription/", include("booking.urls_prescriptions")),
    path("doctor/", include("booking.urls_doctor")),
    path("me/", views.my_appointments, name="me"),
]
