"""The payments tests' localstripe fixtures, for the API's payment endpoints.

Imported rather than copied: one definition of "Stripe on, pointing at a local Stripe-compatible
server" for the web pay page and the API alike.
"""

from tests.booking.payments.conftest import committed, localstripe, stripe_on  # noqa: F401
