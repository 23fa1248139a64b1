"""Site search on SQLite (FTS5) and MariaDB (InnoDB FULLTEXT): the same answers on both.

Run on MariaDB with ``DATABASE_URL=mysql://...``; nothing here is SQLite-only.
"""

from __future__ import annotations

import pytest

from home.models import DoctorSpecialization, SpecializationPage
from home.search import query_terms, site_search
from tests.factories import SEARCH_DB, make_doctor

pytestmark = SEARCH_DB


@pytest.fixture
def clinic(site_tree):
    cardiology = site_tree["cardiology"]
    cardiology.conditions = [("condition", c) for c in ("Chest pain", "High blood pressure", "Heart failure")]
    cardiology.save_revision().publish()
    dermatology = site_tree["spec_index"].add_child(
        instance=SpecializationPage(
            title="Dermatology",
            slug="dermatology",
            summary="Skin, hair and nails.",
            conditions=[("condition", "Eczema")],
        )
    )
    marquez = make_doctor(site_tree["doctors"], "Dr Lucía Márquez", specialization=cardiology, slug="marquez")
    marquez.languages = "English, Español"
    marquez.save_revision().publish()
    okafor = make_doctor(site_tree["doctors"], "Dr Chidi Okafor", specialization=dermatology, slug="okafor")
    return {**site_tree, "dermatology": dermatology, "marquez": marquez, "okafor": okafor}


def titles(pages) -> list[str]:
    return [page.title for page in pages]


@pytest.mark.parametrize("query", ["marquez", "MARQUEZ", "Márquez", "márq", "lucia marq"])
def test_doctor_names_match_without_accents_case_or_the_whole_word(clinic, query):
    assert titles(site_search(query).doctors) == ["Dr Lucía Márquez"]


@pytest.mark.parametrize("query", ["cardio", "Cardiology", "CARDIOLOG"])
def test_partial_specialization_names(clinic, query):
    results = site_search(query)
    assert titles(results.specializations) == ["Cardiology"]
    assert titles(results.doctors) == ["Dr Lucía Márquez"]


@pytest.mark.parametrize("query", ["heart", "chest pain", "blood pressure", "pain chest"])
def test_a_condition_leads_to_its_specialization_and_doctors(clinic, query):
    results = site_search(query)
    assert titles(results.specializations) == ["Cardiology"]
    assert titles(results.doctors) == ["Dr Lucía Márquez"]


def test_languages_are_searchable(clinic):
    assert titles(site_search("espanol").doctors) == ["Dr Lucía Márquez"]


def test_every_word_must_match(clinic):
    assert site_search("eczema heart").total == 0
    assert titles(site_search("eczema").specializations) == ["Dermatology"]


def test_cms_pages_are_found(clinic):
    about = clinic["about"]
    about.intro = "Our clinic opened in 1998 beside the river."
    about.save_revision().publish()
    results = site_search("river")
    assert titles(results.pages) == ["About"]
    assert results.doctors == [] and results.specializations == []


def test_unpublished_pages_are_not_found(clinic):
    clinic["okafor"].unpublish()
    assert site_search("okafor").doctors == []


def test_doctors_follow_a_specialization_linked_later(clinic):
    okafor = clinic["okafor"]
    okafor.specialization_links.add(DoctorSpecialization(specialization=clinic["cardiology"]))
    okafor.save_revision().publish()
    assert titles(site_search("heart").doctors) == ["Dr Chidi Okafor", "Dr Lucía Márquez"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "?!*+-<>()~\"'@",
        "x" * 5000,
        "'; DROP TABLE home_doctorpage; --",
        '+heart -"chest" @distance 3',
        "heart*",
        "a an the of",
        "%_%",
        "\x00",
        "naïve café 東京",
    ],
)
def test_bad_queries_return_a_normal_answer(clinic, query):
    results = site_search(query)
    assert results.total >= 0


def test_injection_looking_text_is_searched_as_words(clinic):
    assert query_terms('+heart -"chest" @distance') == ["heart", "chest", "distance"]
    assert titles(site_search('+heart -"chest"').specializations) == ["Cardiology"]


def test_query_terms_drop_what_mariadb_cannot_index():
    assert query_terms("Dr of the Márquez") == ["marquez"]
    assert query_terms("a" * 80) == ["a" * 40]
    assert len(query_terms(" ".join(f"word{i}" for i in range(20)))) == 6


def test_search_page_groups_results_with_next_free_times(client, clinic):
    response = client.get("/search/", {"q": "heart"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index('id="results-specializations"') < html.index('id="results-doctors"')
    assert "Cardiology" in html and "Dr Lucía Márquez" in html
    assert f'href="{clinic["marquez"].booking_url}?' in html  # a next free time, straight into booking
    assert '<meta name="robots" content="noindex, follow">' in html


@pytest.mark.parametrize("query", ["", "!!", "x" * 3000, "'; SELECT 1; --", '"unclosed', "+-*~<>()"])
def test_search_page_answers_any_query(client, clinic, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


def test_home_page_has_the_search_box(client, clinic):
    html = client.get("/").content.decode()
    assert 'action="/search/"' in html and 'role="search"' in html
