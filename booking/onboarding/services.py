"""Doctors' applications from sign-up to approval, suspension and moderated profile changes.

The rules, each in one place:

* **One transaction per step.** Sending the profile writes the photo, the draft page, its first
  revision, the workflow state, the application and the doctor's email row together; any refusal
  (a malformed or duplicate registration number, a disguised document) leaves nothing behind,
  and the files already written are removed again.
* **Nothing goes live before approval.** The page is created as a draft (``live=False``) below
  the Doctors index and submitted to the vetting workflow; only Wagtail's approval (or staff
  publishing it in the admin) publishes it. Booking finds only live pages, and
  ``booking.access.linked_doctor_page`` gives a doctor no rights until approved.
* **Decisions come from Wagtail.** Staff approve or request changes with a comment in the admin;
  :func:`record_page_published` and :func:`record_workflow_rejected` (connected to Wagtail's
  signals in ``receivers.py``) turn that into the application's status, its history and the
  doctor's email through the outbox.
* **Suspension** unpublishes the page and ends any review in progress; the doctor's future
  appointments stay for staff to move or cancel, each with the usual notice.
* **Later profile changes** publish at once (``booking.availability.services``) unless the clinic
  setting ``moderate_doctor_edits`` is on; then they go through the same workflow, and staff
  compare the revision with the live page before approving.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.coreutils import find_available_slug
from wagtail.images import get_image_model
from wagtail.log_actions import log
from wagtail.models import Collection, TaskState, WorkflowState
from wagtail.users.models import UserProfile
from wagtail.utils.file import hash_filelike

from home.forms import overlapping_hours
from home.models import DoctorIndexPage, DoctorPage, DoctorSpecialization, SpecializationPage

from ..availability.services import ScheduleLocked, publish_profile_and_schedule
from ..errors import ApplicationError, UploadRejected
from ..models import DoctorApplication, DoctorApplicationEvent, Notification, WorkingHours
from ..notifications.emails import queue_account_notification
from ..uploads import DOCUMENT_TYPES, PHOTO_TYPES, UploadInfo, inspect_upload
from .selectors import profile_edit_state
from .workflow import workflow_for

logger = logging.getLogger(__name__)

Status = DoctorApplication.Status
Kind = Notification.Kind

PHOTO_COLLECTION = "Doctor photos"
LICENCE_MAX_LENGTH = 40

# What the dashboard's "Profile & hours" save did.
PUBLISHED = "published"
SENT_FOR_REVIEW = "sent_for_review"


# --- Checks shared with the forms --------------------------------------------------------------


def clean_licence_number(raw: str) -> str:
    """The registration/licence number in its stored form (no spaces, upper case), or a refusal.

    Its format is ``DOCTOR_LICENCE_PATTERN`` (a GMC number, 7 digits, unless configured), described
    to the doctor in the words of ``DOCTOR_LICENCE_DESCRIPTION``.
    """
    value = "".join(str(raw or "").split()).upper()
    if not value:
        raise ApplicationError("Enter your registration or licence number.", field="licence_number")
    if len(value) > LICENCE_MAX_LENGTH or not re.fullmatch(settings.DOCTOR_LICENCE_PATTERN, value, re.IGNORECASE):
        raise ApplicationError(
            f"This is not a valid registration number. Enter {settings.DOCTOR_LICENCE_DESCRIPTION}.",
            field="licence_number",
        )
    return value


def inspect_document(upload) -> UploadInfo:
    """A supporting document: PDF, JPEG or PNG by content, at most ``DOCTOR_DOCUMENT_MAX_BYTES``."""
    try:
        return inspect_upload(upload, allowed=DOCUMENT_TYPES, max_bytes=settings.DOCTOR_DOCUMENT_MAX_BYTES)
    except UploadRejected as exc:
        raise ApplicationError(exc.message, field="document") from None


def inspect_photo(upload) -> UploadInfo:
    """A profile photo: JPEG, PNG or WebP by content, within Wagtail's upload limit."""
    try:
        return inspect_upload(upload, allowed=PHOTO_TYPES, max_bytes=settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE)
    except UploadRejected as exc:
        raise ApplicationError(exc.message, field="photo") from None


