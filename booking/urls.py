from django.urls import path

from . import views

app_name = "booking"

urlpatterns = [
    path("appointments/find/", views.find_appointment, name="find"),
    path("appointments/<str:reference>/", views.appointment_detail, name="appointment"),
    path("me/", views.my_appointments, name="me"),
]
