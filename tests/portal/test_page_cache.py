"""Signed-out visitors' public pages come from the cache, and never show anything out of date.

The test settings' cache is a per-process memory cache, emptied around every test; the outage test
points the cache at a Redis port nobody listens on, and the query-count test uses the database
cache that ``make run`` uses.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import PageViewRestriction

from booking.appointments.services import Actor, move_appointment, transition
from booking.models import Appointment, ClinicClosure, TimeOff
from portal import pagecache
from tests.factories import make_appointment, make_doctor, make_user, sign_in

from .test_cache_outage import closed_port, redis_caches

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` around a change: its on-commit callbacks (the bumps) run at the end,
    as they would when the change's transaction commits on the site."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


NONCE = re.compile(r'nonce="([^"]+)"')


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response


def time_link(slot) -> str:
    return f"slot={slot.start.isoformat()}".replace("+", "%2B").replace(":", "%3A")


def public_urls(site_tree, doctor):
    return ["/", "/doctors/", site_tree["cardiology"].url, doctor.url, site_tree["about"].url, "/specializations/"]


def test_every_public_page_is_stored_then_served_from_the_cache(client, site_tree, doctor):
    for url in public_urls(site_tree, doctor):
        first = get(client, url)
        second = get(client, url)
        assert first["X-Page-Cache"] == "miss", url
        assert second["X-Page-Cache"] == "hit", url
        assert second.content == first.content or NONCE.search(first.content.decode()), url
        for response in (first, second):
            assert response["Cache-Control"] == "no-cache", url
            assert "Cookie" in response["Vary"], url
            assert response["X-Frame-Options"] == "DENY", url
            assert "Set-Cookie" not in response, url


# Transactional: creating the cache table is DDL, which commits the test's transaction on MySQL/MariaDB.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_hit_costs_at_most_three_queries_on_the_database_cache(client, site_tree, doctor):
    db_cache = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache"}}
    with override_settings(CACHES=db_cache):
        call_command("createcachetable", verbosity=0)
        get(client, doctor.url)
        with CaptureQueriesContext(connection) as miss:
            get(client, "/doctors/?page=1")
        with CaptureQueriesContext(connection) as hit:
            response = get(client, "/doctors/?page=1")
        assert response["X-Page-Cache"] == "hit"
        assert len(hit.captured_queries) <= 3, [q["sql"] for q in hit.captured_queries]
        assert len(miss.captured_queries) > len(hit.captured_queries) + 5


def test_a_booking_makes_the_cached_doctor_page_show_the_slot_as_gone(client, doctor, committed):
    page = get(client, doctor.url)
    first_shown = re.search(r'slot=([^"&]+)', page.content.decode()).group(1)
    assert get(client, doctor.url)["X-Page-Cache"] == "hit"
    slot = next(
        s for s in pagecache_slots(doctor) if s.start.isoformat().replace("+", "%2B").replace(":", "%3A") == first_shown
    )

    with committed():
        appointment = make_appointment(doctor, slot=slot)
    after = get(client, doctor.url)
    assert after["X-Page-Cache"] == "miss"
    assert first_shown not in after.content.decode()

    with committed():
        transition(appointment, Appointment.Status.DECLINED, Actor(Actor.DOCTOR, doctor.user), remark="Away.")
    freed = get(client, doctor.url)
    assert freed["X-Page-Cache"] == "miss"
    assert first_shown in freed.content.decode()


def pagecache_slots(doctor):
    from booking.availability.selectors import upcoming_days

    return [slot for _, slots in upcoming_days(doctor) for slot in slots]


def test_a_move_refreshes_both_doctors_pages(client, doctor, other_doctor, staff_user, committed):
    slot = pagecache_slots(doctor)[-1]
    appointment = make_appointment(doctor, slot=slot)
    for page in (doctor, other_doctor):
        get(client, page.url)
        assert get(client, page.url)["X-Page-Cache"] == "hit"
    target = pagecache_slots(other_doctor)[-1]
    with committed():
        move_appointment(appointment, target.start, Actor(Actor.STAFF, staff_user), doctor_id=other_doctor.pk)
    assert get(client, doctor.url)["X-Page-Cache"] == "miss"
    assert get(client, other_doctor.url)["X-Page-Cache"] == "miss"


def test_time_off_and_closures_refresh_doctor_pages(client, doctor, other_doctor, committed):
    for page in (doctor, other_doctor):
        get(client, page.url)
    today = timezone.localdate()
    with committed():
        TimeOff.objects.create(doctor=doctor, start_date=today, end_date=today)
    assert get(client, doctor.url)["X-Page-Cache"] == "miss"
    assert get(client, other_doctor.url)["X-Page-Cache"] == "hit"  # one doctor's change is that doctor's

    with committed():
        ClinicClosure.objects.create(start_date=today, end_date=today, reason="Holiday")
    assert get(client, doctor.url)["X-Page-Cache"] == "miss"
    assert get(client, other_doctor.url)["X-Page-Cache"] == "miss"


def test_an_unrelated_booking_leaves_other_pages_cached(client, site_tree, doctor, other_doctor, committed):
    urls = [other_doctor.url, site_tree["about"].url]
    for url in urls:
        get(client, url)
    with committed():
        make_appointment(doctor)
    for url in urls:
        assert get(client, url)["X-Page-Cache"] == "hit", url


def test_listings_with_next_free_times_follow_every_booking(client, site_tree, doctor, committed):
    """The doctors index and specialization pages show each doctor's next times on the cards."""
    listings = ["/doctors/", site_tree["cardiology"].url]
    first = pagecache_slots(doctor)[0]
    for url in listings:
        assert time_link(first) in get(client, url).content.decode(), url
        assert get(client, url)["X-Page-Cache"] == "hit"
    with committed():
        make_appointment(doctor, slot=first)
    for url in listings:
        after = get(client, url)
        assert after["X-Page-Cache"] == "miss", url
        assert time_link(first) not in after.content.decode(), url


