"""The portal's user: one account type for patients, doctors and clinic staff.

Email is the login. The role is a plain field so that templates and access checks can read it
cheaply; the matching Django group (see ``portal.roles``) carries the permissions.
"""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
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

    username = None
    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        # Emails are compared case-insensitively everywhere (guest lookups, claiming bookings).
        self.email = self.email.lower()
        super().save(*args, **kwargs)

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
