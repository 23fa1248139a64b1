"""The Redis cache backend, made to fail open when Redis is away.

django-redis with ``IGNORE_EXCEPTIONS`` turns a Redis outage into cache misses, which is right
for ``get`` and ``set`` but wrong for ``add``: it answers "not added", which every cache-based
lock reads as "somebody else holds it". allauth takes such a lock around each rate-limit
counter and the one-time use of a TOTP code, so with Redis unreachable every sign-in, sign-up,
password reset and second-factor code was refused. Here ``add`` answers True instead: limits
are skipped (fail open) rather than turned against everyone.

A connection error also opens a small circuit breaker: for ``RETRY_AFTER`` seconds (an OPTIONS
key, default 30) this process does not touch Redis at all, so a host that times out costs one
timeout per period instead of one per cache call (a sign-in makes a dozen). One warning is
logged each time the breaker opens, naming what is off.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)


class RedisUnavailable(ConnectionError):
    """Raised without touching the network while the breaker is open."""


class _Breaker:
    def __init__(self, location: str, retry_after: float) -> None:
        self.location = location
        self.retry_after = retry_after
        self._open_until = 0.0
        self._lock = threading.Lock()

    def check(self) -> None:
        remaining = self._open_until - time.monotonic()
        if remaining > 0:
            exc = ConnectionInterrupted(connection=None)
            exc.__cause__ = RedisUnavailable(f"Redis skipped for {remaining:.0f} s after a connection error")
            raise exc

    def trip(self, exc: ConnectionInterrupted) -> None:
        with self._lock:
            already_open = self._open_until > time.monotonic()
            self._open_until = time.monotonic() + self.retry_after
        if not already_open:
            logger.warning(
                "Cache unreachable (%s): %s. Caching and rate limits are off for %.0f s; "
                "sign-in and booking carry on without them.",
                self.location,
                exc,
                self.retry_after,
            )


class _GuardedClient:
    """django-redis's client with every call passed through the breaker."""

    def __init__(self, client: Any, breaker: _Breaker) -> None:
        self._client = client
        self._breaker = breaker

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        @functools.wraps(attr)
        def guarded(*args, **kwargs):
            self._breaker.check()
            try:
                return attr(*args, **kwargs)
            except ConnectionInterrupted as exc:
                self._breaker.trip(exc)
                raise

        return guarded


class FailOpenRedisCache(RedisCache):
    """django-redis's ``RedisCache`` whose ``add`` succeeds while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        retry_after = float(options.pop("RETRY_AFTER", 30))
        super().__init__(server, {**params, "OPTIONS": options})
        self._breaker = _Breaker(server, retry_after)
        self._guarded: _GuardedClient | None = None

    @property
    def client(self):
        if self._guarded is None:
            self._guarded = _GuardedClient(super().client, self._breaker)
        return self._guarded

    def add(self, *args, **kwargs) -> bool:
        try:
            return self.client.add(*args, **kwargs)
        except ConnectionInterrupted:
            # Fail open: a lock or a "first use" marker that cannot be stored must not refuse.
            return True
