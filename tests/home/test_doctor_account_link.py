"""Linking a doctor's account to their DoctorPage from the admin's user form (home/users.py)."""

from __future__ import annotations

import pytest

from home.models import DoctorPage
from portal.models import User
from portal.roles import DOCTORS, PATIENTS

from ..factories import PASSWORD, make_doctor, make_user
from ..portal.user_forms import ADD, add_data, edit_data, edit_url, group_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client


@pytest.fixture
def unlinked_page(site_tree):
    return make_doctor(site_tree["doctors"], "Dr Grace Hopper", slug="grace")


@pytest.fixture
def new_doctor(db):
    return make_user("grace@example.com", User.Role.DOCTOR, mobile="+447400123456")


def linked_account(page) -> User | None:
    """The account on the page as the live row, the latest revision and a published page see it."""
    page = DoctorPage.objects.get(pk=page.pk)
    draft = page.get_latest_revision_as_object()
    assert draft.user_id == page.user_id, "the latest revision disagrees with the live page"
    return page.user


def test_the_select_offers_only_unlinked_pages_and_the_accounts_own(staff_client, doctor, unlinked_page, new_doctor):
    page = staff_client.get(edit_url(new_doctor)).content.decode()
    assert f'<option value="{unlinked_page.pk}"' in page
    assert f'<option value="{doctor.pk}"' not in page  # Dr Ada's page belongs to doctor_user

    page = staff_client.get(edit_url(doctor.user)).content.decode()
    assert f'<option value="{doctor.pk}" selected' in page


def test_staff_link_an_account_to_a_doctor_page_from_the_user_form(staff_client, unlinked_page, new_doctor):
    response = staff_client.post(edit_url(new_doctor), edit_data(new_doctor, doctor_page=unlinked_page.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert linked_account(unlinked_page) == new_doctor
    new_doctor.refresh_from_db()
    assert new_doctor.doctor_page == unlinked_page
    # Published at once (the page had no draft), logged under the staff member's name.
    page = DoctorPage.objects.get(pk=unlinked_page.pk)
    assert page.live and not page.has_unpublished_changes
    assert page.latest_revision.user.email == "staff@example.com"


def test_create_a_doctor_account_and_link_it_in_one_go(staff_client, unlinked_page):
    response = staff_client.post(ADD, add_data(doctor_page=unlinked_page.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.doctor@example.com")
    assert linked_account(unlinked_page) == user
    assert group_names(user) == {DOCTORS}


def test_the_link_survives_publishing_the_page_later(staff_client, unlinked_page, new_doctor):
    staff_client.post(edit_url(new_doctor), edit_data(new_doctor, doctor_page=unlinked_page.pk))
    page = DoctorPage.objects.get(pk=unlinked_page.pk)
    page.get_latest_revision_as_object().save_revision().publish()
    assert DoctorPage.objects.get(pk=page.pk).user == new_doctor


def test_a_pending_draft_is_not_published_but_keeps_the_link(staff_client, unlinked_page, new_doctor):
    draft = DoctorPage.objects.get(pk=unlinked_page.pk)
    draft.job_title = "Draft title, not yet approved"
    draft.save_revision()

    staff_client.post(edit_url(new_doctor), edit_data(new_doctor, doctor_page=unlinked_page.pk))
    page = DoctorPage.objects.get(pk=unlinked_page.pk)
    assert page.job_title == "Consultant"  # the draft stayed a draft
    assert page.has_unpublished_changes
    assert linked_account(page) == new_doctor
    assert page.get_latest_revision_as_object().job_title == "Draft title, not yet approved"

    page.get_latest_revision().publish()
    assert DoctorPage.objects.get(pk=page.pk).user == new_doctor


def test_moving_the_link_to_another_page_unlinks_the_first(staff_client, doctor, unlinked_page):
    account = doctor.user
    response = staff_client.post(edit_url(account), edit_data(account, doctor_page=unlinked_page.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert linked_account(unlinked_page) == account
    assert linked_account(doctor) is None


def test_a_page_linked_to_someone_else_cannot_be_taken(staff_client, doctor, new_doctor):
    response = staff_client.post(edit_url(new_doctor), edit_data(new_doctor, doctor_page=doctor.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert linked_account(doctor) == doctor.user


def test_only_doctor_accounts_can_be_linked(staff_client, patient, unlinked_page):
    response = staff_client.post(edit_url(patient), edit_data(patient, doctor_page=unlinked_page.pk))
    assert response.status_code == 200
    assert "Only an account with the doctor role can be linked" in response.content.decode()
    assert linked_account(unlinked_page) is None

    response = staff_client.post(ADD, add_data(role="patient", doctor_page=unlinked_page.pk))
    assert response.status_code == 200
    assert not User.objects.filter(email="new.doctor@example.com").exists()
    assert linked_account(unlinked_page) is None


def test_changing_a_linked_accounts_role_is_refused_with_a_message(staff_client, doctor):
    account = doctor.user
    response = staff_client.post(edit_url(account), edit_data(account, role="patient", first_name="Changed"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "linked to the doctor page" in page and "Dr Ada Lovelace" in page
    account.refresh_from_db()
    assert account.role == User.Role.DOCTOR
    assert account.first_name != "Changed"
    assert group_names(account) == {DOCTORS}
    assert linked_account(doctor) == account


def test_clearing_the_page_in_the_same_submission_unlinks_and_changes_the_role(staff_client, doctor):
    account = doctor.user
    response = staff_client.post(edit_url(account), edit_data(account, role="patient", doctor_page=""))
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.role == User.Role.PATIENT
    assert group_names(account) == {PATIENTS}
    assert linked_account(doctor) is None
    assert not hasattr(account, "doctor_page")
