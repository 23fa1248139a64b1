"""Posting Wagtail's add-user and edit-user forms as a browser would: URLs and form data."""

from __future__ import annotations

from django.urls import reverse

INDEX = reverse("wagtailusers_users:index")
ADD = reverse("wagtailusers_users:add")
NEW_PASSWORD = "quiet-harbour-lantern-93"


def edit_url(user) -> str:
    return reverse("wagtailusers_users:edit", args=(user.pk,))


def add_data(**overrides) -> dict:
    data = {
        "email": "new.doctor@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "role": "doctor",
        "mobile": "07400 123456",
        "doctor_page": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def edit_data(user, **overrides) -> dict:
    """What the edit form posts for ``user`` when nothing is changed (except ``overrides``)."""
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "password1": "",
        "password2": "",
        "is_active": "on",
        "role": user.role,
        "mobile": "07400 123456",
        "doctor_page": str(user.doctor_page.pk) if hasattr(user, "doctor_page") else "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))
