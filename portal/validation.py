"""Shape checks every form shares: free text without control characters, dates in a sane range.

Why here and not per form: names, remarks, prescription text and profile fields are typed or
pasted by patients, doctors and staff, then shown in pages, emails, PDFs, calendar files and CSV
exports. Invisible characters (NUL, escape sequences, bidirectional overrides that make text read
differently from what is stored) break some of those outputs and mislead readers in others, so
one rule refuses them everywhere, with a message next to the field. Dates far from today are
typos, and near ``date.min``/``date.max`` they overflow when combined with a time zone; one range
keeps every date input well inside what the code can compute with.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

# C0 controls except tab, line feed and carriage return (which a textarea legitimately sends),
# DEL and the C1 controls; then the Unicode bidirectional embeddings, overrides and isolates
# (U+202A–U+202E, U+2066–U+2069): right-to-left text needs none of them, spoofing does.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

CONTROL_CHARACTERS_MESSAGE = (
    "Remove the invisible control characters from this text (they are often pasted by accident)."
)

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
DATE_RANGE_MESSAGE = f"Enter a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}."


def has_control_characters(value: str) -> bool:
    return bool(_FORBIDDEN.search(value or ""))


def validate_plain_text(value: str) -> None:
    """Refuse text containing control characters; tabs and line breaks are fine."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")


def validate_sane_date(value: date | None) -> None:
    """Refuse dates outside :data:`EARLIEST_DATE` … :data:`LATEST_DATE`."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE, code="date_out_of_range")


class PlainTextField(forms.CharField):
    """A ``CharField`` that refuses control characters (see :func:`validate_plain_text`)."""

    default_validators = [validate_plain_text]


class SaneDateField(forms.DateField):
    """A ``DateField`` that refuses dates outside :data:`EARLIEST_DATE` … :data:`LATEST_DATE`."""

    default_validators = [validate_sane_date]


def protect_text_fields(form: forms.BaseForm) -> None:
    """Give every text field of ``form`` the plain-text check, and every date field the range.

    For model forms, whose fields come from the model: one call in ``__init__`` instead of
    redeclaring each field (which would drift from the model's lengths and labels).
    """
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and validate_plain_text not in field.validators:
            field.validators.append(validate_plain_text)
        elif isinstance(field, forms.DateField) and validate_sane_date not in field.validators:
            field.validators.append(validate_sane_date)
