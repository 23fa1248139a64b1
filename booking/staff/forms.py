"""Forms of the staff views in the Wagtail admin. They check shape; the services decide."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm

from home.models import DoctorPage
from portal.emails import EmailFormField
from portal.money import currency_symbol, format_minor, from_minor, to_minor
from portal.phones import PhoneFormField
from portal.validation import PlainTextField, SaneDateField

from ..appointments.selectors import patient_accounts
from ..appointments.services import PatientDetails
from ..models import Appointment, WebhookEvent, clinic_zone
from ..payments.models import Payment


class IdChoiceField(forms.ModelChoiceField):
    """A model choice by primary key that refuses, before any query, ids no column can hold.

    Ids arrive from query strings and hidden fields; SQLite raises ``OverflowError`` (a 500)
    for an integer beyond 64 bits instead of finding nothing.
    """

    MAX_ID = 2**63 - 1

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or int(text) > self.MAX_ID:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return super().to_python(text)


class MoveForm(forms.Form):
    doctor = IdChoiceField(queryset=DoctorPage.objects.none(), label="Doctor")
    day = SaneDateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label="Start (clinic time)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set per form, not at import: the list of live doctors changes while the process runs.
        cast(IdChoiceField, self.fields["doctor"]).queryset = DoctorPage.objects.live().order_by("title")

    def starts_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["day"], self.cleaned_data["start"], tzinfo=clinic_zone())


class StatusForm(forms.Form):
    target = forms.ChoiceField(label="New status")
    remark = PlainTextField(
        label="Remark for the patient",
        required=False,
        help_text="Required when declining or cancelling; the patient reads it in their email.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, targets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # No preselected status: one stray click must not confirm or cancel anything.
        choices = [("", "Choose…")] + [(t, Appointment.Status(t).label) for t in targets]
        self.fields["target"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField


class _AmountForm(forms.Form):
    """An amount in the clinic's currency, and a one-time token so a double submit acts once."""

    amount = forms.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"required": "Enter the amount.", "invalid": "Enter the amount as a number, e.g. 45.00."},
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = f"Amount ({currency_symbol().strip()})"

    def amount_minor(self) -> int:
        return to_minor(self.cleaned_data["amount"])


class DeskPaymentForm(_AmountForm):
    note = PlainTextField(
        label="Note",
        required=False,
        max_length=500,
        help_text="Optional, for staff: card machine, cash, receipt number.",
    )


class PaymentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Payment) -> str:
        refundable = format_minor(obj.refundable, obj.currency)
        return f"{obj.get_method_display()}, {obj.amount_display}, {obj.reference} — up to {refundable} refundable"


class RefundForm(_AmountForm):
    payment = PaymentChoiceField(queryset=Payment.objects.none(), label="Payment to refund", empty_label=None)
    reason = PlainTextField(
        label="Reason",
        max_length=1000,
        help_text="Required. The patient reads it in the refund email.",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason for the refund: the patient reads it."},
    )

    field_order = ["payment", "amount", "reason", "token"]

    def __init__(self, *args, payments: list[Payment], **kwargs):
        super().__init__(*args, **kwargs)
        payment_field = cast(PaymentChoiceField, self.fields["payment"])
        payment_field.queryset = Payment.objects.filter(pk__in=[p.pk for p in payments])
        if payments:
            self.fields["amount"].initial = from_minor(payments[0].refundable, payments[0].currency)


# --- Booking for a patient who phones -------------------------------------------------------


def parse_slot(raw: str | None) -> datetime | None:
    """A slot start as the picker sends it (ISO 8601 with offset), or None for anything else."""
    try:
        value = datetime.fromisoformat(raw or "")
        if timezone.is_naive(value):
            return None
        timezone.localtime(value, clinic_zone())  # a hand-made year 9999 overflows here
    except (ValueError, OverflowError):
        return None
    return value


