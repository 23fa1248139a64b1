"""Prescription pages and downloads, under ``/appointments/<reference>/prescription/``.

Every view first goes through :func:`booking.access.get_appointment_for_request`, so an unknown
reference and someone else's appointment look the same (404 when signed in; the sign-in page,
then the link's page, when signed out), and only then checks the role:
writing is for the appointment's doctor; reading is for that doctor, staff with
``booking.view_prescription``, and the patient (signed content only). A reader without a right
also gets a 404 rather than a 403, so nothing confirms that a prescription exists. Every read,
download and change, and every refused one, is one row of the audit trail (``booking.audit``).
Attachments are decrypted here, for a reader who may have them, and nowhere else. Nothing here
is cached by browsers or proxies.
"""

from __future__ import annotations

import io
import logging

from django.contrib import messages
from django.core.exceptions import SuspiciousFileOperation
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache

from home.models import ClinicSettings

from ..access import (
    PRESCRIBABLE_STATUSES,
    Audience,
    is_appointments_doctor,
    sign_in_if_anonymous,
)
from ..errors import AlreadySigned, PrescriptionError
from ..models import Appointment
from .crypto import AttachmentUnreadable, read_attachment
from .forms import build_forms
from .pdf import prescription_pdf as render_prescription_pdf
from .reading import (
    ATTACHMENT,
    REFUSED,
    Action,
    audit_prescription,
    doctors_own_prescription,
    prescription_or_none,
    readable_prescription,
)
from .services import add_attachment, save_prescription, sign_prescription
from .snapshots import current_snapshot

logger = logging.getLogger(__name__)


def _appointment_url(request: HttpRequest, appointment: Appointment) -> str:
    """Where "back to the appointment" goes: the doctor's dashboard page for the doctor."""
    if is_appointments_doctor(request.user, appointment):
        return reverse("doctor:appointment", args=[appointment.reference])
    return reverse("appointments:detail", args=[appointment.reference])


