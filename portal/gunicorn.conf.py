"""gunicorn settings for the portal: ``gunicorn -c portal/gunicorn.conf.py portal.wsgi``.

Every value can be changed through the environment, so one file serves a small VM, a big one and
the benchmark (``make bench``):

* ``WEB_CONCURRENCY`` worker processes; default two per core plus one. Pages are mostly CPU
  (template rendering, ORM) in Python, so processes, not threads, use the cores.
* ``GUNICORN_THREADS`` threads per worker; default 2 (the ``gthread`` worker), so a worker
  waiting on the database, Redis or a slow client still serves another request. 1 means the
  plain ``sync`` worker.
* ``GUNICORN_TIMEOUT`` seconds before a stuck worker is replaced (default 30); a long CSV export
  streams, so it keeps the worker alive while it runs (gthread workers heartbeat on their own).
* ``GUNICORN_BIND`` (default ``127.0.0.1:8000``: a reverse proxy sits in front),
  ``GUNICORN_ACCESS_LOG`` (a path, ``-`` for standard output, empty for none; default ``-``),
  ``GUNICORN_MAX_REQUESTS`` (recycle workers after that many requests, with jitter; default off),
  ``FORWARDED_ALLOW_IPS`` (proxies whose X-Forwarded-* headers are trusted; default loopback).

The database connections stay open between requests (``CONN_MAX_AGE`` in the production
settings), one per thread.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("WEB_CONCURRENCY", 2 * cores + 1)
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# The client as the proxy reports it, the request, status, bytes, and the time taken (µs).
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(D)sus'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# The heartbeat files live in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Production settings unless the environment says otherwise.
raw_env = [f"DJANGO_SETTINGS_MODULE={os.environ.get('DJANGO_SETTINGS_MODULE', 'portal.settings.production')}"]