class DoctorChoiceForm(forms.Form):
    """Step one of a phone booking: which doctor (read from the query string)."""

    doctor = IdChoiceField(
        queryset=DoctorPage.objects.none(),
        label="Doctor",
        empty_label="Choose a doctor…",
        error_messages={"invalid_choice": "Choose one of the doctors in the list."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The clinic's doctors: a short list, one query.
        cast(IdChoiceField, self.fields["doctor"]).queryset = DoctorPage.objects.live().order_by("title")


class PhoneBookingForm(forms.Form):
    """Step three of a phone booking: who the appointment is for, and what it is about.

    The patient is an existing account (picked from a search; its name and email are used) or a
    guest (name, email, mobile typed in). The slot and the doctor travel as hidden fields from
    the earlier steps; the booking service re-checks both.
    """

    slot = forms.CharField(widget=forms.HiddenInput, error_messages={"required": "Pick a time first."})
    patient = IdChoiceField(
        queryset=None,  # active patient accounts, set in __init__
        required=False,
        # Rendered by the template as radio buttons for the search's matches only: the widget
        # never lists every account.
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That patient account cannot be booked for. Search again."},
    )
    full_name = PlainTextField(label="Full name", max_length=120, required=False)
    email = EmailFormField(
        label="Email",
        max_length=254,
        required=False,
        help_text="The confirmation and the link to the appointment go there.",
    )
    mobile = PhoneFormField(
        label="Mobile number",
        max_length=32,
        required=False,
        help_text="For an account, leave empty to use the account's number.",
    )
    reason = PlainTextField(
        label="Reason for the visit", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    mode = forms.ChoiceField(label="Consultation", choices=Appointment.Mode.choices, initial=Appointment.Mode.IN_PERSON)

    def __init__(self, *args, offers_online: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(IdChoiceField, self.fields["patient"]).queryset = patient_accounts()
        if not offers_online:
            in_person = [(Appointment.Mode.IN_PERSON, Appointment.Mode.IN_PERSON.label)]
            cast(forms.ChoiceField, self.fields["mode"]).choices = in_person

    def clean_slot(self) -> datetime:
        value = parse_slot(self.cleaned_data["slot"])
        if value is None:
            raise ValidationError("Pick a time from the doctor's free times.")
        return value

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_mobile(self) -> str:
        number = self.cleaned_data["mobile"]
        return number.as_e164 if number else ""

    def clean(self):
        super().clean()
        data = self.cleaned_data
        patient = data.get("patient")
        if patient is not None:
            if not data.get("mobile") and not patient.mobile:
                self.add_error("mobile", "This account has no mobile number: enter the one the patient gives you.")
            return data
        if "patient" in self.errors:
            return data
        if len(data.get("full_name", "")) < 2:
            self.add_error("full_name", "Enter the guest's full name.")
        if "email" not in self.errors and not data.get("email"):
            self.add_error("email", "Enter the guest's email address: the confirmation goes there.")
        if "mobile" not in self.errors and not data.get("mobile"):
            self.add_error("mobile", "Enter a mobile number so the clinic can reach the patient.")
        return data

    def details(self) -> PatientDetails:
        """The booking's contact details: the account's name and email, or the guest's."""
        data = self.cleaned_data
        patient = data["patient"]
        if patient is not None:
            return PatientDetails(
                full_name=patient.get_full_name() or patient.email,
                email=patient.email,
                mobile=data["mobile"] or patient.mobile.as_e164,
                reason=data["reason"].strip(),
                mode=data["mode"],
            )
        return PatientDetails(
            full_name=data["full_name"],
            email=data["email"],
            mobile=data["mobile"],
            reason=data["reason"].strip(),
            mode=data["mode"],
        )


class SuspendDoctorForm(forms.Form):
    reason = PlainTextField(
        label="Reason",
        max_length=2000,
        help_text="The doctor reads this in their email. Patients are not told why.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the doctor is suspended; the doctor reads it in their email."},
    )


class ReinstateDoctorForm(forms.Form):
    comment = PlainTextField(
        label="Note for the doctor",
        required=False,
        max_length=2000,
        help_text="Optional; the doctor reads it in their email.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --- Integrations ---------------------------------------------------------------------------


class WebhookEndpointForm(WagtailAdminModelForm):
    """An integration's endpoint, its events as checkboxes (stored as one comma-separated field)."""

    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What the endpoint is told about. Deliveries never carry prescriptions, reasons or remarks.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["events"] = self.instance.event_list

    def clean_events(self) -> str:
        return ",".join(self.cleaned_data["events"])
