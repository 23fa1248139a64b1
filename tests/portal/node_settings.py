"""Settings for the application servers that tests/portal/test_two_nodes.py starts: production's,
with static files read from the app folders (the test does not run collectstatic)."""

from portal.settings.production import *  # noqa: F403
from portal.settings.production import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
