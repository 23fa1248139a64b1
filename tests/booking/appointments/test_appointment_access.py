"""Nobody sees an appointment they have no right to: every URL that takes a reference."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, make_appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_appointment(doctor, patient):
    return make_appointment(doctor, patient=patient)


@pytest.fixture
def guest_appointment(doctor):
    """Gus Guest's booking (gus@example.com), made without an account."""
    return make_appointment(doctor, n=1)


def urls_for(appointment) -> list[str]:
    return [
        reverse("appointments:detail", args=[appointment.reference]),
        appointment.doctor.url + f"book/confirmed/{appointment.reference}/",
    ]


def test_anonymous_is_sent_to_sign_in_everywhere(client, alices_appointment, guest_appointment):
    # The same answer as for a reference that does not exist (see test_signed_out_links.py).
    for appointment in (alices_appointment, guest_appointment):
        for url in urls_for(appointment):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"] == f"{reverse('account_login')}?next={url}"
            assert appointment.full_name not in response.content.decode()


def test_other_patient_gets_404(client, alices_appointment, other_patient):
    client.login(email=other_patient.email, password=PASSWORD)
    for url in urls_for(alices_appointment):
        assert client.get(url).status_code == 404


def test_owner_patient_sees_it(client, alices_appointment, patient):
    client.login(email=patient.email, password=PASSWORD)
    for url in urls_for(alices_appointment):
        response = client.get(url)
        assert response.status_code == 200
        assert alices_appointment.reference in response.content.decode()


def test_its_doctor_sees_it_and_another_doctor_does_not(client, alices_appointment, doctor_user, other_doctor):
    client.login(email=doctor_user.email, password=PASSWORD)
    response = client.get(urls_for(alices_appointment)[0], follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("doctor:appointment", args=[alices_appointment.reference])
    assert alices_appointment.reference in response.content.decode()
    client.logout()
    client.login(email=other_doctor.user.email, password=PASSWORD)
    assert client.get(urls_for(alices_appointment)[0]).status_code == 404


def test_staff_sees_it(client, alices_appointment, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    assert client.get(urls_for(alices_appointment)[0]).status_code == 200


def test_unknown_reference_is_404(client, patient):
    client.login(email=patient.email, password=PASSWORD)
    assert client.get(reverse("appointments:detail", args=["00000-00000"])).status_code == 404
    assert client.get(reverse("appointments:detail", args=["'; drop table--"])).status_code == 404


def test_guest_lookup_needs_the_matching_email(client, guest_appointment):
    url = reverse("appointments:find")
    detail = reverse("appointments:detail", args=[guest_appointment.reference])

    wrong = client.post(url, {"reference": guest_appointment.reference, "email": "mallory@example.com"})
    assert wrong.status_code == 404
    assert "No appointment matches" in wrong.content.decode()
    assert client.get(detail).status_code == 302  # to sign-in, as for any reference

    right = client.post(url, {"reference": guest_appointment.reference.lower(), "email": "GUS@example.com"})
    assert right.status_code == 302
    assert right["Location"] == detail
    assert client.get(detail).status_code == 200


def test_guest_lookup_message_does_not_reveal_whether_the_reference_exists(client, guest_appointment):
    url = reverse("appointments:find")
    unknown = client.post(url, {"reference": "00000-00000", "email": "gus@example.com"})
    known = client.post(url, {"reference": guest_appointment.reference, "email": "other@example.com"})
    assert unknown.status_code == known.status_code == 404


def test_guest_lookup_is_rate_limited(client, guest_appointment):
    url = reverse("appointments:find")
    for _ in range(10):
        client.post(url, {"reference": "00000-00000", "email": "x@example.com"})
    blocked = client.post(url, {"reference": guest_appointment.reference, "email": "gus@example.com"})
    assert blocked.status_code == 429


def test_me_requires_login_and_lists_only_own(client, alices_appointment, guest_appointment, patient, other_patient):
    assert client.get(reverse("appointments:mine")).status_code == 302
    client.login(email=other_patient.email, password=PASSWORD)
    page = client.get(reverse("appointments:mine")).content.decode()
    assert alices_appointment.reference not in page
    client.logout()
    client.login(email=patient.email, password=PASSWORD)
    page = client.get(reverse("appointments:mine")).content.decode()
    assert alices_appointment.reference in page
    assert guest_appointment.reference not in page


def test_references_are_not_sequential(doctor):
    refs = [make_appointment(doctor, full_name=f"P {i}", email=f"p{i}@example.com").reference for i in range(3)]
    assert len(set(refs)) == 3
    assert all(len(ref) == 11 and ref[5] == "-" for ref in refs)


# Pins a review finding: this failed before its fix.
def test_reference_and_email_do_not_open_an_account_holders_appointment(client, doctor, patient, far_slots):
    mine = make_appointment(doctor, slot=far_slots[0], patient=patient)
    response = client.post(reverse("appointments:find"), {"reference": mine.reference, "email": patient.email})
    assert response.status_code == 404  # the same answer as any miss: no account is revealed
    assert "sign in" in response.content.decode()
    assert client.get(reverse("appointments:detail", args=[mine.reference])).status_code == 302  # to sign-in
    assert client.post(reverse("appointments:cancel", args=[mine.reference])).status_code == 404
