"""The clinic's and the doctors' phone numbers are PhoneNumberFields edited in the Wagtail admin."""

from __future__ import annotations

import pytest
from django.urls import reverse
from phonenumber_field.phonenumber import PhoneNumber
from wagtail.models import Site

from home.models import ClinicSettings, DoctorPage

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client


def settings_form(**overrides) -> dict:
    data = {
        "name": "Riverside Clinic",
        "tagline": "",
        "address": "1 River Road",
        "phone": "020 7946 0000",
        "email": "hello@clinic.example",
        "opening_hours": "",
    }
    data.update(overrides)
    return data


def test_staff_save_the_clinic_phone_and_it_is_stored_in_e164(staff_client, site_tree):
    site = Site.objects.get(is_default_site=True)
    url = reverse("wagtailsettings:edit", args=("home", "clinicsettings", site.pk))
    assert staff_client.get(url).status_code == 200

    response = staff_client.post(url, settings_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = ClinicSettings.objects.get(site=site)
    assert isinstance(stored.phone, PhoneNumber)
    assert ClinicSettings.objects.filter(phone="+442079460000").exists()

    response = staff_client.get(url)
    assert 'value="020 7946 0000"' in response.content.decode()  # shown in the local format


def test_a_bad_clinic_phone_is_a_message_and_nothing_changes(staff_client, site_tree):
    site = Site.objects.get(is_default_site=True)
    url = reverse("wagtailsettings:edit", args=("home", "clinicsettings", site.pk))
    response = staff_client.post(url, settings_form(phone="020 7946"))
    assert response.status_code == 200
    assert "That phone number does not exist" in response.content.decode()
    assert not ClinicSettings.objects.filter(site=site, phone__startswith="+").exists()


def test_public_pages_show_the_numbers_for_reading_and_dial_them_in_e164(client, doctor):
    site = Site.objects.get(is_default_site=True)
    clinic = ClinicSettings.for_site(site)
    clinic.phone = "020 7946 0000"
    clinic.save()
    DoctorPage.objects.filter(pk=doctor.pk).update(phone="+442079460111")

    page = client.get(doctor.url).content.decode()
    assert 'href="tel:+442079460111"' in page and "+44 20 7946 0111" in page
    assert 'href="tel:+442079460000"' in page and "+44 20 7946 0000" in page
