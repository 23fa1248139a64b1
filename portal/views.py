"""Project-level views: the health check, and sign-up answering a lost race with a message.

``/healthz`` is public because load balancers and uptime monitors must reach it, so the public
answer is only ``{"status": "ok"}`` (200) or ``{"status": "error"}`` (503). Which dependency is
down, and how far behind the email worker is, helps an attacker time an attack as much as it
helps an operator, so those details go only to clinic staff signed in, and to requests made on
this machine directly (a monitoring agent, ``curl`` over SSH).

"Directly" means the connection comes from a loopback address *and* no proxy forwarded it: behind
a reverse proxy on the same machine every request arrives from 127.0.0.1, so a request that
carries a forwarding header, or whose client address (:func:`portal.ratelimit.client_ip`, which
honours ``TRUSTED_PROXY_COUNT``) is not loopback, came from outside.
"""

from __future__ import annotations

import ipaddress

from allauth.account.views import SignupView as AllauthSignupView
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .adapters import DUPLICATE_ACCOUNT_MESSAGE, DuplicateAccount
from .ratelimit import client_ip

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported not raised
        return f"down: {exc.__class__.__name__}"
    return "ok"


def _check_cache() -> str:
    # django-redis swallows connection errors (IGNORE_EXCEPTIONS), so a miss after a set is
    # the only reliable way to notice that Redis is away.
    try:
        cache.set("healthz", "1", 5)
        return "ok" if cache.get("healthz") == "1" else "down"
    except Exception as exc:  # noqa: BLE001
        return f"down: {exc.__class__.__name__}"


def _worker_backlog() -> dict:
    """Background tasks waiting for the worker, and how long the oldest has waited (one query)."""
    try:
        backlog = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(
            waiting=Count("pk"), oldest=Min("enqueued_at")
        )
    except Exception as exc:  # noqa: BLE001 - a missing table or dead database is reported, not raised
        return {"state": f"unknown: {exc.__class__.__name__}"}
    oldest = backlog["oldest"]
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"state": "ok", "waiting": backlog["waiting"], "oldest_waiting_seconds": age}


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def is_direct_local_request(request: HttpRequest) -> bool:
    """From a loopback address, with no proxy in between (see the module docstring)."""
    if any(request.META.get(header) for header in FORWARDING_HEADERS):
        return False
    return _is_loopback(request.META.get("REMOTE_ADDR")) and _is_loopback(client_ip(request))


def may_see_details(request: HttpRequest) -> bool:
    """Clinic staff, or a request made on this machine that no proxy forwarded."""
    if is_direct_local_request(request):
        return True
    try:
        user = request.user  # reads the session and the user: needs the database
        return bool(user.is_authenticated and user.is_active and user.is_clinic_staff)
    except Exception:  # noqa: BLE001 - with the database down nobody can be recognised
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, else 503; details only for :func:`may_see_details`."""
    database = _check_database()
    ok = database == "ok"
    body: dict = {"status": "ok" if ok else "error"}
    if may_see_details(request):
        body["checks"] = {
            "database": database,
            "cache": _check_cache(),
            "worker": _worker_backlog() if ok else {"state": "unknown: database down"},
        }
    return JsonResponse(body, status=200 if ok else 503)


class SignupView(AllauthSignupView):
    """allauth's sign-up, where losing a race for the same email is a form error, not a 500.

    The form's own check catches an address that is already taken; only two sign-ups for one
    address at the same moment get past it, and the adapter's :class:`DuplicateAccount` then
    says so. One account is created; the others see the form again with the message.
    """

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DuplicateAccount:
            form.add_error("email", DUPLICATE_ACCOUNT_MESSAGE)
            return self.form_invalid(form)


signup = SignupView.as_view()
