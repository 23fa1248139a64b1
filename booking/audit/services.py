"""Writing the audit trail: :func:`record_audit` is the one way a row is added.

Called from the access getters in ``booking.access`` (every look at an appointment, and every
refused one), the prescription views, the appointment change services, staff and doctor exports
and the admin's account pages. One call is one INSERT, and each audited request makes one call.

A refusal is recorded *outside* the transaction of the change it refused: a refused change rolls
its transaction back, and the record of the attempt must survive that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from portal.ratelimit import client_ip

from ..models import AuditEvent

Action = AuditEvent.Action
ObjectType = AuditEvent.ObjectType
Outcome = AuditEvent.Outcome


@dataclass(frozen=True)
class Origin:
    """Where a request came from: its client address and a fingerprint of its browser session.

    Kept apart from the request so that services, which never see requests, can be told.
    The fingerprint lets an auditor tie one browser's requests together without storing the
    session key, which would let anyone reading the trail take over the session.
    """

    ip_address: str | None = None
    session: str = ""

    @classmethod
    def from_request(cls, request: Any) -> Origin:
        session = getattr(request, "session", None)
        key = getattr(session, "session_key", None) or ""
        fingerprint = hashlib.sha256(f"audit:{key}".encode()).hexdigest()[:16] if key else ""
        return cls(ip_address=client_ip(request), session=fingerprint)


def role_of(user: Any) -> str:
    """The role to record for ``user``: the account's role, or guest when nobody is signed in."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "guest"
    if getattr(user, "is_superuser", False) and not getattr(user, "is_doctor", False):
        return "staff"
    return str(getattr(user, "role", "") or "staff")


def record_audit(
    action: str,
    object_type: str,
    object_ref: str,
    *,
    request: Any = None,
    user: Any = None,
    role: str | None = None,
    origin: Origin | None = None,
    outcome: str = Outcome.ALLOWED,
    detail: str = "",
    guest_email: str = "",
) -> AuditEvent:
    """Append one row to the audit trail.

    From a view pass ``request``: who (its user), their role and where from are read off it.
    From a service pass ``user``/``role``/``origin`` (an :class:`Actor`'s). ``guest_email`` names
    a guest by the email of the booking their session proved.
    """
    if request is not None:
        user = user if user is not None else getattr(request, "user", None)
        origin = origin or Origin.from_request(request)
    account = user if user is not None and getattr(user, "is_authenticated", False) else None
    origin = origin or Origin()
    return AuditEvent.objects.create(
        actor=account,
        actor_email=(account.email if account is not None else "")[:254],
        actor_role=(role or role_of(account))[:16],
        guest_email="" if account is not None else (guest_email or "")[:254],
        session=origin.session,
        ip_address=origin.ip_address,
        action=action,
        object_type=object_type,
        object_ref=str(object_ref)[:64],
        outcome=outcome,
        detail=(detail or "")[:300],
    )


def prune_audit(*, now=None, days: int | None = None) -> int:
    """Delete audit rows older than the retention period; return how many went."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("The retention period must be at least one day.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return AuditEvent.objects.prune(cutoff)
