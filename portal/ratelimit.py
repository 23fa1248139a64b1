"""Who is asking, and how often they may try: the project's rate-limit policy in one place.

:func:`client_ip` is the one place that reads who is asking: it honours ``TRUSTED_PROXY_COUNT``
(through allauth's adapter, which sign-in limits use too), so rate limits and audit logs agree.

Counters live in the shared cache (Redis in production; without ``REDIS_URL`` a database table
that every process of ``make run`` shares), never in one process's memory. When the cache is
unreachable every limit here is skipped with a logged warning (fail open): a cache outage must
not lock patients, doctors or the clinic out. ``portal.cache.FailOpenRedisCache`` does the same
for allauth's own limits.

Sign-in (:class:`SigninAttempt`) is limited so that a stranger cannot turn the limit on the
account's owner:

* **per account and address**: the first ``SIGNIN_FREE_FAILURES`` wrong passwords from one
  address cost nothing; after that this address must wait before its next try, 5 s doubling to
  at most 15 minutes. Never a hard lock, and another address is not affected, so five wrong
  passwords from a stranger's address leave the owner's sign-in from their own address alone;
* **per address**, whatever the account: ``ADDRESS_FAILURES_PER_HOUR`` failures, then that
  address waits for the hour to end (password spraying from one place);
* **per account**, whatever the address: after ``ACCOUNT_FAILURES_PER_HOUR`` failures in an
  hour (a guessing attack spread over many addresses), only addresses this account signed in
  from before may try until the hour ends; the owner signs in from home or the clinic as
  usual, and a password reset lifts it.

The account is the user's primary key when the email names one (so look-alike spellings that
the database folds onto the same account share its budget) and the normalised email otherwise,
so refusals look the same for accounts that do not exist. The request's ``Host`` header plays
no part: allauth's default key began with it, and adding a port to it started a fresh budget.
The second factor (TOTP or recovery code) is limited by allauth per account
(``ACCOUNT_RATE_LIMITS["login_failed"]``); only someone who knows the password reaches it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

SIGNIN_FREE_FAILURES = 3
SIGNIN_FIRST_DELAY_SECONDS = 5
SIGNIN_MAX_DELAY_SECONDS = 15 * 60
# A run of failures from one address is forgotten this long after its last failure.
SIGNIN_FAILURE_MEMORY_SECONDS = 24 * 3600
ADDRESS_FAILURES_PER_HOUR = 30
ACCOUNT_FAILURES_PER_HOUR = 50
KNOWN_ADDRESS_DAYS = 90
KNOWN_ADDRESSES_KEPT = 10

_T = TypeVar("_T")


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


def address_key(request: HttpRequest) -> str:
    """What per-address limits count: the IPv4 address, or the IPv6 /64 (one subscriber's network)."""
    ip = client_ip(request)
    if ip is None:
        return "unknown"
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address) + "/64"
    return ip


def _digest(*parts: str) -> str:
    # Cache keys carry no email or address in clear, and stay short whatever the input.
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _cached(operation: Callable[[], _T], fallback: _T, *, limit: str = "sign-in") -> _T:
    """Run a cache operation; if the cache is down, log it and use ``fallback`` (fail open).

    ``limit`` names the limit in the warning (the key's first part: never an address or email).
    """
    try:
        return operation()
    except Exception as exc:  # noqa: BLE001 - any cache failure means "no limit", never a 500
        logger.warning("Rate-limit cache unavailable (%s: %s); limit %s skipped.", exc.__class__.__name__, exc, limit)
        return fallback


