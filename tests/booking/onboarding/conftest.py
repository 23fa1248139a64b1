from __future__ import annotations

import pytest

from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Public uploads (photos) of each test go to its own folder, so a test can see what was stored."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff_client(client, staff_user):
    client.login(email=staff_user.email, password=PASSWORD)
    return client
