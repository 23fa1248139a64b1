"""Wagtail's Users area, adapted to the portal's accounts: role, mobile and role groups.

Staff set up doctor (and other) accounts here. What this adds to Wagtail's forms and views:

* ``role`` and ``mobile`` on both the add and the edit form, next to name and email;
* role groups follow ``role`` (:func:`portal.roles.sync_role_groups` after every save), so the
  group checkboxes offer only the other groups and cannot contradict the role;
* clinic staff get the user permissions in ``portal.roles`` to do this, which must not let them
  raise anyone above themselves: only superusers may tick "Administrator" or change groups, and
  only superusers may open a superuser's account (its password is on that form).

The doctor-page link is added on top in ``home/users.py``, which also wires the viewset into
Wagtail; this module knows nothing about pages.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import users as wagtail_users

from .roles import ROLE_GROUPS, sync_role_groups

ROLE_GROUP_HELP = "Role groups (patients, doctors, clinic staff) follow the Role field and are not listed."
ADMIN_ONLY_HELP = "Only administrators can change this."


def can_grant_admin(user) -> bool:
    """Whether ``user`` may make others administrators or put them in arbitrary groups."""
    return bool(user is not None and user.is_active and user.is_superuser)


class ClinicUserFormMixin(forms.ModelForm):
    """Adds role and mobile to a Wagtail user form and keeps role groups in step on save.

    ``for_user`` is the person using the form; without one the form assumes the least rights.
    Fields listed in ``clinic_fields`` are rendered by the admin templates under the name fields.
    """

    clinic_field_names = ["role", "mobile"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_user = for_user
        self.fields["role"].help_text = (
            "Decides what the account can do: patients book, doctors see their own appointments, "
            "clinic staff work in this admin."
        )
        self.fields["mobile"].help_text = "Optional. Numbers without a country code are read as local ones."

        if "groups" in self.fields:
            groups = self.fields["groups"]
            assert isinstance(groups, forms.ModelMultipleChoiceField)
            groups.queryset = Group.objects.exclude(name__in=ROLE_GROUPS.values()).order_by("name")
            groups.help_text = ROLE_GROUP_HELP
            if self.instance.pk:
                self.initial["groups"] = list(groups.queryset.filter(user=self.instance).values_list("pk", flat=True))
        if not can_grant_admin(for_user):
            # Disabled rather than removed: Wagtail's templates render both fields, and a disabled
            # field keeps its initial value whatever is posted.
            for name in ("is_superuser", "groups"):
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = ADMIN_ONLY_HELP

    @property
    def clinic_fields(self):
        return [self[name] for name in self.clinic_field_names if name in self.fields]

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            self.after_save(user)
        else:
            save_m2m = self.save_m2m

            def save_m2m_then_after_save():
                save_m2m()
                self.after_save(user)

            self.save_m2m = save_m2m_then_after_save  # type: ignore[method-assign]  # Django's own pattern
        return user

    def after_save(self, user) -> None:
        """Runs once the user row and its groups are saved; subclasses extend it."""
        sync_role_groups(user)


class ClinicUserCreationForm(ClinicUserFormMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = UserCreationForm.Meta.fields | {"role", "mobile"}


class ClinicUserEditForm(ClinicUserFormMixin, UserEditForm):
    class Meta(UserEditForm.Meta):
        fields = UserEditForm.Meta.fields | {"role", "mobile"}


class ForUserFormMixin:
    """Passes the signed-in user to the form, which decides what they may change.

    Mixed into Wagtail's create and edit views, which provide ``request`` and ``get_form_kwargs``.
    """

    request: HttpRequest

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()  # type: ignore[misc]  # provided by the Wagtail view it is mixed into
        kwargs["for_user"] = self.request.user
        return kwargs


class CreateView(ForUserFormMixin, wagtail_users.CreateView):
    pass


class EditView(ForUserFormMixin, wagtail_users.EditView):
    def get_object(self, queryset=None):
        user = super().get_object(queryset)
        if user.is_superuser and not can_grant_admin(self.request.user):
            raise PermissionDenied
        return user


class IndexView(wagtail_users.IndexView):
    @cached_property
    def columns(self):
        columns = list(super().columns)
        # After name and username: what the account is, which Wagtail's "Access level" cannot say.
        columns.insert(3, Column("role", accessor="get_role_display", label="Role", sort_key="role", width="10%"))
        return columns


class UserViewSet(wagtail_users.UserViewSet):
    """Wagtail's user viewset with the clinic's forms, views and templates."""

    index_view_class = IndexView
    add_view_class = CreateView
    edit_view_class = EditView
    create_template_name = "portal/admin/users/create.html"
    edit_template_name = "portal/admin/users/edit.html"

    def get_form_class(self, for_update=False):
        return ClinicUserEditForm if for_update else ClinicUserCreationForm
