"""Anti-automation on the public booking and lookup forms: the one place for that policy.

Why: the booking form emails whatever address is typed and holds a slot per post, so one client
could empty a doctor's diary in seconds and turn the clinic into a mail cannon. Three layers,
each cheap for a patient and each telling them plainly what to do:

1. **Rate limits** per client address and per email, counted in the shared cache (Redis in
   production), so every process and node agrees. If the cache is down they are skipped with a
   logged warning (``portal.ratelimit.hit``): patients keep booking.
2. **A cap on guest bookings awaiting email confirmation**, per email and per client network,
   counted in the database (it holds whatever the cache does). A guest's booking holds its time
   only for ``GUEST_CONFIRMATION_MINUTES`` until confirmed from the email
   (``services.book_on_website``), so the cap bounds how much of the diary one sender can hold.
3. **An optional proof-of-work puzzle** (``BOOKING_PROOF_OF_WORK``, see ``proof_of_work``).

Privacy: cache keys and the stored ``Appointment.booked_from`` never hold an address or an
email, only keyed hashes (HMAC with the ``SECRET_KEY``). An IPv6 client is counted by its /64
network, which one household or phone usually has to itself and can rotate within at will.
``booked_from`` is cleared as soon as the booking leaves "unconfirmed".
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from home.models import ClinicSettings
from portal import ratelimit
from portal.phones import display_phone

from ..errors import TooManyAttempts
from ..models import Appointment
from . import proof_of_work

BOOKING_WINDOW_SECONDS = 3600
LOOKUP_WINDOW_SECONDS = 600


# --- Who is asking, as keys that reveal nobody -------------------------------------------------


def client_network(request: HttpRequest) -> str:
    """The client's address (an IPv6 client's /64 network), or "unknown" when unreadable."""
    ip = ratelimit.client_ip(request)
    if ip is None:
        return "unknown"
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return ip


def _keyed_hash(kind: str, value: str) -> str:
    return salted_hmac(f"booking.limits.{kind}", value, algorithm="sha256").hexdigest()[:32]


def address_key(request: HttpRequest) -> str:
    """A keyed hash of the client's network: what counters and ``booked_from`` store."""
    return _keyed_hash("address", client_network(request))


def normalize_email(email: str) -> str:
    """The form of an email that limits count by (case-insensitive, surrounding space dropped)."""
    return email.strip().lower()


def email_key(email: str) -> str:
    return _keyed_hash("email", normalize_email(email))


# --- Messages that say what to do ------------------------------------------------------------


def _or_phone(request: HttpRequest) -> str:
    phone = ClinicSettings.current(request).phone
    return f", or phone the clinic on {display_phone(phone)} to book" if phone else ", or phone the clinic to book"


def _refuse(message: str, retry_after: int) -> TooManyAttempts:
    return TooManyAttempts(message, retry_after=retry_after)


# --- Booking -----------------------------------------------------------------------------------


def check_booking_attempt(request: HttpRequest) -> None:
    """Count one booking post from this client; raise :class:`TooManyAttempts` past the limit.

    Every post counts, valid or not: a flood of half-filled forms costs as much to answer.
    """
    if not ratelimit.hit(
        f"book-ip:{address_key(request)}",
        limit=settings.BOOKING_ATTEMPTS_PER_ADDRESS,
        window_seconds=BOOKING_WINDOW_SECONDS,
    ):
        raise _refuse(
            "We have had a lot of booking attempts from your network in the last hour, so online booking "
            f"from it is paused for a while. Please try again in an hour{_or_phone(request)}.",
            BOOKING_WINDOW_SECONDS,
        )


def check_booking_details(request: HttpRequest, email: str, *, is_guest: bool) -> None:
    """Once the form is valid: the per-email limit, then (for guests) the unconfirmed caps."""
    if not ratelimit.hit(
        f"book-email:{email_key(email)}",
        limit=settings.BOOKING_ATTEMPTS_PER_EMAIL,
        window_seconds=BOOKING_WINDOW_SECONDS,
    ):
        raise _refuse(
            "There have been several booking attempts with this email address in the last hour. "
            f"Please try again in an hour{_or_phone(request)}.",
            BOOKING_WINDOW_SECONDS,
        )
    if not is_guest:
        return
    minutes = settings.GUEST_CONFIRMATION_MINUTES
    # Unproven holds: awaiting email confirmation, or a payment (booking.payments), which is how a
    # paid booking is confirmed.
    waiting = Appointment.objects.filter(status__in=Appointment.HOLD_STATUSES, hold_expires_at__gt=timezone.now())
    if waiting.filter(email=normalize_email(email)).count() >= settings.GUEST_UNCONFIRMED_PER_EMAIL:
        raise _refuse(
            "Several bookings made with this email address are still waiting to be confirmed or paid. Please "
            "open the emails we sent and confirm the ones you want (the others are released within "
            f"{minutes} minutes), then try again{_or_phone(request)}.",
            minutes * 60,
        )
    if waiting.filter(booked_from=address_key(request)).count() >= settings.GUEST_UNCONFIRMED_PER_ADDRESS:
        raise _refuse(
            "Several bookings made from your network are still waiting to be confirmed by email or paid. Please "
            "confirm them from the emails we sent (the others are released within "
            f"{minutes} minutes), then try again{_or_phone(request)}. "
            "Signed-in patients are not affected.",
            minutes * 60,
        )


# --- Looking an appointment up by reference and email -------------------------------------------


def check_lookup_attempt(request: HttpRequest) -> None:
    """Count one lookup post from this client; raise :class:`TooManyAttempts` past the limit."""
    if not ratelimit.hit(
        f"find:{address_key(request)}",
        limit=settings.LOOKUP_ATTEMPTS_PER_ADDRESS,
        window_seconds=LOOKUP_WINDOW_SECONDS,
    ):
        raise _refuse(_LOOKUP_PAUSED, LOOKUP_WINDOW_SECONDS)


def check_lookup_email(email: str) -> None:
    """Count one lookup for this email: guessing references for one address stops here too."""
    if not ratelimit.hit(
        f"find-email:{email_key(email)}",
        limit=settings.LOOKUP_ATTEMPTS_PER_EMAIL,
        window_seconds=LOOKUP_WINDOW_SECONDS,
    ):
        raise _refuse(_LOOKUP_PAUSED, LOOKUP_WINDOW_SECONDS)


_LOOKUP_PAUSED = (
    "Too many attempts. Please wait ten minutes and try again, checking the reference in your email, "
    "or phone the clinic."
)


# --- Proof of work ------------------------------------------------------------------------------


def proof_of_work_required() -> bool:
    return settings.BOOKING_PROOF_OF_WORK


def proof_of_work_context() -> dict:
    """What the booking and lookup templates need: a fresh puzzle when the setting is on."""
    if not proof_of_work_required():
        return {"proof_of_work": None}
    challenge = proof_of_work.create_challenge(
        max_number=settings.BOOKING_PROOF_OF_WORK_MAX_NUMBER,
        max_age_seconds=settings.BOOKING_PROOF_OF_WORK_MAX_AGE_MINUTES * 60,
    )
    return {"proof_of_work": challenge.as_json()}


POW_FIELD = "pow"


def check_proof_of_work(answer: str) -> None:
    """When the setting is on, ``answer`` (the form's or the API body's ``pow``) must be a solved,
    fresh, unused puzzle."""
    if proof_of_work_required():
        proof_of_work.verify(answer)
