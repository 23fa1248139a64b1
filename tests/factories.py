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

import pyotp
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Locale, Page, Site

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
from portal.mfa import enrol_totp
from portal.models import User
from portal.roles import group_for_role

PASSWORD = "a-long-test-password-42"
# Staff and doctors must have a second factor (portal.middleware): test users of those roles get
# an authenticator app with this key, and sign_in() answers the code like the person's phone.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# InnoDB applies full-text index changes only at commit, so on MariaDB/MySQL a test that searches
# must really commit its rows (and restore Wagtail's migrated rows after the flush); SQLite's FTS5
# sees the test's own transaction. Use as ``pytestmark = SEARCH_DB``.
ON_MYSQL = settings.DATABASES["default"]["ENGINE"].endswith("mysql")
SEARCH_DB = pytest.mark.django_db(transaction=ON_MYSQL, serialized_rollback=ON_MYSQL)
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


def bulk_doctors(
    index: DoctorIndexPage,
    n: int,
    *,
    specialization: SpecializationPage | None = None,
    hours: tuple[time, time] = (time(8, 0), time(20, 0)),
) -> list[DoctorPage]:
    """``n`` live doctors under ``index`` in a handful of INSERTs, for tests at a thousand doctors.

    Django cannot bulk-create a multi-table child (a page), so the base page rows are
    bulk-created with their tree paths worked out here, then the doctor rows are inserted on their
    own. They are not in the search index and have no revisions: for listings and query counts.
    """
    index.refresh_from_db()
    start = index.numchild
    locale = Locale.get_default()
    content_type = ContentType.objects.get_for_model(DoctorPage)
    seq = next(_seq)
    pages = []
    for i in range(n):
        slug = f"bulk-{seq}-{i}"
        pages.append(
            Page(
                title=f"Dr Bulk {seq}-{i:04d}",
                draft_title=f"Dr Bulk {seq}-{i:04d}",
                slug=slug,
                path=DoctorPage._get_path(index.path, index.depth + 1, start + i + 1),
                depth=index.depth + 1,
                numchild=0,
                url_path=f"{index.url_path}{slug}/",
                content_type=content_type,
                locale=locale,
                live=True,
            )
        )
    pages = Page.objects.bulk_create(pages)
    doctors = [
        DoctorPage(page_ptr_id=page.pk, consultation_fee=Decimal("60.00"), slot_minutes=30, job_title="Consultant")
        for page in pages
    ]
    DoctorPage.objects._insert(doctors, fields=DoctorPage._meta.local_concrete_fields)  # type: ignore[attr-defined]
    for doctor, page in zip(doctors, pages, strict=True):
        doctor.__dict__.update({k: v for k, v in page.__dict__.items() if k != "_state"})
    WorkingHours.objects.bulk_create(
        WorkingHours(doctor_id=doctor.pk, weekday=weekday, starts=hours[0], ends=hours[1], sort_order=weekday)
        for doctor in doctors
        for weekday in range(7)
    )
    if specialization is not None:
        DoctorSpecialization.objects.bulk_create(
            DoctorSpecialization(doctor_id=doctor.pk, specialization=specialization, sort_order=0) for doctor in doctors
        )
    Page.objects.filter(pk=index.pk).update(numchild=start + n)
    return doctors


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


def count_queries(client, url: str) -> int:
    """How many SQL queries a GET of ``url`` issues, a streamed body read to its end; fails unless 200."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return len(captured.captured_queries)


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


def sent_to_sign_in(response) -> bool:
    """True if a signed-out request was refused the way every appointment URL refuses it: to sign-in.

    An anonymous request for an appointment it may not see goes to the sign-in page whatever the
    reference (existing or made up), so nothing tells the two apart.
    """
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login") + "?next=")


# --- The JSON API --------------------------------------------------------------------------------

API_LOGIN = "/api/v1/auth/app/v1/auth/login"
API_MFA = "/api/v1/auth/app/v1/auth/2fa/authenticate"


def api_token(client, user: User, *, password: str = PASSWORD) -> str:
    """Sign ``user`` in through allauth's headless app API, as a mobile app does; the access token.

    The account's address is marked verified first (the sign-up flow that does it is tested on its
    own), since mandatory verification otherwise stops the sign-in.
    """
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    response = client.post(API_LOGIN, {"email": user.email, "password": password}, content_type="application/json")
    if response.status_code == 401 and _pending_flow(response) == "mfa_authenticate":
        # Staff and doctors have a second factor: the app answers it with the session token it got.
        response = client.post(
            API_MFA,
            {"code": totp_code()},
            content_type="application/json",
            headers={"X-Session-Token": response.json()["meta"]["session_token"]},
        )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["access_token"]


def _pending_flow(response) -> str | None:
    flows = response.json().get("data", {}).get("flows", [])
    return next((flow["id"] for flow in flows if flow.get("is_pending")), None)


def bearer(token: str) -> dict[str, str]:
    """The request header an app sends with its access token (for the test client's ``headers=``)."""
    return {"Authorization": f"Bearer {token}"}
