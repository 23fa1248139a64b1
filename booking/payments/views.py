"""The pay step, the page Stripe returns to, and the webhook. Rules live in ``services``.

Only the patient's side pays: the account that booked, or the browser session that booked (or
proved) a guest booking. Everyone else gets a 404, as for every other appointment URL.
"""

from __future__ import annotations

import logging
from functools import wraps

from csp.decorators import csp_update
from django.contrib import messages
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.money import format_minor

from ..access import get_appointment_for_request, may_pay, session_references
from ..errors import PaymentError, PaymentRefused, PaymentUnavailable
from ..models import Appointment, clinic_zone
from . import gateway, policy, services
from .models import Payment

logger = logging.getLogger(__name__)


def stripe_sources_allowed(view):
    """Let the pay page load Stripe.js from, and talk to, the Stripe the portal is configured with.

    The site's Content-Security-Policy already allows Stripe's own hosts. When the portal points
    at a local Stripe-compatible server instead (``STRIPE_JS_URL``/``STRIPE_API_BASE``, for trying
    payments out and for the tests), this page's response adds those origins, and only this page's.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        extra = gateway.extra_csp_sources()
        if not extra:
            return view(request, *args, **kwargs)
        return csp_update(extra)(view)(request, *args, **kwargs)

    return wrapper


def _payer_appointment(request: HttpRequest, reference: str) -> Appointment:
    appointment = get_appointment_for_request(request, reference)
    if not may_pay(request.user, appointment, session_references(request)):
        raise Http404("No such appointment.")
    return appointment


def _confirmed_url(appointment: Appointment) -> str:
    return f"{appointment.doctor.booking_url}confirmed/{appointment.reference}/"


@never_cache
@stripe_sources_allowed
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    """The Payment Element for a held booking, with the amount, the deadline and the refund policy.

    The browser confirms the payment with Stripe directly (card details never reach us) and is
    sent to :func:`payment_return`. POST ``action=clinic`` switches an optional payment to
    "pay at the clinic".
    """
    appointment = _payer_appointment(request, reference)
    if request.method == "POST":
        return _pay_at_clinic(request, appointment)
    now = timezone.now()
    context: dict = {
        "appointment": appointment,
        "page": appointment.doctor,
        "refund_policy": policy.refund_policy_lines(),
        "amount": format_minor(policy.minor_amount(appointment.fee)),
        "can_pay_at_clinic": policy.online_requirement(appointment.doctor) == policy.OPTIONAL,
    }
    status = 200
    try:
        payment, intent = services.prepare_payment(appointment, now=now)
    except PaymentUnavailable as exc:
        context["unavailable"] = exc.message
        status = 503
    except PaymentRefused as exc:
        if exc.code == "already_paid":
            return redirect(_confirmed_url(appointment))
        context["refusal"] = exc.message
        status = 200 if exc.code == "processing" else 409
    else:
        context.update(
            payment=payment,
            amount=payment.amount_display,
            client_secret=intent.client_secret,
            publishable_key=gateway.publishable_key(),
            stripe_js_url=gateway.js_url(),
            return_url=request.build_absolute_uri(reverse("payments:return", args=[appointment.reference])),
            last_error=payment.last_error,
        )
    appointment.refresh_from_db()
    if appointment.hold_expires_at and appointment.is_awaiting_payment:
        context["due"] = timezone.localtime(appointment.hold_expires_at, clinic_zone())
    return TemplateResponse(request, "booking/payments/pay.html", context, status=status)


def _pay_at_clinic(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    if request.POST.get("action") != "clinic" or policy.online_requirement(appointment.doctor) != policy.OPTIONAL:
        messages.error(request, "That is not possible for this booking.")
        return redirect("payments:pay", reference=appointment.reference)
    try:
        services.pay_at_clinic_instead(appointment)
    except PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("payments:pay", reference=appointment.reference)
    return redirect(_confirmed_url(appointment))


@never_cache
def payment_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Where Stripe sends the browser after confirming. Never trusts the redirect's parameters:
    it asks Stripe for the intent, applies the answer, and shows what our database then says."""
    appointment = _payer_appointment(request, reference)
    payment = Payment.objects.filter(idempotency_key=services.online_key(appointment)).first()
    if payment is None:
        raise Http404("No payment for this appointment.")
    try:
        services.refresh_payment(payment)
    except PaymentUnavailable:
        messages.warning(
            request, "We could not check your payment with the payment service just now; this page shows what we know."
        )
    except PaymentRefused as exc:
        logger.warning("Return page could not read payment %s: %s", payment.pk, exc.code)
    payment.refresh_from_db()
    appointment.refresh_from_db()
    if payment.is_paid:
        return redirect(_confirmed_url(appointment))
    if payment.is_pending and payment.stripe_status == "processing":
        return TemplateResponse(request, "booking/payments/processing.html", {"appointment": appointment})
    if appointment.is_awaiting_payment:
        if payment.last_error:
            messages.error(request, f"The payment did not go through: {payment.last_error} You can try again.")
        return redirect("payments:pay", reference=appointment.reference)
    messages.info(request, services.not_payable_message(appointment))
    return redirect("appointments:detail", reference=appointment.reference)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: verified on the raw body, each applied once, unknown types acknowledged.

    400 for anything that is not a genuine, recent Stripe event (nothing changes); 503 when the
    event could not be applied right now (Stripe delivers it again later); 200 otherwise.
    """
    try:
        event = gateway.verify_event(request.body, request.headers.get("Stripe-Signature"))
    except gateway.WebhookRejected as exc:
        logger.warning("Rejected a Stripe webhook: %s", exc)
        return HttpResponseBadRequest("Invalid webhook.", content_type="text/plain")
    try:
        outcome = services.handle_event(event)
    except (PaymentUnavailable, DatabaseError) as exc:
        logger.error("Could not apply Stripe event %s now: %s", event.id, exc)
        return HttpResponse("Try again later.", status=503, content_type="text/plain")
    return JsonResponse({"received": True, "outcome": outcome})
