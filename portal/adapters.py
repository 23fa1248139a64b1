"""allauth adapter: everyone who signs up on the site is a patient."""

from allauth.account.adapter import DefaultAccountAdapter

from .roles import group_for_role


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # Self-service sign-up only ever creates patients; doctors and staff are made by staff.
        user.role = user.Role.PATIENT
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            user.groups.add(group_for_role(user.Role.PATIENT))
        return user
