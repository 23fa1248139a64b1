"""A small fixed-window rate limit on the cache (Redis in production, local memory otherwise).

Used where someone could guess: the reference + email lookup. If the cache is down the limit
is skipped rather than locking everyone out; the lookup itself still needs both values.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address as allauth sees it, honouring ALLAUTH_TRUSTED_PROXY_COUNT behind a proxy."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:  # noqa: BLE001 - a malformed forwarding header must not block the lookup
        return request.META.get("REMOTE_ADDR", "unknown")


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt under ``key``; return False once more than ``limit`` were made in the window."""
    cache_key = f"rl:{key}"
    try:
        if cache.add(cache_key, 1, window_seconds):
            return True
        count = cache.incr(cache_key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(cache_key, 1, window_seconds)
        return True
    except Exception:  # noqa: BLE001 - a cache outage must not block patients
        return True
    return count is None or count <= limit
