"""Money: the clinic's currency, its symbol and its minor units, in one small table.

Fees are kept as exact decimals on pages (``45.00``); payment records keep integers in the
currency's minor unit (pence, cents), as Stripe does, so sums never round. The symbol shown on
pages is derived from ``CLINIC_CURRENCY`` (an ISO 4217 code) rather than configured next to it,
so the two can never disagree. No locale data is needed: a clinic works in one currency, and
the table below covers the ones a clinic is likely to use; any other code is shown as
``CHF 45.00``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

# ISO code → symbol written before the amount. Codes not listed are written as "XYZ 12.00".
SYMBOLS: dict[str, str] = {
    "GBP": "£",
    "EUR": "€",
    "USD": "$",
    "AUD": "A$",
    "CAD": "C$",
    "NZD": "NZ$",
    "INR": "₹",
    "JPY": "¥",
    "ZAR": "R",
}

# Currencies whose minor unit is not 1/100 (Stripe's "zero-decimal" currencies, among others).
DECIMALS: dict[str, int] = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "UGX": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}


def clinic_currency() -> str:
    """The clinic's ISO currency code, upper case (setting ``CLINIC_CURRENCY``, default GBP)."""
    return str(getattr(settings, "CLINIC_CURRENCY", "GBP") or "GBP").upper()


def currency_symbol(code: str | None = None) -> str:
    """``£`` for GBP; the code followed by a space for currencies without a well-known symbol."""
    code = (code or clinic_currency()).upper()
    return SYMBOLS.get(code, f"{code} ")


def decimals(code: str | None = None) -> int:
    return DECIMALS.get((code or clinic_currency()).upper(), 2)


def to_minor(amount: Decimal | int | str, code: str | None = None) -> int:
    """``Decimal("45.50")`` → ``4550`` pence; rounds half up to the currency's minor unit."""
    places = decimals(code)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(value.scaleb(places))


def from_minor(minor: int, code: str | None = None) -> Decimal:
    """``4550`` → ``Decimal("45.50")`` in the currency's own number of decimals."""
    places = decimals(code)
    return Decimal(int(minor)).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def format_amount(amount: Decimal | int | str | None, code: str | None = None, *, exact: bool = False) -> str:
    """``£45`` (whole amounts lose their ``.00`` unless ``exact``), ``£45.50``, ``CHF 45``.

    ``exact`` is for receipts and refunds, where "£45.00" reads as a precise sum of money.
    """
    try:
        value = Decimal(amount)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        return ""
    places = decimals(code)
    whole = value == value.to_integral_value() and not exact
    text = f"{value:,.0f}" if whole else f"{value:,.{places}f}"
    sign = "-" if value < 0 else ""
    return f"{sign}{currency_symbol(code)}{text.lstrip('-')}"


def format_minor(minor: int | None, code: str | None = None) -> str:
    """An amount in minor units as people read it, always with its decimals: ``4550`` → ``£45.50``."""
    if minor is None:
        return ""
    return format_amount(from_minor(minor, code), code, exact=True)
