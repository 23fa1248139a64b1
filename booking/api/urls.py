"""``/api/v1/``: the JSON API, its schema (``schema/``) and docs (``docs``)."""

from django.urls import path

from .api import api

urlpatterns = [path("", api.urls)]