@never_cache
@sign_in_if_anonymous
def prescription_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The prescription as the reader may see it: the live draft for clinicians, signed for patients."""
    appointment, prescription, audience, snapshot = readable_prescription(request, reference, Action.VIEW)
    audit_prescription(request, appointment, Action.VIEW, f"version {snapshot.version}")
    is_doctor = is_appointments_doctor(request.user, appointment)
    context = {
        "appointment": appointment,
        "appointment_url": _appointment_url(request, appointment),
        "prescription": prescription,
        "snapshot": snapshot,
        "is_clinician": audience is Audience.CLINICIAN,
        "is_doctor": is_doctor,
        "can_edit": is_doctor and appointment.status in PRESCRIBABLE_STATUSES,
        "revisions": prescription.revisions.all() if audience is Audience.CLINICIAN else [],
    }
    return TemplateResponse(request, "booking/prescriptions/detail.html", context)


@never_cache
@sign_in_if_anonymous
def prescription_edit(request: HttpRequest, reference: str) -> HttpResponse:
    """Write or change the prescription (the appointment's doctor only).

    All input is validated before anything is written, and the save and the attachment go in
    one transaction: a bad line or a refused file leaves the prescription as it was.
    """
    posted = request.method == "POST"
    appointment = doctors_own_prescription(request, reference, Action.CHANGE if posted else Action.VIEW)
    prescription = prescription_or_none(appointment)
    if prescription is not None:
        prescription.appointment = appointment
    snapshot = current_snapshot(prescription) if prescription is not None else None
    writable = appointment.status in PRESCRIBABLE_STATUSES
    status = 200

    if request.method == "POST" and writable:
        form, medication_formset, test_formset = build_forms(appointment, snapshot, request.POST, request.FILES)
        valid = all([form.is_valid(), medication_formset.is_valid(), test_formset.is_valid()])
        if valid:
            try:
                with transaction.atomic():
                    saved = save_prescription(
                        appointment,
                        request.user,
                        advice=form.cleaned_data["advice"],
                        follow_up_on=form.cleaned_data["follow_up_on"],
                        medications=medication_formset.rows(),
                        tests=test_formset.rows(),
                    )
                    if form.cleaned_data.get("attachment"):
                        add_attachment(saved, form.cleaned_data["attachment"], request.user)
            except PrescriptionError as exc:
                form.add_error(None, exc.message)
                status = 409
                audit_prescription(request, appointment, Action.CHANGE, f"save: {exc.message}", outcome=REFUSED)
            else:
                saved.refresh_from_db()
                added = " with an attachment" if form.cleaned_data.get("attachment") else ""
                audit_prescription(request, appointment, Action.CHANGE, f"version {saved.version} saved{added}")
                if saved.is_signed:  # nothing changed, so no new version was started
                    messages.info(request, f"No changes: version {saved.version} is still the signed one.")
                else:
                    messages.success(
                        request,
                        f"Version {saved.version} saved as a draft. The patient will see it once you sign it.",
                    )
                return redirect("prescriptions:detail", reference=appointment.reference)
        else:
            status = 400
    elif request.method == "POST":
        status = 409
        form, medication_formset, test_formset = build_forms(appointment, snapshot)
    elif request.method in ("GET", "HEAD"):
        form, medication_formset, test_formset = build_forms(appointment, snapshot)
        audit_prescription(request, appointment, Action.VIEW, "editor")
    else:
        return HttpResponseNotAllowed(["GET", "POST"])

    context = {
        "appointment": appointment,
        "appointment_url": _appointment_url(request, appointment),
        "prescription": prescription,
        "snapshot": snapshot,
        "writable": writable,
        "form": form,
        "medication_formset": medication_formset,
        "test_formset": test_formset,
        "has_errors": status == 400 or bool(form.non_field_errors()),
    }
    return TemplateResponse(request, "booking/prescriptions/edit.html", context, status=status)


@never_cache
def prescription_sign(request: HttpRequest, reference: str) -> HttpResponse:
    """Sign the current version (POST only; the appointment's doctor only)."""
    appointment = doctors_own_prescription(request, reference)  # first: a stranger gets 404, never 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        signed = sign_prescription(appointment, request.user)
    except AlreadySigned as exc:
        messages.info(request, exc.message)
    except PrescriptionError as exc:
        messages.error(request, exc.message)
        audit_prescription(request, appointment, Action.CHANGE, f"sign: {exc.message}", outcome=REFUSED)
        if prescription_or_none(appointment) is None:
            return redirect("prescriptions:edit", reference=appointment.reference)
    else:
        audit_prescription(request, appointment, Action.CHANGE, f"version {signed.version} signed")
        messages.success(request, f"Version {signed.version} signed. The patient has been told it is ready.")
    return redirect("prescriptions:detail", reference=appointment.reference)


@never_cache
@sign_in_if_anonymous
def prescription_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The version the reader may see, as a PDF download."""
    appointment, prescription, _audience, snapshot = readable_prescription(request, reference, Action.DOWNLOAD)
    pdf = render_prescription_pdf(prescription, snapshot=snapshot, clinic=ClinicSettings.current(request))
    audit_prescription(request, appointment, Action.DOWNLOAD, f"PDF, version {snapshot.version}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="prescription-{appointment.reference}-v{snapshot.version}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@sign_in_if_anonymous
def prescription_attachment(request: HttpRequest, reference: str, pk: int) -> HttpResponseBase:
    """Download one attachment of this prescription, if it is part of what the reader may see.

    The attachment is looked up *within* this prescription, so another prescription's id is a
    404. Patients only get files that were part of the signed version they see; asking for one
    that is not (a draft's file) is a refused attempt. The file is decrypted here, only after
    those checks, and is always a download with the type found at upload and ``nosniff``, so a
    browser never renders it inline on our origin.
    """
    appointment, prescription, _audience, snapshot = readable_prescription(
        request, reference, Action.DOWNLOAD, ATTACHMENT
    )
    attachment = prescription.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404("No such attachment.")
    if pk not in snapshot.attachment_ids:
        audit_prescription(
            request, appointment, Action.DOWNLOAD, f"attachment {pk}", object_type=ATTACHMENT, outcome=REFUSED
        )
        raise Http404("No such attachment.")
    try:
        content = read_attachment(attachment)
    except (FileNotFoundError, SuspiciousFileOperation, OSError):
        logger.error("Prescription attachment %s is missing from storage", attachment.pk)
        raise Http404("No such attachment.") from None
    except AttachmentUnreadable:
        # Logged by read_attachment. The file is there but no configured key opens it: an
        # operator's mistake (a key removed too early), not the reader's, so no 404.
        return HttpResponse(
            "This file cannot be opened at the moment. The clinic has been told; please try again later.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    audit_prescription(
        request, appointment, Action.DOWNLOAD, f"attachment {pk}, version {snapshot.version}", object_type=ATTACHMENT
    )
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
