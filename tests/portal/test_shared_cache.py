"""Without REDIS_URL, every process of `make run` shares one cache: a table in the database.

Counters kept in one process's memory let each process (and each restart) start a fresh budget;
the database table is seen by the web server, the email worker and the reminder loop alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""  # the shell may print a banner first


def test_processes_share_rate_limit_counters_without_redis(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.dev", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    count = "from portal import ratelimit; print(ratelimit.hit('shared', limit=2, window_seconds=60))"
    backend = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    assert manage(env, "shell", "-c", backend) == "django.core.cache.backends.db.DatabaseCache"
    manage(env, "createcachetable")
    # Three separate processes, as the server, the worker and the reminder loop are.
    assert [manage(env, "shell", "-c", count) for _ in range(3)] == ["True", "True", "False"]
