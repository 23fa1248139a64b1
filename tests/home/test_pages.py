"""Every page type renders, and staff can create each one in the Wagtail admin."""

from __future__ import annotations

import pytest
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from home.models import (
    DoctorIndexPage,
    DoctorPage,
    HomePage,
    SpecializationIndexPage,
    SpecializationPage,
    StandardPage,
)
from tests.factories import SEARCH_DB, make_doctor, make_site, make_user


class PageTypesTest(WagtailPageTestCase):
    def setUp(self):
        self.tree = make_site()
        self.doctor = make_doctor(self.tree["doctors"], "Dr Page Test", specialization=self.tree["cardiology"])
        self.staff = make_user("editor@example.com", "staff", is_superuser=True)
        self.client.force_login(self.staff)

    def create_superuser(self, *args, **kwargs):
        # Wagtail's assertions sign in a superuser they create; staff must have a second factor, as ours has.
        return self.staff

    def test_every_page_renders(self):
        for page in (
            self.tree["home"],
            self.tree["about"],
            self.tree["spec_index"],
            self.tree["cardiology"],
            self.tree["doctors"],
            self.doctor,
        ):
            self.assertPageIsRenderable(page)

    def test_every_page_previews(self):
        # Wagtail's default preview data cannot express StreamFields, so those pages get theirs.
        for page in (self.tree["home"], self.tree["spec_index"], self.tree["doctors"]):
            self.assertPageIsPreviewable(page)
        self.assertPageIsPreviewable(
            self.tree["about"],
            post_data=nested_form_data(
                {"title": "About", "slug": "about", "intro": "Hi", "body": streamfield([("heading", "Who we are")])}
            ),
        )
        self.assertPageIsPreviewable(
            self.tree["cardiology"],
            post_data=nested_form_data(
                {
                    "title": "Cardiology",
                    "slug": "cardiology",
                    "summary": "Hearts",
                    "description": rich_text("<p>Hearts.</p>"),
                    "conditions": streamfield([("condition", "Angina")]),
                }
            ),
        )
        self.assertPageIsPreviewable(self.doctor, post_data=self.doctor_form_data("Dr Page Test", self.doctor.slug))

    def doctor_form_data(self, title: str, slug: str, **overrides) -> dict:
        data = {
            "title": title,
            "slug": slug,
            "job_title": "GP",
            "biography": rich_text("<p>Hello</p>"),
            "qualifications": "MBBS",
            "languages": "English",
            "address": "",
            "phone": "020 7946 0000",
            "consultation_fee": "45.00",
            "slot_minutes": "20",
            "specialization_links": inline_formset([{"specialization": self.tree["cardiology"].pk}]),
            "working_hours": inline_formset([{"weekday": "0", "starts": "09:00", "ends": "12:00"}]),
            "time_off": inline_formset([]),
        }
        data.update(overrides)
        return nested_form_data(data)

    def test_booking_page_below_the_doctor_page_renders(self):
        # Through the client: the helper's class-level dummy request predates this test's Site.
        response = self.client.get(self.doctor.url + "book/")
        assert response.status_code == 200
        self.assertTemplateUsed(response, "booking/appointments/book.html")

    def test_tree_is_constrained(self):
        self.assertAllowedParentPageTypes(DoctorPage, {DoctorIndexPage})
        self.assertAllowedParentPageTypes(SpecializationPage, {SpecializationIndexPage})
        self.assertAllowedSubpageTypes(DoctorPage, {})
        self.assertAllowedSubpageTypes(SpecializationPage, {})
        self.assertAllowedSubpageTypes(SpecializationIndexPage, {SpecializationPage})
        self.assertAllowedSubpageTypes(DoctorIndexPage, {DoctorPage})
        self.assertAllowedSubpageTypes(HomePage, {StandardPage, SpecializationIndexPage, DoctorIndexPage})

    def test_staff_can_create_a_standard_page(self):
        self.assertCanCreate(
            self.tree["home"],
            StandardPage,
            nested_form_data({"title": "Services", "slug": "services", "intro": "What we do", "body": streamfield([])}),
        )

    def test_staff_can_create_a_specialization_page(self):
        self.assertCanCreate(
            self.tree["spec_index"],
            SpecializationPage,
            nested_form_data(
                {
                    "title": "Neurology",
                    "slug": "neurology",
                    "summary": "Brain and nerves.",
                    "description": rich_text("<p>Headaches, epilepsy.</p>"),
                    "conditions": streamfield([("condition", "Migraine")]),
                }
            ),
        )

    def test_staff_can_create_a_doctor_page_with_hours_and_time_off(self):
        self.assertCanCreate(self.tree["doctors"], DoctorPage, self.doctor_form_data("Dr New Doctor", "dr-new"))
        created = DoctorPage.objects.get(slug="dr-new")
        assert created.phone == "+442079460000"
        assert created.working_hours.count() == 1

    def test_doctor_page_rejects_a_bad_phone_and_reversed_hours(self):
        from django.urls import reverse

        url = reverse("wagtailadmin_pages:add", args=("home", "doctorpage", self.tree["doctors"].pk))
        for bad in (
            {"phone": "123"},
            {"working_hours": inline_formset([{"weekday": "0", "starts": "12:00", "ends": "09:00"}])},
        ):
            response = self.client.post(url, self.doctor_form_data("Dr Bad", "dr-bad", **bad))
            assert response.status_code == 200, bad
            assert not DoctorPage.objects.filter(slug="dr-bad").exists(), bad


@pytest.mark.django_db
@SEARCH_DB  # the name search reads the full-text index, which MariaDB fills at commit
def test_doctor_index_filters_by_specialization_and_name(client, site_tree, doctor, other_doctor):
    page = client.get("/doctors/", {"specialization": "cardiology"}).content.decode()
    assert doctor.title in page
    assert other_doctor.title not in page

    page = client.get("/doctors/", {"q": "turing"}).content.decode()
    assert other_doctor.title in page
    assert doctor.title not in page

    for params in ({"page": "999"}, {"page": "x"}, {"specialization": "nope"}, {"q": "x" * 500}):
        assert client.get("/doctors/", params).status_code == 200


@pytest.mark.django_db
def test_unknown_page_uses_the_site_404(client, site_tree):
    response = client.get("/no/such/page/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_default_welcome_page_is_gone(site_tree):
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()
