"""Who is calling: a bearer access token from allauth's headless API, or the browser session.

* **App clients** (the mobile app, integrations) sign in through allauth's headless API (mounted
  at ``/api/v1/auth/``) and send ``Authorization: Bearer <access token>``. allauth's own Ninja
  helper (:class:`allauth.headless.contrib.ninja.security.JWTTokenAuth`) checks the token — its
  signature, expiry and, with stateful validation on, that its session was not signed out — and
  sets ``request.user``, so the access getters in ``booking.access`` see the caller as the web
  pages do.
* **Browser clients of the same origin** use the session cookie, with Django's CSRF check on
  every unsafe method (Ninja's ``SessionAuth``), exactly like the forms of the site.

A token that is present but invalid (expired, forged, revoked) is refused with 401 even when a
session cookie is also sent: a client that believes it holds a token must learn that it does not.

Per-account rate limits are counted here, once the account is known; per-address ones in
``limits``.
"""

from __future__ import annotations

from typing import Any

from allauth.headless.contrib.ninja.security import JWTTokenAuth
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import SessionAuth

from . import limits


class BearerAuth(JWTTokenAuth):
    """``Authorization: Bearer <JWT access token>`` from allauth's headless app client."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "JWT"

    def __call__(self, request: HttpRequest) -> Any:
        if not request.headers.get("Authorization"):
            return None
        payload = super().__call__(request)
        if payload is None:
            raise AuthenticationError()
        limits.check_account(request.user)
        return request.user


class SessionCsrfAuth(SessionAuth):
    """The site's own session cookie; Ninja checks CSRF on unsafe methods (csrf = True)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie, no ambient credential to ride on: nothing to check CSRF for (a
        # guest booking from an app). With one, CSRF applies even to a guest's session, which
        # may hold guest grants.
        if not request.COOKIES.get(self.param_name):
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None:
            return None
        user = super().authenticate(request, key)
        if user is not None:
            limits.check_account(user)
        return user


bearer_auth = BearerAuth()
session_auth = SessionCsrfAuth()

# Endpoints for a signed-in account accept either.
SIGNED_IN = [bearer_auth, session_auth]


def optional_user(request: HttpRequest) -> Any:
    """The caller's account for endpoints open to guests too (booking), or AnonymousUser.

    The same rules as :data:`SIGNED_IN`, except that sending neither a token nor a session is
    allowed: a guest. A bad token is still a 401, and a signed-in session still needs CSRF.
    """
    user = bearer_auth(request) or session_auth(request)
    if user is None:
        request.user = AnonymousUser()
        return request.user
    return user


# For endpoints open to guests too (``auth=None`` plus :func:`optional_user`): the schema says a
# token or session may be sent, or nothing ({}), so clients and the docs page send the token.
OPTIONAL_AUTH_OPENAPI: dict[str, Any] = {"security": [{"BearerAuth": []}, {"SessionCsrfAuth": []}, {}]}
