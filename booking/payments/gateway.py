"""The one module that talks to Stripe (and the only one that imports ``stripe``).

Everything else in the portal sees plain data (:class:`Intent`, :class:`RefundInfo`,
:class:`Event`) and two kinds of refusal from ``booking.errors``: :class:`PaymentUnavailable`
(Stripe could not be reached or failed; try again later, nothing was decided) and
:class:`PaymentRefused` (Stripe answered no). So a Stripe outage can never surface as a 500, and
swapping the library version touches one file.

Every call that changes something at Stripe carries an idempotency key that the *caller* derives
from the business action ("pay for appointment K7M2Q-X9PR4", "refund #12"), never a random one:
retrying the same action, from a double click, a retry loop or a second server, can therefore
never charge or refund twice. Amounts and currencies always come from our database, never from
the browser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from ..errors import PaymentRefused, PaymentUnavailable

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = (
    "We could not reach the payment service just now. Nothing has been charged. Please try again in a minute."
)


class WebhookRejected(Exception):
    """A webhook delivery that is not a genuine, recent Stripe event (bad or missing signature, stale, malformed)."""


@dataclass(frozen=True)
class Intent:
    """A PaymentIntent as far as the portal cares."""

    id: str
    status: str
    amount: int
    currency: str  # upper case, as ours
    metadata: dict[str, str] = field(default_factory=dict)
    client_secret: str = ""
    amount_received: int | None = None
    last_error_code: str = ""
    last_error_message: str = ""
    cancellation_reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str
    amount: int
    currency: str
    payment_intent: str
    metadata: dict[str, str] = field(default_factory=dict)
    failure_reason: str = ""


@dataclass(frozen=True)
class Event:
    """A verified webhook event: its id, type, creation time (Unix seconds) and its object as plain data."""

    id: str
    type: str
    created: int
    object: dict[str, Any]


# --- Configuration ------------------------------------------------------------------------------


def is_configured() -> bool:
    """True when the clinic has set up Stripe (both keys); otherwise everyone pays at the clinic."""
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


def publishable_key() -> str:
    return settings.STRIPE_PUBLISHABLE_KEY


def js_url() -> str:
    return settings.STRIPE_JS_URL


STRIPE_API_ORIGIN = "https://api.stripe.com"
STRIPE_JS_ORIGIN = "https://js.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def extra_csp_sources() -> dict[str, list[str]]:
    """CSP sources the pay page needs beyond Stripe's own hosts (the site policy has those):
    the origins of a local Stripe-compatible server, when the settings point at one."""
    extra: dict[str, list[str]] = {}
    js = _origin(settings.STRIPE_JS_URL)
    api = _origin(settings.STRIPE_API_BASE)
    if js and js != STRIPE_JS_ORIGIN:
        extra["script-src"] = [js]
        extra["frame-src"] = [js]
        extra["connect-src"] = [js]
    if api and api != STRIPE_API_ORIGIN:
        extra.setdefault("connect-src", []).append(api)
    return extra


@lru_cache(maxsize=8)
def _build_client(api_key: str, api_base: str, timeout: int, retries: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentUnavailable("Online payment is not available. Please pay at the clinic.")
    return _build_client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE.rstrip("/"),
        settings.STRIPE_TIMEOUT_SECONDS,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def _call(action: str, request):
    """Run one Stripe request; turn every Stripe failure into a refusal the portal understands."""
    try:
        return request()
    except stripe.CardError as exc:
        raise PaymentRefused(exc.user_message or "Your card was declined.", code=exc.code or "card_error") from exc
    except (stripe.InvalidRequestError, stripe.IdempotencyError) as exc:
        logger.warning("Stripe refused %s: %s", action, exc.user_message or exc)
        raise PaymentRefused(
            "The payment service refused this request.", code=getattr(exc, "code", "") or "invalid_request"
        ) from exc
    except stripe.StripeError as exc:
        # Connection failures, timeouts, 5xx, rate limits, bad keys: nothing was decided.
        logger.error("Stripe unavailable during %s: %s", action, exc)
        raise PaymentUnavailable(UNAVAILABLE_MESSAGE) from exc


# --- Reading Stripe's answers -------------------------------------------------------------------


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object (not a dict since stripe-python 15) or a dict, as a plain dict."""
    if isinstance(obj, dict):
        return obj
    to_dict = getattr(obj, "to_dict", None)
    return to_dict() if to_dict is not None else {}


