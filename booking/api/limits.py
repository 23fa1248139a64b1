"""Rate limits for the whole API, per client address and per account, in the shared cache.

Counted with ``portal.ratelimit.hit`` (the helper behind the booking form's limits), so every
process and node agrees and a cache outage lifts the limits with a logged warning instead of
locking clients out. These are coarse floods limits; the booking and lookup endpoints also apply
the web forms' own limits (``booking.appointments.limits``) to the same counters as the forms.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from portal import ratelimit

from ..appointments.limits import address_key
from .errors import TooManyRequests, error_response, rate_limited

WINDOW_SECONDS = 60
_MESSAGE = "Too many requests. Please wait a minute and try again."


def check_account(user: Any) -> None:
    """Count one request for a signed-in account; raise :class:`TooManyRequests` past the limit."""
    if not getattr(user, "is_authenticated", False):
        return
    if not ratelimit.hit(f"api-user:{user.pk}", limit=settings.API_REQUESTS_PER_ACCOUNT, window_seconds=WINDOW_SECONDS):
        raise TooManyRequests(_MESSAGE, WINDOW_SECONDS)


def guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Before anything is parsed: the per-address limit and the API's body size limit.

    Applied to every operation (``api.add_decorator(..., mode="view")``), so a flood of bad
    requests costs no more than a counter increment each.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.API_MAX_BODY_BYTES:
            return error_response(
                413, "too_large", f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes."
            )
        if not ratelimit.hit(
            f"api-ip:{address_key(request)}", limit=settings.API_REQUESTS_PER_ADDRESS, window_seconds=WINDOW_SECONDS
        ):
            return rate_limited(_MESSAGE, WINDOW_SECONDS)
        return view(request, *args, **kwargs)

    return wrapper
