"""Builders for the cast most tests need: a site tree, doctors with hours, users per role, appointments.

Plain functions rather than a factory library: a handful of objects, created the way staff and
patients create them, so tests read top to bottom. Appointments come from the real booking service
and the real transitions (:func:`make_appointment`), so a test's set-up obeys the same rules as the
site; only states the service refuses to create are written directly (:func:`save_appointment`).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from itertools import count
from urllib.parse import urlsplit

from django.utils import timezone
from wagtail.models import Page, Site

from booking.appointments.services import Actor, PatientDetails, book_appointment, transition
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.availability.slots import Slot
from booking.models import Appointment, Notification, WorkingHours
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


# --- Appointments ------------------------------------------------------------------------------

GUEST_NAME = "Gus Guest"
GUEST_EMAIL = "gus@example.com"
MOBILE = "+447700900123"
CLINIC_REMARK = "Doctor unwell."

_S = Appointment.Status
# How the clinic gets a fresh (pending) booking to each status, one allowed transition at a time.
_PATHS: dict[str, tuple[str, ...]] = {
    _S.PENDING: (),
    _S.CONFIRMED: (_S.CONFIRMED,),
    _S.DECLINED: (_S.DECLINED,),
    _S.CANCELLED: (_S.CONFIRMED, _S.CANCELLED),
    _S.COMPLETED: (_S.CONFIRMED, _S.COMPLETED),
    _S.NO_SHOW: (_S.CONFIRMED, _S.NO_SHOW),
}


def free_slots(doctor: DoctorPage, *, days_ahead: int = 1) -> list[Slot]:
    """The doctor's free slots from ``days_ahead`` days after the first bookable day to the horizon.

    Starting a day or more out keeps tests clear of the minimum notice, whatever the time of day.
    """
    first, last = booking_window()
    return doctor_free_slots(doctor, first + timedelta(days=days_ahead), last)


def make_appointment(
    doctor: DoctorPage,
    *,
    slot: Slot | datetime | None = None,
    n: int = 0,
    patient: User | None = None,
    status: str = _S.PENDING,
    full_name: str | None = None,
    email: str | None = None,
    mobile: str = MOBILE,
    reason: str = "",
    mode: str = Appointment.Mode.IN_PERSON,
    remark: str = CLINIC_REMARK,
) -> Appointment:
    """Book through ``book_appointment`` and move to ``status`` through ``transition``.

    The time is ``slot`` (a Slot or its start), else the doctor's ``n``-th free slot from tomorrow
    on. A patient's booking carries their name and email; a guest's is Gus Guest's unless given.
    The clinic's moves are made by the doctor's own account (staff for a doctor without one), with
    ``remark`` where one is required; outcomes are recorded a minute after the start. Anything the
    service refuses (a taken or past slot) raises its ``BookingError``, as it would on the site.
    """
    if status not in _PATHS:
        raise ValueError(f"The service never makes a {status!r} appointment: use save_appointment().")
    if slot is None:
        slot = free_slots(doctor)[n]
    starts_at = slot.start if isinstance(slot, Slot) else slot
    details = PatientDetails(
        full_name=full_name or (patient.get_full_name() if patient else GUEST_NAME),
        email=email or (patient.email if patient else GUEST_EMAIL),
        mobile=mobile,
        reason=reason,
        mode=mode,
    )
    appointment = book_appointment(doctor_id=doctor.pk, starts_at=starts_at, details=details, patient=patient)
    clinic = Actor(Actor.DOCTOR, doctor.user) if doctor.user_id else Actor(Actor.STAFF)
    for target in _PATHS[status]:
        after_start = target in (_S.COMPLETED, _S.NO_SHOW)
        transition(
            appointment,
            target,
            clinic,
            remark=remark if target in (_S.DECLINED, _S.CANCELLED) else "",
            now=appointment.starts_at + timedelta(minutes=1) if after_start else None,
        )
    return appointment


def appointment_row(doctor: DoctorPage, starts_at: datetime, **fields) -> Appointment:
    """An unsaved appointment built field by field, past every rule of the booking service.

    For what the service must not be part of: pure functions that need no row (the .ics file) and
    the database's own constraints. ``fields`` go to the model as given, status included.
    """
    fields.setdefault("full_name", GUEST_NAME)
    fields.setdefault("email", GUEST_EMAIL)
    fields.setdefault("mobile", MOBILE)
    fields.setdefault("ends_at", starts_at + timedelta(minutes=doctor.slot_minutes))
    return Appointment(doctor=doctor, starts_at=starts_at, **fields)


def save_appointment(doctor: DoctorPage, starts_at: datetime, status: str = _S.CONFIRMED, **fields) -> Appointment:
    """An appointment written straight to the database in ``status``, with no timeline.

    For times and states the booking service rightly refuses to create: the past, earlier today,
    awaiting payment, expired, or any status as the starting point of a transition under test.
    """
    hold_until = fields.pop("hold_until", None) or timezone.now() + timedelta(minutes=15)
    appointment = appointment_row(doctor, starts_at, **fields)
    # A hold status needs a deadline; other statuses ignore it.
    appointment.set_status(status, hold_until=hold_until)
    appointment.save()
    return appointment


def started_appointment(doctor: DoctorPage, status: str = _S.CONFIRMED, *, hours_ago: int = 2, **fields) -> Appointment:
    """An appointment that began ``hours_ago`` hours ago (saved directly: the past cannot be booked)."""
    start = (timezone.now() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0)
    return save_appointment(doctor, start, status, **fields)


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


# --- The JSON API --------------------------------------------------------------------------------

API_LOGIN = "/api/v1/auth/app/v1/auth/login"


def api_token(client, user: User, *, password: str = PASSWORD) -> str:
    """Sign ``user`` in through allauth's headless app API, as a mobile app does; the access token.

    The account's address is marked verified first (the sign-up flow that does it is tested on its
    own), since mandatory verification otherwise stops the sign-in.
    """
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    response = client.post(API_LOGIN, {"email": user.email, "password": password}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["meta"]["access_token"]


def bearer(token: str) -> dict[str, str]:
    """The request header an app sends with its access token (for the test client's ``headers=``)."""
    return {"Authorization": f"Bearer {token}"}
