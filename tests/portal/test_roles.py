"""Role groups follow User.role through one function, portal.roles.sync_role_groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from portal.models import User
from portal.roles import DOCTORS, PATIENTS, STAFF, sync_role_groups

from ..factories import make_user

pytestmark = pytest.mark.django_db


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_role_change_moves_the_role_group_and_keeps_other_groups():
    user = make_user("mover@example.com", User.Role.PATIENT)
    newsletter = Group.objects.create(name="Newsletter editors")
    user.groups.add(newsletter, Group.objects.get_or_create(name=STAFF)[0])  # a stray role group too

    user.role = User.Role.DOCTOR
    user.save()
    sync_role_groups(user)
    assert group_names(user) == {DOCTORS, "Newsletter editors"}

    user.role = User.Role.STAFF
    user.save()
    sync_role_groups(user)
    sync_role_groups(user)  # idempotent
    assert group_names(user) == {STAFF, "Newsletter editors"}


def test_sync_creates_a_missing_role_group():
    Group.objects.filter(name=PATIENTS).delete()
    user = User.objects.create_user("fresh@example.com", "a-long-test-password-42")
    sync_role_groups(user)
    assert group_names(user) == {PATIENTS}


def test_staff_role_carries_account_management_permissions():
    staff = make_user("perm.staff@example.com", User.Role.STAFF)
    assert staff.has_perm("portal.add_user")
    assert staff.has_perm("portal.change_user")
    assert not staff.has_perm("portal.delete_user")
    doctor = make_user("perm.doctor@example.com", User.Role.DOCTOR)
    assert not doctor.has_perm("portal.change_user")
