"""Phone numbers, parsed and validated by ``phonenumbers`` and stored in E.164 form."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_phone(value: str) -> str:
    """Return ``value`` as E.164 (``+447700900123``) or raise ValidationError with a clear message.

    Numbers without a country code are read in the clinic's region (``PHONE_DEFAULT_REGION``).
    """
    region = getattr(settings, "PHONE_DEFAULT_REGION", "GB")
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a valid phone number, e.g. 07700 900123 or +44 7700 900123.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("That phone number does not exist. Check the digits and the country code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    """Model-field validator form of :func:`normalize_phone`."""
    if value:
        normalize_phone(value)


def display_phone(value: str) -> str:
    """Format a stored E.164 number for people to read."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, getattr(settings, "PHONE_DEFAULT_REGION", "GB"))
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