def _id_of(value: Any) -> str:
    """An expandable field: Stripe sends an id, a local stand-in may send the whole object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def intent_from_data(data: Any) -> Intent:
    data = _plain(data)
    error = data.get("last_payment_error") or {}
    received = data.get("amount_received")
    return Intent(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or ""),
        amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or "").upper(),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        client_secret=str(data.get("client_secret") or ""),
        amount_received=int(received) if received is not None else None,
        last_error_code=str(error.get("decline_code") or error.get("code") or ""),
        last_error_message=str(error.get("message") or ""),
        cancellation_reason=str(data.get("cancellation_reason") or ""),
    )


def refund_from_data(data: Any) -> RefundInfo:
    data = _plain(data)
    return RefundInfo(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or ""),
        amount=int(data.get("amount") or 0),
        currency=str(data.get("currency") or "").upper(),
        payment_intent=_id_of(data.get("payment_intent")),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        failure_reason=str(data.get("failure_reason") or ""),
    )


# --- PaymentIntents -------------------------------------------------------------------------------


def create_intent(*, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str) -> Intent:
    """Create a PaymentIntent the Payment Element will confirm in the browser.

    Only what every Stripe-compatible server accepts is sent: the Payment Element picks the
    payment methods the Stripe account has enabled.
    """
    intent = _call(
        "create PaymentIntent",
        lambda: _client().v1.payment_intents.create(
            params={"amount": amount, "currency": currency.lower(), "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        ),
    )
    return intent_from_data(intent)


def retrieve_intent(intent_id: str) -> Intent:
    return intent_from_data(_call("retrieve PaymentIntent", lambda: _client().v1.payment_intents.retrieve(intent_id)))


def cancel_intent(intent_id: str, *, reason: str = "abandoned") -> Intent:
    """Cancel an intent nobody will pay any more, so a stale browser tab cannot pay it later."""
    intent = _call(
        "cancel PaymentIntent",
        lambda: _client().v1.payment_intents.cancel(
            intent_id,
            params={"cancellation_reason": reason},
            options={"idempotency_key": f"cancel-{intent_id}"},
        ),
    )
    return intent_from_data(intent)


# --- Refunds ----------------------------------------------------------------------------------------


def create_refund(*, intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str) -> RefundInfo:
    refund = _call(
        "create Refund",
        lambda: _client().v1.refunds.create(
            params={"payment_intent": intent_id, "amount": amount, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        ),
    )
    return refund_from_data(refund)


def list_refunds(intent_id: str) -> list[RefundInfo]:
    page = _call("list Refunds", lambda: _client().v1.refunds.list(params={"payment_intent": intent_id, "limit": 100}))
    return [refund_from_data(item) for item in _plain(page).get("data") or []]


# --- Webhooks -----------------------------------------------------------------------------------------


def verify_event(payload: bytes, signature: str | None) -> Event:
    """Check the signature on the raw body and its age; return the event as plain data.

    Raises :class:`WebhookRejected` for a missing or wrong signature, a timestamp older than
    ``STRIPE_WEBHOOK_TOLERANCE_SECONDS`` (a replay), a missing secret, or a body that is not a
    Stripe event at all.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRejected("STRIPE_WEBHOOK_SECRET is not set")
    if not signature:
        raise WebhookRejected("no Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
        )
        data = _plain(event)
        obj = _plain((data.get("data") or {}).get("object"))
        return Event(id=str(data["id"]), type=str(data["type"]), created=int(data.get("created") or 0), object=obj)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected(str(exc)) from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # includes bad UTF-8 and bad JSON
        raise WebhookRejected(f"malformed event: {exc}") from exc
