"""``manage.py seed_scale``: bulk rows that the portal reads like its own, in every state, twice over.

The rows bypass model saves (see ``booking/scale.py``), so these checks are what stands between
a fast seed and data the pages would choke on: the database's own constraints, the models'
validation, the page tree's consistency and a doctor page served from the result.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.db.models import Count
from wagtail.models import Page

from booking.models import Appointment, AppointmentEvent, MedicationLine, Notification, Prescription, WorkingHours
from booking.scale import RowWriter, Sink
from home.models import DoctorPage
from portal.models import User

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


SMALL = ("--doctors", "5", "--appointments", "1000", "--patients", "20", "--allow-production")


def test_small_run_builds_every_state_within_the_constraints(site_tree, client):
    output = seed(*SMALL)

    assert "Added 5 doctors, 1000 appointments" in output
    assert "1,000/1,000 appointments" in output  # progress lines
    doctors = DoctorPage.objects.filter(slug__startswith="scale-doctor-")
    assert doctors.count() == 5
    assert WorkingHours.objects.filter(doctor__in=doctors).count() == 5 * 5 * 2
    per_doctor = Appointment.objects.values("doctor_id").annotate(n=Count("pk")).values_list("n", flat=True)
    assert sorted(per_doctor) == [200] * 5
    assert User.objects.filter(email__endswith="@scale.example").count() == 20

    # Every state appears: the decks deal exact proportions for every 100 rows of each side.
    assert set(Appointment.objects.values_list("status", flat=True)) == {s.value for s in Appointment.Status}
    assert AppointmentEvent.objects.count() == 1000
    prescriptions = Prescription.objects.count()
    assert prescriptions > 0
    assert MedicationLine.objects.count() == prescriptions
    assert not Prescription.objects.exclude(appointment__status=Appointment.Status.COMPLETED).exists()
    assert Notification.objects.count() > 0

    # The database's constraints (foreign keys included) and the models' own validation.
    connection.check_constraints()
    for appointment in Appointment.objects.all():
        appointment.full_clean(validate_unique=False, validate_constraints=False)
        assert appointment.holds_slot == (True if appointment.is_active else None)
        if appointment.is_held:
            assert appointment.hold_expires_at is not None
    assert Appointment.objects.values("reference").distinct().count() == 1000

    # Pages written as rows are a consistent tree that Wagtail serves.
    assert Page.find_problems() == ([], [], [], [], [])
    response = client.get(doctors.first().url)
    assert response.status_code == 200


def test_second_run_adds_new_doctors_and_rows(site_tree):
    seed(*SMALL)
    first_references = set(Appointment.objects.values_list("reference", flat=True))

    seed(*SMALL)

    assert DoctorPage.objects.filter(slug__startswith="scale-doctor-").count() == 10
    assert Appointment.objects.count() == 2000
    assert set(Appointment.objects.values_list("reference", flat=True)) > first_references
    assert User.objects.filter(email__endswith="@scale.example").count() == 20  # patients are reused
    connection.check_constraints()
    assert Page.find_problems() == ([], [], [], [], [])


def test_refuses_when_debug_is_off_without_the_flag(site_tree):
    # The test settings run with DEBUG off, as production does.
    with pytest.raises(CommandError, match="looks like production"):
        seed("--doctors", "1", "--appointments", "10")
    assert not DoctorPage.objects.filter(slug__startswith="scale-doctor-").exists()
    assert not Appointment.objects.exists()


def test_refuses_negative_counts(site_tree):
    with pytest.raises(CommandError, match="zero or more"):
        seed("--doctors", "-1", "--allow-production")


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mariadb_batches_go_through_load_data_and_fail_whole(site_tree):
    """Outside a transaction MariaDB gets LOAD DATA LOCAL INFILE on a second connection."""
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: LOAD DATA is MariaDB's bulk path")
    sink = Sink()
    try:
        assert sink.loader is not None
        # A row the server only warns about under LOCAL (no such appointment) fails the batch.
        writer = RowWriter(AppointmentEvent, ["appointment_id", "actor_role", "from_status", "to_status", "created_at"])
        with pytest.raises((RuntimeError, IntegrityError)), sink.batch() as batch:
            batch.write(writer, [(2**40, "guest", "", "pending", "2026-01-01 00:00:00")])
    finally:
        sink.close()
    assert not AppointmentEvent.objects.exists()

    seed(*SMALL)

    assert Appointment.objects.count() == 1000
    assert AppointmentEvent.objects.count() == 1000
    assert set(Appointment.objects.values_list("status", flat=True)) == {s.value for s in Appointment.Status}
    connection.check_constraints()
    for appointment in Appointment.objects.order_by("?")[:50]:
        appointment.full_clean(validate_unique=False, validate_constraints=False)
