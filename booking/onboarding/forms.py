"""Forms of "Join as a doctor": the account (allauth's sign-up) and the profile step.

They check shape (required fields, formats, what an upload really is); the rules that need the
database (a registration number used by another application, the workflow) live in
``services.py``, which repeats the upload and number checks itself so it never trusts a form.
"""

from __future__ import annotations

from typing import cast

from allauth.account.forms import SignupForm
from django import forms
from django.conf import settings
from django.db import transaction
from wagtail.images.fields import WagtailImageField

from home.models import DoctorPage, SpecializationPage
from portal.money import currency_symbol
from portal.phones import PhoneFormField

from ..errors import ApplicationError
from ..uploads import DOCUMENT_TYPES, PHOTO_TYPES, describe_types, human_size
from .services import (
    LICENCE_MAX_LENGTH,
    ApplicationDetails,
    clean_licence_number,
    inspect_document,
    inspect_photo,
    start_application,
)


class DoctorSignupForm(SignupForm):
    """allauth's sign-up form for doctors: the account gets the doctor role and an application.

    The role comes from this class (``portal.adapters.AccountAdapter.save_user`` reads
    ``creates_doctor_account``), never from posted data, and the plain sign-up form keeps making
    patients. Account and application are written in one transaction.
    """

    creates_doctor_account = True

    def save(self, request):
        with transaction.atomic():
            user = super().save(request)
            start_application(user)
        return user


# Both names and "Dr" fit in a page title (255 characters) and in the account's name fields.
NAME_MAX_LENGTH = 100


class ApplicationForm(forms.Form):
    """The doctor's profile and registration details; weekly hours come in their own formset."""

    first_name = forms.CharField(
        label="First name", max_length=NAME_MAX_LENGTH, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Last name", max_length=NAME_MAX_LENGTH, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    job_title = forms.CharField(
        label="Job title",
        required=False,
        max_length=120,
        help_text="Optional, e.g. “Consultant cardiologist”.",
    )
    photo = WagtailImageField(
        label="Photo",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    specializations = forms.ModelMultipleChoiceField(
        label="Specializations",
        queryset=SpecializationPage.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one specialization."},
    )
    qualifications = forms.CharField(
        label="Qualifications",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, e.g. “MBBS, University of Leeds”.",
    )
    licence_number = forms.CharField(
        label="Registration / licence number",
        max_length=LICENCE_MAX_LENGTH + 20,  # spaces are allowed in what is typed
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Enter your registration or licence number."},
    )
    document = forms.FileField(
        label="Supporting document",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )
    languages = forms.CharField(
        label="Languages you consult in", max_length=200, help_text="Comma-separated, e.g. “English, Urdu”."
    )
    phone = PhoneFormField(
        label="Phone",
        max_length=32,
        help_text="Shown on your page for patients who want to call.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": "Enter a phone number."},
    )
    consultation_fee = forms.DecimalField(
        label="Consultation fee",
        min_value=0,
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    offers_online = forms.BooleanField(label="I also offer online (video) consultations", required=False)

    def __init__(self, *args, page: DoctorPage | None = None, **kwargs):
        """``page`` is the doctor's draft when staff sent the application back; its photo is kept."""
        super().__init__(*args, **kwargs)
        specializations = cast(forms.ModelMultipleChoiceField, self.fields["specializations"])
        specializations.queryset = SpecializationPage.objects.live().order_by("title")
        self.fields["licence_number"].help_text = f"Enter {settings.DOCTOR_LICENCE_DESCRIPTION}."
        # The clinic's currency can differ per deployment: named when the form is built.
        self.fields["consultation_fee"].label = f"Consultation fee ({currency_symbol().strip()})"
        limit = human_size(settings.DOCTOR_DOCUMENT_MAX_BYTES)
        self.fields["document"].help_text = (
            f"Optional: your registration certificate or similar, as a {describe_types(DOCUMENT_TYPES)} file "
            f"up to {limit}. Only the clinic's staff see it."
        )
        # WagtailImageField would list every format Wagtail reads; the photo is checked for these.
        photo_limit = human_size(settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE)
        self.fields[
            "photo"
        ].help_text = (
            f"A clear photo of your face for your page: a {describe_types(PHOTO_TYPES)} file up to {photo_limit}."
        )
        if page is not None and page.photo_id:
            self.fields["photo"].required = False
            self.fields["photo"].help_text += " Leave empty to keep your current photo."

    def clean_licence_number(self) -> str:
        try:
            return clean_licence_number(self.cleaned_data["licence_number"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        try:
            inspect_document(upload)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return upload

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        try:
            inspect_photo(upload)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return upload

    def details(self, hours: list) -> ApplicationDetails:
        data = self.cleaned_data
        return ApplicationDetails(
            first_name=data["first_name"],
            last_name=data["last_name"],
            job_title=data["job_title"],
            licence_number=data["licence_number"],
            qualifications=data["qualifications"],
            languages=data["languages"],
            phone=str(data["phone"]),
            consultation_fee=data["consultation_fee"],
            offers_online=data["offers_online"],
            specializations=list(data["specializations"]),
            hours=hours,
            photo=data.get("photo"),
            document=data.get("document"),
        )
