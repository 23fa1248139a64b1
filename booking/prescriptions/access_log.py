"""The prescription access log: every view and download, by whom, from where."""

from __future__ import annotations

from django.http import HttpRequest

from portal.ratelimit import client_ip

from ..models import Prescription, PrescriptionAccessLog


def log_access(
    request: HttpRequest, prescription: Prescription, action: str, detail: str = ""
) -> PrescriptionAccessLog:
    """Record who opened or downloaded the prescription: health records need an audit trail.

    A signed-in reader is recorded by account; a guest by the email the appointment was booked
    with (the one their session proved).
    """
    user = request.user if request.user.is_authenticated else None
    return PrescriptionAccessLog.objects.create(
        prescription=prescription,
        user=user,
        guest_email="" if user is not None else prescription.appointment.email,
        action=action,
        detail=detail[:200],
        ip_address=client_ip(request),
    )
