"""allauth adapter: sign-up makes patients (doctors only through their own form); emails take the one normal form."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError

from .emails import InvalidEmail, normalize_email
from .roles import sync_role_groups


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        """Sign-up, add-email and password-reset addresses in the stored form (``portal.emails``).

        allauth has already lower-cased the address; this also turns an internationalised
        domain into its A-label, so ``vera@exámple.org`` is ``vera@xn--exmple-qta.org`` here as
        in every booking, and never the same account as ``vera@example.org``.
        """
        try:
            email = normalize_email(email)
        except InvalidEmail as exc:
            raise ValidationError(str(exc), code="invalid") from None
        return super().clean_email(email)

    def save_user(self, request, user, form, commit=True):
        """Self-service sign-up creates patients; the "Join as a doctor" form creates doctors.

        Which one is decided by the *form class* (its ``creates_doctor_account`` attribute, set
        only on the doctor sign-up form that ``/join/doctor/`` uses), never by anything posted, so
        no field added to the patient form can make a doctor. A doctor account made this way can
        do nothing as a doctor until staff approve its application (``booking.onboarding``).
        Staff accounts are only ever made by staff.
        """
        wants_doctor = getattr(type(form), "creates_doctor_account", False) is True
        user.role = user.Role.DOCTOR if wants_doctor else user.Role.PATIENT
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            sync_role_groups(user)
        return user

    def get_login_redirect_url(self, request):
        """Send each role to where its work is, unless the login asked for a specific page.

        Every doctor lands on /doctor/: the dashboard, or for a doctor who joined through the
        site and is not approved yet, where their application stands.
        """
        user = request.user
        if user.is_authenticated and user.is_doctor:
            return "/doctor/"
        if user.is_authenticated and user.is_clinic_staff:
            return "/admin/"
        return super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        """After sign-up (when no email verification stands in between), the same landing as a login."""
        return self.get_login_redirect_url(request)
