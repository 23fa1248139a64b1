"""Paying for a booking and the refund preview, for patient apps.

The same calls as the web pages, nothing of their own: who may pay is ``booking.access.may_pay``
(the pay page's rule), the PaymentIntent comes from ``payments.services.prepare_payment`` (the
pay page's service: one intent per booking, read back from Stripe and applied before anything
is refused), and the preview from ``payments.selectors.refund_preview_for`` (the policy the cancel
page quotes and the refund applies). The app's Stripe SDK confirms the payment with the client
secret; the result reaches us through Stripe's webhook (or the next call here, which reads the
intent back), exactly as for the web page.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router

from portal.money import format_minor

from ..access import get_appointment_for_request, may_pay, session_references
from ..appointments.entry import patient_actor
from ..errors import PaymentRefused
from ..models import Appointment
from ..payments import gateway, selectors, services
from .errors import ERROR_CODES, ErrorOut, responds
from .schemas import PaymentOut, RefundPreviewOut
from .security import OPTIONAL_AUTH_OPENAPI, optional_user

router = Router(tags=["patient"])


def _payer_appointment(request: HttpRequest, reference: str) -> Appointment:
    """The appointment if the caller is its payer (the pay page's rule); 404 for everyone else."""
    optional_user(request)
    appointment = get_appointment_for_request(request, reference, detail="payment (API)")
    if not may_pay(request.user, appointment, session_references(request)):
        raise Http404("No such appointment.")
    return appointment


@router.post(
    "/appointments/{reference}/payment",
    # 503 when the payment service cannot be reached: the hold stays, the app may try again.
    response={200: PaymentOut, ERROR_CODES | {503}: ErrorOut},
    auth=None,
    summary="Start (or resume) the online payment of a booking awaiting it",
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def start_payment(request: HttpRequest, reference: str):
    """The PaymentIntent's client secret for the app's Stripe SDK, with the amount and the deadline.

    Calling again (a retry, a second device) returns the same intent. 409 ``conflict`` when
    nothing is due: already paid, being processed, not awaiting payment, or the hold lapsed.
    """
    appointment = _payer_appointment(request, reference)
    payment, intent = services.prepare_payment(appointment, now=timezone.now())
    appointment.refresh_from_db()
    if appointment.hold_expires_at is None:  # a hold without deadline cannot exist; never pay blind
        raise PaymentRefused(services.not_payable_message(appointment))
    return {
        "client_secret": intent.client_secret,
        "publishable_key": gateway.publishable_key(),
        "amount": payment.amount,
        "currency": payment.currency.upper(),
        "amount_display": payment.amount_display,
        "pay_by": appointment.hold_expires_at,
    }


@router.get(
    "/appointments/{reference}/refund-preview",
    response=responds(RefundPreviewOut),
    auth=None,
    summary="What cancelling now would give back",
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def refund_preview(request: HttpRequest, reference: str):
    """For the patient's side only (the account that booked, or the guest session), like cancelling."""
    optional_user(request)
    appointment = get_appointment_for_request(request, reference, detail="refund preview (API)")
    if patient_actor(request, appointment) is None:
        raise Http404("No such appointment.")
    now = timezone.now()
    preview = selectors.refund_preview_for(appointment, now=now)
    return {
        "amount": preview.amount,
        "currency": preview.currency.upper(),
        "amount_display": format_minor(preview.amount, preview.currency),
        "percent": preview.percent,
        "cutoff": preview.cutoff,
        "paid": preview.paid,
        "refundable": preview.refundable,
        "can_cancel": appointment.patient_can_change(now),
        "explanation": preview.explanation,
    }
