"""Stronger sessions for the accounts that see many patients' data: clinic staff and doctors.

* **Second factor required.** A staff member or doctor without an authenticator is sent to set
  one up before any other page (the Wagtail admin and the dashboard included); only the account
  pages (``/accounts/``: the set-up itself, re-authentication, email verification, sign-out)
  and static files stay reachable. Sign-in itself asks for the code through allauth's MFA stage
  once an authenticator exists.
* **Idle and absolute timeouts.** A session that saw no request for
  ``STAFF_SESSION_IDLE_MINUTES``, or began more than ``STAFF_SESSION_MAX_HOURS`` ago, is signed
  out and sent to the sign-in page with a message. Wagtail's editing-session pings, which an open
  editor tab sends on its own, do not count as activity.

Patients keep Django's ordinary session lifetime; they may add a second factor if they wish.
"""

from __future__ import annotations

import time
from functools import cached_property

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

AUTH_STARTED = "portal.auth_started"
AUTH_SEEN = "portal.auth_seen"
MFA_CONFIRMED = "portal.mfa_confirmed"
# The last-seen time is written at most this often, so most requests do not save the session.
SEEN_RESOLUTION_SECONDS = 60


def stamp_session(request: HttpRequest) -> None:
    """Start the session's clocks; called when anyone signs in (``user_logged_in``)."""
    now = time.time()
    request.session[AUTH_STARTED] = now
    request.session[AUTH_SEEN] = now


class StrongAuthMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    @cached_property
    def open_prefixes(self) -> tuple[str, ...]:
        """Paths a staff member or doctor without a second factor may still reach."""
        accounts = reverse("account_login").removesuffix("login/")
        prefixes = [
            accounts,
            settings.STATIC_URL,
            settings.MEDIA_URL,
            reverse("healthz"),
            *settings.STRONG_AUTH_OPEN_PATHS,
        ]
        return tuple(prefix for prefix in prefixes if prefix and prefix != "/")

    @cached_property
    def background_prefixes(self) -> tuple[str, ...]:
        """Requests a page makes on its own, which say nothing about the person being there."""
        return (reverse("wagtailadmin_home") + "editing-sessions/",)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.requires_strong_auth:
            response = self.end_expired_session(request) or self.require_second_factor(request, user)
            if response is not None:
                return response
        return self.get_response(request)

    def end_expired_session(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = time.time()
        started = session.get(AUTH_STARTED)
        seen = session.get(AUTH_SEEN)
        if started is None or seen is None:  # a session from before these clocks existed
            stamp_session(request)
            return None
        if now - started > settings.STAFF_SESSION_MAX_HOURS * 3600:
            reason = f"For your patients' safety you are signed out after {settings.STAFF_SESSION_MAX_HOURS} hours."
        elif now - seen > settings.STAFF_SESSION_IDLE_MINUTES * 60:
            reason = f"You were signed out after {settings.STAFF_SESSION_IDLE_MINUTES} minutes without activity."
        else:
            if now - seen >= SEEN_RESOLUTION_SECONDS and not request.path.startswith(self.background_prefixes):
                session[AUTH_SEEN] = now
            return None
        logout(request)
        messages.info(request, reason + " Please sign in again.")
        next_path = request.get_full_path() if request.method == "GET" else "/"
        return HttpResponseRedirect(reverse("account_login") + "?" + urlencode({"next": next_path}))

    def require_second_factor(self, request: HttpRequest, user) -> HttpResponse | None:
        if request.session.get(MFA_CONFIRMED) == user.pk or request.path.startswith(self.open_prefixes):
            return None
        if is_mfa_enabled(user, [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]):
            # Remembered for the session: one query at its start, not one per page.
            request.session[MFA_CONFIRMED] = user.pk
            return None
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
