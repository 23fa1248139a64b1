"""On MySQL/MariaDB, email columns compare exactly: no accent or case folding by the collation.

The default collations (utf8mb4_general_ci, uca1400_ai_ci) say 'vera@exámple.org' =
'vera@example.org'. These tests run in CI's MariaDB pass; SQLite already compares bytes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import connection

from booking.appointments.services import PatientDetails, book_appointment
from booking.availability.selectors import booking_window, doctor_free_slots
from booking.models import Appointment
from portal.emails import MYSQL_EMAIL_COLLATION
from portal.models import User
from tests.factories import make_user

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db]

EMAIL_COLUMNS = [
    (User, "email"),
    (Appointment, "email"),
    # allauth's table: altered by portal's migration; an allauth migration that redefines the
    # column would silently reset its collation, and this test would catch it.
    (EmailAddress, "email"),
]


@pytest.fixture(autouse=True)
def _mysql_only():
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: SQLite compares bytes and has no accent-folding collation")


@pytest.mark.parametrize(("model", "field"), EMAIL_COLUMNS)
def test_email_columns_use_a_binary_collation(model, field):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = %s AND column_name = %s",
            [model._meta.db_table, model._meta.get_field(field).column],
        )
        assert cursor.fetchone() == (MYSQL_EMAIL_COLLATION,)


def test_the_server_itself_would_fold_accents():
    """The premise: without the column's collation, MariaDB says these two are equal."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT _utf8mb4'vera@exámple.org' = _utf8mb4'vera@example.org' COLLATE utf8mb4_general_ci")
        assert cursor.fetchone() == (1,)


def _raw_count(model, value: str) -> int:
    """``WHERE email = value`` in plain SQL, bypassing the field's normalisation."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {model._meta.db_table} WHERE email = %s", [value])  # noqa: S608
        return cursor.fetchone()[0]


def test_accent_and_case_variants_do_not_match_in_sql(doctor):
    first, last = booking_window()
    slot = doctor_free_slots(doctor, first + timedelta(days=2), last)[0]
    details = PatientDetails(full_name="Vera Guest", email="vera@example.org", mobile="+447912345678")
    book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details)
    user = make_user("vera@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    for model, _field in EMAIL_COLUMNS:
        assert _raw_count(model, "vera@example.org") == 1
        assert _raw_count(model, "vera@exámple.org") == 0
        assert _raw_count(model, "vera@éxample.org") == 0
        assert _raw_count(model, "VERA@example.org") == 0  # the stored form is lower case

    # Through the ORM, case and the IDNA spelling are settled by the normal form; accents are not.
    assert Appointment.objects.filter(email="VERA@Example.org").count() == 1
    assert Appointment.objects.filter(email__iexact="Vera@EXAMPLE.org").count() == 1
    assert Appointment.objects.filter(email="vera@exámple.org").count() == 0
    assert Appointment.objects.filter(email__iexact="vera@exámple.org").count() == 0
    assert Appointment.objects.filter(email__in=["vera@exámple.org", "véra@example.org"]).count() == 0
    assert User.objects.filter(email="vera@exámple.org").count() == 0
    assert EmailAddress.objects.filter(email="vera@exámple.org").count() == 0


def test_a_row_that_bypassed_normalisation_still_never_matches_a_look_alike(doctor):
    """Defence in depth: even an address written around the field (raw SQL, an old import)
    is compared by code point, so the look-alike cannot match the real address."""
    first, last = booking_window()
    slot = doctor_free_slots(doctor, first + timedelta(days=2), last)[0]
    details = PatientDetails(full_name="Vera Guest", email="vera@example.org", mobile="+447912345678")
    appointment = book_appointment(doctor_id=doctor.pk, starts_at=slot.start, details=details)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE booking_appointment SET email = %s WHERE id = %s", ["vera@exámple.org", appointment.pk])
    assert not Appointment.objects.filter(email__in=["vera@example.org"]).exists()
    assert _raw_count(Appointment, "vera@example.org") == 0


def test_two_accounts_whose_addresses_differ_only_by_an_accent_can_coexist():
    """With a folding collation the unique index would refuse the second (a 500 at sign-up)."""
    User.objects.create_user(email="vera@example.org", password="x" * 12)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_user (password, is_superuser, first_name, last_name, is_staff, is_active, "
            "date_joined, email, role, mobile, date_of_birth, reminder_emails) "
            "VALUES ('', 0, '', '', 0, 1, NOW(), %s, 'patient', '', NULL, 1)",
            ["vera@exámple.org"],
        )
    assert User.objects.count() == 2
