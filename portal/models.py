"""The portal's user: one account type for patients, doctors and clinic staff.

Email is the login, stored in the one normal form of ``portal.emails`` and compared exactly
(never by a database collation that folds accents). The role is a plain field so that templates
and access checks can read it cheaply; the matching Django group (see ``portal.roles.sync_role_groups``) carries
the permissions.
"""

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import emails
from .phones import PhoneNumberField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The stored form (see ``portal.emails``). Lenient, because ``AbstractUser.clean()`` calls
        it on whatever a form left behind, and a refusal belongs to the form field, not a 500."""
        return emails.comparable_email(email or "")

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        email = emails.normalize_email(email)  # raises InvalidEmail, a ValueError
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", User.Role.STAFF)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        DOCTOR = "doctor", _("Doctor")
        STAFF = "staff", _("Clinic staff")

    # Django's documented way to drop an inherited field; the stubs type ``username`` as a str field.
    username = None  # type: ignore[assignment]
    email = emails.ExactEmailField(_("email address"), unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    # Same column size as before the switch to PhoneNumberField: E.164 needs at most 16 characters.
    mobile = PhoneNumberField(_("mobile"), max_length=32, blank=True)
    # The patient's own profile: prefilled into bookings, never required (a guest books without one).
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    # Communication preference. Only optional emails obey it: confirmations, cancellations and
    # account emails are part of the service the patient asked for and are always sent.
    reminder_emails = models.BooleanField(
        _("appointment reminder emails"),
        default=True,
        help_text=_("The email the day before a confirmed appointment."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # AbstractUser's stub types ``objects`` as auth's username-based UserManager; this one logs in
    # by email, so its create_user()/create_superuser() signatures differ on purpose.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_doctor(self) -> bool:
        return self.role == self.Role.DOCTOR

    @property
    def is_clinic_staff(self) -> bool:
        return self.role == self.Role.STAFF or self.is_superuser

    @property
    def requires_strong_auth(self) -> bool:
        """Staff and doctors see many patients' health data: a second factor is required and
        their sessions time out (``portal.middleware``); for patients a second factor is optional."""
        return self.is_doctor or self.is_clinic_staff
