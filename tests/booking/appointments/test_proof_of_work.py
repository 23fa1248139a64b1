"""The optional proof-of-work puzzle on the booking and lookup forms (BOOKING_PROOF_OF_WORK).

Self-hosted (ALTCHA's protocol): the server hands out an HMAC-signed challenge with the form, the
browser finds the number behind a SHA-256 hash, and the server checks the answer once.
"""

from __future__ import annotations

import base64
import html
import json
import re
import time

import pytest
from django.urls import reverse

from booking.appointments import proof_of_work
from booking.appointments.proof_of_work import Challenge
from booking.appointments.services import PatientDetails, book_appointment
from booking.errors import ProofOfWorkRefused
from booking.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pow_on(settings):
    settings.BOOKING_PROOF_OF_WORK = True
    settings.BOOKING_PROOF_OF_WORK_MAX_NUMBER = 2_000  # quick to solve in Python


def challenge_in(page: str) -> Challenge:
    """The challenge a page hands to the browser."""
    match = re.search(r'data-pow-challenge="([^"]+)"', page)
    assert match, "no proof-of-work challenge in the page"
    data = json.loads(html.unescape(match.group(1)))
    assert data["algorithm"] == "SHA-256"
    return Challenge(
        challenge=data["challenge"], salt=data["salt"], signature=data["signature"], max_number=data["maxnumber"]
    )


def form_data(slot, **overrides) -> dict:
    data = {
        "slot": slot.start.isoformat(),
        "full_name": "Grace Hopper",
        "email": "grace@example.com",
        "mobile": "07912 345678",
        "mode": "in_person",
    }
    data.update(overrides)
    return data


def test_off_by_default_the_forms_carry_no_puzzle(client, doctor, free_slot):
    page = client.get(doctor.url + "book/").content.decode()
    assert "data-pow-challenge" not in page and "proof-of-work.js" not in page
    assert client.post(doctor.url + "book/", form_data(free_slot(doctor))).status_code == 302


def test_the_form_explains_it_needs_javascript(client, doctor, pow_on):
    page = client.get(doctor.url + "book/").content.decode()
    assert "<noscript>" in page and "This form needs JavaScript" in page
    assert "/static/js/proof-of-work.js" in page
    assert "data-pow-challenge" in client.get(reverse("appointments:find")).content.decode()


def test_booking_without_a_solution_is_refused_with_a_message(client, doctor, free_slot, pow_on):
    response = client.post(doctor.url + "book/", form_data(free_slot(doctor)))
    assert response.status_code == 400
    assert "needs JavaScript" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_solved_puzzle_books_once_and_a_replay_is_refused(client, doctor, free_slot, pow_on):
    answer = proof_of_work.solve(challenge_in(client.get(doctor.url + "book/").content.decode()))

    booked = client.post(doctor.url + "book/", form_data(free_slot(doctor), pow=answer))
    assert booked.status_code == 302
    assert Appointment.objects.count() == 1

    replay = client.post(doctor.url + "book/", form_data(free_slot(doctor), pow=answer, email="two@example.com"))
    assert replay.status_code == 400
    assert "already sent once" in replay.content.decode()
    assert Appointment.objects.count() == 1
    # The refused page hands out a fresh puzzle, which works.
    fresh = proof_of_work.solve(challenge_in(replay.content.decode()))
    again = client.post(doctor.url + "book/", form_data(free_slot(doctor), pow=fresh, email="two@example.com"))
    assert again.status_code == 302


def test_the_lookup_needs_a_solution_too(client, doctor, free_slot, pow_on):
    appointment = book_appointment(
        doctor_id=doctor.pk,
        starts_at=free_slot(doctor).start,
        details=PatientDetails(full_name="Gus Guest", email="gus@example.com", mobile="+447700900123"),
    )
    url = reverse("appointments:find")
    data = {"reference": appointment.reference, "email": "gus@example.com"}

    refused = client.post(url, data)
    assert refused.status_code == 400 and "needs JavaScript" in refused.content.decode()

    answer = proof_of_work.solve(challenge_in(refused.content.decode()))
    assert client.post(url, {**data, "pow": answer}).status_code == 302
    assert client.post(url, {**data, "pow": answer}).status_code == 400  # replayed


def _payload(**changes) -> str:
    challenge = proof_of_work.create_challenge(max_number=50, max_age_seconds=600)
    data = json.loads(base64.b64decode(proof_of_work.solve(challenge)))
    data.update(changes)
    return base64.b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "payload",
    [
        "not base64 at all!",
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b"{not json").decode(),
        "A" * 2000,
    ],
)
def test_garbage_is_refused(payload):
    with pytest.raises(ProofOfWorkRefused):
        proof_of_work.verify(payload)


@pytest.mark.parametrize(
    "changes",
    [
        {"number": 51},  # a wrong answer
        {"number": True},
        {"number": "1"},
        {"signature": "0" * 64},  # a challenge the server never signed
        {"algorithm": "SHA-1"},
        {"salt": "abc?expires=9999999999"},  # a salt of the client's choosing
    ],
)
def test_tampered_answers_are_refused(changes):
    with pytest.raises(ProofOfWorkRefused):
        proof_of_work.verify(_payload(**changes))


def test_an_expired_challenge_is_refused():
    old = proof_of_work.create_challenge(max_number=50, max_age_seconds=60, now=time.time() - 120)
    with pytest.raises(ProofOfWorkRefused, match="ran out"):
        proof_of_work.verify(proof_of_work.solve(old))


def test_a_fresh_answer_is_accepted_once():
    answer = _payload()
    proof_of_work.verify(answer)
    with pytest.raises(ProofOfWorkRefused, match="already sent once"):
        proof_of_work.verify(answer)
