"""The access matrix: every URL that takes an appointment reference, against everyone who must
not see it. Prescription and attachment URLs have their own matrix in test_prescriptions.py.

Each outsider gets a 404 (or, for pages behind a login, a redirect to it, or 403 in the Wagtail
admin) and never a byte of the appointment: not its reference, not the patient's name.
"""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from booking.models import Appointment
from booking.notifications.links import guest_link_path
from tests.factories import PASSWORD, make_appointment

pytestmark = pytest.mark.django_db

SECRET_NAME = "Zelda Quartermaine"


@pytest.fixture
def appointment(doctor, patient, far_slots):
    return make_appointment(
        doctor,
        slot=far_slots[0],
        patient=patient,
        full_name=SECRET_NAME,
        mode=Appointment.Mode.ONLINE,
        status=Appointment.Status.CONFIRMED,
    )


def requests_for(appointment: Appointment) -> list[tuple[str, str, dict]]:
    ref = appointment.reference
    return [
        ("get", reverse("appointments:detail", args=[ref]), {}),
        ("post", reverse("appointments:cancel", args=[ref]), {}),
        ("get", reverse("appointments:reschedule", args=[ref]), {}),
        ("post", reverse("appointments:reschedule", args=[ref]), {"slot": appointment.starts_at.isoformat()}),
        ("get", reverse("appointments:ics", args=[ref]), {}),
        ("get", appointment.doctor.url + f"book/confirmed/{ref}/", {}),
        ("get", reverse("doctor:appointment", args=[ref]), {}),
        ("post", reverse("doctor:transition", args=[ref]), {"target": "cancelled", "remark": "x"}),
        ("post", reverse("doctor:meeting_link", args=[ref]), {"action": "generate"}),
        ("get", reverse("booking_admin_manage", args=[ref]), {}),
        ("post", reverse("booking_admin_manage", args=[ref]), {"action": "status", "target": "cancelled"}),
    ]


def _anonymous(client, **_):
    pass


def _other_patient(client, other_patient, **_):
    client.login(email=other_patient.email, password=PASSWORD)


def _other_doctor(client, other_doctor_user, **_):
    client.login(email=other_doctor_user.email, password=PASSWORD)


def _guest_with_wrong_email(client, appointment, **_):
    client.post(reverse("appointments:find"), {"reference": appointment.reference, "email": "wrong@example.com"})


def _guest_with_expired_link(client, appointment, settings, **_):
    path = guest_link_path(appointment)
    settings.GUEST_LINK_MAX_AGE_DAYS = -1  # every link is now past its age
    assert client.get(path).status_code == 404


OUTSIDERS = {
    "anonymous": _anonymous,
    "other patient": _other_patient,
    "other doctor": _other_doctor,
    "guest, wrong email": _guest_with_wrong_email,
    "guest, expired link": _guest_with_expired_link,
}


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_never_see_or_change_an_appointment(
    client, who, appointment, other_patient, other_doctor, other_doctor_user, settings
):
    OUTSIDERS[who](
        client,
        appointment=appointment,
        other_patient=other_patient,
        other_doctor_user=other_doctor_user,
        settings=settings,
    )
    for method, url, data in requests_for(appointment):
        response = getattr(client, method)(url, data)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code in (302, 403, 404), (who, method, url, response.status_code)
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], (who, url, response["Location"])
        assert SECRET_NAME.encode() not in body, (who, url)
        assert appointment.reference.encode() not in body or response.status_code == 302, (who, url)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CONFIRMED
    assert appointment.events.count() == 2


@pytest.mark.parametrize("reference", ["00000-00000", "nonsense", "A" * 200, "%00", "' OR 1=1 --", "../../etc/passwd"])
def test_unknown_references_are_404_for_the_people_who_could_see_real_ones(client, reference, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    for name in ("appointments:detail", "appointments:reschedule", "appointments:ics", "prescriptions:detail"):
        try:
            url = reverse(name, args=[reference])
        except NoReverseMatch:  # a reference the URL pattern itself refuses is fine too
            continue
        assert client.get(url).status_code == 404, (name, reference)
    assert client.get(f"/admin/bookings/appointments/{reference}/manage/").status_code == 404
