"""Refuse request bodies above ``MAX_REQUEST_BODY_BYTES`` before anything reads them.

Why a middleware of our own: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only bounds form fields that are not
files, so a 100 MB anonymous POST with a file part (or any raw body) was read and spooled to disk
in full before a view could say no. This middleware looks at the declared ``Content-Length``
first, so an oversized body is answered with 413 without reading a byte of it.

A body sent with ``Transfer-Encoding: chunked`` has no length up front. Under WSGI, Django reads
only ``CONTENT_LENGTH`` bytes, so such a body would silently arrive empty; when the server marks
the input as terminated (``wsgi.input_terminated``, as gunicorn does) the body is read here up to
the limit and handed on with its real length, and refused with 413 the moment it passes the
limit. Without that mark a chunked body cannot be read safely and is refused with 411.
"""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


def _plain_page(status: int, title: str, text: str) -> HttpResponse:
    # A fixed page without templates or database queries: it answers abuse, so it must be cheap.
    return HttpResponse(_PAGE.format(title=title, text=text), status=status, content_type="text/html; charset=utf-8")


def too_large(limit: int) -> HttpResponse:
    megabytes = limit / (1024 * 1024)
    return _plain_page(
        413,
        "Request too large",
        f"What you sent is larger than this site accepts ({megabytes:.0f} MB at most). "
        "Please go back and send a smaller file.",
    )


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


class RequestBodyLimitMiddleware:
    """Answer 413 to bodies longer than ``settings.MAX_REQUEST_BODY_BYTES`` (see the module doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared.strip():
            try:
                length = int(declared)
            except ValueError:
                return _plain_page(400, "Bad request", "The request's length header is not a number.")
            if length > limit:
                logger.warning("Refused a %d-byte request body to %s (limit %d).", length, request.path, limit)
                return too_large(limit)
        elif _is_chunked(request):
            refusal = self._buffer_chunked_body(request, limit)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _buffer_chunked_body(self, request: HttpRequest, limit: int) -> HttpResponse | None:
        """Read a chunked body (at most ``limit`` bytes) so Django can parse it with a known length."""
        stream = request.META.get("wsgi.input")
        if stream is None or not request.META.get("wsgi.input_terminated"):
            # ASGI requests arrive here already read, and bounded by BodyLimitASGIMiddleware; a
            # WSGI server that does not terminate the input gives no safe way to read it.
            if stream is None:
                return None
            return _plain_page(411, "Length required", "Send the request with a Content-Length header.")
        body = bytearray()
        while len(body) <= limit:
            chunk = stream.read(min(READ_CHUNK, limit + 1 - len(body)))
            if not chunk:
                break
            body += chunk
        if len(body) > limit:
            logger.warning("Refused a chunked request body over %d bytes to %s.", limit, request.path)
            return too_large(limit)
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(io.BytesIO(bytes(body)), len(body))  # type: ignore[assignment]  # what Django uses
        return None


class BodyLimitASGIMiddleware:
    """The same limit for ASGI, where Django reads the whole body before any middleware runs.

    Wraps the ASGI application (``portal/asgi.py``): a declared ``content-length`` above the limit
    is answered with 413 before the application starts; a body without one is counted as it
    arrives, and once it passes the limit the application is told the client left (so it stops
    reading and discards what it spooled) and the 413 is sent in its place.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_BODY_BYTES
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").strip()
        if declared:
            try:
                length = int(declared)
            except ValueError:
                return await _send_page(send, _plain_page(400, "Bad request", "The length header is not a number."))
            if length > limit:
                logger.warning("Refused a %d-byte request body to %s (limit %d).", length, scope.get("path"), limit)
                return await _send_page(send, too_large(limit))

        received = 0
        over_limit = False
        started = False

        async def counting_receive():
            nonlocal received, over_limit
            if over_limit:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over_limit = True
                    logger.warning("Refused a request body over %d bytes to %s.", limit, scope.get("path"))
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)
        if over_limit and not started:
            await _send_page(send, too_large(limit))
        return None


async def _send_page(send, response: HttpResponse) -> None:
    headers = [
        (b"content-type", response["Content-Type"].encode("latin-1")),
        (b"content-length", str(len(response.content)).encode("latin-1")),
    ]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})
