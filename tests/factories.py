"""Builders for the cast most tests need: a site tree, doctors with hours, and users per role.

Plain functions rather than a factory library: a handful of objects, created the way staff and
patients create them, so tests read top to bottom.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from itertools import count
from urllib.parse import urlsplit

from wagtail.models import Page, Site

from booking.models import Notification, WorkingHours
from home.models import (
    DoctorIndexPage,
    DoctorPage,
    DoctorSpecialization,
    HomePage,
    SpecializationIndexPage,
    SpecializationPage,
    StandardPage,
)
from portal.models import User
from portal.roles import group_for_role

PASSWORD = "a-long-test-password-42"
_seq = count(1)


def make_site() -> dict:
    """Home → Specializations → Cardiology, and Home → Doctors; the default Site points at Home."""
    root = Page.get_first_root_node()
    if root is None:  # transactional tests flush the tree that Wagtail's migrations created
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Home", slug=f"home-{next(_seq)}"))
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home}
    )
    Page.objects.filter(depth=2).exclude(pk=home.pk).delete()
    about = home.add_child(instance=StandardPage(title="About", slug="about", intro="About us", show_in_menus=True))
    spec_index = home.add_child(instance=SpecializationIndexPage(title="Specializations", slug="specializations"))
    cardiology = spec_index.add_child(
        instance=SpecializationPage(title="Cardiology", slug="cardiology", summary="Hearts and vessels.")
    )
    doctors = home.add_child(instance=DoctorIndexPage(title="Doctors", slug="doctors"))
    return {"home": home, "about": about, "spec_index": spec_index, "cardiology": cardiology, "doctors": doctors}


def make_doctor(
    index: DoctorIndexPage,
    name: str = "Dr Ada Lovelace",
    *,
    specialization: SpecializationPage | None = None,
    hours: tuple[time, time] = (time(8, 0), time(20, 0)),
    slot_minutes: int = 30,
    offers_online: bool = True,
    user: User | None = None,
    slug: str | None = None,
) -> DoctorPage:
    """A live doctor who works ``hours`` every day of the week, so tests never depend on the weekday."""
    doctor = DoctorPage(
        title=name,
        slug=slug or f"doctor-{next(_seq)}",
        job_title="Consultant",
        consultation_fee=Decimal("60.00"),
        slot_minutes=slot_minutes,
        offers_online=offers_online,
        user=user,
    )
    for weekday in range(7):
        doctor.working_hours.add(WorkingHours(weekday=weekday, starts=hours[0], ends=hours[1]))
    if specialization is not None:
        doctor.specialization_links.add(DoctorSpecialization(specialization=specialization))
    index.add_child(instance=doctor)
    return doctor


def make_user(email: str, role: str = User.Role.PATIENT, **extra) -> User:
    extra.setdefault("first_name", email.split("@")[0].title())
    extra.setdefault("last_name", "Tester")
    extra.setdefault("mobile", "+447700900123")
    if role == User.Role.STAFF:
        extra.setdefault("is_staff", True)
    user = User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)
    user.groups.add(group_for_role(role))
    return user


def confirm_link_path(appointment) -> str:
    """The path of the confirm link in a guest booking's "confirm your booking" email."""
    email = Notification.objects.get(appointment=appointment, kind=Notification.Kind.CONFIRM_EMAIL)
    match = re.search(r"https?://\S+/appointments/[^/\s]+/confirm/[^/\s]+/", email.body_text)
    assert match, "no confirm link in the email"
    return urlsplit(match.group(0)).path


def confirm_by_email(client, appointment):
    """Do what the guest does: open the confirm link from the email and press the button."""
    path = confirm_link_path(appointment)
    assert client.get(path).status_code == 200
    return client.post(path, {"action": "confirm"})