def doctor_title(first_name: str, last_name: str) -> str:
    """The page title patients see: ``Dr`` and the name (a typed "Dr" is not doubled)."""
    first = re.sub(r"^(dr\.?\s+)", "", first_name.strip(), flags=re.IGNORECASE)
    return " ".join(f"Dr {first} {last_name.strip()}".split())


# --- Sign-up and the profile step ----------------------------------------------------------------


def record_event(
    application: DoctorApplication, to_status: str, *, from_status: str | None = None, actor=None, comment: str = ""
) -> DoctorApplicationEvent:
    """One line of the application's history (a change without a status move keeps its status)."""
    return DoctorApplicationEvent.objects.create(
        application=application,
        from_status=application.status if from_status is None else from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        comment=comment,
    )


def start_application(user) -> DoctorApplication:
    """The application of an account just made by the "Join as a doctor" sign-up (idempotent)."""
    application, created = DoctorApplication.objects.get_or_create(user=user)
    if created:
        record_event(application, Status.STARTED, from_status="", actor=user, comment="Account created.")
    return application


@dataclass
class ApplicationDetails:
    """What the doctor sends in the profile step, already checked for shape by the form."""

    first_name: str
    last_name: str
    licence_number: str
    qualifications: str
    languages: str
    phone: str
    consultation_fee: Decimal
    specializations: list[SpecializationPage]
    hours: list[tuple[int, time, time]]
    job_title: str = ""
    offers_online: bool = False
    photo: Any = None
    document: Any = None


def dashboard_path() -> str:
    return reverse("doctor:dashboard")


def submit_application(application: DoctorApplication, details: ApplicationDetails, *, user) -> DoctorApplication:
    """Send (or, after staff asked for changes, send again) the doctor's profile for review.

    Everything happens in one transaction; on any refusal nothing is saved and the files this
    call wrote (photo, document) are deleted again. Raises :class:`ApplicationError` whose
    ``field`` names the form field to show it on.
    """
    stored: list[tuple[Any, str]] = []
    try:
        with transaction.atomic():
            return _submit(application, details, user, stored)
    except Exception:
        for storage, name in stored:
            try:
                storage.delete(name)
            except OSError:  # pragma: no cover - a leftover file is harmless, a 500 is not
                logger.warning("Could not delete %s after a failed application", name)
        raise


