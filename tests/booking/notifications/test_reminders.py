"""``manage.py send_reminders``: one reminder per confirmed appointment in the next 24 hours."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Site

from booking.appointments.services import Actor, move_appointment
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment, Notification
from booking.notifications import reminders as reminder_service
from home.models import ClinicSettings
from tests.factories import make_appointment

pytestmark = pytest.mark.django_db

S = Appointment.Status


@pytest.fixture(autouse=True)
def clinic(site_tree):
    row = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    row.address = "1 River Road\nLondon SE1 9AA"
    row.phone = "+442079460000"
    row.save()
    return row


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on_commit hooks registered inside the block (the emails), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def soon(doctor):
    """The doctor's free slots starting within the next 22 hours (there are always some)."""
    now = timezone.now()
    first, _ = booking_window()
    slots = doctor_free_slots(doctor, first, first + timedelta(days=1))
    return [slot.start for slot in slots if slot.start <= now + timedelta(hours=22)]


@pytest.fixture
def later(doctor):
    """Free slots two days out: more than 24 hours away."""
    first, _ = booking_window()
    return [slot.start for slot in doctor_free_slots(doctor, first + timedelta(days=2), first + timedelta(days=3))]


@pytest.fixture
def book(doctor, commit):
    """Gus Guest's appointment at ``starts_at``, confirmed by the doctor unless ``status`` says otherwise."""

    def _book(starts_at, *, status=S.CONFIRMED, **kwargs):
        with commit():
            appointment = make_appointment(doctor, slot=starts_at, status=status, **kwargs)
        appointment.refresh_from_db()
        return appointment

    return _book


@pytest.fixture
def run(commit):
    def _run(**options) -> str:
        out = StringIO()
        with commit():
            call_command("send_reminders", stdout=out, **options)
        return out.getvalue()

    return _run


def reminders() -> list:
    return [m for m in mail.outbox if m.subject.startswith("Reminder")]


def test_running_twice_sends_one_reminder_per_due_appointment(book, run, soon, later):
    due_a = book(soon[0], email="a@example.com")
    due_b = book(soon[1], email="b@example.com", mode=Appointment.Mode.ONLINE)
    book(later[0], email="far@example.com")  # outside the window
    book(soon[2], status=S.PENDING, email="pending@example.com")  # not confirmed
    book(soon[3], status=S.CANCELLED, email="cancelled@example.com")

    assert run().strip() == "Queued 2 reminder(s)."
    assert run().strip() == "Queued 0 reminder(s)."

    assert sorted(m.to[0] for m in reminders()) == ["a@example.com", "b@example.com"]
    for appointment in (due_a, due_b):
        appointment.refresh_from_db()
        assert appointment.reminder_sent_at is not None
        row = Notification.objects.get(appointment=appointment, kind=Notification.Kind.REMINDER)
        assert row.status == Notification.Status.SENT
    online = next(m for m in reminders() if m.to == ["b@example.com"])
    assert due_b.meeting_url and due_b.meeting_url in online.body


def test_appointments_that_already_started_get_none(book, run, soon):
    appointment = book(soon[0])
    now = timezone.now()
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(minutes=25)
    )
    assert run().strip() == "Queued 0 reminder(s)."
    assert reminders() == []


def test_the_window_is_an_option(book, run, later):
    book(later[0])
    assert run().strip() == "Queued 0 reminder(s)."
    assert run(window_hours=24 * 4).strip() == "Queued 1 reminder(s)."


def test_a_second_copy_running_at_the_same_time_does_not_double_send(book, run, soon, monkeypatch):
    """Another run claims appointments while this one is half-way through its list.

    The second copy starts right after the first queued its first reminder, so it sees the rest
    of the same list; the first copy's conditional UPDATE then finds them claimed and skips them.
    """
    for i in range(3):
        book(soon[i], email=f"p{i}@example.com")
    real_queue = reminder_service.queue_notification
    nested = []

    def queue_then_start_another_copy(appointment, kind, **kwargs):
        real_queue(appointment, kind, **kwargs)
        if not nested:
            nested.append("running")
            nested[0] = run()

    monkeypatch.setattr(reminder_service, "queue_notification", queue_then_start_another_copy)
    first = run()

    assert nested == ["Queued 2 reminder(s).\n"]
    assert first.strip() == "Queued 1 reminder(s)."
    assert sorted(m.to[0] for m in reminders()) == ["p0@example.com", "p1@example.com", "p2@example.com"]


def test_a_moved_appointment_gets_a_reminder_for_its_new_time(book, run, commit, soon, staff_user):
    appointment = book(soon[0])
    assert run().strip() == "Queued 1 reminder(s)."

    with commit():
        move_appointment(appointment, soon[4], Actor(Actor.STAFF, staff_user))
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is None  # the move reset it

    assert run().strip() == "Queued 1 reminder(s)."
    assert run().strip() == "Queued 0 reminder(s)."
    first, second = reminders()
    assert f"{timezone.localtime(soon[0]):%H:%M}" in first.subject
    assert f"{appointment.local_starts_at:%H:%M}" in second.subject


def test_a_patient_who_switched_reminders_off_gets_none(book, run, soon, patient, other_patient):
    """The profile's preference is obeyed; a patient who keeps them on and a guest are still reminded."""
    patient.reminder_emails = False
    patient.save(update_fields=["reminder_emails"])
    quiet = book(soon[0], patient=patient)
    keen = book(soon[1], patient=other_patient)
    guest = book(soon[2])

    run()

    assert sorted(m.to[0] for m in reminders()) == sorted([other_patient.email, guest.email])
    quiet.refresh_from_db()
    keen.refresh_from_db()
    assert quiet.reminder_sent_at is None and keen.reminder_sent_at is not None
