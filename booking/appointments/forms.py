"""Forms for booking and looking up appointments. Field errors are written for patients."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.emails import EmailFormField
from portal.phones import PhoneFormField
from portal.validation import PlainTextField, protect_text_fields

from ..models import Appointment, normalize_reference
from .services import PatientDetails


class BookingForm(forms.Form):
    slot = forms.CharField(
        error_messages={"required": "Pick a time from the list."},
        widget=forms.HiddenInput,  # rendered by the template as a group of radio buttons
    )
    full_name = forms.CharField(
        label="Full name",
        max_length=120,
        error_messages={"required": "Enter your full name."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    # The stored form of portal.emails: what the lookup, signed links and accounts compare.
    email = EmailFormField(
        label="Email",
        max_length=254,
        error_messages={"required": "Enter your email address: the confirmation goes there."},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    mobile = PhoneFormField(
        label="Mobile number",
        max_length=32,
        help_text="The clinic calls this number only if it needs to reach you about this appointment.",
        error_messages={"required": "Enter a mobile number so the clinic can reach you."},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    reason = forms.CharField(
        label="Reason for the visit",
        required=False,
        max_length=1000,
        help_text="Optional. A few words help the doctor prepare.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    mode = forms.ChoiceField(
        label="Consultation",
        choices=Appointment.Mode.choices,
        initial=Appointment.Mode.IN_PERSON,
        widget=forms.RadioSelect,
    )

    PAY_ONLINE = "online"
    PAY_AT_CLINIC = "clinic"

    def __init__(self, *args, offers_online: bool = False, payment_choice: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)
        if not offers_online:
            in_person = [(Appointment.Mode.IN_PERSON, Appointment.Mode.IN_PERSON.label)]
            self.fields["mode"].choices = in_person  # type: ignore[attr-defined]  # a ChoiceField
        if payment_choice:
            # Only where the doctor lets patients choose; the checkout decides what each choice means.
            self.fields["payment"] = forms.ChoiceField(
                label="Payment",
                choices=[
                    (self.PAY_ONLINE, "Pay online now, by card"),
                    (self.PAY_AT_CLINIC, "Pay at the clinic on the day"),
                ],
                initial=self.PAY_ONLINE,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose how you would like to pay."},
            )

    @property
    def chose_online_payment(self) -> bool:
        return self.cleaned_data.get("payment") == self.PAY_ONLINE

    def clean_slot(self) -> datetime:
        raw = self.cleaned_data["slot"]
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationError("Pick a time from the list.") from None
        if timezone.is_naive(value):
            raise ValidationError("Pick a time from the list.")
        return value

    def clean_mobile(self) -> str:
        # The appointment keeps the number as E.164 text, as typed numbers are stored everywhere.
        return self.cleaned_data["mobile"].as_e164

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 2:
            raise ValidationError("Enter your full name.")
        return name

    def details(self) -> PatientDetails:
        data = self.cleaned_data
        return PatientDetails(
            full_name=data["full_name"],
            email=data["email"],
            mobile=data["mobile"],
            reason=data["reason"].strip(),
            mode=data["mode"],
        )


class FindAppointmentForm(forms.Form):
    reference = forms.CharField(
        label="Appointment reference",
        max_length=20,
        help_text="It is in your confirmation email, e.g. K7M2Q-X9PR4.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    email = EmailFormField(
        label="Email you booked with", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def clean_reference(self) -> str:
        return normalize_reference(self.cleaned_data["reference"])


class CancelForm(forms.Form):
    """The patient's optional reason when cancelling; the clinic reads it in the timeline."""

    remark = PlainTextField(label="Reason for cancelling", required=False, max_length=500)
