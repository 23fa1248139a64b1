"""The prescription access log: every view and download, by whom, from where."""

from __future__ import annotations

from django.http import HttpRequest

from portal.ratelimit import client_ip

from ..access import reader_account
from ..models import Prescription, PrescriptionAccessLog


def log_access(
    request: HttpRequest, prescription: Prescription, action: str, detail: str = ""
) -> PrescriptionAccessLog:
    """Record who opened or downloaded the prescription: health records need an audit trail.

    The log names an account only when that signed-in account read through its own rights
    (:func:`booking.access.reader_account`). A read through a guest grant is recorded as a guest
    with the email the booking was made with (the one the session proved), even if the browser
    is also signed in to another account: a guest session's reads are never attributed to an
    account.
    """
    appointment = prescription.appointment
    user = reader_account(request.user, appointment)
    return PrescriptionAccessLog.objects.create(
        prescription=prescription,
        user=user,
        guest_email="" if user is not None else appointment.email,
        action=action,
        detail=detail[:200],
        ip_address=client_ip(request),
    )
