"""``manage.py demo_code``: the current two-factor code of the demo staff and doctor accounts.

Their authenticator key is public (README, ``portal.mfa.DEMO_TOTP_SECRET``), so this reads no
secret from the database: it is what an authenticator app holding that key would show.
"""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand

from portal.mfa import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo staff and doctor accounts."

    def handle(self, *args, **options):
        period = getattr(settings, "MFA_TOTP_PERIOD", 30)
        now = int(time.time())
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, now // period))
        self.stdout.write(f"{code}  (valid for {period - now % period} more seconds)")
