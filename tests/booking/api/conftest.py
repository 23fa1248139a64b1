"""The API's payment tests share the payments tests' fixtures.

``localstripe`` and ``stripe_on`` come from tests/conftest.py (one server per session); the
``committed`` helper is the payments tests' own, imported rather than copied.
"""

from tests.booking.payments.conftest import committed  # noqa: F401
