"""Prepares what the load generator needs and prints it as JSON: signed-in cookies, the pages'
paths, and free slots to book. Run by ``bench/run.py`` as ``python -m bench.setup`` with the
bench settings, against the benchmark's database.

Sessions are created directly in the session store (the keys ``django.contrib.auth.login`` and
allauth's sign-in write) rather than by posting the sign-in form: the form is rate-limited and,
for staff and doctors, may ask for a second factor. When allauth's MFA app is installed, staff
and the doctor get a TOTP authenticator (as after setting one up) and the session records the
MFA step, as allauth does after a code was accepted.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import timedelta
from importlib import import_module

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from booking.availability.selectors import booking_window, doctor_free_slots  # noqa: E402
from booking.models import Appointment, clinic_zone  # noqa: E402
from home.models import DoctorIndexPage, DoctorPage, SpecializationPage, StandardPage  # noqa: E402
from portal.models import User  # noqa: E402

STAFF_EMAIL = "admin@example.com"
DOCTOR_EMAIL = "doctor@example.com"
PATIENT_EMAIL = "patient@example.com"
# Free slots handed to the booking POST (each booked once; past that, the POSTs are refusals).
MAX_SLOTS = 20_000


def second_factor(user: User) -> list[dict]:
    """An authenticator for ``user`` and the session record of having used it (allauth.mfa only)."""
    if not apps.is_installed("allauth.mfa"):
        return []
    # Imported here: the app's models exist only when it is installed (another branch adds it).
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    return [{"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"}]


def session_cookie(user: User) -> str:
    """A signed-in session for ``user``; returns the Cookie header value."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["account_authentication_methods_user"] = str(user.pk)
    store["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email},
        *second_factor(user),
    ]
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def free_slots(doctors: list[DoctorPage]) -> list[list[str]]:
    """[booking path, slot] pairs from tomorrow on, spread over many doctors, in a fixed order."""
    first, last = booking_window()
    pairs: list[list[str]] = []
    for doctor in doctors:
        book = doctor.get_url() + "book/"
        pairs += [[book, slot.start.isoformat()] for slot in doctor_free_slots(doctor, first + timedelta(days=1), last)]
        if len(pairs) >= MAX_SLOTS:
            break
    random.Random(2026).shuffle(pairs)
    return pairs[:MAX_SLOTS]


def main() -> None:
    staff = User.objects.get(email=STAFF_EMAIL)
    doctor_user = User.objects.get(email=DOCTOR_EMAIL)
    patient = User.objects.get(email=PATIENT_EMAIL)
    doctor = DoctorPage.objects.live().get(user=doctor_user)
    index = DoctorIndexPage.objects.live().first()
    specialization = SpecializationPage.objects.live().order_by("title").first()
    # A plain CMS page (title, intro, a few text blocks): the floor any Wagtail page pays for
    # routing, settings, menus and the base template, to read the other pages' figures against.
    plain = StandardPage.objects.live().order_by("path").first()
    assert index is not None and specialization is not None, "seed_demo first"
    today = timezone.localdate(timezone=clinic_zone())
    month_first = today.replace(day=1)
    month_last = (month_first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    latest = Appointment.objects.order_by("-pk").only("full_name").first()
    searched_name = latest.full_name if latest else "a"
    index_url = index.get_url()
    book_url = doctor.get_url() + "book/"
    staff_list = "/admin/booking/appointment/"
    report = "/admin/bookings/report/"
    cookies = {
        "staff": session_cookie(staff),
        "doctor": session_cookie(doctor_user),
        "patient": session_cookie(patient),
    }
    # (name, path, who): who is None for anonymous requests.
    pages = [
        ("home", "/", None),
        ("doctors index", index_url, None),
        ("doctors index, filtered", f"{index_url}?specialization={specialization.slug}", None),
        ("doctors index, searched", f"{index_url}?q={doctor.title.split()[-1]}", None),
        ("doctors index, page 40", f"{index_url}?page=40", None),
        ("specialization page", specialization.get_url(), None),
        ("doctor page", doctor.get_url(), None),
        *([("plain CMS page (reference)", plain.get_url(), None)] if plain else []),
        ("booking page", book_url, None),
        ("slots of a week", f"{book_url}?from={(today + timedelta(days=7)).isoformat()}", None),
        ("/me/", "/me/", "patient"),
        ("/doctor/", "/doctor/", "doctor"),
        ("staff list", staff_list, "staff"),
        ("staff list, searched", f"{staff_list}?q={searched_name.replace(' ', '+')}", "staff"),
        ("staff list, filtered", f"{staff_list}?status__exact=confirmed", "staff"),
        ("staff list, deep page", f"{staff_list}?when=all&p=200", "staff"),
        ("staff report", report, "staff"),
        ("staff report CSV", f"{report}?from={month_first}&to={month_last}&format=csv", "staff"),
        # Last: it adds the patient's appointments, which /me/ and the staff list would then show.
        ("booking POST", book_url, "patient"),
    ]
    doctors = list(DoctorPage.objects.live().order_by("pk")[:500])
    json.dump(
        {
            "cookies": cookies,
            "pages": [{"name": name, "path": path, "who": who} for name, path, who in pages],
            "slots": free_slots(doctors),
            "patient": {"full_name": patient.get_full_name() or "Bench Patient", "email": patient.email},
            "data": {
                "doctors": DoctorPage.objects.count(),
                "appointments": Appointment.objects.count(),
                "database": connection.vendor,
                "cache": settings.CACHES["default"]["BACKEND"],
            },
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
