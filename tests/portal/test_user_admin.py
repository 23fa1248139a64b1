"""Staff manage accounts in Wagtail's Users area: role and mobile, role groups, who may grant what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.models import User
from portal.roles import DOCTORS, PATIENTS, STAFF

from ..factories import PASSWORD, make_user
from .user_forms import ADD, INDEX, NEW_PASSWORD, add_data, edit_data, edit_url, group_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client


@pytest.fixture
def superuser():
    return make_user("root@example.com", User.Role.STAFF, is_superuser=True, first_name="Root", last_name="Admin")


@pytest.fixture
def admin_client(client, superuser):
    client.login(email=superuser.email, password=PASSWORD)
    return client


def test_staff_see_the_users_area_with_roles(staff_client, doctor_user):
    response = staff_client.get(INDEX)
    assert response.status_code == 200
    page = response.content.decode()
    assert doctor_user.email in page
    assert "Doctor" in page

    response = staff_client.get(ADD)
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("email", "first_name", "last_name", "role", "mobile", "doctor_page"):
        assert f'name="{name}"' in page, name
    assert 'type="tel"' in page


def test_staff_create_a_doctor_account_with_role_and_mobile(staff_client, client):
    response = staff_client.post(ADD, add_data())
    assert response.status_code == 302, response.content.decode()[:2000]

    user = User.objects.get(email="new.doctor@example.com")
    assert (user.first_name, user.last_name, user.role) == ("Grace", "Hopper", User.Role.DOCTOR)
    assert str(user.mobile) == "+447400123456"
    assert group_names(user) == {DOCTORS}
    assert not user.is_superuser
    client.logout()
    assert client.login(email="new.doctor@example.com", password=NEW_PASSWORD)


def test_staff_edit_an_account_and_the_role_groups_follow(staff_client, patient):
    extra = Group.objects.create(name="Newsletter editors")
    patient.groups.add(extra)
    url = edit_url(patient)
    assert staff_client.get(url).status_code == 200

    response = staff_client.post(url, edit_data(patient, role="doctor", first_name="Alicia", mobile="+44 20 7946 0000"))
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert patient.role == User.Role.DOCTOR
    assert patient.first_name == "Alicia"
    assert str(patient.mobile) == "+442079460000"
    # Staff cannot change groups (the field is disabled for them), so the extra group survives.
    assert group_names(patient) == {DOCTORS, "Newsletter editors"}

    response = staff_client.post(url, edit_data(patient, role="staff"))
    assert response.status_code == 302
    assert group_names(patient) == {STAFF, "Newsletter editors"}


@pytest.mark.parametrize(
    ("mobile", "message"),
    [
        ("12", "That phone number does not exist"),
        ("+44 1234", "That phone number does not exist"),
        ("call me maybe", "Enter a valid phone number"),
        ("0" * 40, "at most 32 characters"),
    ],
)
def test_invalid_mobile_is_refused_with_a_message_and_nothing_is_saved(staff_client, patient, mobile, message):
    response = staff_client.post(ADD, add_data(mobile=mobile))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="new.doctor@example.com").exists()

    before = (patient.first_name, str(patient.mobile), patient.role)
    response = staff_client.post(
        edit_url(patient), edit_data(patient, mobile=mobile, first_name="Changed", role="staff")
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    patient.refresh_from_db()
    assert (patient.first_name, str(patient.mobile), patient.role) == before
    assert group_names(patient) == {PATIENTS}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"role": "wizard"}, "Select a valid choice"),
        ({"role": ""}, "This field is required"),
        ({"doctor_page": "not-a-number"}, "Select a valid choice"),
        ({"doctor_page": "999999"}, "Select a valid choice"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"password2": "something-else-entirely"}, "The two password fields didn&#x27;t match"),
        ({"mobile": "+" + "9" * 31}, "Enter a valid phone number"),
    ],
)
def test_bad_input_is_a_message_never_a_500(staff_client, bad, message):
    response = staff_client.post(ADD, add_data(**bad))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email__in=["new.doctor@example.com", "not-an-email"]).exists()


def test_staff_cannot_grant_administrator_or_groups(staff_client, patient):
    editors = Group.objects.create(name="Powerful group")
    response = staff_client.post(ADD, add_data(role="staff", is_superuser="on", groups=[editors.pk]))
    assert response.status_code == 302
    created = User.objects.get(email="new.doctor@example.com")
    assert not created.is_superuser
    assert group_names(created) == {STAFF}

    response = staff_client.post(edit_url(patient), edit_data(patient, is_superuser="on", groups=[editors.pk]))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert not patient.is_superuser
    assert group_names(patient) == {PATIENTS}


def test_staff_cannot_open_a_superusers_account(staff_client, superuser):
    response = staff_client.get(edit_url(superuser))
    assert response.status_code in (302, 403)
    response = staff_client.post(edit_url(superuser), edit_data(superuser, password1="x" * 20, password2="x" * 20))
    assert response.status_code in (302, 403)
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)


def test_superusers_grant_groups_but_role_groups_still_follow_the_role(admin_client, patient):
    editors = Group.objects.create(name="Editors of things")
    page = admin_client.get(edit_url(patient)).content.decode()
    assert "Editors of things" in page
    assert f'value="{Group.objects.get(name=DOCTORS).pk}"' not in page  # role groups are not offered

    response = admin_client.post(edit_url(patient), edit_data(patient, role="staff", groups=[editors.pk]))
    assert response.status_code == 302
    assert group_names(patient) == {STAFF, "Editors of things"}


def test_patients_and_doctors_cannot_reach_the_users_area(client, patient, doctor_user):
    for user in (patient, doctor_user):
        client.login(email=user.email, password=PASSWORD)
        for url in (INDEX, ADD, edit_url(user)):
            assert client.get(url).status_code in (302, 403), (user, url)
        client.logout()


def test_bulk_assign_role_is_refused_for_staff_and_for_role_groups(client, staff_user, superuser, patient):
    """Wagtail's "Assign role" bulk action adds a group directly, around the user forms."""
    url = reverse("wagtail_bulk_action", args=("portal", "user", "assign_role")) + f"?id={patient.pk}"
    staff_group = Group.objects.get(name=STAFF)

    client.login(email=staff_user.email, password=PASSWORD)
    response = client.post(url, {"role": staff_group.pk})
    assert response.status_code == 302
    assert group_names(patient) == {PATIENTS}

    client.login(email=superuser.email, password=PASSWORD)
    response = client.post(url, {"role": staff_group.pk})
    assert response.status_code == 302
    assert group_names(patient) == {PATIENTS}

    volunteers = Group.objects.create(name="Volunteers")
    client.post(url, {"role": volunteers.pk})
    assert group_names(patient) == {PATIENTS, "Volunteers"}
