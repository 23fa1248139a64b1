"""Forms of the staff views in the Wagtail admin. They check shape; the services decide."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import cast

from django import forms

from home.models import DoctorPage
from portal.money import currency_symbol, format_minor, from_minor, to_minor
from portal.validation import PlainTextField, SaneDateField

from ..models import Appointment, clinic_zone
from ..payments.models import Payment


class MoveForm(forms.Form):
    doctor = forms.ModelChoiceField(queryset=DoctorPage.objects.none(), label="Doctor")
    day = SaneDateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.TimeField(label="Start (clinic time)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set per form, not at import: the list of live doctors changes while the process runs.
        self.fields["doctor"].queryset = DoctorPage.objects.live().order_by("title")  # type: ignore[attr-defined]

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
