"""System check: the registration-number pattern doctors are checked against must compile."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.checks import Error


def check_licence_pattern(app_configs=None, **kwargs) -> list[Error]:
    """A broken ``DOCTOR_LICENCE_PATTERN`` is reported at start-up, not as a 500 on the join page."""
    try:
        re.compile(settings.DOCTOR_LICENCE_PATTERN)
    except (re.error, TypeError) as exc:
        return [
            Error(
                f"DOCTOR_LICENCE_PATTERN is not a valid regular expression: {exc}",
                hint="Set it to a Python regular expression, e.g. \\d{7} for a GMC number.",
                id="booking.E001",
            )
        ]
    return []
