"""The doctor's dashboard: who gets in, what each doctor sees, and every change going through the service.

The dashboard is the doctor's only way to answer bookings, so the tests drive it the way a doctor
does (real POSTs, real redirects and messages) and check the appointment and its timeline after.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, AppointmentEvent, clinic_zone
from tests.factories import PASSWORD, make_appointment, make_doctor, make_user, save_appointment, started_appointment

pytestmark = pytest.mark.django_db

S = Appointment.Status


# --- Helpers ----------------------------------------------------------------------------------


def messages_of(response) -> list[str]:
    """Messages waiting after ``response``; unfollowed redirects leave earlier ones queued too."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def status_url(appointment) -> str:
    return reverse("doctor:transition", args=[appointment.reference])


def detail_url(appointment) -> str:
    return reverse("doctor:appointment", args=[appointment.reference])


def meeting_url(appointment) -> str:
    return reverse("doctor:meeting_link", args=[appointment.reference])


@pytest.fixture
def as_doctor(client, doctor, doctor_user):
    client.login(email=doctor_user.email, password=PASSWORD)
    return client


@pytest.fixture
def pending(doctor, patient):
    return make_appointment(doctor, patient=patient, reason="Chest pain")


@pytest.fixture
def theirs(other_doctor):
    return make_appointment(other_doctor, full_name="Zed Elsewhere", email="zed@example.com")


# --- Who gets in ---------------------------------------------------------------------------------

LIST_URLS = ["doctor:dashboard", "doctor:search", "doctor:report", "doctor:report_csv"]


