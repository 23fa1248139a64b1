"""Forms for writing a prescription: the main form plus formsets for medication lines and tests.

Plain formsets (not model formsets): the service replaces all lines at once and versions the
whole prescription, so the forms only collect and validate rows. Field rules (lengths, required
fields) come from the models through ``ModelForm`` so the form and the database agree.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings

from portal.validation import protect_text_fields

from ..errors import AttachmentRejected
from ..models import MedicationLine, Prescription, RecommendedTest
from .attachments import human_size, inspect_attachment
from .snapshots import PrescriptionSnapshot

MAX_LINES = 30
FOLLOW_UP_MAX_DAYS = 3 * 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class PrescriptionForm(forms.ModelForm):
    attachment = forms.FileField(
        label="Attach a document",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )

    class Meta:
        model = Prescription
        fields = ["advice", "follow_up_on"]
        labels = {"advice": "Advice for the patient", "follow_up_on": "Follow-up date"}
        help_texts = {
            "advice": "Lifestyle advice, warnings, what to do if symptoms get worse.",
            "follow_up_on": "Optional. When the patient should come back.",
        }
        widgets = {"advice": forms.Textarea(attrs={"rows": 5}), "follow_up_on": DateInput()}

    def __init__(self, *args, appointment, **kwargs):
        self.appointment = appointment
        super().__init__(*args, **kwargs)
        protect_text_fields(self)
        limit = human_size(settings.PRESCRIPTION_ATTACHMENT_MAX_BYTES)
        self.fields["attachment"].help_text = f"Optional. A PDF, JPEG or PNG file, up to {limit}."
        self.fields["advice"].widget.attrs["maxlength"] = Prescription._meta.get_field("advice").max_length

    def clean_follow_up_on(self):
        follow_up = self.cleaned_data.get("follow_up_on")
        if follow_up is None:
            return None
        seen_on = self.appointment.local_starts_at.date()
        if follow_up <= seen_on:
            raise forms.ValidationError("The follow-up date must be after the appointment.")
        if follow_up > seen_on + timedelta(days=FOLLOW_UP_MAX_DAYS):
            raise forms.ValidationError("The follow-up date must be within three years.")
        return follow_up

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if not upload:
            return None
        try:
            inspect_attachment(upload)
        except AttachmentRejected as exc:
            raise forms.ValidationError(exc.message) from None
        return upload


class MedicationLineForm(forms.ModelForm):
    class Meta:
        model = MedicationLine
        fields = ["drug", "dose", "frequency", "duration", "instructions"]
        labels = {"drug": "Medicine"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)
        for name, field in self.fields.items():
            if name != "drug":
                field.widget.attrs.setdefault("placeholder", field.help_text)
            field.help_text = ""  # the placeholder carries the example; labels stay visible


class RecommendedTestForm(forms.ModelForm):
    class Meta:
        model = RecommendedTest
        fields = ["name", "notes"]
        labels = {"name": "Test"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        protect_text_fields(self)
        self.fields["name"].widget.attrs.setdefault("placeholder", self.fields["name"].help_text)
        self.fields["name"].help_text = ""
        self.fields["notes"].widget.attrs.setdefault("placeholder", "e.g. fasting, within two weeks")


class _LineFormSet(forms.BaseFormSet):
    """Rows marked for deletion or left empty are dropped; the rest keep their on-screen order."""

    delete_label = "Remove this line"

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = self.delete_label

    def rows(self) -> list[dict]:
        """The kept rows' cleaned values (call after ``is_valid()``)."""
        rows = []
        for form in self.forms:
            values = {name: form.cleaned_data.get(name, "") for name in form.fields if name != "DELETE"}
            if (self.can_delete and form.cleaned_data.get("DELETE")) or not any(values.values()):
                continue
            rows.append(values)
        return rows


class MedicationFormSet(_LineFormSet):
    delete_label = "Remove this medication"


class RecommendedTestFormSet(_LineFormSet):
    delete_label = "Remove this test"


def _formset(form_class, formset, extra: int):
    return forms.formset_factory(
        form_class,
        formset=formset,
        extra=extra,
        can_delete=True,
        can_delete_extra=False,  # only saved lines get a "Remove" box; an empty extra row is simply skipped
        max_num=MAX_LINES,
        validate_max=True,
        absolute_max=MAX_LINES,
    )


def build_forms(appointment, snapshot: PrescriptionSnapshot | None, data=None, files=None):
    """The main form and both formsets, bound to POST data or filled from the current version.

    Bound formsets get no ``initial``: the submitted rows are the whole truth. Comparing them
    with the lines saved now would treat a submitted row that happens to equal a saved one as
    "unchanged" (and drop it) whenever the prescription changed since the page was rendered.
    """
    medications = [
        {k: getattr(m, k) for k in ("drug", "dose", "frequency", "duration", "instructions")}
        for m in (snapshot.medications if snapshot else [])
    ]
    tests = [{"name": t.name, "notes": t.notes} for t in (snapshot.tests if snapshot else [])]
    initial = {"advice": snapshot.advice, "follow_up_on": snapshot.follow_up_on} if snapshot else {}
    form = PrescriptionForm(data, files, appointment=appointment, initial=initial)
    bound = data is not None
    medication_formset = _formset(MedicationLineForm, MedicationFormSet, extra=1 if medications else 3)(
        data, prefix="medications", initial=None if bound else (medications or None)
    )
    test_formset = _formset(RecommendedTestForm, RecommendedTestFormSet, extra=1 if tests else 2)(
        data, prefix="tests", initial=None if bound else (tests or None)
    )
    return form, medication_formset, test_formset
