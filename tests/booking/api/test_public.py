"""Public endpoints: clinic, pages, specializations, doctors (the index's filters), free times."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from booking.availability.selectors import booking_window
from booking.models import clinic_zone
from tests.factories import SEARCH_DB, make_doctor


def test_clinic_details_and_rules(client, site_tree):
    body = client.get("/api/v1/clinic").json()
    assert body["time_zone"] == str(clinic_zone())
    assert body["cancel_cutoff_hours"] > 0


def test_doctors_filtered_like_the_doctors_page(client, doctor, other_doctor):
    everyone = client.get("/api/v1/doctors").json()
    assert everyone["count"] == 2
    assert [d["name"] for d in everyone["items"]] == ["Dr Ada Lovelace", "Dr Alan Turing"]
    cardio = client.get("/api/v1/doctors", {"specialization": "cardiology"}).json()
    assert [d["name"] for d in cardio["items"]] == ["Dr Ada Lovelace"]
    page = client.get("/api/v1/doctors", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [d["name"] for d in page["items"]] == ["Dr Alan Turing"]
    by_fee = client.get("/api/v1/doctors", {"online": "1", "fee_max": "60", "sort": "fee"}).json()
    assert by_fee["count"] == 2
    soonest = client.get("/api/v1/doctors", {"within": "7", "sort": "soonest"}).json()
    assert {d["name"] for d in soonest["items"]} == {"Dr Ada Lovelace", "Dr Alan Turing"}


def test_unknown_filter_values_are_refused_with_what_the_page_would_note(client, doctor):
    response = client.get("/api/v1/doctors", {"specialization": "nope", "within": "99"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    notes = " ".join(error["message"] for error in body["errors"])
    assert "nope" in notes and "99" in notes


@SEARCH_DB
def test_doctors_searched_like_the_doctors_page(client, doctor, other_doctor):
    # Wagtail's search index: on MariaDB its full-text index sees only committed rows.
    assert [d["name"] for d in client.get("/api/v1/doctors", {"q": "turing"}).json()["items"]] == ["Dr Alan Turing"]
    assert client.get("/api/v1/doctors", {"q": "cardio"}).json()["count"] == 1


def test_pagination_is_bounded(client, doctor):
    response = client.get("/api/v1/doctors", {"limit": 1000})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


def test_doctor_detail_with_next_free_times_in_clinic_offset(client, doctor):
    body = client.get(f"/api/v1/doctors/{doctor.pk}").json()
    assert body["specializations"][0]["slug"] == "cardiology"
    raw = body["next_free_times"][0]["starts_at"]
    first = datetime.fromisoformat(raw)
    # ISO 8601 with the clinic's own offset written out (never "Z").
    assert first.utcoffset() == first.astimezone(clinic_zone()).utcoffset()
    assert raw[-6] in "+-" and raw[-3] == ":"


def test_unknown_or_unpublished_doctor_is_404(client, doctor):
    assert client.get("/api/v1/doctors/999999").json()["code"] == "not_found"
    doctor.unpublish()
    assert client.get(f"/api/v1/doctors/{doctor.pk}").status_code == 404
    assert client.get(f"/api/v1/doctors/{doctor.pk}/slots").status_code == 404


def test_slots_over_a_bounded_range(client, doctor):
    first, _last = booking_window()
    start = first + timedelta(days=2)
    body = client.get(f"/api/v1/doctors/{doctor.pk}/slots", {"start": start, "end": start}).json()
    assert len(body) == 24  # 08:00–20:00 in 30-minute slots
    assert all(datetime.fromisoformat(s["starts_at"]).date() == start for s in body)
    too_long = client.get(f"/api/v1/doctors/{doctor.pk}/slots", {"start": start, "end": start + timedelta(days=40)})
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["field"] == "end"
    backwards = client.get(f"/api/v1/doctors/{doctor.pk}/slots", {"start": start, "end": start - timedelta(days=1)})
    assert backwards.status_code == 400


@pytest.mark.parametrize("bad", ["0001-01-01", "9999-12-31", "2026-02-30", "tomorrow"])
def test_slots_refuse_absurd_dates(client, doctor, bad):
    response = client.get(f"/api/v1/doctors/{doctor.pk}/slots", {"start": bad})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_cms_pages_read_only(client, site_tree):
    pages = client.get("/api/v1/pages", {"limit": 100}).json()
    titles = {p["title"] for p in pages["items"]}
    assert {"About", "Doctors", "Cardiology"} <= titles
    about = client.get(f"/api/v1/pages/{site_tree['about'].pk}").json()
    assert about["intro"] == "About us"
    site_tree["about"].unpublish()
    assert client.get(f"/api/v1/pages/{site_tree['about'].pk}").status_code == 404
    assert client.post("/api/v1/pages", {}).status_code == 405


def test_specializations(client, doctor):
    body = client.get("/api/v1/specializations").json()
    assert [s["slug"] for s in body["items"]] == ["cardiology"]


def test_public_lists_issue_a_bounded_number_of_queries(client, site_tree, django_assert_max_num_queries):
    for n in range(3):
        make_doctor(site_tree["doctors"], f"Dr {n}", specialization=site_tree["cardiology"])
    # The filters' options (specializations, languages) cost two queries, whatever the size.
    with django_assert_max_num_queries(14):
        client.get("/api/v1/doctors")
    for n in range(3, 15):
        make_doctor(site_tree["doctors"], f"Dr {n}", specialization=site_tree["cardiology"])
    with django_assert_max_num_queries(14):
        assert client.get("/api/v1/doctors").json()["count"] == 15


def test_schema_and_docs_are_served_without_a_cdn(client, site_tree):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(url.startswith("/static/") for url in sources), sources
    # The page runs only files from our origin: the portal's policy allows it without change.
    policy = docs["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "cdn" not in policy
    assert "<script>" not in html  # no inline script that the nonce-only policy would block
