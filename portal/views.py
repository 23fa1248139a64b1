"""Project-level views: the health check."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


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
