"""The home page's query count does not grow with what it features.

Every page's count at two data sizes (10 vs 1,000 doctors, 0 vs 100,000 appointments) is in
tests/booking/test_query_budgets_at_scale.py. What that file does not grow is the home page's
featured lists, which staff choose in the admin rather than bookings fill: here a home page
featuring one specialization and one doctor, each with a picture, against one featuring six
of each.
"""

from __future__ import annotations

import pytest
from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

from home.models import HomePageFeaturedDoctor, HomePageFeaturedSpecialization, SpecializationPage
from tests.factories import count_queries, make_doctor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _render_every_time(settings):
    """These budgets are for rendering a page; cache hits are counted in tests/portal/test_page_cache.py."""
    settings.PAGE_CACHE_ENABLED = False


def test_home_page_does_not_grow_with_featured_items(client, site_tree, doctor):
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
