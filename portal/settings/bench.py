"""Benchmarks (``make bench``, see bench/README.md): the production settings, served over plain HTTP
on loopback, plus a trivial view to compare every page with.

Nothing here is for serving people. It differs from production only where a load generator on
the same machine needs it:

* ``ROOT_URLCONF`` is ``bench.urls``: the portal's URLs plus ``/bench/ok``, a view that returns
  ``HttpResponse("ok")`` through the same middleware. It exists only under these settings.
* HTTPS redirects and HSTS are off (wrk talks plain HTTP to 127.0.0.1); secure cookies stay on
  (wrk sends the cookies it is given whatever their flags).
* Rate limits and anti-automation are lifted, so thousands of requests from one address measure
  the pages rather than the refusals: allauth's limits, and the booking and look-up limits and
  proof-of-work puzzle (the settings below are read by ``booking/appointments/limits.py`` where
  it exists; unknown settings are harmless).
* Logging is quieter: one line per request is gunicorn's access log's job.

Like production it refuses to start without ``SECRET_KEY`` and an https ``WAGTAILADMIN_BASE_URL``;
``bench/run.py`` sets throwaway values.
"""

from .env import env
from .production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_PRELOAD = False

# Limits that would otherwise answer 429 after the first few dozen requests from 127.0.0.1.
UNLIMITED = 10**9
ACCOUNT_RATE_LIMITS = False
BOOKING_ATTEMPTS_PER_ADDRESS = UNLIMITED
BOOKING_ATTEMPTS_PER_EMAIL = UNLIMITED
LOOKUP_ATTEMPTS_PER_ADDRESS = UNLIMITED
LOOKUP_ATTEMPTS_PER_EMAIL = UNLIMITED
GUEST_UNCONFIRMED_PER_EMAIL = UNLIMITED
GUEST_UNCONFIRMED_PER_ADDRESS = UNLIMITED
BOOKING_PROOF_OF_WORK = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
