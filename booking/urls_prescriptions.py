"""Prescription routes, under /appointments/<reference>/prescription/ (being written)."""

urlpatterns: list = []
