"""The shared shape checks: free text without control characters, dates between 1900 and 2999."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.core.exceptions import ValidationError

from portal.validation import (
    PlainTextField,
    SaneDateField,
    protect_text_fields,
    validate_plain_text,
    validate_sane_date,
)


@pytest.mark.parametrize(
    "value",
    [
        "\x00",
        "a\x01b",
        "\x08",
        "\x0b",
        "\x0c",
        "\x1b[31m",
        "\x7f",
        "\x85",
        "\x9b",
        "\u202a",
        "\u202e",
        "\u2066",
        "\u2069",
    ],
)
def test_control_characters_are_refused(value):
    with pytest.raises(ValidationError, match="control characters"):
        validate_plain_text(f"Ann {value} Smith")


@pytest.mark.parametrize(
    "value",
    ["", "Ann Smith", "Line one\nLine two\r\n\tindented", "Zoë Nguyễn", "محمد", "שלום", "李雷", "👩‍⚕️ ok", "a\u200db"],
)
def test_ordinary_text_in_any_script_is_accepted(value):
    validate_plain_text(value)


@pytest.mark.parametrize("value", [date(1, 1, 1), date(1899, 12, 31), date(3000, 1, 1), date(9999, 12, 31)])
def test_dates_outside_the_range_are_refused(value):
    with pytest.raises(ValidationError, match="between 1900 and 2999"):
        validate_sane_date(value)


@pytest.mark.parametrize("value", [None, date(1900, 1, 1), date(2025, 6, 30), date(2999, 12, 31)])
def test_dates_inside_the_range_are_accepted(value):
    validate_sane_date(value)


class Example(forms.Form):
    name = forms.CharField()
    note = forms.CharField(widget=forms.Textarea, required=False)
    email = forms.EmailField()
    day = forms.DateField()
    count = forms.IntegerField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)


def test_protect_text_fields_covers_every_text_and_date_field_once():
    form = Example({"name": "A\x1bB", "note": "ok\nfine", "email": "a@example.com", "day": "0001-01-01", "count": "3"})
    assert not form.is_valid()
    assert set(form.errors) == {"name", "day"}
    protect_text_fields(form)  # idempotent
    assert form.fields["name"].validators.count(validate_plain_text) == 1
    # Per form instance: the class's fields are not changed for other forms.
    assert validate_plain_text not in Example.base_fields["name"].validators


def test_the_form_fields_carry_the_checks():
    class Direct(forms.Form):
        remark = PlainTextField(required=False)
        day = SaneDateField()

    form = Direct({"remark": "x\u202ey", "day": "1850-01-01"})
    assert not form.is_valid()
    assert set(form.errors) == {"remark", "day"}
    assert Direct({"remark": "fine", "day": "2030-01-01"}).is_valid()
