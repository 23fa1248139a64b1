"""Settings checks (``manage.py check``): payments misconfigured must stop a deploy, not a patient."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.compatibility)
def payment_settings(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    if not re.fullmatch(r"[A-Z]{3}", settings.CLINIC_CURRENCY or ""):
        errors.append(Error("CLINIC_CURRENCY must be a three-letter ISO 4217 code such as GBP.", id="payments.E001"))
    for name in ("PAYMENT_REFUND_BEFORE_CUTOFF_PERCENT", "PAYMENT_REFUND_AFTER_CUTOFF_PERCENT"):
        if not 0 <= getattr(settings, name) <= 100:
            errors.append(Error(f"{name} must be between 0 and 100.", id="payments.E002"))
    if settings.PAYMENT_ONLINE_DEFAULT not in ("required", "optional", "off"):
        errors.append(Error("PAYMENT_ONLINE_DEFAULT must be required, optional or off.", id="payments.E005"))
    if settings.PAYMENT_DUE_MINUTES < 1:
        errors.append(Error("PAYMENT_DUE_MINUTES must be at least 1.", id="payments.E003"))
    if settings.STRIPE_SECRET_KEY:
        for name in ("STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
            if not getattr(settings, name):
                errors.append(
                    Error(
                        f"STRIPE_SECRET_KEY is set but {name} is not: payments would start but never complete.",
                        id="payments.E004",
                    )
                )
    return errors
