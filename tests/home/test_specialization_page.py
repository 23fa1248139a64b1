"""A specialization page lists its doctors a page at a time, like the doctors index."""

from __future__ import annotations

import re

import pytest

from home.models import DOCTORS_PER_PAGE
from tests.factories import bulk_doctors, make_doctor

pytestmark = pytest.mark.django_db


def card_names(response) -> list[str]:
    return re.findall(r'class="card__link"[^>]*>([^<]+)<', response.content.decode())


def test_a_specialization_with_many_doctors_is_paginated(client, site_tree):
    cardiology = site_tree["cardiology"]
    bulk_doctors(site_tree["doctors"], DOCTORS_PER_PAGE * 2 + 3, specialization=cardiology)
    make_doctor(site_tree["doctors"], "Dr Not Cardio")  # another specialization: never listed here

    first = client.get(cardiology.url)
    assert len(card_names(first)) == DOCTORS_PER_PAGE
    assert 'aria-label="Pages of results"' in first.content.decode()
    assert "page 1 of 3" in first.content.decode()

    last = client.get(cardiology.url, {"page": 3})
    assert len(card_names(last)) == 3
    every = set()
    for number in (1, 2, 3):
        every |= set(card_names(client.get(cardiology.url, {"page": number})))
    assert len(every) == DOCTORS_PER_PAGE * 2 + 3 and "Dr Not Cardio" not in every

    # A stale or mistyped page number is a page, not an error.
    assert card_names(client.get(cardiology.url, {"page": 99})) == card_names(last)
    assert card_names(client.get(cardiology.url, {"page": "x"})) == card_names(first)


def test_a_small_specialization_shows_no_page_links(client, site_tree, doctor):
    response = client.get(site_tree["cardiology"].url)
    assert card_names(response) == [doctor.title]
    assert "Pages of results" not in response.content.decode()
