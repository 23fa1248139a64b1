"""The API's payment tests share the payments tests' fixtures.

``localstripe`` and ``stripe_on`` come from tests/conftest.py (one server per session); the
``committed`` helper is the payments tests' own, imported rather than copied. ``receiver`` is
a webhook receiver on loopback for the outgoing-webhook tests.
"""

import pytest

from tests.booking.payments.conftest import committed  # noqa: F401

from .receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()
