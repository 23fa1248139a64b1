"""Phone numbers: the portal's one set of rules for reading, checking, storing and showing them.

Numbers are parsed by ``phonenumbers`` through django-phonenumber-field and stored in E.164 form
(``PHONENUMBER_DB_FORMAT``). Numbers typed without a country code are read in the clinic's region
(``PHONENUMBER_DEFAULT_REGION``, from the ``PHONE_DEFAULT_REGION`` environment variable).

Model fields use :class:`PhoneNumberField` below rather than the library's class directly, so
that every form built from a model (Wagtail's page, settings and user forms, and ``booking``'s
ModelForms) shows the same two messages, one for "not a phone number at all" and one for "looks
like a number but does not exist", instead of the library's single generic one. Plain forms can
use :class:`PhoneFormField`; code that needs a string keeps calling :func:`normalize_phone`.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from phonenumber_field import formfields, modelfields
from phonenumber_field.phonenumber import PhoneNumber


def default_region() -> str:
    """The region a number without a country code belongs to."""
    return getattr(settings, "PHONENUMBER_DEFAULT_REGION", None) or "GB"


def _example(region: str) -> str:
    """'07400 123456 or +44 7400 123456' for GB: an example that matches the clinic's region."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return "+44 7400 123456"
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return f"{national} or {international}"


def _unreadable() -> ValidationError:
    # Codes other than "invalid": Django would replace an "invalid" message with the form field's
    # own generic text, and the two cases deserve different advice.
    return ValidationError(
        "Enter a valid phone number, e.g. %(example)s.",
        code="phone_unreadable",
        params={"example": _example(default_region())},
    )


def parse_phone(value: str | phonenumbers.PhoneNumber) -> PhoneNumber:
    """Return ``value`` as a valid :class:`PhoneNumber` or raise ValidationError with a clear message.

    Accepts what people type (``07400 123456``, ``+44 7400 123456``) and what the model fields hold
    (``PhoneNumber`` objects, including the unparsed ones the field keeps for input it could not read).
    """
    if isinstance(value, phonenumbers.PhoneNumber):
        if value.country_code is None or value.national_number is None:
            raise _unreadable()
        number = PhoneNumber()
        number.merge_from(value)
    else:
        try:
            number = PhoneNumber.from_string(str(value).strip(), region=default_region())
        except phonenumbers.NumberParseException as exc:
            raise _unreadable() from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "That phone number does not exist. Check the digits and the country code.", code="phone_invalid"
        )
    return number


def normalize_phone(value: str | phonenumbers.PhoneNumber) -> str:
    """Return ``value`` as an E.164 string (``+447400123456``) or raise ValidationError.

    Kept string-in, string-out for callers that store numbers in plain text fields (an
    appointment's mobile); a ``PhoneNumber`` from a model field is accepted as well.
    """
    return parse_phone(value).as_e164


def validate_phone(value) -> None:
    """Validator form of :func:`parse_phone`; empty values are left to ``blank``/``required``."""
    if value in (None, ""):
        return
    parse_phone(value)


def display_phone(value) -> str:
    """Format a stored number for people to read (``+44 20 7946 0000``), whatever form it comes in.

    Templates pass model values (``PhoneNumber`` objects or ``""``) and plain E.164 strings; a value
    that cannot be read is shown as it is rather than hidden.
    """
    if value is None or value == "":
        return ""
    try:
        return phonenumbers.format_number(parse_phone(value), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except ValidationError:
        raw = getattr(value, "raw_input", None)
        return raw if isinstance(value, phonenumbers.PhoneNumber) and raw else str(value)


class PhoneFormField(formfields.PhoneNumberField):
    """A form field for one phone number: ``tel`` input, clinic region, the messages above.

    Cleans to a :class:`PhoneNumber` (or ``""`` when left blank).
    """

    default_validators = [validate_phone]


class PhoneNumberField(modelfields.PhoneNumberField):
    """A model field holding one phone number in E.164, validated and edited with the rules above.

    The region is deliberately left unset so it follows ``PHONENUMBER_DEFAULT_REGION`` at run time
    instead of being frozen into migrations.
    """

    default_validators = [validate_phone]

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", PhoneFormField)
        return super().formfield(**kwargs)
