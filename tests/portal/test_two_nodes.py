"""Two application servers, one MariaDB, one Redis: they share one truth.

Each node is gunicorn with portal/gunicorn.conf.py and production settings (tests/portal/
node_settings.py) on its own loopback port, both pointed at this test's database and at one Redis
database. Shown here:

* a booking race split across both nodes ends with exactly one holder of the slot (the doctor's
  row lock and the unique constraint live in the database, not in a process);
* the appointment look-up's rate limit (10 attempts per address in 10 minutes, counted by
  ``portal.ratelimit.hit`` in the cache) counts attempts made on either node.

* the page cache (portal/pagecache.py) lives in the shared Redis: a page published through one
  node (the Wagtail admin's publish form, as staff) and a booking made on one node both make the
  copy the other node serves current at once.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from booking.models import Appointment

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TWO_NODES_REDIS_URL", "redis://127.0.0.1:6379/11")
RACERS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"mysql://{urllib.parse.quote(db['USER'])}{password}@{db['HOST']}:{db['PORT'] or 3306}/{db['NAME']}"


def request(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


class Node:
    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port = port
        self.process = process
        self.secret_key = ""

    def form(self, path: str) -> tuple[str, str]:
        """GET a form: returns the CSRF cookie header and the form's token."""
        status, headers, body = request(self.port, "GET", path)
        assert status == 200, (path, status)
        cookie = next(
            m.group(1)
            for name, value in headers
            if name.lower() == "set-cookie" and (m := re.match(r"((?:__Host-)?csrftoken=[^;]+)", value))
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        return cookie, token

    def post(self, path: str, cookie: str, data: dict) -> int:
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        return request(self.port, "POST", path, headers, urllib.parse.urlencode(data))[0]


@pytest.fixture
def mariadb_only():
    if connection.vendor != "mysql":
        pytest.skip("needs MariaDB/MySQL: the nodes share one database server")


@pytest.fixture
def shared_redis(mariadb_only):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # this test's own Redis database (TWO_NODES_REDIS_URL)
    yield client
    client.flushdb()


def rsa_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def nodes(mariadb_only, site_tree, doctor, shared_redis, tmp_path):
    """Two gunicorn nodes (2 workers × 2 threads each) on free ports, started and stopped here."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.portal.node_settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Production refuses to start without its own attachment keys (portal/settings/production.py).
        "ATTACHMENT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        # ...and without the key that signs the API's access tokens.
        "JWT_PRIVATE_KEY": rsa_private_key_pem(),
        "WAGTAILADMIN_BASE_URL": "https://clinic.test",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    started = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [str(gunicorn), "-c", "portal/gunicorn.conf.py", "portal.wsgi"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"node-{port}.log").open("w"),
        )
        started.append(Node(port, process))
        started[-1].secret_key = env["SECRET_KEY"]
    try:
        deadline = time.monotonic() + 90
        for node in started:
            while True:
                try:
                    if request(node.port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                if node.process.poll() is not None or time.monotonic() > deadline:
                    log = (tmp_path / f"node-{node.port}.log").read_text()
                    raise RuntimeError(f"node on port {node.port} did not start:\n{log[-3000:]}")
                time.sleep(0.3)
        yield started
    finally:
        for node in started:
            node.process.terminate()
        for node in started:
            try:
                node.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.process.kill()


def test_a_booking_race_split_across_two_nodes_has_one_winner(nodes, doctor, free_slot):
    slot = free_slot(doctor, 3)
    book_path = doctor.url + "book/"
    # Every racer fetches the form from its own node first, as a browser would.
    racers = []
    for i in range(RACERS):
        node = nodes[i % 2]
        cookie, token = node.form(book_path)
        data = {
            "csrfmiddlewaretoken": token,
            "slot": slot.start.isoformat(),
            "full_name": f"Racer {i}",
            "email": f"racer{i}@example.com",
            "mobile": "+447912345678",
            "mode": "in_person",
        }
        racers.append((node, cookie, data))
    start = threading.Barrier(RACERS)
    statuses: list[tuple[int, int]] = []
    lock = threading.Lock()

    def race(node: Node, cookie: str, data: dict) -> None:
        start.wait()
        status = node.post(book_path, cookie, data)
        with lock:
            statuses.append((node.port, status))

    threads = [threading.Thread(target=race, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(statuses) == RACERS
    winners = [s for s in statuses if s[1] == 302]
    assert len(winners) == 1, statuses
    assert sorted(status for _, status in statuses if status != 302) == [409] * (RACERS - 1), statuses
    assert {port for port, _ in statuses} == {node.port for node in nodes}  # both nodes took part
    holders = Appointment.objects.filter(doctor=doctor, starts_at=slot.start, holds_slot=True)
    assert holders.count() == 1
    assert Appointment.objects.filter(doctor=doctor, starts_at=slot.start).count() == 1


def test_lookup_rate_limit_counts_attempts_on_both_nodes(nodes, shared_redis):
    statuses = []
    for attempt in range(10):  # the limit: 10 per address in 10 minutes, five on each node
        node = nodes[attempt % 2]
        cookie, token = node.form("/appointments/find/")
        data = {"csrfmiddlewaretoken": token, "reference": "ABCDE-FGHJK", "email": f"nobody{attempt}@example.com"}
        statuses.append(node.post("/appointments/find/", cookie, data))
    assert 429 not in statuses, statuses
    assert list(shared_redis.scan_iter(match="*rl:find*")), "the attempts are counted in Redis"

    for node in nodes:  # the eleventh attempt is refused on either node
        cookie, token = node.form("/appointments/find/")
        data = {"csrfmiddlewaretoken": token, "reference": "ABCDE-FGHJK", "email": "nobody@example.com"}
        assert node.post("/appointments/find/", cookie, data) == 429


def cached_get(node: Node, path: str) -> tuple[str, str]:
    # One Host for both, as behind a load balancer (the port is part of a page's cache key).
    status, headers, body = request(node.port, "GET", path, {"Host": "127.0.0.1"})
    assert status == 200, (path, status)
    return {name.lower(): value for name, value in headers}.get("x-page-cache", ""), body


def warm(nodes, path: str) -> None:
    """Both nodes serve ``path`` from the one shared cache entry."""
    cached_get(nodes[0], path)
    for node in nodes:
        assert cached_get(node, path)[0] == "hit", (node.port, path)


def staff_session(user, secret_key: str) -> str:
    """A signed-in session (password and second factor done) in the shared database, as bench/setup.py
    makes, signed with the nodes' SECRET_KEY."""

    with override_settings(SECRET_KEY=secret_key):
        return _staff_session(user)


def _staff_session(user) -> str:
    from importlib import import_module

    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from portal.middleware import AUTH_SEEN, AUTH_STARTED

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[AUTH_STARTED] = store[AUTH_SEEN] = time.time()
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    store["account_authentication_methods_user"] = str(user.pk)
    store["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"},
    ]
    store.create()
    return f"__Host-sessionid={store.session_key}"  # production's session cookie name


