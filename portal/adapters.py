"""allauth adapters: who signs up as what, where each role lands, how sign-in is limited, who must use MFA.

Sign-up makes patients (doctors only through their own form); emails take the one normal form
(``portal.emails``) on the way in.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import ratelimit
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
        """Self-service sign-up creates patients; the "Join as a doctor" form creates doctors.

        Which one is decided by the *form class* (its ``creates_doctor_account`` attribute, set
        only on the doctor sign-up form that ``/join/doctor/`` uses), never by anything posted, so
        no field added to the patient form can make a doctor. A doctor account made this way can
        do nothing as a doctor until staff approve its application (``booking.onboarding``).
        Staff accounts are only ever made by staff.
        """
        wants_doctor = getattr(type(form), "creates_doctor_account", False) is True
        user.role = user.Role.DOCTOR if wants_doctor else user.Role.PATIENT
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

    # --- Sign-in limits: the policy is portal.ratelimit's; these hooks only apply it. ------------

    def _get_login_attempts_cache_key(self, request, **credentials):
        # allauth's key starts with the current site's domain, which without django.contrib.sites
        # is the Host header: a port added to it gave an attacker a fresh budget.
        return ratelimit.account_key(credentials.get("email", credentials.get("username", "")))

    def pre_authenticate(self, request, **credentials):
        """Refuse before the password is tested when this address or account must wait.

        Replaces allauth's ``login_failed`` limit for passwords, which locked an account for
        everyone after five failures from anywhere; allauth still applies that setting to
        second-factor codes.
        """
        login = credentials.get("email", credentials.get("username", ""))
        self._signin_attempt = ratelimit.SigninAttempt(
            request, login, account=self._get_login_attempts_cache_key(request, **credentials)
        )
        refusal = self._signin_attempt.refusal()
        if refusal:
            raise forms.ValidationError(refusal, code="too_many_login_attempts")

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        attempt = getattr(self, "_signin_attempt", None)
        if attempt is not None:
            if user is None:
                attempt.failed()
            else:
                attempt.succeeded()
        return user

    def _delete_login_attempts_cached_email(self, request, **credentials):
        # Called by allauth after a password reset by email: the owner proved themselves.
        login = credentials.get("email", "")
        ratelimit.SigninAttempt(request, login).forget_failures()


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "Clinic staff and doctors must keep two-factor authentication on. To move it to a new "
            "phone, ask the clinic's administrator to reset it; you will set it up again at your "
            "next sign-in."
        ),
        "incorrect_code": "That code is not right. Check the code in your authenticator app and try again.",
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.requires_strong_auth:
            return False
        return super().can_delete_authenticator(authenticator)
