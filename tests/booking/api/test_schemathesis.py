"""Schemathesis over the live schema: generated requests for every operation, in this process.

The schema is read from ``/api/v1/schema/`` through the WSGI application (no server, no network),
then every operation is called with data generated from it, signed in as a patient, a doctor and
staff in turn (so each role's endpoints are reached, and the others answer their documented
404/403). Every
answer must be documented: no 5xx, status codes, content types, headers and bodies as the schema
says. The appointment and slot that exist are real, so some calls reach the services.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from booking.models import Appointment
from tests.factories import api_token, bearer, make_appointment

EXAMPLES = 25


pytestmark = pytest.mark.django_db

# Read once, at collection, from the running application: the schema clients see.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def world(settings_override, doctor, doctor_user, patient, far_slots):
    return make_appointment(doctor, slot=far_slots[0], patient=patient, status=Appointment.Status.CONFIRMED)


@contextmanager
def connection_kept_open():
    """The real WSGI handler closes the database connection around each request, which on MariaDB
    ends the test's transaction (SQLite's in-memory database ignores it); Django's test client
    skips that the same way, and reconnects the handlers after each of its own requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def settings_override(settings):
    # Room for the generated calls: the limits themselves are tested in test_bad_input.
    settings.API_REQUESTS_PER_ADDRESS = 100_000
    settings.API_REQUESTS_PER_ACCOUNT = 100_000
    settings.BOOKING_ATTEMPTS_PER_ADDRESS = 100_000
    settings.BOOKING_ATTEMPTS_PER_EMAIL = 100_000


@pytest.fixture(params=["patient", "doctor_user", "staff_user"])
def caller_headers(request):
    """Each operation is run signed in as a patient, as a doctor and as staff."""
    return bearer(api_token(Client(), request.getfixturevalue(request.param)))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms(case, world, caller_headers):
    # Excluded: "positive data acceptance" (a request the schema allows must succeed). The schema
    # says what shape input has; the rules say more than a schema can (a date between 1900 and
    # 2999, a time that is a free slot, a real phone number), and refusing those is the point.
    with connection_kept_open():
        case.call_and_validate(headers=caller_headers, excluded_checks=[positive_data_acceptance])
