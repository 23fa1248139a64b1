"""The doctors index's filters: combined, shareable as URLs, unknown values said and not applied."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import TimeOff
from home.models import SpecializationPage
from tests.factories import SEARCH_DB, bulk_doctors, make_doctor

pytestmark = SEARCH_DB


@pytest.fixture
def clinic(site_tree):
    derm = site_tree["spec_index"].add_child(
        instance=SpecializationPage(title="Dermatology", slug="dermatology", summary="Skin.")
    )
    doctors = site_tree["doctors"]
    ada = make_doctor(doctors, "Dr Ada Cardio", specialization=site_tree["cardiology"], offers_online=True, slug="ada")
    bea = make_doctor(doctors, "Dr Bea Skin", specialization=derm, offers_online=False, slug="bea")
    cai = make_doctor(doctors, "Dr Cai Heart", specialization=site_tree["cardiology"], offers_online=False, slug="cai")
    for doctor, languages, fee in ((ada, "English, Español", "40"), (bea, "English", "80"), (cai, "Urdu", "120")):
        doctor.languages, doctor.consultation_fee = languages, Decimal(fee)
        doctor.save_revision().publish()
    first, _ = booking_window()
    # Cai is away for the next ten days: free only later.
    TimeOff.objects.create(doctor=cai, start_date=first, end_date=first + timedelta(days=10))
    return {"ada": ada, "bea": bea, "cai": cai}


def listed(client, query: str = "") -> tuple[list[str], str]:
    response = client.get("/doctors/" + query)
    assert response.status_code == 200
    html = response.content.decode()
    names = re.findall(r'<h3 class="doctor-card__name"><a class="card__link" href="[^"]*">([^<]+)</a>', html)
    return names, html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Dr Ada Cardio", "Dr Bea Skin", "Dr Cai Heart"]),
        ("?specialization=cardiology", ["Dr Ada Cardio", "Dr Cai Heart"]),
        ("?language=espa%C3%B1ol", ["Dr Ada Cardio"]),
        ("?language=English", ["Dr Ada Cardio", "Dr Bea Skin"]),
        ("?online=1", ["Dr Ada Cardio"]),
        ("?fee_min=50", ["Dr Bea Skin", "Dr Cai Heart"]),
        ("?fee_max=100&fee_min=50", ["Dr Bea Skin"]),
        ("?within=7", ["Dr Ada Cardio", "Dr Bea Skin"]),
        ("?specialization=cardiology&within=7", ["Dr Ada Cardio"]),
        ("?specialization=cardiology&online=1&language=English&fee_max=50", ["Dr Ada Cardio"]),
        ("?sort=fee", ["Dr Ada Cardio", "Dr Bea Skin", "Dr Cai Heart"]),
        ("?q=heart", ["Dr Ada Cardio", "Dr Cai Heart"]),
        ("?q=heart&online=0", ["Dr Ada Cardio", "Dr Cai Heart"]),
        ("?q=skin&specialization=cardiology", []),
    ],
)
def test_filter_combinations(client, clinic, query, expected):
    names, html = listed(client, query)
    assert names == expected
    assert "filter-notes" not in html


def test_soonest_available_puts_the_doctor_on_leave_last(client, clinic):
    make_doctor_busy = clinic["ada"]
    first, _ = booking_window()
    TimeOff.objects.create(doctor=make_doctor_busy, start_date=first, end_date=first + timedelta(days=3))
    names, _ = listed(client, "?sort=soonest")
    assert names == ["Dr Bea Skin", "Dr Ada Cardio", "Dr Cai Heart"]


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("?specialization=bogus", "There is no specialization “bogus”"),
        ("?language=Klingon", "No doctor lists the language “Klingon”"),
        ("?within=banana", "“banana” is not one of the offered time frames"),
        ("?within=9999", "“9999” is not one of the offered time frames"),
        ("?online=maybe", "“maybe” is not a choice for online consultations"),
        ("?fee_min=abc", "The lowest fee “abc” is not an amount"),
        ("?fee_max=1e999", "The highest fee “1e999” is not an amount"),
        ("?fee_min=NaN", "The lowest fee “NaN” is not an amount"),
        ("?fee_min=-5", "The lowest fee “-5” is not an amount"),
        ("?fee_min=90&fee_max=10", "The lowest fee is above the highest fee"),
        ("?sort=random", "“random” is not a way to sort"),
        ("?q=%21%21", "has no word of three letters"),
    ],
)
def test_unknown_values_are_said_and_not_applied(client, clinic, query, note):
    names, html = listed(client, query)
    assert names == ["Dr Ada Cardio", "Dr Bea Skin", "Dr Cai Heart"]
    assert 'class="alert alert--warning filter-notes" role="status"' in html
    assert note in html.replace("&ldquo;", "“").replace("&rdquo;", "”")


def test_a_bad_value_leaves_the_good_ones_applied(client, clinic):
    names, html = listed(client, "?specialization=cardiology&within=banana&online=1")
    assert names == ["Dr Ada Cardio"]
    assert "banana" in html


def test_the_form_shows_the_applied_filters_and_works_without_javascript(client, clinic):
    _, html = listed(client, "?specialization=cardiology&language=Urdu&online=1&within=14&fee_min=10&sort=soonest")
    assert '<form class="filters card card--padded" method="get"' in html
    assert '<option value="cardiology" selected>' in html
    assert '<option value="Urdu" selected>' in html
    assert '<option value="14" selected>' in html
    assert '<option value="soonest" selected>' in html
    assert 'name="online" value="1" checked' in html
    assert 'name="fee_min" min="0" step="1" inputmode="numeric" placeholder="From" value="10"' in html


def test_cards_show_the_next_free_times_as_booking_links(client, clinic):
    ada = clinic["ada"]
    _, html = listed(client, "?specialization=cardiology")
    expected = doctor_free_slots(ada, *booking_window())[:3]
    links = re.findall(rf'href="({re.escape(ada.booking_url)}\?[^"]+)"', html)
    assert len(links) == 3
    for link, slot in zip(links, expected, strict=True):
        assert "slot=" + slot.start.isoformat().replace(":", "%3A").replace("+", "%2B") in link


def test_cai_on_leave_shows_a_later_first_time(client, clinic):
    _, html = listed(client, "?q=cai")
    assert "Next free:" in html
    slot = doctor_free_slots(clinic["cai"], *booking_window())[0]
    assert slot.start.isoformat().replace(":", "%3A").replace("+", "%2B") in html


def test_pagination_keeps_the_filters(client, site_tree):
    bulk_doctors(site_tree["doctors"], 30, specialization=site_tree["cardiology"])
    _, html = listed(client, "?specialization=cardiology&sort=soonest")
    assert "page=2" in html and "specialization=cardiology" in html.split("page=2")[0].rsplit("href=", 1)[1]
    names, _ = listed(client, "?specialization=cardiology&sort=soonest&page=3")
    assert len(names) == 6


@pytest.mark.parametrize("query", ["", "?sort=soonest&within=14&specialization=cardiology"])
def test_index_query_count_is_flat_from_ten_to_a_thousand_doctors(client, site_tree, query):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/doctors/" + query)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    bulk_doctors(site_tree["doctors"], 10, specialization=site_tree["cardiology"])
    count()
    small = count()
    bulk_doctors(site_tree["doctors"], 990, specialization=site_tree["cardiology"])
    large = count()
    assert small == large <= 30


def test_every_time_chip_is_named_by_its_visible_text(client, clinic):
    """Voice-control users say what they see ("click Thu 09:00"): the chip's name must contain it.

    Chips for a later day show the weekday as well, so the cards are rendered with slots over two
    days whatever day the suite runs on.
    """
    from django.template.loader import render_to_string
    from django.utils import timezone

    from booking.availability.slots import Slot

    ada = clinic["ada"]
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    slots = [
        Slot(start, start + timedelta(minutes=15)),
        Slot(start + timedelta(days=1), start + timedelta(days=1, minutes=15)),
    ]
    html = render_to_string("includes/doctor_card.html", {"doctor": ada, "free_times": {ada.pk: slots}})
    chips = re.findall(r'<a class="time-chip"([^>]*)>(.*?)</a>', html, re.S)
    assert len(chips) == 2
    for attributes, content in chips:
        assert "aria-label" not in attributes
        visible = re.sub(r'<span class="visually-hidden">.*?</span>', "", content).strip()
        assert content.strip().startswith(visible)
    assert re.sub(r"<[^>]+>", "", chips[1][1]).startswith(timezone.localtime(slots[1].start).strftime("%a %H:%M"))


def test_a_page_in_availability_order_reads_only_its_own_doctors(clinic):
    """Sorted by availability, every match is ordered but only the page shown is read."""
    from home.models import CardsInOrder

    ids = [clinic["cai"].pk, clinic["ada"].pk, clinic["bea"].pk]
    cards = CardsInOrder(ids)
    assert len(cards) == 3
    with CaptureQueriesContext(connection) as captured:
        window = cards[1:3]
    assert [d.pk for d in window] == ids[1:]
    read = [
        q["sql"]
        for q in captured.captured_queries
        if '"home_doctorpage"' in q["sql"] or "`home_doctorpage`" in q["sql"]
    ]
    first_in_list = read[0].split(" IN (")[1].split(")")[0]
    assert sorted(int(pk) for pk in first_in_list.split(", ")) == sorted(ids[1:])
    assert cards[0].pk == ids[0] and cards[-1].pk == ids[-1]
    with pytest.raises(IndexError):
        cards[3]


def test_the_api_and_the_page_list_doctors_in_the_same_order(client, clinic):
    names, _ = listed(client, "?sort=soonest")
    api = client.get("/api/v1/doctors", {"sort": "soonest", "limit": 2, "offset": 1}).json()
    assert api["count"] == 3
    assert [d["name"] for d in api["items"]] == names[1:3]


def test_the_index_counts_without_distinct(client, clinic):
    """Filters are subqueries of primary keys, so the paginator counts rows, not DISTINCT rows."""
    with CaptureQueriesContext(connection) as captured:
        names, _ = listed(client, "?specialization=cardiology&q=heart&fee_max=200")
    assert names == ["Dr Ada Cardio", "Dr Cai Heart"]
    listing = [q["sql"] for q in captured.captured_queries if "doctorpage" in q["sql"]]
    assert listing and not any("DISTINCT" in sql for sql in listing)
