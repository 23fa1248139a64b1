"""allauth adapter: everyone who signs up on the site is a patient; emails take the one normal form."""

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
        # Self-service sign-up only ever creates patients; doctors and staff are made by staff.
        user.role = user.Role.PATIENT
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            sync_role_groups(user)
        return user

    def get_login_redirect_url(self, request):
        """Send each role to where its work is, unless the login asked for a specific page."""
        user = request.user
        if user.is_authenticated and user.is_doctor and hasattr(user, "doctor_page"):
            return "/doctor/"
        if user.is_authenticated and user.is_clinic_staff:
            return "/admin/"
        return super().get_login_redirect_url(request)