def _submit(application: DoctorApplication, details: ApplicationDetails, user, stored: list) -> DoctorApplication:
    locked = DoctorApplication.objects.select_for_update().get(pk=application.pk)
    if locked.user_id != user.pk:
        raise ApplicationError("This application belongs to another account.")
    if not locked.can_send_profile:
        raise ApplicationError(
            "Your profile has already been sent. The clinic's staff will email you when they have decided."
        )
    licence = clean_licence_number(details.licence_number)
    if DoctorApplication.objects.filter(licence_number=licence).exclude(pk=locked.pk).exists():
        raise ApplicationError(_DUPLICATE_LICENCE, field="licence_number")
    document_info = inspect_document(details.document) if details.document else None
    photo_info = inspect_photo(details.photo) if details.photo else None
    existing = locked.page
    if existing is None and photo_info is None:
        raise ApplicationError("Add a photo of yourself for your profile.", field="photo")
    if not details.specializations:
        raise ApplicationError("Choose at least one specialization.", field="specializations")
    if not details.hours:
        raise ApplicationError("Add at least one interval of your week, so that patients can book you.", field="hours")
    overlaps = overlapping_hours(details.hours)
    if overlaps:
        raise ApplicationError(overlaps[0], field="hours")
    index = DoctorIndexPage.objects.first()
    if index is None:
        raise ApplicationError("The clinic is not taking applications at the moment. Please try again later.")

    title = doctor_title(details.first_name, details.last_name)
    if existing is None:
        page = DoctorPage(
            title=title,
            slug=find_available_slug(index, slugify(title) or "doctor"),
            live=False,
            has_unpublished_changes=True,
            owner=user,
            user=user,
        )
    else:
        # Sent back by staff: the next version starts from the latest one they reviewed.
        page = existing.get_latest_revision_as_object()
        page.title = title
    page.job_title = details.job_title
    page.qualifications = details.qualifications
    page.languages = details.languages
    page.phone = details.phone  # type: ignore[assignment]  # the phone field parses the text
    page.consultation_fee = details.consultation_fee
    page.offers_online = details.offers_online
    if photo_info is not None:
        page.photo = _save_photo(details.photo, photo_info, title, stored)
    page.working_hours = [
        WorkingHours(weekday=weekday, starts=starts, ends=ends, sort_order=order)
        for order, (weekday, starts, ends) in enumerate(sorted(details.hours))
    ]
    page.specialization_links = [
        DoctorSpecialization(specialization=specialization, sort_order=order)
        for order, specialization in enumerate(details.specializations)
    ]
    try:
        if existing is None:
            index.add_child(instance=page)
            revision = page.save_revision(user=user, log_action=False)
            log(instance=page, action="wagtail.create", user=user, revision=revision, content_changed=True)
        else:
            page.save_revision(user=user, log_action=True)
    except ValidationError as exc:
        # The page model's own checks (Wagtail's and DoctorPage.clean): a message, never a 500.
        raise ApplicationError(" ".join(exc.messages)) from None

    # Review: a review sent back resumes at its task; otherwise a new one starts.
    state = page.current_workflow_state
    if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        state.resume(user)
    elif state is None:
        workflow_for(page).start(page, user)

    replaced_document = ""
    if document_info is not None:
        replaced_document = locked.document.name or ""
        locked.document.save(f"{secrets.token_hex(16)}{document_info.extension}", details.document, save=False)
        stored.append((locked.document.storage, locked.document.name))
        locked.document_name = document_info.display_name
        locked.document_content_type = document_info.content_type
        locked.document_size = document_info.size
    source = locked.status
    locked.page = page
    locked.licence_number = licence
    locked.status = Status.SUBMITTED
    locked.submitted_at = timezone.now()
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        # Another application took the number between the check above and this write.
        raise ApplicationError(_DUPLICATE_LICENCE, field="licence_number") from None
    user.first_name = details.first_name.strip()
    user.last_name = details.last_name.strip()
    user.save(update_fields=["first_name", "last_name"])
    _quiet_wagtail_decision_emails(user)
    record_event(
        locked,
        Status.SUBMITTED,
        from_status=source,
        actor=user,
        comment="Profile sent again after changes were requested." if existing else "Profile sent for review.",
    )
    queue_account_notification(user.email, Kind.DOCTOR_APPLIED, name=title, link_path=dashboard_path())
    if replaced_document:
        storage = locked.document.storage
        transaction.on_commit(lambda: storage.delete(replaced_document), robust=True)
    return locked


_DUPLICATE_LICENCE = (
    "Another application already uses this registration number. If it is yours, please contact the clinic."
)


def _save_photo(upload, info: UploadInfo, title: str, stored: list):
    """Store the photo as a Wagtail image (collection "Doctor photos") under a random file name."""
    image_model = get_image_model()
    upload.seek(0)
    file_hash = hash_filelike(upload)
    upload.seek(0)
    image = image_model(
        title=title,
        collection=_photo_collection(),
        file=ImageFile(upload, name=f"doctor-{secrets.token_hex(8)}{info.extension}"),
        file_size=info.size,
        file_hash=file_hash,
    )
    image.save()
    stored.append((image.file.storage, image.file.name))
    return image


def _photo_collection() -> Collection:
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=PHOTO_COLLECTION).first()
    return existing or root.add_child(name=PHOTO_COLLECTION)


def _quiet_wagtail_decision_emails(user) -> None:
    """The doctor hears about decisions from the clinic's own emails (the outbox), not Wagtail's.

    Wagtail would otherwise email the submitter its admin-flavoured "approved"/"rejected" notes,
    with links into an admin the doctor cannot open.
    """
    profile = UserProfile.get_for_user(user)
    profile.approved_notifications = False
    profile.rejected_notifications = False
    profile.save(update_fields=["approved_notifications", "rejected_notifications"])


# --- Decisions, from Wagtail's signals ---------------------------------------------------------


def _application_for_page(page_id: int) -> DoctorApplication | None:
    return DoctorApplication.objects.select_for_update().select_related("user").filter(page_id=page_id).first()


