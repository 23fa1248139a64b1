"""The patient's profile and the account deletion form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.models import User
from portal.phones import PhoneFormField
from portal.validation import protect_text_fields

from .services import UpcomingChoice


class ProfileForm(forms.ModelForm):
    """Name, mobile, date of birth and reminders: what bookings prefill and reminders obey."""

    mobile = PhoneFormField(
        label="Mobile number",
        required=False,
        help_text="Filled in for you when you book; the clinic calls it only about an appointment.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "mobile", "date_of_birth", "reminder_emails"]
        labels = {"reminder_emails": "Email me a reminder the day before a confirmed appointment"}
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "date_of_birth": forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        }
        help_texts = {"reminder_emails": "", "date_of_birth": "Optional. Helps the clinic tell patients apart."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value is not None and value > timezone.localdate():
            raise ValidationError("The date of birth cannot be in the future.")
        return value

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"]
        return value.as_e164 if value else ""


class DeleteAccountForm(forms.Form):
    """The password (so a borrowed, signed-in browser cannot do it) and the upcoming appointments' fate."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to delete your account."},
    )
    upcoming = forms.ChoiceField(
        label="Your upcoming appointments",
        choices=UpcomingChoice.CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to do with your upcoming appointments."},
    )

    def __init__(self, *args, user, has_upcoming: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not has_upcoming:
            # Nothing to decide: the field is left out and the service is told "cancel" (of nothing).
            del self.fields["upcoming"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("That is not your password. Nothing was deleted.")
        return password

    @property
    def upcoming_choice(self) -> str:
        return self.cleaned_data.get("upcoming") or UpcomingChoice.CANCEL
