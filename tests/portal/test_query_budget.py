"""Pages issue a bounded number of SQL queries, whatever the number of doctors or appointments."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.availability.selectors import booking_window, doctor_free_slots
from tests.factories import PASSWORD, make_appointment, make_doctor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _render_every_time(settings):
    """These budgets are for rendering a page; cache hits are counted in tests/portal/test_page_cache.py."""
    settings.PAGE_CACHE_ENABLED = False


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def add_doctors(site_tree, n: int) -> None:
    for i in range(n):
        make_doctor(site_tree["doctors"], f"Dr Extra {i}", specialization=site_tree["cardiology"])


def fill_appointments(doctor, n: int) -> None:
    first, last = booking_window()
    for i, slot in enumerate(doctor_free_slots(doctor, first, last)[:n]):
        make_appointment(doctor, slot=slot, full_name=f"P {i}", email=f"p{i}@example.com")


PAGES = {
    "doctor index": lambda tree, doctor: "/doctors/",
    "doctor index filtered": lambda tree, doctor: "/doctors/?specialization=cardiology&q=dr",
    "doctor page": lambda tree, doctor: doctor.url,
    "booking page": lambda tree, doctor: doctor.url + "book/",
    "specialization page": lambda tree, doctor: tree["cardiology"].url,
    "home page": lambda tree, doctor: "/",
}

# Generous ceilings that still catch an N+1: each row of data would add queries beyond these.
BUDGET = 25


@pytest.mark.parametrize("name", PAGES)
def test_query_count_does_not_grow_with_data(client, site_tree, doctor, name):
    url = PAGES[name](site_tree, doctor)
    count_queries(client, url)  # warm caches (site root, content types)
    small = count_queries(client, url)

    add_doctors(site_tree, 12)
    fill_appointments(doctor, 30)
    large = count_queries(client, url)

    assert large == small, f"{name}: {small} queries with little data, {large} with more"
    assert large <= BUDGET, f"{name}: {large} queries"


def test_my_appointments_and_appointment_page_do_not_grow_with_history(client, site_tree, doctor, patient):
    client.login(email=patient.email, password=PASSWORD)
    first, last = booking_window()
    slots = doctor_free_slots(doctor, first, last)

    def book_for_patient(n: int, offset: int):
        for slot in slots[offset : offset + n]:
            yield make_appointment(doctor, slot=slot, patient=patient, full_name="Alice")

    first_booking, _ = book_for_patient(2, 0)
    detail_url = f"/appointments/{first_booking.reference}/"
    count_queries(client, "/me/")
    small_me, small_detail = count_queries(client, "/me/"), count_queries(client, detail_url)
    list(book_for_patient(25, 2))
    large_me, large_detail = count_queries(client, "/me/"), count_queries(client, detail_url)
    assert large_me == small_me, (small_me, large_me)
    assert large_detail == small_detail, (small_detail, large_detail)
    assert large_me <= BUDGET and large_detail <= BUDGET


def test_home_page_does_not_grow_with_featured_items(client, site_tree, doctor):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    from home.models import HomePageFeaturedDoctor, HomePageFeaturedSpecialization, SpecializationPage

    home = site_tree["home"]

    def feature(n: int) -> None:
        for i in range(n):
            image = Image.objects.create(title=f"Banner {n}-{i}", file=get_test_image_file())
            spec = site_tree["spec_index"].add_child(
                instance=SpecializationPage(title=f"Spec {i}", slug=f"spec-{n}-{i}", summary="x", image=image)
            )
            HomePageFeaturedSpecialization.objects.create(home=home, page=spec)
            extra = make_doctor(site_tree["doctors"], f"Dr Featured {n}-{i}", specialization=spec)
            HomePageFeaturedDoctor.objects.create(home=home, page=extra)

    feature(1)
    count_queries(client, "/")
    small = count_queries(client, "/")
    feature(5)
    count_queries(client, "/")  # the first view of new images creates their renditions
    large = count_queries(client, "/")
    assert large == small, (small, large)
