"""The API's one error shape, and the translation of every refusal into it.

Every error body is ``{"code": ..., "message": ..., "errors": [{"field": ..., "message": ...}]}``:
``code`` is stable for programs, ``message`` is the same sentence the web pages show, ``errors``
lists problems with single fields (empty otherwise). The booking rules raise
:class:`booking.errors.BookingError` subclasses and know nothing of HTTP; this module is the one
place that maps them to statuses, so every endpoint answers a refusal the same way:

* 400 ``invalid`` — input that does not parse or validate (nothing was changed);
* 401 ``not_authenticated`` / 403 ``forbidden``;
* 404 ``not_found`` — also for anything that is not the caller's: never a 403 that would confirm
  that someone else's appointment exists;
* 409 ``slot_taken`` / ``conflict`` — a taken time or a refused change;
* 413 ``too_large``; 429 ``rate_limited`` with ``Retry-After``;
* 503 ``payment_unavailable`` with ``Retry-After`` — the payment service could not be reached
  (a refused payment step, such as nothing left to pay, is a 409 ``conflict``).

Unexpected exceptions are not caught here: Django logs them and answers 500 like any other bug.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from ..errors import BookingError, PaymentUnavailable, ProofOfWorkRefused, SlotUnavailable, TooManyAttempts


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldError] = []


class InvalidInput(Exception):
    """Input that a form or a check refused; ``errors`` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    @classmethod
    def from_form(cls, form: Form) -> InvalidInput:
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        return cls("Some fields are not valid; nothing was changed.", errors)


class TooManyRequests(Exception):
    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def error_response(
    status: int, code: str, message: str, errors: dict[str, list[str]] | None = None, **headers: str
) -> HttpResponse:
    body = {
        "code": code,
        "message": message,
        "errors": [{"field": field, "message": m} for field, messages in (errors or {}).items() for m in messages],
    }
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def rate_limited(message: str, retry_after: int) -> HttpResponse:
    return error_response(429, "rate_limited", message, Retry_After=str(retry_after))


# Ninja's field locations ("body", "payload", "starts_at") become one dotted field name without
# the parameter source, which callers never see.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_name(loc: Any) -> str:
    parts = [str(part) for part in loc if str(part) not in _SOURCES]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error.get("loc", ())), []).append(str(error.get("msg", "Invalid value.")))
    return error_response(400, "invalid", "Some fields are not valid; nothing was changed.", errors)


def _booking_error(request: HttpRequest, exc: BookingError) -> HttpResponse:
    if isinstance(exc, TooManyAttempts):
        return rate_limited(exc.message, exc.retry_after)
    if isinstance(exc, ProofOfWorkRefused):
        return error_response(400, "proof_of_work", exc.message)
    if isinstance(exc, PaymentUnavailable):
        # The payment service is down: nothing changed here, the same call may succeed later.
        return error_response(503, "payment_unavailable", exc.message, Retry_After="30")
    code = "slot_taken" if isinstance(exc, SlotUnavailable) else "conflict"
    return error_response(409, code, exc.message)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return error_response(401, "not_authenticated", "Sign in: send a valid access token or session.")
    if isinstance(exc, AuthorizationError):
        return error_response(403, "forbidden", "You are not allowed to do that.")
    codes = {400: "invalid", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "rate_limited"}
    return error_response(exc.status_code, codes.get(exc.status_code, "error"), str(exc))


def install_handlers(api: NinjaAPI) -> None:
    """Register the handlers; Ninja picks the most specific class for each exception."""
    # Ninja types handlers as taking the exception or its class; ours take instances.
    api.add_exception_handler(ValidationError, _validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, _http_error)  # type: ignore[arg-type]
    api.add_exception_handler(
        InvalidInput, lambda request, exc: error_response(400, "invalid", exc.message, exc.errors)
    )
    api.add_exception_handler(BookingError, _booking_error)  # type: ignore[arg-type]
    api.add_exception_handler(TooManyRequests, lambda request, exc: rate_limited(exc.message, exc.retry_after))
    api.add_exception_handler(Http404, lambda request, exc: error_response(404, "not_found", "Not found."))
    api.add_exception_handler(
        PermissionDenied, lambda request, exc: error_response(403, "forbidden", "You are not allowed to do that.")
    )


# Every operation documents these, so clients (and schemathesis) know each error's shape.
ERROR_CODES = frozenset({400, 401, 403, 404, 409, 413, 429})


def responds(schema: Any, status: int = 200) -> dict:
    """An operation's ``response=``: its success schema and the common error shape."""
    return {status: schema, ERROR_CODES: ErrorOut}
