"""Reads for doctors who joined through the site: their application, and what their next save does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wagtail.models import WorkflowState

from home.models import ClinicSettings, DoctorPage

from ..availability.services import ScheduleLocked
from ..models import DoctorApplication

IN_REVIEW_MESSAGE = (
    "Your last changes are waiting for the clinic's review, so nothing can be saved until they have decided. "
    "Your page shows the approved version meanwhile."
)


def application_for(user: Any) -> DoctorApplication | None:
    """The signed-in account's application, if it joined through "Join as a doctor"."""
    if user is None or not user.is_authenticated:
        return None
    return DoctorApplication.objects.select_related("page").filter(user=user).first()


def application_history(application: DoctorApplication):
    """The application's events, oldest first, with who acted."""
    return application.events.select_related("actor").order_by("created_at", "pk")


@dataclass(frozen=True)
class ProfileEditState:
    """What "Profile & hours" may do for this doctor right now.

    ``publishes``: a save goes live at once (else it is sent for review). ``sent_back``: staff
    requested changes to earlier edits (``review_comment`` says which); the doctor corrects them.
    """

    can_save: bool
    publishes: bool
    in_review: bool = False
    sent_back: bool = False
    review_comment: str = ""
    blocked_reason: str = ""


def profile_edit_state(doctor: DoctorPage, *, moderate: bool | None = None) -> ProfileEditState:
    """Whether the doctor may save profile changes now, and whether saving publishes or asks for review."""
    moderate = ClinicSettings.current().moderate_doctor_edits if moderate is None else moderate
    if not doctor.live:
        return ProfileEditState(can_save=False, publishes=False, blocked_reason=ScheduleLocked.MESSAGE)
    state = doctor.current_workflow_state
    if state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS:
        return ProfileEditState(can_save=False, publishes=False, in_review=True, blocked_reason=IN_REVIEW_MESSAGE)
    if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        task_state = state.current_task_state
        comment = task_state.specific.get_comment() if task_state is not None else ""
        return ProfileEditState(can_save=True, publishes=not moderate, sent_back=True, review_comment=comment)
    if doctor.has_unpublished_changes:
        # A draft staff saved in the admin: the doctor must not publish over it.
        return ProfileEditState(can_save=False, publishes=False, blocked_reason=ScheduleLocked.MESSAGE)
    return ProfileEditState(can_save=True, publishes=not moderate)
