"""Phone numbers: one set of rules in portal.phones, used by models, forms and templates."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from phonenumber_field.phonenumber import PhoneNumber

from portal.models import User
from portal.phones import PhoneFormField, display_phone, normalize_phone

from ..factories import make_user

VALID_MOBILE = "07400 123456"  # libphonenumber's example UK mobile; 07700 900xxx is not a valid number


@pytest.mark.parametrize("typed", ["07400 123456", "+44 7400 123456", "0044 7400 123456", " 07400-123456 "])
def test_normalize_phone_returns_e164_for_strings(typed):
    assert normalize_phone(typed) == "+447400123456"


def test_normalize_phone_accepts_a_model_value():
    assert normalize_phone(PhoneNumber.from_string("+44 20 7946 0000")) == "+442079460000"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("hello", "Enter a valid phone number, e.g. 07400 123456"),
        ("12", "does not exist"),
        ("+44 1234", "does not exist"),
    ],
)
def test_normalize_phone_explains_what_is_wrong(typed, message):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(typed)
    assert message in " ".join(caught.value.messages)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (PhoneNumber.from_string("+442079460000"), "+44 20 7946 0000"),
        ("+442079460000", "+44 20 7946 0000"),
        ("020 7946 0000", "+44 20 7946 0000"),
        ("", ""),
        (None, ""),
        ("not a number", "not a number"),
    ],
)
def test_display_phone_reads_model_values_and_strings(value, shown):
    assert display_phone(value) == shown


@pytest.mark.django_db
def test_template_filter_formats_a_model_value():
    user = make_user("phone.filter@example.com", mobile="+447400123456")
    rendered = Template("{% load portal_tags %}[{{ user.mobile|phone }}][{{ blank|phone }}]").render(
        Context({"user": user, "blank": ""})
    )
    assert rendered == "[+44 7400 123456][]"


@pytest.mark.django_db
def test_user_mobile_is_stored_in_e164_and_read_back_as_a_phone_number():
    user = make_user("stored@example.com", mobile=VALID_MOBILE)
    user.refresh_from_db()
    assert isinstance(user.mobile, PhoneNumber)
    assert str(user.mobile) == "+447400123456"
    assert User.objects.filter(mobile="+447400123456").exists()


@pytest.mark.django_db
def test_blank_mobile_stays_blank():
    user = make_user("blank@example.com", mobile="")
    user.refresh_from_db()
    assert user.mobile == ""
    user.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["12", "hello", "+44 1234"])
def test_full_clean_refuses_an_invalid_mobile_with_a_field_message(bad):
    user = make_user("bad.mobile@example.com")
    user.mobile = bad
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    assert list(caught.value.message_dict) == ["mobile"]
    assert "phone number" in caught.value.message_dict["mobile"][0]


def test_form_field_cleans_to_a_phone_number_and_keeps_the_messages():
    field = PhoneFormField(required=False)
    assert field.clean(VALID_MOBILE) == "+447400123456"
    assert field.clean("") == ""
    with pytest.raises(ValidationError) as caught:
        field.clean("12")
    assert "does not exist" in caught.value.messages[0]
    assert 'type="tel"' in field.widget.render("mobile", "")