@pytest.mark.parametrize("name", LIST_URLS)
def test_anonymous_visitors_are_sent_to_log_in(client, doctor, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert "next=" in response["Location"]


def test_anonymous_visitors_cannot_open_or_change_an_appointment(client, pending):
    assert client.get(detail_url(pending)).status_code == 302
    assert client.post(status_url(pending), {"target": S.CONFIRMED}).status_code == 302
    pending.refresh_from_db()
    assert pending.status == S.PENDING


@pytest.mark.parametrize("who", ["patient", "staff_user", "doctor_without_page"])
@pytest.mark.parametrize("name", LIST_URLS)
def test_other_roles_get_404(client, request, doctor, who, name):
    user = (
        make_user("lonely.doc@example.com", "doctor") if who == "doctor_without_page" else request.getfixturevalue(who)
    )
    client.force_login(user)
    assert client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize("who", ["patient", "staff_user"])
def test_other_roles_get_404_on_an_appointment(client, request, pending, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(detail_url(pending)).status_code == 404
    assert client.post(status_url(pending), {"target": S.CONFIRMED}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == S.PENDING


def test_another_doctor_gets_404_on_every_url_with_a_reference(client, other_doctor, other_doctor_user, doctor):
    # Started, confirmed and online: every action would be allowed to its own doctor.
    appointment = started_appointment(doctor, S.CONFIRMED, mode=Appointment.Mode.ONLINE)
    client.force_login(other_doctor_user)
    assert client.get(detail_url(appointment)).status_code == 404
    for target in (S.COMPLETED, S.NO_SHOW, S.CANCELLED):
        assert client.post(status_url(appointment), {"target": target, "remark": "x"}).status_code == 404
    assert client.post(meeting_url(appointment), {"meeting_url": "https://evil.example/room"}).status_code == 404
    assert client.post(meeting_url(appointment), {"action": "generate"}).status_code == 404
    appointment.refresh_from_db()
    assert (appointment.status, appointment.meeting_url) == (S.CONFIRMED, "")
    assert not appointment.events.exists()


def test_unknown_reference_is_404(as_doctor):
    assert as_doctor.get(reverse("doctor:appointment", args=["00000-00000"])).status_code == 404
    assert as_doctor.post(reverse("doctor:transition", args=["NOPE"]), {"target": "confirmed"}).status_code == 404


def test_changes_need_post(as_doctor, pending):
    assert as_doctor.get(status_url(pending)).status_code == 405
    assert as_doctor.get(meeting_url(pending)).status_code == 405


def test_pages_are_never_cached(as_doctor, pending):
    for url in (reverse("doctor:dashboard"), detail_url(pending), reverse("doctor:search")):
        assert "no-store" in as_doctor.get(url)["Cache-Control"]


# --- Dashboard ---------------------------------------------------------------------------------------


def test_dashboard_lists_own_pending_requests_only(as_doctor, pending, theirs):
    response = as_doctor.get(reverse("doctor:dashboard"))
    assert response.status_code == 200
    assert [a.pk for a in response.context["pending"]] == [pending.pk]
    assert response.context["counts"]["pending"] == 1
    content = response.content.decode()
    assert pending.full_name in content
    assert theirs.full_name not in content and theirs.reference not in content
    # Confirm is a button; decline asks for a labelled remark first.
    assert f'action="{status_url(pending)}"' in content
    assert f'for="req-{pending.reference}-declined-remark"' in content
    assert f'id="req-{pending.reference}-declined-remark" name="remark"' in content


def test_dashboard_groups_the_week_and_shows_today(as_doctor, doctor):
    tz = clinic_zone()
    today = timezone.localdate(timezone=tz)
    midnight = datetime.combine(today, time.min, tzinfo=tz)  # started already, whenever the test runs
    early_today = save_appointment(doctor, midnight, full_name="Early Bird")
    cancelled = save_appointment(doctor, midnight, S.CANCELLED, full_name="Gone")
    response = as_doctor.get(reverse("doctor:dashboard"))
    assert [a.pk for a, _ in response.context["today_rows"]] == [early_today.pk]
    days = response.context["week_days"]
    assert [d.day.weekday() for d in days] == list(range(7))
    assert next(d for d in days if d.is_today).appointments == [early_today]
    assert response.context["counts"]["today"] == 1
    assert "Early Bird" in response.content.decode()
    assert cancelled.full_name not in response.content.decode()
    # Started and confirmed: the row offers the outcome buttons; cancelling (remark) is on the detail page.
    targets = [action.target for action in response.context["today_rows"][0][1]]
    assert targets == [S.CANCELLED, S.COMPLETED, S.NO_SHOW]
    today_section = response.content.decode().split('id="today-title"')[1].split('id="week-title"')[0]
    assert 'value="completed"' in today_section and 'value="no_show"' in today_section
    assert 'value="cancelled"' not in today_section


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("doctor:dashboard"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _fill(doctor, first: int, last: int) -> None:
    """Appointments today (some started, some pending and still to come) and later this week."""
    tz = clinic_zone()
    midnight = datetime.combine(timezone.localdate(timezone=tz), time.min, tzinfo=tz)
    for i in range(first, last):
        status = S.PENDING if i % 2 else S.CONFIRMED
        mode = Appointment.Mode.ONLINE if i % 3 else Appointment.Mode.IN_PERSON
        start = midnight + timedelta(minutes=30 * i)
        save_appointment(doctor, start, status, mode=mode, full_name=f"Patient {i}")
        save_appointment(doctor, timezone.now() + timedelta(days=1, minutes=30 * i), S.PENDING, full_name=f"Next {i}")


def test_dashboard_query_count_does_not_grow_with_appointments(as_doctor, doctor):
    _fill(doctor, 0, 2)
    _dashboard_queries(as_doctor)  # warm per-process caches (site root, content types)
    few = _dashboard_queries(as_doctor)
    _fill(doctor, 2, 20)
    many = _dashboard_queries(as_doctor)
    assert many == few, f"{few} queries with 2 appointments, {many} with 20"
    assert few <= 15, f"the dashboard takes {few} queries"


# --- Status changes through the POST ------------------------------------------------------------------


def test_doctor_confirms(as_doctor, pending, doctor_user):
    dashboard = reverse("doctor:dashboard")
    response = as_doctor.post(status_url(pending), {"target": S.CONFIRMED, "next": dashboard})
    assert response.status_code == 302 and response["Location"] == dashboard
    pending.refresh_from_db()
    assert pending.status == S.CONFIRMED
    event = pending.events.last()
    assert (event.from_status, event.to_status, event.actor_role, event.actor) == (
        S.PENDING,
        S.CONFIRMED,
        "doctor",
        doctor_user,
    )
    assert any("confirmed" in m for m in messages_of(response))


def test_doctor_declines_with_a_remark(as_doctor, pending):
    response = as_doctor.post(status_url(pending), {"target": S.DECLINED, "remark": "  On leave that week.  "})
    assert response["Location"] == detail_url(pending)
    pending.refresh_from_db()
    assert pending.status == S.DECLINED
    assert pending.holds_slot is None
    assert pending.events.last().remark == "On leave that week."


@pytest.mark.parametrize("remark", [None, "", "   "])
def test_declining_without_a_remark_is_refused(as_doctor, pending, remark):
    data = {"target": S.DECLINED} if remark is None else {"target": S.DECLINED, "remark": remark}
    response = as_doctor.post(status_url(pending), data)
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == S.PENDING
    assert any("remark" in m for m in messages_of(response))
    assert pending.events.count() == 1  # only the booking


def test_too_long_remark_is_refused(as_doctor, pending):
    response = as_doctor.post(status_url(pending), {"target": S.DECLINED, "remark": "x" * 1001})
    pending.refresh_from_db()
    assert pending.status == S.PENDING
    assert any("Remark" in m for m in messages_of(response))


@pytest.mark.parametrize("source", [S.PENDING, S.DECLINED])
def test_completing_a_pending_or_declined_appointment_is_refused(as_doctor, doctor, source):
    appointment = started_appointment(doctor, source)
    response = as_doctor.post(status_url(appointment), {"target": S.COMPLETED})
    appointment.refresh_from_db()
    assert appointment.status == source
    assert messages_of(response) == [
        f"A {S(source).label.lower()} appointment cannot be completed.",
    ]


@pytest.mark.parametrize("target", [S.COMPLETED, S.NO_SHOW])
def test_outcome_only_after_the_start(as_doctor, doctor, target):
    future = make_appointment(doctor)
    as_doctor.post(status_url(future), {"target": S.CONFIRMED})
    response = as_doctor.post(status_url(future), {"target": target})
    future.refresh_from_db()
    assert future.status == S.CONFIRMED
    assert any("once it has started" in m for m in messages_of(response))

    past = started_appointment(doctor, S.CONFIRMED)
    response = as_doctor.post(status_url(past), {"target": target})
    past.refresh_from_db()
    assert past.status == target
    assert messages_of(response)[-1].startswith(f"Appointment {past.reference}")


@pytest.mark.parametrize("target", ["", "teleported", "CONFIRMED", S.PENDING_PAYMENT])
def test_bad_target_changes_nothing(as_doctor, pending, target):
    response = as_doctor.post(status_url(pending), {"target": target, "remark": "x"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == S.PENDING
    assert len(messages_of(response)) == 1


def test_next_must_stay_on_this_site(as_doctor, pending):
    response = as_doctor.post(status_url(pending), {"target": S.CONFIRMED, "next": "https://evil.example/"})
    assert response["Location"] == detail_url(pending)


# --- One appointment -------------------------------------------------------------------------------------


def test_detail_shows_patient_timeline_and_allowed_buttons(as_doctor, pending):
    response = as_doctor.get(detail_url(pending))
    assert response.status_code == 200
    content = response.content.decode()
    for text in (pending.full_name, pending.email, str(pending.mobile), "Chest pain", "Registered patient"):
        assert text in content
    assert [a.target for a in response.context["actions"]] == [S.CONFIRMED, S.DECLINED, S.CANCELLED]
    assert [a.target for a in response.context["actions"] if a.needs_remark] == [S.DECLINED, S.CANCELLED]
    for target in (S.CONFIRMED, S.DECLINED, S.CANCELLED):
        assert f'name="target" value="{target}"' in content
    assert 'value="completed"' not in content
    assert list(response.context["events"]) == list(pending.events.all())


def test_detail_accepts_a_reference_typed_loosely(as_doctor, pending):
    loose = pending.reference.replace("-", "").lower()
    assert as_doctor.get(reverse("doctor:appointment", args=[loose])).status_code == 200


def test_finished_appointment_offers_no_buttons(as_doctor, doctor):
    appointment = started_appointment(doctor, S.COMPLETED)
    response = as_doctor.get(detail_url(appointment))
    assert response.context["actions"] == []
    assert "cannot change any more" in response.content.decode()


# --- Meeting link -----------------------------------------------------------------------------------------


@pytest.fixture
def online(doctor):
    return make_appointment(doctor, n=1, mode=Appointment.Mode.ONLINE)


def test_doctor_sets_a_meeting_link(as_doctor, online):
    assert as_doctor.get(detail_url(online)).context["meeting_form"] is not None
    response = as_doctor.post(meeting_url(online), {"meeting_url": "https://video.example.org/room-42"})
    assert response["Location"] == detail_url(online)
    online.refresh_from_db()
    assert online.meeting_url == "https://video.example.org/room-42"
    assert online.events.last().remark == "Meeting link added."


@pytest.mark.parametrize("value", ["http://video.example.org/room", "ftp://x.example/", "not a url", ""])
def test_meeting_link_must_be_https(as_doctor, online, value):
    response = as_doctor.post(meeting_url(online), {"meeting_url": value})
    assert response.status_code == 400
    assert response.context["meeting_form"].errors
    online.refresh_from_db()
    assert online.meeting_url == ""


def test_doctor_generates_a_meeting_link(as_doctor, online):
    as_doctor.post(meeting_url(online), {"action": "generate"})
    online.refresh_from_db()
    assert online.meeting_url.startswith(settings.ONLINE_MEETING_BASE_URL)
    assert online.meeting_url.startswith("https://")


def test_no_meeting_link_for_in_person_appointments(as_doctor, pending):
    assert as_doctor.get(detail_url(pending)).context["meeting_form"] is None
    for data in ({"meeting_url": "https://video.example.org/room"}, {"action": "generate"}):
        response = as_doctor.post(meeting_url(pending), data)
        assert response.status_code == 302
        assert messages_of(response)[-1] == "Only online consultations have a meeting link."
    pending.refresh_from_db()
    assert pending.meeting_url == ""


def test_no_meeting_link_once_the_appointment_is_over(as_doctor, doctor):
    appointment = started_appointment(doctor, S.CANCELLED, mode=Appointment.Mode.ONLINE)
    assert as_doctor.get(detail_url(appointment)).context["meeting_form"] is None
    response = as_doctor.post(meeting_url(appointment), {"action": "generate"})
    appointment.refresh_from_db()
    assert appointment.meeting_url == ""
    assert "can no longer change" in messages_of(response)[0]


# --- Search -------------------------------------------------------------------------------------------------


def _found(client, **params) -> list[str]:
    response = client.get(reverse("doctor:search"), params)
    assert response.status_code == 200
    page = response.context["page"]
    return [a.reference for a in page.object_list] if page else []


def test_search_by_reference_name_and_email(as_doctor, doctor, theirs):
    alice = make_appointment(doctor, n=0, full_name="Alice Tester", email="alice@example.com")
    bob = make_appointment(doctor, n=1, full_name="Bob Marley", email="bob@music.example")
    assert _found(as_doctor, q=alice.reference) == [alice.reference]
    assert _found(as_doctor, q=alice.reference.replace("-", "").lower()) == [alice.reference]
    assert _found(as_doctor, q="marl") == [bob.reference]
    assert _found(as_doctor, q="MUSIC.example") == [bob.reference]
    assert sorted(_found(as_doctor, q="tester")) == [alice.reference]
    # The other doctor's appointment is never found, by reference or by name.
    assert _found(as_doctor, q=theirs.reference) == []
    assert _found(as_doctor, q="Zed") == []
    assert _found(as_doctor) == []  # nothing asked, nothing listed


def test_search_by_status_and_pagination(as_doctor, doctor):
    for i in range(25):
        started_appointment(doctor, S.COMPLETED, hours_ago=i + 2, full_name=f"Patient {i}")
    response = as_doctor.get(reverse("doctor:search"), {"status": S.COMPLETED})
    page = response.context["page"]
    assert page.paginator.count == 25 and len(page.object_list) == 20
    second = as_doctor.get(reverse("doctor:search"), {"status": S.COMPLETED, "page": 2}).context["page"]
    assert len(second.object_list) == 5
    assert as_doctor.get(reverse("doctor:search"), {"status": "bogus"}).status_code == 400


def test_second_doctor_page_is_independent(client, site_tree, doctor, pending):
    """A doctor only ever sees appointments of the page linked to their own account."""
    user = make_user("third.doc@example.com", "doctor")
    make_doctor(site_tree["doctors"], "Dr Grace Hopper", user=user, slug="grace")
    client.force_login(user)
    assert client.get(detail_url(pending)).status_code == 404
    assert pending.reference not in client.get(reverse("doctor:dashboard")).content.decode()
    assert AppointmentEvent.objects.filter(appointment=pending).count() == 1