def _latest_approval(page: DoctorPage, since) -> TaskState | None:
    """The review task approved for this page since ``since`` (the reviewer and their comment), if any."""
    if since is None:
        return None
    return (
        TaskState.objects.for_instance(page)
        .filter(status=TaskState.STATUS_APPROVED, finished_at__gte=since)
        .select_related("finished_by")
        .order_by("-finished_at")
        .first()
    )


@transaction.atomic
def record_page_published(page: DoctorPage) -> None:
    """A doctor page was published: approve its application, or announce approved changes.

    Publishing is the approval, whether it came from the vetting workflow (its reviewer and
    comment are recorded) or from staff publishing the page in the admin.
    """
    application = _application_for_page(page.pk)
    if application is None:
        return
    source = application.status
    now = timezone.now()
    if source in (Status.STARTED, Status.SUBMITTED, Status.REJECTED):
        approval = _latest_approval(page, application.submitted_at)
        comment = approval.get_comment() if approval else ""
        _set_status(application, Status.APPROVED, now)
        record_event(
            application,
            Status.APPROVED,
            from_status=source,
            actor=approval.finished_by if approval else None,
            comment=comment or "Approved.",
        )
        _email(application, page, Kind.DOCTOR_APPROVED, remark=comment)
    elif source == Status.SUSPENDED:
        _set_status(application, Status.APPROVED, now)
        record_event(
            application, Status.APPROVED, from_status=source, comment="Reinstated: page published in the admin."
        )
        _email(application, page, Kind.DOCTOR_REINSTATED)
    elif source == Status.APPROVED:
        approval = _latest_approval(page, application.approved_at)
        if approval is None:
            return  # the doctor's own publish, or staff editing the page: nothing to announce
        comment = approval.get_comment()
        record_event(
            application,
            Status.APPROVED,
            actor=approval.finished_by,
            comment=f"Profile changes approved. {comment}".strip(),
        )
        _email(application, page, Kind.EDITS_PUBLISHED, remark=comment)


@transaction.atomic
def record_workflow_rejected(workflow_state: WorkflowState, user) -> None:
    """Staff requested changes: the application is sent back, or the profile changes are."""
    try:
        page_id = int(workflow_state.object_id)
    except (TypeError, ValueError):
        return
    application = _application_for_page(page_id)
    if application is None:
        return
    task_state = workflow_state.current_task_state
    comment = task_state.specific.get_comment() if task_state is not None else ""
    page = DoctorPage.objects.get(pk=page_id)
    if application.is_submitted:
        _set_status(application, Status.REJECTED, timezone.now())
        record_event(application, Status.REJECTED, from_status=Status.SUBMITTED, actor=user, comment=comment)
        _email(application, page, Kind.DOCTOR_REJECTED, remark=comment)
    elif application.is_approved:
        record_event(application, Status.APPROVED, actor=user, comment=f"Profile changes sent back. {comment}".strip())
        _email(application, page, Kind.EDITS_REJECTED, remark=comment)


def _set_status(application: DoctorApplication, status: str, now) -> None:
    application.status = status
    application.decided_at = now
    fields = ["status", "decided_at"]
    if status == Status.APPROVED:
        application.approved_at = now
        fields.append("approved_at")
    application.save(update_fields=fields)


def _email(application: DoctorApplication, page: DoctorPage, kind: str, *, remark: str = "") -> None:
    queue_account_notification(
        application.user.email,
        kind,
        name=page.draft_title or page.title,
        link_path=dashboard_path(),
        remark=remark,
    )


# --- Suspension ------------------------------------------------------------------------------------


def _lock(application: DoctorApplication) -> DoctorApplication:
    return DoctorApplication.objects.select_for_update().select_related("user", "page").get(pk=application.pk)


