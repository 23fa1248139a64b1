"""Who may see which appointment: one getter, used by every view that takes a reference.

An appointment is visible to its patient's account, to the doctor it is with, to clinic staff
with the permission, and to a guest whose session proved the reference *and* the email it was
booked with. Everyone else gets a 404, so a reference's existence is never confirmed.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from .models import Appointment, normalize_reference

SESSION_KEY = "appointment_access"


def grant_session_access(request: HttpRequest, appointment: Appointment) -> None:
    """Let this browser session see ``appointment`` (after booking it, or proving reference + email)."""
    granted = list(request.session.get(SESSION_KEY, []))
    if appointment.reference not in granted:
        granted = (granted + [appointment.reference])[-50:]
        request.session[SESSION_KEY] = granted


def linked_doctor_page(user):
    """The doctor page linked to a signed-in doctor's account, or None (not a doctor, or unlinked)."""
    if user is None or not user.is_authenticated or not user.is_doctor:
        return None
    # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
    return getattr(user, "doctor_page", None)


def is_appointments_doctor(user, appointment: Appointment) -> bool:
    """True if ``user`` is the doctor the appointment is with."""
    page = linked_doctor_page(user)
    return page is not None and page.pk == appointment.doctor_id


def session_grants_apply(user) -> bool:
    """Guest grants in the session count for guests and patients, never for doctors or staff.

    Doctors and staff see appointments through their own rights; a guest link that reached
    them (a forwarded email, a shared calendar) must not widen those rights.
    """
    return not user.is_authenticated or user.is_patient


def can_view(user, appointment: Appointment, session_references: list[str] = ()) -> bool:
    """True if ``user`` (possibly anonymous) or this session may see the appointment."""
    if appointment.reference in session_references and session_grants_apply(user):
        return True
    if not user.is_authenticated:
        return False
    if user.has_perm("booking.view_appointment"):
        return True
    return appointment.patient_id == user.pk or is_appointments_doctor(user, appointment)


def get_appointment_for_request(request: HttpRequest, reference: str, queryset=None) -> Appointment:
    """Return the appointment if this request may see it, else raise Http404."""
    queryset = queryset if queryset is not None else Appointment.objects.select_related("doctor")
    try:
        appointment = queryset.get(reference=normalize_reference(reference))
    except Appointment.DoesNotExist:
        raise Http404("No such appointment.") from None
    if not can_view(request.user, appointment, request.session.get(SESSION_KEY, [])):
        raise Http404("No such appointment.")
    return appointment


# --- Signed links for guests ----------------------------------------------------------------
# Emails to guests carry a link that opens the appointment without typing the reference and
# email. The token signs both, so it stops working if either changes, and it expires.

_SALT = "booking.guest-link"


def guest_link_token(appointment: Appointment) -> str:
    """A signed, timestamped token for ``appointment`` and the email it was booked with."""
    from django.core import signing

    return signing.dumps({"r": appointment.reference, "e": appointment.email.lower()}, salt=_SALT, compress=True)


def guest_link_path(appointment: Appointment) -> str:
    """The site-relative path of the appointment's signed guest link."""
    from django.urls import reverse

    return reverse("booking:guest_link", args=[appointment.reference, guest_link_token(appointment)])


def appointment_from_token(reference: str, token: str) -> Appointment | None:
    """The appointment a valid, unexpired token names, or None (bad signature, expired, mismatch)."""
    from django.conf import settings
    from django.core import signing

    max_age = settings.GUEST_LINK_MAX_AGE_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("r") != normalize_reference(reference):
        return None
    # Only guest bookings: an account holder's appointment opens after signing in, never by link.
    return Appointment.objects.filter(
        reference=data["r"], email__iexact=data.get("e", ""), patient__isnull=True
    ).first()
