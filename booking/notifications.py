"""Email notifications (being written): queue_notification(appointment, kind, remark=...)."""

from __future__ import annotations


def queue_notification(appointment, kind: str, *, remark: str = "") -> None:
    """Record the email for ``kind`` and send it after the transaction commits."""
    return None
