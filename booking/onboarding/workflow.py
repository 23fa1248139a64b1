"""The "Doctor vetting" moderation workflow: created when missing, assigned to the Doctors index.

Workflows are data staff can edit in the admin (Settings → Workflows), so this module only makes
sure one exists: after every migrate (``post_migrate``) and again before a doctor's profile is
submitted (the Doctors index may have been created after the last migrate, e.g. by
``seed_demo``). It never overrides a choice staff made: a Doctors index that already has a
workflow of its own keeps it, and a renamed or edited workflow is not recreated while it exists
under its name.
"""

from __future__ import annotations

from django.db import transaction
from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowPage, WorkflowTask

from home.models import DoctorIndexPage
from portal.roles import group_for_role

WORKFLOW_NAME = "Doctor vetting"
TASK_NAME = "Clinic staff approval"


@transaction.atomic
def ensure_vetting_workflow() -> Workflow:
    """The vetting workflow (one group-approval task for Clinic staff), assigned to the Doctors index.

    Idempotent; safe to call on every submission.
    """
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    if not workflow.workflow_tasks.exists():
        task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
        if task is None:
            task = GroupApprovalTask.objects.create(name=TASK_NAME)
            task.groups.set([group_for_role("staff")])
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    for index in DoctorIndexPage.objects.all():
        if not WorkflowPage.objects.filter(page=index).exists():
            WorkflowPage.objects.create(page=index, workflow=workflow)
    return workflow


def workflow_for(page: Page) -> Workflow:
    """The workflow a doctor page is reviewed in: the one assigned to it or its nearest ancestor
    (normally the Doctors index's vetting workflow, assigned here first if it is not yet), else
    the vetting workflow itself.

    The fallback matters when workflows are switched off or staff removed the assignment: a new
    doctor must still be reviewed before anything is published.
    """
    vetting = ensure_vetting_workflow()
    return page.get_workflow() or vetting


def ensure_vetting_workflow_after_migrate(**kwargs) -> None:
    """``post_migrate`` receiver: only once per migrate, after booking's own tables exist."""
    ensure_vetting_workflow()