@transaction.atomic
def suspend_doctor(doctor: DoctorPage, *, by, reason: str) -> DoctorApplication | None:
    """Take a doctor off the site: page unpublished, review in progress ended, account's rights cut.

    Works for every doctor. One who joined through the site must be approved; one set up by
    staff gets an application record now (approved, then suspended), so that the same rule in
    ``booking.access`` takes their dashboard away and reinstating works the same way. A page
    without an account is only unpublished. Their future appointments are left as they are, for
    staff to move to a colleague or cancel, each with the usual notice
    (``booking.appointments.selectors.doctor_future_appointments`` lists them). Returns the
    application, or None for a page without an account.
    """
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the doctor is suspended; the doctor reads it in their email.", field="reason")
    page = DoctorPage.objects.select_for_update().get(pk=doctor.pk)
    applications = DoctorApplication.objects.select_for_update().select_related("user")
    application = applications.filter(page=page).first()
    if application is None and page.user_id is not None:
        application = applications.filter(user_id=page.user_id).first()
    if application is not None and not application.is_approved:
        raise ApplicationError(
            f"Only an approved doctor can be suspended; this one's application is "
            f"{application.get_status_display().lower()}."
        )
    if application is None and not page.live:
        raise ApplicationError("This doctor's page is already unpublished.")
    now = timezone.now()
    if application is None and page.user_id is not None:
        application = DoctorApplication.objects.create(
            user_id=page.user_id, page=page, status=Status.APPROVED, approved_at=page.first_published_at or now
        )
        record_event(application, Status.APPROVED, from_status="", actor=by, comment="Doctor set up by the clinic.")
    state = page.current_workflow_state
    if state is not None:
        state.cancel(user=by)
    if page.live:
        # The view checked the staff permission; the page-level one is Wagtail's publish right.
        UnpublishPageAction(page, user=by).execute(skip_permission_checks=True)
    if application is None:
        return None
    _set_status(application, Status.SUSPENDED, now)
    record_event(application, Status.SUSPENDED, from_status=Status.APPROVED, actor=by, comment=reason)
    _email(application, page, Kind.DOCTOR_SUSPENDED, remark=reason)
    return application


@transaction.atomic
def reinstate_doctor(application: DoctorApplication, *, by, comment: str = "") -> DoctorApplication:
    """Put a suspended doctor back: their latest page version is published again."""
    locked = _lock(application)
    if not locked.is_suspended:
        raise ApplicationError(
            f"Only a suspended doctor can be reinstated; this application is {locked.get_status_display().lower()}."
        )
    page = locked.page
    if page is None:
        raise ApplicationError("The doctor's page no longer exists, so there is nothing to publish.")
    # Approved first, so that the publish below is not taken for a new approval.
    _set_status(locked, Status.APPROVED, timezone.now())
    record_event(
        locked, Status.APPROVED, from_status=Status.SUSPENDED, actor=by, comment=comment.strip() or "Reinstated."
    )
    _email(locked, page, Kind.DOCTOR_REINSTATED, remark=comment)
    # A page built outside the editor (a doctor set up before revisions were kept) has none yet.
    revision = page.get_latest_revision() or page.save_revision(user=by, log_action=True)
    revision.publish(user=by, skip_permission_checks=True)
    return locked


# --- The doctor's later profile changes ----------------------------------------------------------------


@transaction.atomic
def save_profile_changes(doctor: DoctorPage, form: Any, hours: Any, time_off: Any, *, user) -> str:
    """Save what the doctor changed on "Profile & hours": published at once, or sent for review.

    Which one is the clinic's setting ``moderate_doctor_edits``. Returns :data:`PUBLISHED` or
    :data:`SENT_FOR_REVIEW`; raises :class:`ScheduleLocked` when nothing may be saved now (the
    page is unpublished, holds a staff draft, or earlier changes are still being reviewed).
    """
    current = DoctorPage.objects.select_for_update().get(pk=doctor.pk)
    edit = profile_edit_state(current)
    if not edit.can_save:
        raise ScheduleLocked(edit.blocked_reason)
    if edit.publishes and not edit.sent_back:
        publish_profile_and_schedule(current, form, hours, time_off, user=user)
        return PUBLISHED
    page = form.save(commit=False)
    hours.save(commit=False)
    time_off.save(commit=False)
    revision = page.save_revision(user=user, log_action=True)
    if edit.publishes:
        # Sent back while reviews were on, and the clinic has switched them off since: publishing
        # the corrected version also ends that review (Wagtail cancels it on publish).
        revision.publish(user=user, skip_permission_checks=True)
        return PUBLISHED
    state = page.current_workflow_state
    if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        state.resume(user)
    else:
        workflow_for(page).start(page, user)
    application = DoctorApplication.objects.filter(page_id=page.pk).first()
    if application is not None:
        record_event(application, application.status, actor=user, comment="Profile changes sent for review.")
    return SENT_FOR_REVIEW
