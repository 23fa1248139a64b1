"""Project-level views: the health check, and sign-up answering a lost race with a message."""

from allauth.account.views import SignupView as AllauthSignupView
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .adapters import DUPLICATE_ACCOUNT_MESSAGE, DuplicateAccount


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


@never_cache
def healthz(request):
    """200 when the database answers; the body lists each dependency's state."""
    checks = {"database": _check_database(), "cache": _check_cache()}
    status = 200 if checks["database"] == "ok" else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", "checks": checks}, status=status)


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
