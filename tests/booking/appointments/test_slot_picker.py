"""The compact slot picker: a day strip, one day's times, "+N more", all without JavaScript."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from booking.availability.selectors import SLOTS_SHOWN_FIRST, booking_window, doctor_free_slots
from booking.availability.slots import group_by_local_day
from booking.errors import SLOT_TAKEN_MESSAGE
from booking.models import TimeOff, clinic_zone
from tests.factories import make_appointment, make_doctor

pytestmark = pytest.mark.django_db


def radios(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="slot" id="[^"]+" value="([^"]+)"', html)


def week_days(doctor):
    first, _ = booking_window()
    return group_by_local_day(doctor_free_slots(doctor, first, first + timedelta(days=6)), clinic_zone())


def test_first_day_with_free_times_is_shown_alone(client, doctor):
    first, _ = booking_window()
    # Nothing free on the first two days of the window: the picker opens on the third.
    TimeOff.objects.create(doctor=doctor, start_date=first, end_date=first + timedelta(days=1))
    html = client.get(doctor.booking_url).content.decode()
    day, slots = week_days(doctor)[0]
    assert day == first + timedelta(days=2)
    assert radios(html) == [s.start.isoformat() for s in slots]
    assert f'<input type="hidden" name="day" value="{day.isoformat()}">' in html
    assert html.count('aria-current="date"') == 1
    assert html.count('class="day-strip__day is-disabled"') == 2


def test_more_than_a_few_times_go_behind_a_details_element(client, doctor):
    day, slots = week_days(doctor)[1]
    html = client.get(doctor.booking_url, {"day": day.isoformat()}).content.decode()
    assert len(slots) > SLOTS_SHOWN_FIRST
    shown, more = html.split('<details class="slot-more"', 1)
    assert radios(shown) == [s.start.isoformat() for s in slots[:SLOTS_SHOWN_FIRST]]
    assert radios(more) == [s.start.isoformat() for s in slots[SLOTS_SHOWN_FIRST:]]
    assert f"+{len(slots) - SLOTS_SHOWN_FIRST} more times</summary>" in html
    assert not more.startswith(" open")


def test_a_preselected_late_time_opens_its_day_and_the_more_list(client, doctor):
    day, slots = week_days(doctor)[1]
    late = slots[-1]
    html = client.get(doctor.booking_url, {"slot": late.start.isoformat()}).content.decode()
    assert '<details class="slot-more" open>' in html
    assert f'value="{late.start.isoformat()}" checked' in html
    assert f'value="{day.isoformat()}"' in html


def test_day_links_keep_the_week_and_work_without_javascript(client, doctor):
    html = client.get(doctor.booking_url).content.decode()
    links = re.findall(r'class="day-strip__day" href="([^"]+)"', html)
    assert len(links) == 7
    first, _ = booking_window()
    assert all(link.startswith(f"{doctor.booking_url}?from={first.isoformat()}&amp;day=") for link in links)


@pytest.mark.parametrize("day", ["garbage", "2999-01-01", "1999-12-31", "", "\x00", "2024-02-30"])
def test_unknown_days_fall_back_to_the_first_free_day(client, doctor, day):
    response = client.get(doctor.booking_url, {"day": day, "slot": "nonsense"})
    assert response.status_code == 200
    assert radios(response.content.decode()) == [s.start.isoformat() for s in week_days(doctor)[0][1]]


def test_the_week_is_short_on_a_phone(client, doctor):
    """The old picker listed every free time of the week (about 100 buttons)."""
    html = client.get(doctor.booking_url).content.decode()
    week = sum(len(slots) for _, slots in week_days(doctor))
    assert week > 50
    assert len(radios(html.split('<details class="slot-more"')[0])) <= SLOTS_SHOWN_FIRST


def test_a_time_just_taken_says_so_and_keeps_its_day(client, doctor, site_tree):
    day, slots = week_days(doctor)[1]
    slot = slots[0]
    make_appointment(doctor, slot=slot)
    response = client.post(
        doctor.booking_url,
        {
            "slot": slot.start.isoformat(),
            "day": day.isoformat(),
            "full_name": "Grace Hopper",
            "email": "grace@example.com",
            "mobile": "07912 345678",
            "mode": "in_person",
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert SLOT_TAKEN_MESSAGE in html.replace("&#x27;", "'").replace("&quot;", '"')
    assert f'<input type="hidden" name="day" value="{day.isoformat()}">' in html
    assert slot.start.isoformat() not in radios(html)


def test_doctor_without_free_times_this_week(client, site_tree):
    idle = make_doctor(site_tree["doctors"], "Dr Idle", hours=(time(9), time(10)))
    first, _ = booking_window()
    TimeOff.objects.create(doctor=idle, start_date=first, end_date=first + timedelta(days=8))
    html = client.get(idle.booking_url).content.decode()
    assert "No free times in these dates" in html and radios(html) == []
