""" "Join as a doctor", under /join/doctor/ in the "onboarding" namespace."""

from django.urls import path

from . import views

app_name = "onboarding"

urlpatterns = [
    path("", views.join, name="join"),
    path("profile/", views.profile, name="profile"),
]
