"""Second-factor set-up done by the clinic rather than by the person: known keys and resets.

People set up their authenticator app themselves through allauth (``/accounts/2fa/``); this
module is for the two cases where the clinic does it: demo accounts and test users get an app
with a known key, and an administrator removes a lost phone's authenticator.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt

# The demo staff and doctor accounts' authenticator key (seed_demo), published in the README like
# their passwords: demo databases only. `manage.py demo_code` prints the code it gives now.
DEMO_TOTP_SECRET = "RIVERSIDEDEMOTOTPSECRETKEY234567"  # noqa: S105 - public by intent


def enrol_totp(user, secret: str) -> Authenticator:
    """Give ``user`` an authenticator app whose key is ``secret`` (base32); keeps an existing one."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)})


def reset_second_factor(user) -> int:
    """Remove all of ``user``'s authenticators (a lost phone); staff and doctors set one up at next sign-in."""
    deleted, _ = Authenticator.objects.filter(user=user).delete()
    return deleted
