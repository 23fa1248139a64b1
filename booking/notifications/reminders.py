"""The day-before reminder: which appointments get one, claimed so that each gets exactly one.

Each appointment is *claimed* with a conditional UPDATE on ``reminder_sent_at`` before its email
is queued, in one transaction: running this twice, or two copies at once, queues one reminder per
appointment. Moving an appointment clears ``reminder_sent_at``, so it is reminded of its new time.

A patient who switched reminders off in their profile (``User.reminder_emails``) gets none; their
appointments are simply not claimed, so switching reminders back on before the window closes
still sends one. Guests have no preference to read and are always reminded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Appointment, Notification
from .emails import queue_notification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderRun:
    queued: int
    failed: int


def queue_due_reminders(*, window_hours: float = 24, now: datetime | None = None) -> ReminderRun:
    """Queue the reminder of every confirmed appointment starting within ``window_hours``."""
    now = now or timezone.now()
    eligible = {
        "status": Appointment.Status.CONFIRMED,
        "reminder_sent_at__isnull": True,
        "starts_at__gt": now,
        "starts_at__lte": now + timedelta(hours=window_hours),
    }
    wanted = Q(patient__isnull=True) | Q(patient__reminder_emails=True)
    candidates = list(Appointment.objects.filter(wanted, **eligible).values_list("pk", flat=True))
    queued = failed = 0
    for pk in candidates:
        try:
            with transaction.atomic():
                # Re-checks every condition in the UPDATE itself: another run, a cancellation
                # or a move may have happened since the list above was read.
                if Appointment.objects.filter(pk=pk, **eligible).update(reminder_sent_at=now) != 1:
                    continue
                appointment = Appointment.objects.select_related("doctor").get(pk=pk)
                queue_notification(appointment, Notification.Kind.REMINDER)
        except Exception:  # one bad appointment must not stop the others; its claim rolled back
            failed += 1
            logger.exception("Could not queue the reminder for appointment %s", pk)
            continue
        queued += 1
    return ReminderRun(queued=queued, failed=failed)