def _count(cache_key: str, window_seconds: int, *, limit: str = "sign-in") -> int | None:
    """Add one to a fixed-window counter and return the new count (None if the cache is down)."""

    def add_one() -> int | None:
        added = cache.add(cache_key, 1, window_seconds)
        if added is None:
            # django-redis answers None when it swallowed a connection error: the cache is down.
            raise ConnectionError("the cache ignored the write")
        if added:
            return 1
        try:
            return cache.incr(cache_key)
        except ValueError:  # the key expired between add() and incr()
            cache.set(cache_key, 1, window_seconds)
            return 1

    return _cached(add_one, None, limit=limit)


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt under ``key``; return False once more than ``limit`` were made in the window."""
    count = _count(f"rl:{key}", window_seconds, limit=key.split(":", 1)[0])
    return count is None or count <= limit


def signin_delay(failures: int) -> int:
    """Seconds an address waits after its ``failures``-th wrong password in a row on one account."""
    if failures < SIGNIN_FREE_FAILURES:
        return 0
    return min(SIGNIN_FIRST_DELAY_SECONDS * 2 ** (failures - SIGNIN_FREE_FAILURES), SIGNIN_MAX_DELAY_SECONDS)


def _wait_text(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"


def account_key(login: str) -> str:
    """The account a sign-in names: ``user:<pk>`` if the email belongs to one, else the email itself."""
    email = (login or "").strip()
    if email:
        user_model = get_user_model()
        pks = set(user_model._default_manager.filter(email__iexact=email).values_list("pk", flat=True)[:2])
        pks |= set(EmailAddress.objects.filter(email__iexact=email).values_list("user_id", flat=True)[:2])
        if len(pks) == 1:
            return f"user:{pks.pop()}"
    return "login:" + email.lower()


class SigninAttempt:
    """One password sign-in attempt, checked before the password is tested and recorded after.

    Checks read and records write the shared cache; a burst of simultaneous attempts can slip a
    few past a check before their failures are recorded, which allauth's ``login`` limit per
    address (30 a minute) keeps small.
    """

    def __init__(self, request: HttpRequest, login: str, *, account: str | None = None) -> None:
        self.account = account or account_key(login)
        self.address = address_key(request)
        self._pair_key = "rl:signin:pair:" + _digest(self.account, self.address)
        self._account_key = "rl:signin:account:" + _digest(self.account)
        self._address_key = "rl:signin:address:" + _digest(self.address)
        self._known_key = "rl:signin:known:" + _digest(self.account)

    def refusal(self) -> str | None:
        """None if this attempt may test the password; otherwise the message to show."""
        now = time.time()
        pair = _cached(lambda: cache.get(self._pair_key), None) or {}
        until = pair.get("until", 0)
        if until > now:
            return (
                "Too many failed sign-in attempts from this device. "
                f"Please wait {_wait_text(until - now)} and try again, or reset your password."
            )
        if (_cached(lambda: cache.get(self._address_key), None) or 0) >= ADDRESS_FAILURES_PER_HOUR:
            return "Too many failed sign-in attempts from your network. Please try again in an hour."
        account_failures = _cached(lambda: cache.get(self._account_key), None) or 0
        if account_failures >= ACCOUNT_FAILURES_PER_HOUR and not self._is_known_address():
            return (
                "Too many failed sign-in attempts on this account recently. Sign in from a device you "
                "have used before, try again in an hour, or reset your password."
            )
        return None

    def failed(self) -> None:
        """A wrong password: count it for this address on this account, for the address and for the account."""
        now = time.time()
        pair = _cached(lambda: cache.get(self._pair_key), None) or {}
        failures = int(pair.get("failures", 0)) + 1
        record = {"failures": failures, "until": now + signin_delay(failures)}
        _cached(lambda: cache.set(self._pair_key, record, SIGNIN_FAILURE_MEMORY_SECONDS), None)
        _count(self._address_key, 3600)
        _count(self._account_key, 3600)

    def succeeded(self) -> None:
        """The right password: this address's run of failures on this account ends."""
        _cached(lambda: cache.delete(self._pair_key), None)

    def remember_address(self) -> None:
        """The account signed in completely (second factor included) from this address: trust it later."""
        entry = _digest(self.address)

        def update() -> None:
            known = [item for item in (cache.get(self._known_key) or []) if item != entry]
            cache.set(self._known_key, [entry, *known][:KNOWN_ADDRESSES_KEPT], KNOWN_ADDRESS_DAYS * 24 * 3600)

        _cached(update, None)

    def forget_failures(self) -> None:
        """The password was reset by email: lift this account's limits (the reset proved the owner)."""
        _cached(lambda: cache.delete_many([self._pair_key, self._account_key]), None)

    def _is_known_address(self) -> bool:
        known: Any = _cached(lambda: cache.get(self._known_key), None) or []
        return _digest(self.address) in known
