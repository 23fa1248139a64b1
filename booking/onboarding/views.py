"""The public "Join as a doctor" pages and the status page a doctor sees until approved.

* ``/join/doctor/``: allauth's sign-up view with :class:`~.forms.DoctorSignupForm` (the account
  gets the doctor role); email verification and sign-in are allauth's as for everyone.
* ``/join/doctor/profile/``: the profile step, for the signed-in doctor whose application has
  not been sent yet or was sent back with changes requested. Everyone else gets a 404 (a
  patient cannot turn into a doctor here: only accounts made by the doctor sign-up have an
  application).
* :func:`status_response`: what ``/doctor/`` shows a doctor whose application is not approved
  (the dashboard calls it), instead of the agenda or a 404.
"""

from __future__ import annotations

from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache

from home.forms import kept_rows
from home.models import DoctorPage

from ..availability.forms import working_hours_formset
from ..errors import ApplicationError
from ..models import DoctorApplication, clinic_zone
from .forms import ApplicationForm, DoctorSignupForm
from .selectors import application_for, application_history
from .services import submit_application


class DoctorSignupView(SignupView):
    """Step 1: an account with the doctor role (see the form). Signed-in visitors are sent on."""

    form_class = DoctorSignupForm
    template_name = "booking/onboarding/join.html"

    def get_form_class(self):
        # Not ACCOUNT_FORMS["signup"]: that one is the patients' form.
        return DoctorSignupForm

    def get_success_url(self):
        return self.get_next_url() or reverse("onboarding:profile")


join = DoctorSignupView.as_view()


def _initial(application: DoctorApplication, page: DoctorPage | None) -> dict:
    user = application.user
    initial: dict = {"first_name": user.first_name, "last_name": user.last_name}
    if page is not None:
        initial.update(
            job_title=page.job_title,
            specializations=[link.specialization_id for link in page.specialization_links.all()],
            qualifications=page.qualifications,
            licence_number=application.licence_number or "",
            languages=page.languages,
            phone=page.phone,
            consultation_fee=page.consultation_fee,
            offers_online=page.offers_online,
        )
    return initial


@never_cache
def profile(request: HttpRequest) -> HttpResponse:
    """Step 2: the profile, registration details and weekly hours, sent for review in one go.

    Any refusal (a field, the formset, the service) shows the page again with the messages and
    changes nothing; the upload fields must be chosen again, as browsers never refill them.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    application = application_for(request.user) if request.user.is_doctor else None
    if application is None:
        raise Http404("No such page.")
    if not application.can_send_profile:
        return redirect("doctor:dashboard")
    draft = application.page.get_latest_revision_as_object() if application.page is not None else None
    data = request.POST if request.method == "POST" else None
    form = ApplicationForm(data, request.FILES or None, page=draft, initial=_initial(application, draft))
    hours = working_hours_formset(draft or DoctorPage(), data, extra=3 if draft is None else 1, require_one=True)
    status = 200
    if request.method == "POST":
        try:
            valid = all([form.is_valid(), hours.is_valid()])
        except (KeyError, ValueError, OverflowError, ValidationError):
            # Hand-made or stale row ids in the hours formset: a message, never a 500.
            messages.error(request, "The form was out of date. Nothing was sent; please fill it in again.")
            return redirect("onboarding:profile")
        if valid:
            try:
                submit_application(application, form.details(kept_rows(hours)), user=request.user)
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    "Thank you: your profile is sent. The clinic's staff will email you when they have decided.",
                )
                return redirect("doctor:dashboard")
        status = 400
    context = {
        "form": form,
        "hours": hours,
        "application": application,
        "resubmitting": draft is not None,
        "review_comment": _review_comment(draft),
        "clinic_tz": clinic_zone(),
    }
    return TemplateResponse(request, "booking/onboarding/profile.html", context, status=status)


def _review_comment(page: DoctorPage | None) -> str:
    state = page.current_workflow_state if page is not None else None
    task_state = state.current_task_state if state is not None else None
    return task_state.specific.get_comment() if task_state is not None else ""


def status_response(request: HttpRequest, application: DoctorApplication) -> HttpResponse:
    """Where a doctor's application stands: not sent, in review, sent back, or suspended."""
    if application.is_started:
        return redirect("onboarding:profile")
    page = application.page
    draft = page.get_latest_revision_as_object() if page is not None else None
    events = list(application_history(application))
    # Why it is sent back or suspended: what staff wrote when they did it.
    decision = next((event for event in reversed(events) if event.to_status == application.status), None)
    context = {
        "application": application,
        "draft": draft,
        "events": events,
        "decision_comment": decision.comment if decision and not application.is_submitted else "",
        "clinic_tz": clinic_zone(),
    }
    return TemplateResponse(request, "booking/onboarding/status.html", context)
