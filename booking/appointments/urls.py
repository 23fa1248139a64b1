"""Patient-side appointment routes, in the "appointments" namespace.

Booking lives *below a doctor page's own URL* (``/doctors/<slug>/book/``) although the page
belongs to ``home``: the pattern captures the page's path and the view finds the live doctor
page there, so the page never has to import booking.
"""

from django.urls import path, re_path

from . import views

app_name = "appointments"

# A page path: slugs separated by slashes (no leading or trailing slash).
PAGE_PATH = r"(?P<page_path>[-\w]+(?:/[-\w]+)*)"

urlpatterns = [
    path("appointments/find/", views.find_appointment, name="find"),
    path("appointments/end-browser-access/", views.end_browser_access, name="end_browser_access"),
    path("appointments/<str:reference>/", views.appointment_detail, name="detail"),
    path("appointments/<str:reference>/access/<str:token>/", views.guest_link, name="guest_link"),
    path("appointments/<str:reference>/confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("appointments/<str:reference>/cancel/", views.cancel_appointment, name="cancel"),
    path("appointments/<str:reference>/reschedule/", views.reschedule_appointment, name="reschedule"),
    path("appointments/<str:reference>/calendar.ics", views.appointment_ics, name="ics"),
    path("me/", views.my_appointments, name="mine"),
    path("me/found/<str:reference>/add/", views.claim_found_booking, name="claim"),
    path("me/found/<str:reference>/not-mine/", views.dismiss_found_booking, name="dismiss"),
    re_path(rf"^{PAGE_PATH}/book/$", views.book_with_doctor, name="book"),
    re_path(rf"^{PAGE_PATH}/book/confirmed/(?P<reference>[-\w]+)/$", views.booking_confirmed, name="confirmed"),
]
