"""The client's address and a small fixed-window rate limit on the cache.

:func:`client_ip` is the one place that reads who is asking: it honours ``TRUSTED_PROXY_COUNT``
(through allauth's adapter, which sign-in limits use too), so rate limits and audit logs agree.
The limit lives in the cache (Redis in production, local memory otherwise). If the cache is down
the limit is skipped (with a logged warning) rather than locking everyone out.
"""

from __future__ import annotations

import ipaddress
import logging

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, honouring ``ALLAUTH_TRUSTED_PROXY_COUNT`` behind a proxy; None if unreadable.

    Only a syntactically valid address is returned, so what is logged or counted is never a
    header's free text.
    """
    try:
        raw = get_adapter(request).get_client_ip(request)
    except Exception:  # noqa: BLE001 - a malformed forwarding header must not block the request
        raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address((raw or "").strip()))
    except ValueError:
        return None


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt under ``key``; return False once more than ``limit`` were made in the window."""
    cache_key = f"rl:{key}"
    try:
        added = cache.add(cache_key, 1, window_seconds)
        if added is None:  # django-redis answers None when it ignored a connection error
            logger.warning("Cache unavailable: rate limit %s not counted.", key.split(":", 1)[0])
            return True
        if added:
            return True
        count = cache.incr(cache_key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(cache_key, 1, window_seconds)
        return True
    except Exception:  # noqa: BLE001 - a cache outage must not block patients
        logger.warning("Cache unavailable: rate limit %s not counted.", key.split(":", 1)[0])
        return True
    return count is None or count <= limit
