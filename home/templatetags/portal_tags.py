"""Small presentation helpers for the public templates."""

from __future__ import annotations

from django import template

from portal.money import format_amount, format_minor
from portal.phones import display_phone

from ..models import ClinicSettings

register = template.Library()

_TITLES = {"dr", "dr.", "prof", "prof.", "mr", "mrs", "ms", "miss", "mx"}


@register.filter
def initials(name: str) -> str:
    """'Dr Ada Lovelace' → 'AL': the fallback avatar when a doctor has no photo."""
    words = [w for w in str(name).split() if w.lower() not in _TITLES and w[:1].isalpha()]
    if not words:
        return ""
    if len(words) == 1:
        return words[0][:1].upper()
    return (words[0][:1] + words[-1][:1]).upper()


@register.simple_tag(takes_context=True)
def booking_url(context, doctor) -> str:
    """``{% booking_url doctor as url %}``: the doctor's booking page, resolved with the request."""
    return doctor.get_booking_url(context.get("request"))


@register.filter
def startswith(value, prefix) -> bool:
    """True if ``value`` starts with ``prefix`` (for marking the current navigation section)."""
    return bool(prefix) and str(value).startswith(str(prefix))


@register.filter
def money(value) -> str:
    """A fee in the clinic's currency (``CLINIC_CURRENCY``; the symbol is derived): ``£60``, ``£45.50``."""
    return format_amount(value)


@register.filter
def minor_money(value) -> str:
    """An amount in minor units (pence), as payment records keep it: ``4550`` → ``£45.50``."""
    try:
        return format_minor(int(value))
    except (TypeError, ValueError):
        return ""


@register.filter
def field_errors_except(form, skip: str = "") -> list:
    """[(bound_field, error), ...] for every field error except those of the field named ``skip``."""
    skip_names = {name.strip() for name in str(skip or "").split(",") if name.strip()}
    return [(field, error) for field in form if field.name not in skip_names for error in field.errors]


@register.filter
def phone(value) -> str:
    """A stored number (a model field's PhoneNumber or an E.164 string) for reading: '+44 20 7946 0000'."""
    return display_phone(value)


@register.filter
def zone_city(zone) -> str:
    """A time zone as people say it: ``Europe/London`` → ``London``, ``America/New_York`` → ``New York``."""
    key = getattr(zone, "key", str(zone))
    return key.rsplit("/", 1)[-1].replace("_", " ")


@register.simple_tag(takes_context=True)
def current_clinic(context) -> ClinicSettings:
    """The clinic's details for templates rendered outside a page: ``{% current_clinic as clinic %}``.

    Emails share one layout (``templates/emails/``). Booking emails pass their ``clinic``;
    allauth's account emails get none, and render their subject without a request, so the
    context processor cannot help there. This reads :meth:`ClinicSettings.current` (cached on
    the request when there is one), keeping allauth's adapter in ``portal`` free of ``home``.
    """
    given = context.get("clinic")
    if isinstance(given, ClinicSettings):
        return given
    return ClinicSettings.current(context.get("request"))
