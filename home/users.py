"""The admin's user forms with a "Doctor page" field: link a doctor's account from the account side.

A doctor account and its ``DoctorPage`` are linked by ``DoctorPage.user``. Staff can already set
that in the page editor; this lets them do it where they create the account, too.

Why here: ``portal`` owns accounts but must not import page models, and ``home`` may import
``portal``. So ``portal/user_admin.py`` holds everything about accounts (role, mobile, role
groups, who may grant what) and this module only adds the page link on top. The result is
wired into Wagtail by ``home.apps.ClinicUsersAppConfig``, which replaces ``wagtail.users`` in
INSTALLED_APPS (Wagtail 8 takes custom user forms from the users app config's viewset).

The rules:

* only a doctor-role account can be linked, and only to a page that no one else is linked to;
* an account that is linked keeps the doctor role: changing the role away is refused with a
  message on the Role field unless the same submission clears "Doctor page" (an explicit unlink);
* the link is written through a page revision (see :func:`set_doctor_account`), so publishing
  the page later does not put the old account back.
"""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.db.models import Q

from portal import user_admin
from portal.models import User

from .models import DoctorPage


def set_doctor_account(page: DoctorPage, account: User | None, *, by: User | None) -> None:
    """Link ``account`` to ``page`` (``None`` unlinks), keeping the page's revisions in step.

    A page's editor and its next publish work from the latest revision, not from the live row,
    so changing only the row would be undone by the next publish. The change is saved as a new
    revision made from the latest one; when the page had no unpublished draft that revision is
    published straight away (it differs from the live page only by the link), otherwise the
    draft keeps waiting for its editor and the live row is updated directly so the doctor's
    dashboard works at once.
    """
    page = DoctorPage.objects.get(pk=page.pk)
    had_draft = page.has_unpublished_changes
    DoctorPage.objects.filter(pk=page.pk).update(user=account)
    draft = page.get_latest_revision_as_object()
    draft.user = account
    # clean=False: the link was validated by the form; unrelated, older page content must not
    # stop an account from being saved.
    revision = draft.save_revision(user=by, log_action=True, clean=False)
    if page.live and not had_draft:
        # Account managers may not hold page publish rights, and nothing but the link changes.
        revision.publish(user=by, skip_permission_checks=True)


class DoctorPageFormMixin(user_admin.ClinicUserFormMixin):
    """Adds the "Doctor page" select to a portal user form; see the module docstring for the rules."""

    clinic_field_names = [*user_admin.ClinicUserFormMixin.clinic_field_names, "doctor_page"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.linked_page = DoctorPage.objects.filter(user=self.instance).first() if self.instance.pk else None
        available = DoctorPage.objects.filter(user__isnull=True)
        if self.linked_page is not None:
            available = DoctorPage.objects.filter(Q(user__isnull=True) | Q(pk=self.linked_page.pk))
        self.fields["doctor_page"] = forms.ModelChoiceField(
            queryset=available.order_by("title"),
            required=False,
            label="Doctor page",
            empty_label="No doctor page",
            help_text=(
                "For doctor accounts only: the public profile whose appointments this account sees. "
                "Pages already linked to another account are not listed."
            ),
            initial=self.linked_page.pk if self.linked_page else None,
        )

    def clean(self):
        cleaned_data = super().clean() or {}
        role = cleaned_data.get("role")
        page = cleaned_data.get("doctor_page")
        if role is None or role == User.Role.DOCTOR:
            return cleaned_data
        if self.linked_page is not None and page == self.linked_page:
            self.add_error(
                "role",
                f"This account is linked to the doctor page “{self.linked_page.title}”, so it must keep the "
                "doctor role. To change the role, also set “Doctor page” to “No doctor page”.",
            )
        elif page is not None:
            self.add_error("doctor_page", "Only an account with the doctor role can be linked to a doctor page.")
        return cleaned_data

    def after_save(self, user) -> None:
        super().after_save(user)
        page = self.cleaned_data.get("doctor_page")
        if page == self.linked_page:
            return
        with transaction.atomic():
            # Unlink first: an account has at most one page (the link is one-to-one).
            if self.linked_page is not None:
                set_doctor_account(self.linked_page, None, by=self.for_user)
            if page is not None:
                set_doctor_account(page, user, by=self.for_user)
        self.linked_page = page


class UserCreationForm(DoctorPageFormMixin, user_admin.ClinicUserCreationForm):
    pass


class UserEditForm(DoctorPageFormMixin, user_admin.ClinicUserEditForm):
    pass


class UserViewSet(user_admin.UserViewSet):
    """The portal's user viewset with the doctor-page link; named by ``ClinicUsersAppConfig``."""

    def get_form_class(self, for_update=False):
        return UserEditForm if for_update else UserCreationForm
