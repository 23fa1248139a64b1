"""Request bodies over MAX_REQUEST_BODY_BYTES are refused with 413 before anything reads them.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE bounds form fields only: a 100 MB anonymous POST with a file
part was read and spooled in full. The declared length is now checked first; a chunked body (no
length up front) is read only up to the limit.
"""

from __future__ import annotations

import asyncio
import io
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from portal.body_limit import BodyLimitASGIMiddleware
from portal.models import User
from portal.settings import base as base_settings

pytestmark = pytest.mark.django_db

LIMIT = 2000
PASSWORD = "correct-horse-battery-staple-9"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.MAX_REQUEST_BODY_BYTES = LIMIT


def signup_body(email: str = "neo@example.com", padding: int = 0) -> bytes:
    return urlencode({"email": email, "password1": PASSWORD, "password2": PASSWORD, "pad": "x" * padding}).encode()


def test_the_default_leaves_room_for_the_largest_upload():
    limit = base_settings.MAX_REQUEST_BODY_BYTES  # the default, not this module's small limit
    assert limit > base_settings.PRESCRIPTION_ATTACHMENT_MAX_BYTES
    assert limit > base_settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE


def test_a_body_over_the_limit_is_413_and_nothing_happens(client, site_tree):
    response = client.post(
        reverse("account_signup"),
        {"email": "neo@example.com", "password1": PASSWORD, "password2": PASSWORD, "pad": "x" * LIMIT},
    )
    assert response.status_code == 413
    assert "Request too large" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert not User.objects.exists()


def test_a_body_within_the_limit_goes_through(client, site_tree):
    response = client.post(
        reverse("account_signup"), {"email": "neo@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert User.objects.filter(email="neo@example.com").exists()


def test_a_huge_declared_length_is_refused_without_reading_the_body(client):
    # The body holds one byte; the test client's input refuses reads past it, so a middleware
    # that tried to read the claimed 100 MB would fail loudly here.
    response = client.generic(
        "POST",
        "/accounts/signup/",
        b"x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert response.status_code == 413


def test_a_nonsense_length_is_400(client):
    response = client.generic("POST", "/accounts/signup/", b"x", CONTENT_LENGTH="lots")
    assert response.status_code == 400


def chunked(client, body: bytes, *, terminated: bool = True):
    """POST ``body`` the way a WSGI server passes on a chunked request: no length, raw input."""
    extra = {"CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body)}
    if terminated:
        extra["wsgi.input_terminated"] = True
    return client.generic(
        "POST", reverse("account_signup"), body, content_type="application/x-www-form-urlencoded", **extra
    )


def test_a_chunked_body_over_the_limit_is_413(client, site_tree):
    response = chunked(client, signup_body(padding=LIMIT))
    assert response.status_code == 413
    assert not User.objects.exists()


def test_a_chunked_body_within_the_limit_is_read_and_parsed(client, site_tree):
    response = chunked(client, signup_body())
    assert response.status_code == 302
    assert User.objects.filter(email="neo@example.com").exists()


def test_a_chunked_body_the_server_cannot_delimit_is_411(client, site_tree):
    response = chunked(client, signup_body(), terminated=False)
    assert response.status_code == 411
    assert not User.objects.exists()


# --- ASGI: Django reads the whole body before middleware, so the limit wraps the application ---


class InnerApp:
    """Reads the body as Django's ASGI handler does, then answers 200 with the byte count."""

    def __init__(self):
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # Django's handler gives up without answering
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


def run_asgi(chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[InnerApp, list[dict], int]:
    inner = InnerApp()
    sent: list[dict] = []
    pending = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    read = 0

    async def receive():
        nonlocal read
        read += 1
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/accounts/signup/", "headers": headers}
    asyncio.run(BodyLimitASGIMiddleware(inner)(scope, receive, send))
    return inner, sent, read


def test_asgi_declared_length_over_the_limit_is_413_before_the_app_runs():
    inner, sent, read = run_asgi([b"x"], [(b"content-length", str(100 * 1024 * 1024).encode())])
    assert not inner.called and read == 0
    assert sent[0]["status"] == 413


def test_asgi_streamed_body_over_the_limit_is_cut_off_with_413():
    chunks = [b"x" * 1000] * 10  # 10 000 bytes, no length declared
    inner, sent, read = run_asgi(chunks, [(b"transfer-encoding", b"chunked")])
    assert inner.called
    assert [message["status"] for message in sent if message["type"] == "http.response.start"] == [413]
    assert read <= 3  # stopped reading once past the limit


def test_asgi_body_within_the_limit_passes_through():
    inner, sent, _ = run_asgi([b"x" * 500, b"y" * 500], [(b"content-length", b"1000")])
    assert inner.called
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"1000"
