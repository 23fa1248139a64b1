"""allauth adapter: everyone who signs up on the site is a patient; emails take the one normal form."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .emails import InvalidEmail, normalize_email
from .roles import sync_role_groups

DUPLICATE_ACCOUNT_MESSAGE = (
    "An account with this email already exists. If you have just signed up, look for our email to "
    "verify the address; otherwise sign in, or reset your password if you have forgotten it."
)


class DuplicateAccount(Exception):
    """Another sign-up with the same email won the race between the form's check and the save."""


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
        if not commit:
            return super().save_user(request, user, form, commit=False)
        try:
            # A savepoint, so a lost race leaves any surrounding transaction usable.
            with transaction.atomic():
                user = super().save_user(request, user, form, commit=True)
                sync_role_groups(user)
        except IntegrityError as exc:
            # The sign-up form checked the address was free; a concurrent sign-up (a double
            # click, two tabs) can still take it before this insert. The unique index refuses
            # the second account; the view turns that into a message instead of a 500.
            if filter_users_by_email(user.email):
                raise DuplicateAccount(user.email) from exc
            raise
        return user

    def get_login_redirect_url(self, request):
        """Send each role to where its work is, unless the login asked for a specific page."""
        user = request.user
        if user.is_authenticated and user.is_doctor and hasattr(user, "doctor_page"):
            return "/doctor/"
        if user.is_authenticated and user.is_clinic_staff:
            return "/admin/"
        return super().get_login_redirect_url(request)
