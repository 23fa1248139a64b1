"""Every "who may" rule of the booking app, in one module.

* Who may **see** an appointment (:func:`can_view`, :func:`get_appointment_for_request`): its
  patient's account, the doctor it is with, clinic staff with the permission, and — for a
  *guest* booking only — a guest whose session proved the reference *and* the email it was
  booked with (or opened a signed link). A signed-in reader without rights gets a 404; a
  signed-out one is sent to sign in (:func:`sign_in_if_anonymous`), for any reference, existing
  or not. Either way a reference's existence is never confirmed.
* **Guest grants end when a booking joins an account** (:func:`guest_grant_applies`): once the
  account holder confirms a booking as theirs, the session that booked it, any session that
  proved reference and email, and the signed link in earlier emails stop opening it; the link
  leads to sign-in instead. Otherwise whoever booked with someone else's address would keep
  reading what becomes that patient's record.
* Who **works as a doctor** (:func:`linked_doctor_page`): a doctor account linked to a doctor
  page, and — for doctors who joined through the site — only while their application is
  approved. A doctor waiting for review, sent back or suspended has no doctor's rights at all.
* Who **read** a prescription, for the access log (:func:`reader_account`).
* Who may **change** it (:func:`check_owner`): doctors only their own appointments, patients only
  theirs. *Which* changes are allowed when is the lifecycle's table in
  ``booking.appointments.services``; this module only answers "is it yours".
* Who may **read or write a prescription** (:func:`prescription_audience`,
  :func:`check_may_prescribe`).

The getters here also write the audit trail (``booking.audit``): every look at an appointment,
and every refused look at one that exists, is one row. A 404 for a reference that does not exist
is not recorded: there is nothing to protect, and guesses are the rate limits' business.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from home.models import DoctorPage
from portal.emails import comparable_email

from .audit.services import record_audit
from .errors import NotPrescribable, NotPrescribingDoctor, TransitionRefused
from .models import Appointment, AuditEvent, normalize_reference

SESSION_KEY = "appointment_access"

# Appointments at which the patient has been (or is about to be) seen.
PRESCRIBABLE_STATUSES = (Appointment.Status.CONFIRMED, Appointment.Status.COMPLETED)


# --- Guests' browser sessions ----------------------------------------------------------------


def grant_session_access(request: HttpRequest, appointment: Appointment) -> None:
    """Let this browser session see ``appointment`` (after booking it, or proving reference + email).

    Only guest bookings take grants: an account holder's appointment opens by signing in. Each
    grant carries the time it was given and lapses after ``GUEST_SESSION_ACCESS_MINUTES`` (a
    shared or lost computer must not keep a health record open for the session's two weeks);
    proving the booking again renews it.
    """
    if appointment.patient_id is not None:
        return
    granted = _live_grants(request)
    granted.pop(appointment.reference, None)
    granted[appointment.reference] = int(time.time())
    # Newest last; a session never holds more than 50 (one browser books a handful at most).
    request.session[SESSION_KEY] = dict(list(granted.items())[-50:])


def appointment_for_guest_proof(reference: str, email: str) -> Appointment | None:
    """The guest booking that ``reference`` + ``email`` prove, or None.

    None alike for an unknown reference, a wrong email and an account holder's booking: the
    reference and email travel in every email, so for an account's appointment they are not
    enough (the account's password is), and the caller must not be able to tell the cases apart.
    """
    return Appointment.objects.filter(
        reference=normalize_reference(reference), email__iexact=email, patient__isnull=True
    ).first()


def session_references(request: HttpRequest) -> list[str]:
    """The references this browser session proved and that have not lapsed (empty for none)."""
    return list(_live_grants(request))


def end_session_access(request: HttpRequest) -> int:
    """Remove every guest grant from this browser session ("End access on this browser"); return how many."""
    ended = len(_live_grants(request))
    request.session.pop(SESSION_KEY, None)
    return ended


def session_access_ends(request: HttpRequest, reference: str) -> datetime | None:
    """When this browser's grant for ``reference`` lapses, or None if it holds none."""
    granted_at = _live_grants(request).get(reference)
    if granted_at is None:
        return None
    return datetime.fromtimestamp(granted_at, tz=UTC) + timedelta(minutes=settings.GUEST_SESSION_ACCESS_MINUTES)


def _live_grants(request: HttpRequest) -> dict[str, float]:
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict):  # none yet, or a list from before grants had a time: lapsed
        return {}
    oldest = time.time() - settings.GUEST_SESSION_ACCESS_MINUTES * 60
    return {ref: at for ref, at in stored.items() if isinstance(at, int | float) and at > oldest}


def session_grants_apply(user: Any) -> bool:
    """Guest grants in the session count for guests and patients, never for doctors or staff.

    Doctors and staff see appointments through their own rights; a guest link that reached
    them (a forwarded email, a shared calendar) must not widen those rights.
    """
    return not user.is_authenticated or user.is_patient


def guest_grant_applies(user: Any, appointment: Appointment) -> bool:
    """True if a guest grant (session or signed link) may open ``appointment`` for ``user``.

    Only while the booking is a guest booking: the grant proved an email address, and a booking
    that has joined an account is opened by that account's password alone. Checking the live
    ``patient_id`` (rather than remembering anything in the session) ends every grant, in every
    browser, the moment the booking is claimed.
    """
    return appointment.patient_id is None and session_grants_apply(user)


# --- Doctors ---------------------------------------------------------------------------------


def linked_doctor_page(user: Any) -> DoctorPage | None:
    """The doctor page of a signed-in doctor who may work as one, or None.

    None for anyone who is not a doctor, a doctor with no linked page, and a doctor who joined
    through the site whose application is not approved (waiting, sent back, suspended): their
    page may exist as a draft, or still carry past appointments, but they see and change none of
    them. Doctors set up by staff have no application and keep today's rights.
    """
    if user is None or not user.is_authenticated or not user.is_doctor:
        return None
    # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError; both
    # lookups are cached on the (per-request) user object.
    page = getattr(user, "doctor_page", None)
    if page is None:
        return None
    application = getattr(user, "doctor_application", None)
    if application is not None and not application.may_practise:
        return None
    return page


def is_appointments_doctor(user: Any, appointment: Appointment) -> bool:
    """True if ``user`` is the doctor the appointment is with."""
    page = linked_doctor_page(user)
    return page is not None and page.pk == appointment.doctor_id


# --- Seeing an appointment -------------------------------------------------------------------


def can_view(user: Any, appointment: Appointment, session_refs: list[str] | tuple[str, ...] = ()) -> bool:
    """True if ``user`` (possibly anonymous) or this session may see the appointment."""
    if appointment.reference in session_refs and guest_grant_applies(user, appointment):
        return True
    if not user.is_authenticated:
        return False
    if user.has_perm("booking.view_appointment"):
        return True
    return appointment.patient_id == user.pk or is_appointments_doctor(user, appointment)


def record_appointment_audit(
    request: HttpRequest,
    appointment: Appointment,
    action: str,
    *,
    outcome: str = AuditEvent.Outcome.ALLOWED,
    object_type: str = AuditEvent.ObjectType.APPOINTMENT,
    detail: str = "",
) -> None:
    """One audit row about ``appointment`` for this request; a guest is named by the booking's email.

    An allowed read names an account only when that account's *own* rights opened it (the
    patient, the doctor, staff with the permission): a read through a guest grant is a guest's
    read even in a browser also signed in to some account, so the trail never attributes what a
    guest session did to an account. A refused attempt names whoever was signed in.
    """
    allowed = outcome == AuditEvent.Outcome.ALLOWED
    user = request.user
    if allowed and user.is_authenticated:
        if object_type == AuditEvent.ObjectType.APPOINTMENT:
            own_rights = can_view(user, appointment)
        else:
            own_rights = reader_account(user, appointment) is not None
        if not own_rights:
            user = AnonymousUser()
    record_audit(
        action,
        object_type,
        appointment.reference,
        request=request,
        user=user,
        outcome=outcome,
        detail=detail,
        guest_email=appointment.email if allowed else "",
    )


class SignInRequired(Http404):
    """An anonymous request may not see this appointment: it should sign in and come back.

    A subclass of :class:`Http404` so that a view not wrapped in :func:`sign_in_if_anonymous`
    still answers a plain 404, never a 500.
    """


def get_appointment_for_request(
    request: HttpRequest,
    reference: str,
    queryset: Any = None,
    *,
    action: str = AuditEvent.Action.VIEW,
    object_type: str = AuditEvent.ObjectType.APPOINTMENT,
    record_allowed: bool = True,
    detail: str = "",
) -> Appointment:
    """Return the appointment if this request may see it; otherwise refuse without saying whether it exists.

    A signed-in reader without rights gets :class:`Http404`. An anonymous one (who has no guest
    grant that opens it) gets :class:`SignInRequired`, *whatever the reference*, existing or
    not: the links in account holders' emails and calendars lead to sign-in and then to the
    appointment, and a made-up reference looks exactly the same.

    Records ``action`` on ``object_type`` in the audit trail: always when refused (for a
    reference that exists), and when allowed unless ``record_allowed`` is False because the
    caller records what it then does (a change, a prescription read), so a request writes one row.
    """
    queryset = queryset if queryset is not None else Appointment.objects.select_related("doctor")
    appointment = queryset.filter(reference=normalize_reference(reference)).first()
    if appointment is None or not can_view(request.user, appointment, session_references(request)):
        if appointment is not None:
            record_appointment_audit(
                request, appointment, action, object_type=object_type, outcome=AuditEvent.Outcome.REFUSED, detail=detail
            )
        if not request.user.is_authenticated:
            raise SignInRequired("Sign in to see this appointment.")
        raise Http404("No such appointment.")
    if record_allowed:
        record_appointment_audit(request, appointment, action, object_type=object_type, detail=detail)
    return appointment


def get_doctors_appointment(
    request: HttpRequest,
    doctor: DoctorPage,
    reference: str,
    *related: str,
    action: str = AuditEvent.Action.VIEW,
    record_allowed: bool = True,
) -> Appointment:
    """The doctor's own appointment with this reference, else Http404 (a colleague's one too).

    Recorded like :func:`get_appointment_for_request`: a colleague's reference is a refused look.
    """
    queryset = Appointment.objects.select_related(*related) if related else Appointment.objects.all()
    try:
        appointment = queryset.get(reference=normalize_reference(reference))
    except Appointment.DoesNotExist:
        raise Http404("No such appointment.") from None
    if appointment.doctor_id != doctor.pk:
        record_appointment_audit(
            request, appointment, action, outcome=AuditEvent.Outcome.REFUSED, detail="doctor's dashboard"
        )
        raise Http404("No such appointment.")
    if record_allowed:
        record_appointment_audit(request, appointment, action, detail="doctor's dashboard")
    return appointment


def may_pay(user: Any, appointment: Appointment, session_refs: list[str] | tuple[str, ...] = ()) -> bool:
    """Only the patient's side pays: the account that booked, or the guest session that proved it.

    Doctors and staff can see the appointment but never pay through the patient's pages (staff
    record desk payments in the admin), and a patient cannot pay for someone else's booking.
    """
    if user.is_authenticated and appointment.patient_id is not None:
        return appointment.patient_id == user.pk
    return appointment.reference in session_refs and session_grants_apply(user)


def sign_in_if_anonymous(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap a view reached from emails and calendars: :class:`SignInRequired` becomes the sign-in page.

    The sign-in page gets this request's full path as ``next``, so signing in lands on the page
    the link pointed at (or on a 404 if the account may not see it).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except SignInRequired:
            return redirect_to_login(request.get_full_path())

    return wrapper


# --- Changing an appointment -----------------------------------------------------------------


def check_owner(appointment: Appointment, role: str, user: Any) -> None:
    """Doctors act only on their own appointments, patients only on theirs; raise otherwise."""
    if role == "doctor":
        if not is_appointments_doctor(user, appointment):
            raise TransitionRefused("Only the appointment's own doctor can do that.")
    elif role == "patient" and appointment.patient_id != getattr(user, "pk", None):
        raise TransitionRefused("You can only change your own appointments.")


# --- Prescriptions ---------------------------------------------------------------------------


def check_may_prescribe(user: Any, appointment: Appointment) -> None:
    """Raise unless ``user`` is the appointment's doctor and the appointment is one to prescribe at."""
    if not is_appointments_doctor(user, appointment):
        raise NotPrescribingDoctor("Only the appointment's own doctor can write its prescription.")
    if appointment.status not in PRESCRIBABLE_STATUSES:
        raise NotPrescribable(
            f"A prescription can only be written for a confirmed or completed appointment; "
            f"this one is {appointment.get_status_display().lower()}."
        )


def can_see_drafts(user: Any, appointment: Appointment) -> bool:
    """The doctor, and staff with ``booking.view_prescription``, see unsigned work in progress."""
    if is_appointments_doctor(user, appointment):
        return True
    return bool(user is not None and user.is_authenticated and user.has_perm("booking.view_prescription"))


class Audience(Enum):
    """How a reader sees a prescription: clinicians see the live draft, patients signed content."""

    CLINICIAN = "clinician"
    PATIENT = "patient"
    NONE = "none"


def prescription_audience(
    user: Any, appointment: Appointment, session_refs: list[str] | tuple[str, ...] = ()
) -> Audience:
    """Which view of the prescription this reader gets.

    Patient side means the account that owns the appointment, or a browser session that proved
    the reference and email. Anyone else who can see the appointment (staff with
    ``booking.view_appointment`` but not ``view_prescription``) gets nothing: an appointment's
    time is not its medical content.
    """
    if can_see_drafts(user, appointment):
        return Audience.CLINICIAN
    if appointment.reference in session_refs and guest_grant_applies(user or AnonymousUser(), appointment):
        return Audience.PATIENT
    if user is not None and user.is_authenticated and appointment.patient_id == user.pk:
        return Audience.PATIENT
    return Audience.NONE


def audience_for_request(request: HttpRequest, appointment: Appointment) -> Audience:
    """:func:`prescription_audience` for a request (reads the guest session's granted references)."""
    return prescription_audience(request.user, appointment, session_references(request))


def reader_account(user: Any, appointment: Appointment) -> Any | None:
    """The account to record as the reader of the appointment's prescription, or None.

    An account is recorded only when its *own* rights open the prescription: the patient whose
    appointment it is, its doctor, staff with the permission. A read through a guest grant is a
    guest's read even if the browser is also signed in to some account, so the log never names
    an account for what a guest session did.
    """
    if user is None or not user.is_authenticated:
        return None
    if appointment.patient_id == user.pk or can_see_drafts(user, appointment):
        return user
    return None


def can_read_prescription(user: Any, appointment: Appointment, session_refs: list[str] | tuple[str, ...] = ()) -> bool:
    """True if ``user`` (or this session) may read the appointment's prescription in some form.

    Patients still only read *signed* content; see ``booking.prescriptions.snapshots``.
    """
    return prescription_audience(user, appointment, session_refs) is not Audience.NONE


# --- Signed links for guests ----------------------------------------------------------------
# Emails to guests carry a link that opens the appointment without typing the reference and
# email. The token signs both, so it stops working if either changes, and it expires. Once the
# booking has joined an account the link no longer opens it (see guest_grant_applies); the view
# sends the reader to sign in instead.

_SALT = "booking.guest-link"


def guest_link_token(appointment: Appointment) -> str:
    """A signed, timestamped token for ``appointment`` and the email it was booked with."""
    return signing.dumps(
        {"r": appointment.reference, "e": comparable_email(appointment.email)}, salt=_SALT, compress=True
    )


def appointment_from_token(reference: str, token: str) -> Appointment | None:
    """The appointment a valid, unexpired token names, or None (bad signature, expired, mismatch).

    It may have joined an account since the link was sent: callers honour the link only while
    :func:`guest_grant_applies`, and otherwise point to sign-in (never a 404 for the owner).
    """
    max_age = settings.GUEST_LINK_MAX_AGE_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("r") != normalize_reference(reference):
        return None
    # Exact equality of the normal form (links sent before emails were normalised still match).
    return Appointment.objects.filter(reference=data["r"], email=comparable_email(data.get("e", ""))).first()


# The link in the "confirm your booking" email: it proves the guest reads the mailbox the booking
# was made with. A salt of its own, so a guest link can never confirm and a confirm link never
# outlives the hold (it expires with GUEST_CONFIRMATION_MINUTES).
_CONFIRM_SALT = "booking.guest-confirm"


def guest_confirm_token(appointment: Appointment) -> str:
    """A signed, timestamped token that confirms ``appointment`` from its booking email."""
    return signing.dumps({"r": appointment.reference, "e": appointment.email}, salt=_CONFIRM_SALT)


def appointment_from_confirm_token(reference: str, token: str) -> Appointment | None:
    """The appointment a valid, unexpired confirm token names, or None.

    Unlike the guest link it still works once the booking joined an account (the guest signed
    in within the half hour): confirming is what the mailbox's owner asked for. It never opens
    the appointment, though: the confirm page shows only what the email already says, and only
    a guest's own booking is granted to the browser session (see the view).
    """
    try:
        data = signing.loads(token, salt=_CONFIRM_SALT, max_age=settings.GUEST_CONFIRMATION_MINUTES * 60)
    except signing.BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("r") != normalize_reference(reference):
        return None
    return Appointment.objects.filter(reference=data["r"], email=comparable_email(data.get("e", ""))).first()


def manages_own_patient_data(user: Any) -> bool:
    """Who may see, export and delete a patient profile: that patient, signed in, and no one else.

    Doctors' and staff accounts belong to the clinic and are managed by staff, not from here.
    """
    return bool(user is not None and user.is_authenticated and user.is_active and getattr(user, "is_patient", False))
