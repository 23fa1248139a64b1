"""Builders for the cast most tests need: a site tree, doctors with hours, and users per role.

Plain functions rather than a factory library: a handful of objects, created the way staff and
patients create them, so tests read top to bottom.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from itertools import count

import pyotp
from allauth.account.models import EmailAddress
from django.urls import reverse
from wagtail.models import Page, Site

from booking.models import WorkingHours
from home.models import (
    DoctorIndexPage,
    DoctorPage,
    DoctorSpecialization,
    HomePage,
    SpecializationIndexPage,
    SpecializationPage,
    StandardPage,
)
from portal.mfa import enrol_totp
from portal.models import User
from portal.roles import group_for_role

PASSWORD = "a-long-test-password-42"
# Staff and doctors must have a second factor (portal.middleware): test users of those roles get
# an authenticator app with this key, and sign_in() answers the code like the person's phone.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
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


def make_user(email: str, role: str = User.Role.PATIENT, *, mfa: bool | None = None, **extra) -> User:
    """A user of ``role``; staff and doctors get an authenticator app (``TOTP_SECRET``) unless ``mfa=False``."""
    extra.setdefault("first_name", email.split("@")[0].title())
    extra.setdefault("last_name", "Tester")
    extra.setdefault("mobile", "+447700900123")
    if role == User.Role.STAFF:
        extra.setdefault("is_staff", True)
    user = User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)
    user.groups.add(group_for_role(role))
    if mfa if mfa is not None else user.requires_strong_auth:
        enrol_totp(user, TOTP_SECRET)
    return user


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app holding ``secret`` shows now."""
    return pyotp.TOTP(secret).now()


def verify_email(user: User) -> None:
    """Give ``user`` the verified primary address that allauth's mandatory verification asks for."""
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


def sign_in(client, user: User, password: str = PASSWORD, *, secret: str = TOTP_SECRET, **request_extra):
    """Sign ``user`` in through allauth's forms, answering the second-factor step if it comes.

    Returns the last response. ``request_extra`` goes to every request (e.g. ``REMOTE_ADDR`` to
    sign in from a given address, ``HTTP_HOST``).
    """
    verify_email(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": password}, **request_extra)
    if response.status_code == 302 and response["Location"] == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)}, **request_extra)
    return response
