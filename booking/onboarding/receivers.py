"""Wagtail's moderation signals, turned into applications' statuses and doctors' emails.

Connected in ``booking.apps``. Wagtail sends ``page_published`` when the vetting workflow's last
task is approved (and whenever staff publish a page in the admin) and ``workflow_rejected`` when
a reviewer requests changes; both run inside the reviewer's request, and the services write the
status, the history and the outbox row in that same transaction.

Wagtail's own moderation emails (to the reviewers' group on submission, to the submitter on a
decision) are sent synchronously from inside those transactions; :func:`send_wagtail_emails_after_commit`
re-wires them to run after commit with errors logged, so an unreachable mail server can neither
fail a doctor's application nor a reviewer's decision.
"""

from __future__ import annotations

import logging

from django.db import transaction
from wagtail.admin import signal_handlers as wagtail_mail
from wagtail.models import TaskState, WorkflowState
from wagtail.signals import task_submitted, workflow_approved, workflow_rejected, workflow_submitted

from home.models import DoctorPage

from .services import record_page_published, record_workflow_rejected

logger = logging.getLogger(__name__)


def on_page_published(sender, instance, **kwargs) -> None:
    if isinstance(instance, DoctorPage):
        record_page_published(instance)


def on_workflow_rejected(sender, instance, user=None, **kwargs) -> None:
    record_workflow_rejected(instance, user)


# (signal, sender, Wagtail's notifier, its dispatch_uid) for each of Wagtail's moderation emails.
_WAGTAIL_NOTIFIERS = (
    (task_submitted, TaskState, "task_submission_email_notifier", "group_approval_task_submitted_email_notification"),
    (
        workflow_submitted,
        WorkflowState,
        "workflow_submission_email_notifier",
        "workflow_state_submitted_email_notification",
    ),
    (
        workflow_rejected,
        WorkflowState,
        "workflow_rejection_email_notifier",
        "workflow_state_rejected_email_notification",
    ),
    (
        workflow_approved,
        WorkflowState,
        "workflow_approval_email_notifier",
        "workflow_state_approved_email_notification",
    ),
)


def _after_commit(notifier):
    def receiver(sender, instance, **kwargs):
        def send():
            try:
                notifier(sender=sender, instance=instance, **kwargs)
            except Exception:
                logger.exception("Wagtail's moderation email for %s could not be sent", instance)

        transaction.on_commit(send, robust=True)

    return receiver


def send_wagtail_emails_after_commit() -> None:
    """Replace Wagtail's moderation email receivers by the same notifiers, run after commit.

    Connected under Wagtail's own ``dispatch_uid``s, so it does not matter whether Wagtail's
    admin app registers its receivers before or after this runs: a second ``connect`` with the
    same uid is ignored, and a receiver already there is disconnected first.
    """
    for signal, sender, notifier_name, dispatch_uid in _WAGTAIL_NOTIFIERS:
        notifier = getattr(wagtail_mail, notifier_name)
        signal.disconnect(sender=sender, dispatch_uid=dispatch_uid)
        signal.connect(_after_commit(notifier), sender=sender, dispatch_uid=dispatch_uid, weak=False)
