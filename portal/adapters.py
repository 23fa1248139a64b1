"""allauth adapter: everyone who signs up on the site is a patient."""

from allauth.account.adapter import DefaultAccountAdapter

from .roles import sync_role_groups


class AccountAdapter(DefaultAccountAdapter):
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