def test_publishing_any_page_invalidates_every_cached_page(client, site_tree, doctor, committed):
    urls = public_urls(site_tree, doctor)
    for url in urls:
        get(client, url)
    about = site_tree["about"]
    about.title = "About the clinic"
    with committed():
        about.save_revision().publish()
    for url in urls:
        response = get(client, url)
        assert response["X-Page-Cache"] == "miss", url
        assert "About the clinic" in response.content.decode(), url  # the menu shows every page's new title


def test_unpublishing_a_doctor_removes_them_from_the_cached_index(client, doctor, committed):
    assert doctor.title in get(client, "/doctors/").content.decode()
    with committed():
        doctor.unpublish()
    assert doctor.title not in get(client, "/doctors/").content.decode()
    assert client.get(doctor.url).status_code == 404


def test_deleting_and_restricting_pages_invalidate(client, site_tree, doctor, committed):
    get(client, "/doctors/")
    other = make_doctor(site_tree["doctors"], "Dr Grace Hopper", slug="grace")
    get(client, "/doctors/")
    with committed():
        other.delete()
    assert "Grace Hopper" not in get(client, "/doctors/").content.decode()

    about = site_tree["about"]
    get(client, about.url)
    with committed():
        PageViewRestriction.objects.create(page=about, restriction_type=PageViewRestriction.LOGIN)
    assert client.get(about.url).status_code == 302  # the cached copy is not served past the restriction


def test_a_signed_in_user_never_gets_a_cached_page_nor_stores_one(client, site_tree, doctor, patient):
    get(client, doctor.url)  # cached for signed-out visitors
    sign_in(client, patient)
    response = get(client, doctor.url)
    assert "X-Page-Cache" not in response
    assert "Sign out" in response.content.decode()
    assert "private" in response["Cache-Control"]
    client.logout()
    anonymous = get(client, site_tree["about"].url)  # the signed-in visit stored nothing
    assert "Sign out" not in anonymous.content.decode()
    assert patient.first_name not in anonymous.content.decode()


def test_a_signed_in_visit_is_not_stored_for_others(client, site_tree, patient):
    sign_in(client, patient)
    get(client, site_tree["about"].url)
    client.logout()
    response = get(client, site_tree["about"].url)
    assert response["X-Page-Cache"] == "miss"
    assert "Sign out" not in response.content.decode()


def test_pages_with_a_csrf_form_are_never_cached(client, doctor):
    for _ in range(2):
        response = client.get(doctor.url + "book/")
        assert response.status_code == 200
        assert "X-Page-Cache" not in response
        assert "no-store" in response["Cache-Control"]
    assert not [k for k in cache._cache if "pagecache:page" in k]  # type: ignore[attr-defined]


