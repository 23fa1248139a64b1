"""The signed-in patient's own data: profile, export (HTML and JSON), account deletion.

Patients only: doctors' and clinic staff accounts belong to the clinic, so these pages answer
404 to them, like any page that is not theirs.
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from portal import ratelimit

from ..access import manages_own_patient_data
from ..audit.services import Origin, record_audit
from ..errors import BookingError
from ..models import AuditEvent
from .forms import DeleteAccountForm, ProfileForm
from .selectors import export_as_json, patient_export
from .services import delete_patient_account, upcoming_appointments

# Password guesses on the deletion form, per account: a borrowed, signed-in browser gets a few tries.
DELETE_ATTEMPTS = 5
DELETE_WINDOW_SECONDS = 15 * 60


def patient_only(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not manages_own_patient_data(request.user):
            raise Http404("Not a patient account.")
        return view(request, *args, **kwargs)

    return never_cache(login_required(wrapper))


@patient_only
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile is saved. New bookings are filled in from it.")
            return redirect("patients:profile")
        status = 400
    return TemplateResponse(request, "booking/patients/profile.html", {"form": form}, status=status)


def _audit_export(request: HttpRequest, kind: str) -> None:
    record_audit(
        AuditEvent.Action.EXPORT, AuditEvent.ObjectType.PATIENT, f"user:{request.user.pk}", request=request, detail=kind
    )


@patient_only
def export_page(request: HttpRequest) -> HttpResponse:
    _audit_export(request, "own data, HTML")
    context = {"sections": patient_export(request.user), "generated_at": timezone.now()}
    return TemplateResponse(request, "booking/patients/export.html", context)


@patient_only
def export_json(request: HttpRequest) -> HttpResponse:
    _audit_export(request, "own data, JSON")
    document = export_as_json(patient_export(request.user))
    response = HttpResponse(
        json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="my-data-{timezone.localdate():%Y-%m-%d}.json"'
    return response


@patient_only
def delete_account(request: HttpRequest) -> HttpResponse:
    """GET explains; POST (CSRF, password) deletes through the service, then signs this browser out."""
    upcoming = upcoming_appointments(request.user)
    form = DeleteAccountForm(request.POST or None, user=request.user, has_upcoming=bool(upcoming))
    status = 200
    if request.method == "POST":
        if not ratelimit.hit(
            f"delete-account:{request.user.pk}", limit=DELETE_ATTEMPTS, window_seconds=DELETE_WINDOW_SECONDS
        ):
            form.add_error(None, "Too many attempts. Please wait 15 minutes and try again. Nothing was deleted.")
            status = 429
        elif form.is_valid():
            try:
                delete_patient_account(request.user, upcoming=form.upcoming_choice, origin=Origin.from_request(request))
            except BookingError as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                logout(request)
                messages.success(request, "Your account is deleted and you are signed out on every device.")
                return redirect("/")
        else:
            status = 400
    context = {"form": form, "upcoming": upcoming}
    return TemplateResponse(request, "booking/patients/delete.html", context, status=status)
