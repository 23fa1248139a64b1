"""A self-hosted proof-of-work puzzle for public forms, on ALTCHA's protocol (SHA-256).

Why: a rate limit counts per address and per email, but a client with many addresses and made-up
emails gets past both. A puzzle makes every form sent cost the sender a moment of CPU (a fraction
of a second for a patient, real money for someone sending thousands), with no third-party
service, no cookies and nothing to fetch from outside: the server hands out the puzzle with the
form, the browser solves it with ``static/js/proof-of-work.js``, and the server checks the answer.

The protocol: the server picks a random ``salt`` (carrying its expiry, ``?expires=<unix time>``)
and a secret ``number`` up to ``max_number``, and sends ``challenge = sha256(salt + number)``
with ``signature = HMAC(challenge)``. The browser tries numbers until the hash matches and sends
back ``base64(json({algorithm, challenge, number, salt, signature}))``. The server needs no
state to check it: the signature proves it issued the challenge, the hash proves the work, and
the salt's expiry (bound in by the hash) bounds its life. Replays are refused by remembering each
solved challenge in the cache until it expires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from ..errors import ProofOfWorkRefused

logger = logging.getLogger(__name__)

ALGORITHM = "SHA-256"
_KEY_SALT = "booking.proof-of-work"
# A real payload is about 250 characters; anything much longer is not worth decoding.
MAX_PAYLOAD_LENGTH = 1000

NEEDS_JAVASCRIPT = (
    "This form checks that it is sent by a person's web browser, which needs JavaScript. "
    "Please switch JavaScript on, reload the page and send the form again, or phone the clinic."
)
INVALID = "The form's browser check did not work. Please reload the page and send the form again."
EXPIRED = "This form was open for a long time and its browser check ran out. Please reload the page and try again."
REUSED = "This form was already sent once. Please reload the page and send it again."


@dataclass(frozen=True)
class Challenge:
    """What the browser needs to solve one puzzle; ``as_json()`` goes into the form."""

    challenge: str
    salt: str
    signature: str
    max_number: int

    def as_json(self) -> str:
        return json.dumps(
            {
                "algorithm": ALGORITHM,
                "challenge": self.challenge,
                "maxnumber": self.max_number,
                "salt": self.salt,
                "signature": self.signature,
            }
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sign(challenge: str) -> str:
    return salted_hmac(_KEY_SALT, challenge, algorithm="sha256").hexdigest()


def create_challenge(*, max_number: int, max_age_seconds: int, now: float | None = None) -> Challenge:
    """A fresh puzzle that expires ``max_age_seconds`` from now."""
    expires = int((now if now is not None else time.time()) + max_age_seconds)
    salt = f"{secrets.token_hex(12)}?expires={expires}"
    number = secrets.randbelow(max_number + 1)
    challenge = _sha256(f"{salt}{number}")
    return Challenge(challenge=challenge, salt=salt, signature=_sign(challenge), max_number=max_number)


def solve(challenge: Challenge) -> str:
    """The payload a browser would send back (tests, and a reference for the JavaScript)."""
    for number in range(challenge.max_number + 1):
        if _sha256(f"{challenge.salt}{number}") == challenge.challenge:
            payload = {
                "algorithm": ALGORITHM,
                "challenge": challenge.challenge,
                "number": number,
                "salt": challenge.salt,
                "signature": challenge.signature,
            }
            return base64.b64encode(json.dumps(payload).encode()).decode()
    raise ValueError("No solution: the challenge was not made with this max_number.")


def _expiry(salt: str) -> int | None:
    """The unix time in the salt's ``?expires=`` parameter, or None without one."""
    _, _, query = salt.partition("?")
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "expires" and value.isdigit():
            return int(value)
    return None


def verify(payload: str, *, now: float | None = None) -> None:
    """Accept a solved, unexpired, never-used puzzle; raise :class:`ProofOfWorkRefused` otherwise.

    The challenge is remembered in the cache until it expires, so the same answer is refused the
    second time. If the cache is down that memory is skipped (logged): a replay is then possible
    for as long as the outage lasts, which beats refusing every patient.
    """
    if not payload:
        raise ProofOfWorkRefused(NEEDS_JAVASCRIPT)
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ProofOfWorkRefused(INVALID)
    try:
        data = json.loads(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError):
        raise ProofOfWorkRefused(INVALID) from None
    if not isinstance(data, dict):
        raise ProofOfWorkRefused(INVALID)
    challenge, salt, signature, number = (data.get(k) for k in ("challenge", "salt", "signature", "number"))
    if not (
        data.get("algorithm") == ALGORITHM
        and isinstance(challenge, str)
        and isinstance(salt, str)
        and isinstance(signature, str)
        and type(number) is int  # not a bool, not a float
        and number >= 0
    ):
        raise ProofOfWorkRefused(INVALID)
    if not hmac.compare_digest(signature, _sign(challenge)) or _sha256(f"{salt}{number}") != challenge:
        raise ProofOfWorkRefused(INVALID)
    expires = _expiry(salt)
    remaining = (expires or 0) - (now if now is not None else time.time())
    if expires is None or remaining <= 0:
        raise ProofOfWorkRefused(EXPIRED)
    try:
        fresh = cache.add(f"pow:{challenge}", 1, timeout=int(remaining) + 1)
    except Exception:  # noqa: BLE001 - a cache outage must not block patients
        fresh = None
    if fresh is None:  # django-redis answers None when it ignored a connection error
        logger.warning("Cache unavailable: proof-of-work replay check skipped.")
        return
    if not fresh:
        raise ProofOfWorkRefused(REUSED)