def test_a_page_rendering_a_csrf_token_is_not_stored(client, site_tree, monkeypatch):
    from django.middleware.csrf import get_token

    from home.models import StandardPage

    original = StandardPage.serve

    def serve_with_form(self, request, *args, **kwargs):
        get_token(request)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(StandardPage, "serve", serve_with_form)
    for _ in range(2):
        response = get(client, site_tree["about"].url)
        assert "X-Page-Cache" not in response
        assert "private" in response["Cache-Control"]


def test_pending_messages_bypass_the_cache(client, site_tree):
    get(client, site_tree["about"].url)
    storage = CookieStorage(HttpRequest())
    storage.add(messages.INFO, "Your booking was cancelled.")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value
    response = get(client, site_tree["about"].url)
    assert "X-Page-Cache" not in response
    assert "Your booking was cancelled." in response.content.decode()
    assert get(client, site_tree["about"].url)["X-Page-Cache"] == "hit"  # shown once, then the cached page


@pytest.mark.parametrize(
    ("query", "cached"),
    [
        ("?page=2", True),
        ("?specialization=cardiology", True),
        ("?specialization=cardiology&page=1", True),
        ("?q=ada", False),
        ("?utm_source=mail", False),
        ("?page=2&page=3", False),
        ("?page=<script>", False),
    ],
)
def test_only_allow_listed_query_parameters_are_cached(client, site_tree, doctor, query, cached):
    get(client, "/doctors/" + query)
    response = get(client, "/doctors/" + query)
    assert (response.get("X-Page-Cache") == "hit") is cached


def test_normalised_query_strings_share_one_entry(client, site_tree, doctor):
    get(client, "/doctors/?page=1&specialization=cardiology")
    assert get(client, "/doctors/?specialization=cardiology&page=1")["X-Page-Cache"] == "hit"
    assert get(client, "/doctors/?specialization=none")["X-Page-Cache"] == "miss"


def test_the_nonce_is_fresh_per_response_and_matches_the_header(client, site_tree, monkeypatch):
    from home.models import StandardPage

    original = StandardPage.serve

    def serve_with_script(self, request, *args, **kwargs):
        response = original(self, request, *args, **kwargs)
        response.render()
        tag = f'<script nonce="{request.csp_nonce}">1</script></body>'.encode()
        response.content = response.content.replace(b"</body>", tag)
        return response

    monkeypatch.setattr(StandardPage, "serve", serve_with_script)
    nonces = []
    for expected in ("miss", "hit", "hit"):
        response = get(client, site_tree["about"].url)
        assert response["X-Page-Cache"] == expected
        # Every nonce'd tag of the page (its scripts, the JSON-LD, the one added here) carries this response's.
        (nonce,) = set(NONCE.findall(response.content.decode()))
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert len(set(nonces)) == 3
    assert b"\x00" not in response.content


def test_non_200_and_previews_are_not_cached(client, site_tree):
    for _ in range(2):
        assert client.get("/no-such-page/").status_code == 404
    assert not [k for k in cache._cache if "pagecache:page" in k]  # type: ignore[attr-defined]


def test_the_cache_can_be_switched_off(client, site_tree, settings):
    settings.PAGE_CACHE_ENABLED = False
    get(client, site_tree["about"].url)
    assert "X-Page-Cache" not in get(client, site_tree["about"].url)


def test_redis_down_pages_render_normally(client, site_tree, doctor):
    with override_settings(CACHES=redis_caches(f"redis://127.0.0.1:{closed_port()}/0")):
        for url in public_urls(site_tree, doctor):
            response = get(client, url)
            assert "X-Page-Cache" not in response or response["X-Page-Cache"] != "hit"
        make_appointment(doctor)  # a bump with the cache away is no error either
        assert get(client, doctor.url).status_code == 200


def test_a_staff_member_signed_in_gets_no_cached_page(client, site_tree, staff_user):
    get(client, "/")
    sign_in(client, staff_user)
    response = get(client, "/")
    assert "X-Page-Cache" not in response
    assert "Clinic admin" in response.content.decode()


def test_bump_rejects_unknown_kinds():
    with pytest.raises(ValueError):
        pagecache.bump("everything")


def test_a_different_user_content_never_leaks_through_the_cache(client, site_tree, patient):
    other = make_user("carol@example.com")
    sign_in(client, other)
    get(client, "/")
    client.logout()
    sign_in(client, patient)
    assert "Carol" not in get(client, "/").content.decode()