def test_a_page_published_through_one_node_is_current_on_the_other(nodes, site_tree, staff_user):
    about = site_tree["about"]
    warm(nodes, about.url)
    # Staff publish from the page editor on node 0.
    jar = dict([staff_session(staff_user, nodes[0].secret_key).split("=", 1)])

    def absorb(headers) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                jar[key] = rest.split(";", 1)[0]

    def cookies() -> str:
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    edit = f"/admin/pages/{about.pk}/edit/"
    status, headers, body = request(nodes[0].port, "GET", edit, {"Cookie": cookies()})
    absorb(headers)
    assert status == 200, (status, headers)
    form = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', body))
    form.update(title="About the clinic, renamed", slug="about", intro="About us")
    form["action-publish"] = "action-publish"
    form["body-count"] = "0"  # the StreamField's count, which the editor's script writes
    form["csrfmiddlewaretoken"] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    status, headers, _ = request(
        nodes[0].port,
        "POST",
        edit,
        {"Cookie": cookies(), "Content-Type": "application/x-www-form-urlencoded"},
        urllib.parse.urlencode(form),
    )
    assert status == 302, status

    state, body = cached_get(nodes[1], about.url)
    assert state == "miss"
    assert "About the clinic, renamed" in body


def test_a_booking_on_one_node_makes_the_other_nodes_doctor_page_current(nodes, doctor):
    _, body = cached_get(nodes[1], doctor.url)
    warm(nodes, doctor.url)
    first = re.search(r'book/\?from=[^"]*slot=([^"]+)"', body).group(1)
    slot = urllib.parse.unquote(first)
    cookie, token = nodes[0].form(doctor.url + "book/")
    data = {
        "csrfmiddlewaretoken": token,
        "slot": slot,
        "full_name": "Pat Patient",
        "email": "pat@example.com",
        "mobile": "+447912345678",
        "mode": "in_person",
    }
    assert nodes[0].post(doctor.url + "book/", cookie, data) == 302
    state, body = cached_get(nodes[1], doctor.url)
    assert state == "miss"
    assert first not in body
