"""Anonymous HTML of Wagtail pages served from the shared cache, invalidated by version tokens.

A signed-out visitor's GET of a public page (home, doctors index, specializations, doctor and
standard pages) is rendered once and then served from the ``default`` cache (Redis in production,
the database cache in ``make run``, so every process and node shares one copy) until something
it shows changes.

**What may be stored.** Only a response the Wagtail ``serve`` view produced for a page itself
(marked by the ``before_serve_page`` hook in ``portal/wagtail_hooks.py``: not a routed sub-URL,
not a page under a view restriction, not a preview), for a request without a signed-in user or
pending messages, answering 200 with no cookie, no CSRF token (a page with a POST form calls
``get_token``, which flags the request; the body is checked for ``csrfmiddlewaretoken`` too), no
session change and no ``Cache-Control`` of its own (``never_cache`` views, such as booking pages
and dashboards, keep theirs). Query strings: only the allow-listed parameters of
``PAGE_CACHE_QUERY_PARAMS`` (the index's ``page`` and ``specialization``, whose values are few
and checked by pattern), normalised into the key; anything else (the free-text search ``q``,
tracking parameters) is served uncached, because unbounded keys would let anyone fill the cache
and evict the pages everyone reads.

**Invalidation is exact, by version tokens.** An entry records the token of each thing it
depends on, read *before* rendering; a hit requires every recorded token to be current. Each
token is a random string, replaced on every change (:func:`bump`) after the change commits. A
random token rather than a counter: an evicted counter would restart and could match an old
entry again; a new random token never does. Kinds:

* ``pages``: every page depends on it (menus, footers and cards show other pages and the
  clinic's settings); bumped on publish, unpublish, move, delete, view restrictions, images,
  sites and site settings (``portal/signals.py``).
* ``availability`` with a doctor's page id: that doctor's free times. A page declares it while
  rendering with :func:`depends_on` (booking's ``next_free_days`` tag does), so a page can never
  show free times without depending on them. Bumping a doctor also bumps the clinic-wide
  ``availability`` token, which a page showing many doctors' times can depend on instead of
  one token per doctor. ``bump("availability")`` without an id (a clinic closure) changes every
  doctor's times: it bumps ``availability`` and ``availability:clinic``, on which every doctor
  token's dependants also depend.

Free times also change as time passes (a slot inside the minimum notice is no longer offered),
so rendering code may say until when its output is right (:func:`valid_until`); every entry also
expires after ``PAGE_CACHE_SECONDS``, which bounds the damage of a bump lost while the cache was
unreachable.

**CSP nonces.** A stored body has this response's nonce replaced by a placeholder; every hit
puts in the fresh nonce of its own request, which the CSP middleware (outside this one) also
writes into the header, so the two always match.

**Headers.** ``Cache-Control: no-cache`` and ``Vary: Cookie``: browsers revalidate every time,
so a patient who has just booked never sees the freed slot from their own browser cache; the
server-side cache makes that revalidation cheap. With a caching proxy configured
(``WAGTAILFRONTENDCACHE``, see settings) pages add ``public, s-maxage=PAGE_CACHE_PROXY_SECONDS``:
Wagtail purges a page from the proxy when it is published or unpublished, :func:`bump` purges a
doctor's page when its free times change, and the short ``s-maxage`` bounds everything else
(menus and cards of other pages).

**Fail open.** Every cache call is guarded: with the cache unreachable a page is rendered as if
nothing were cached, and nothing is stored (a version token that cannot be read makes the
response unstorable).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import cc_delim_re, patch_cache_control, patch_vary_headers

logger = logging.getLogger(__name__)

KINDS = ("pages", "availability")
NONCE_PLACEHOLDER = b"\x00csp-nonce\x00"  # a NUL never occurs in an HTML page
HEADER = "X-Page-Cache"
_PREFIX = "pagecache:"
# Headers set per response elsewhere (the CSP middleware, outside this one) or by us.
_UNSTORED_HEADERS = frozenset(
    {"content-length", "content-security-policy", "content-security-policy-report-only", "vary", "cache-control"}
)
_STORABLE_VARY = frozenset({"cookie", "accept-encoding"})

T = TypeVar("T")


def _guarded(call: Callable[[], T], default: T) -> T:
    """Run one cache call; any failure is a miss (fail open), logged at most once a minute."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - a broken cache must never break a page
        global _last_warning
        if time.monotonic() - _last_warning > 60:
            _last_warning = time.monotonic()
            logger.warning("Page cache unavailable (%s); pages are rendered without it.", exc)
        return default


_last_warning = -1e9


def version_key(kind: str, ident: int | str | None = None) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown page-cache dependency {kind!r}; one of {KINDS}")
    return f"{_PREFIX}v:{kind}" if ident is None else f"{_PREFIX}v:{kind}:{ident}"


def _new_token() -> str:
    return secrets.token_hex(8)


def bump(kind: str, ident: int | None = None) -> None:
    """Invalidate every cached page that depends on ``kind`` (and ``ident``), once the change commits.

    After commit, not before: a page rendered from the old rows between a bump and the commit
    would otherwise be stored under the new token and stay stale.
    """
    keys = [version_key(kind, ident)]
    if kind == "availability":
        keys.append(version_key("availability"))
        if ident is None:
            keys.append(version_key("availability", "clinic"))
    transaction.on_commit(partial(_bump_now, keys, kind, ident), robust=True)


def _bump_now(keys: list[str], kind: str, ident: int | None) -> None:
    _guarded(lambda: cache.set_many({key: _new_token() for key in keys}, timeout=None), None)
    if kind == "availability" and ident is not None and frontend_cache_enabled():
        _purge_page(ident)


def frontend_cache_enabled() -> bool:
    return bool(getattr(settings, "WAGTAILFRONTENDCACHE", None))


def _purge_page(page_id: int) -> None:
    """Purge one page from the configured caching proxy (Wagtail already does it on publish)."""
    from wagtail.contrib.frontend_cache.utils import purge_page_from_cache
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).first()
    if page is not None:
        _guarded(lambda: purge_page_from_cache(page.specific), None)


def _current_token(key: str) -> str | None:
    """The key's token, created if missing; None when the cache cannot be reached."""
    token = _guarded(lambda: cache.get(key), None)
    if token is None:
        _guarded(lambda: cache.add(key, _new_token(), timeout=None), None)
        token = _guarded(lambda: cache.get(key), None)
    return token


@dataclass
class _Render:
    """What the request being rendered depends on; None outside a cacheable request."""

    deps: dict[str, str | None] = field(default_factory=dict)
    expires: float = float("inf")  # time.time() after which the output is wrong
    is_page: bool = False  # served by Wagtail for the page itself, no restriction
    served_page: bool = False  # served by Wagtail at all (gets a Cache-Control either way)


_render: ContextVar[_Render | None] = ContextVar("pagecache_render", default=None)


def depends_on(kind: str, ident: int | None = None) -> None:
    """Record that the page being rendered shows ``kind`` data; call it *before* reading the data."""
    state = _render.get()
    if state is None:
        return
    keys = [version_key(kind, ident)]
    if kind == "availability" and ident is not None:
        keys.append(version_key("availability", "clinic"))
    for key in keys:
        if key not in state.deps:
            state.deps[key] = _current_token(key)


def valid_until(when: datetime) -> None:
    """The page being rendered is right only until ``when`` (e.g. a shown slot leaves the notice period)."""
    state = _render.get()
    if state is not None:
        state.expires = min(state.expires, when.timestamp())


def page_served(page: Any, request: HttpRequest, *, routed: bool) -> None:
    """Called by the ``before_serve_page`` hook: the response is this Wagtail page's own."""
    state = _render.get()
    if state is None:
        return
    state.served_page = True
    if routed or getattr(request, "is_preview", False):
        return
    state.is_page = not page.get_view_restrictions().exists()


def _query_key(request: HttpRequest) -> str | None:
    """The normalised allow-listed query string; None when the query makes the page uncacheable."""
    if not request.GET:
        return ""
    allowed: dict[str, str] = settings.PAGE_CACHE_QUERY_PARAMS
    pairs = []
    for name in sorted(request.GET):
        values = request.GET.getlist(name)
        pattern = allowed.get(name)
        if pattern is None or len(values) != 1 or not re.fullmatch(pattern, values[0]):
            return None
        pairs.append(f"{name}={values[0]}")
    return "&".join(pairs)


def _signed_in_or_messages(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    # Pending messages (stored in a cookie or the session) are shown by the next page rendered.
    return bool(len(get_messages(request)))


def _entry_key(request: HttpRequest, query: str) -> str:
    raw = f"{request.get_host()}{request.path}?{query}"
    return f"{_PREFIX}page:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def _nonce(request: HttpRequest) -> bytes:
    return str(getattr(request, "csp_nonce", "") or "").encode()


def _cache_control(response: HttpResponseBase) -> None:
    patch_vary_headers(response, ["Cookie"])
    if frontend_cache_enabled():
        patch_cache_control(response, public=True, max_age=0, s_maxage=settings.PAGE_CACHE_PROXY_SECONDS)
    else:
        patch_cache_control(response, no_cache=True)


class PageCacheMiddleware:
    """Serves and stores anonymous Wagtail pages; see the module docstring for the rules.

    Sits after the session, authentication and message middleware (it asks whether someone is
    signed in or has messages waiting) and after the CSP middleware (whose nonce it fills in).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not settings.PAGE_CACHE_ENABLED or request.method != "GET":
            return self.get_response(request)
        query = _query_key(request)
        cacheable = query is not None and not _signed_in_or_messages(request)
        key = _entry_key(request, query) if cacheable and query is not None else None
        if key is not None:
            hit = self._fetch(request, key)
            if hit is not None:
                return hit
        state = _Render()
        token = _render.set(state)
        try:
            if key is not None:
                depends_on("pages")  # read before rendering: a publish during it makes this entry stale
            response = self.get_response(request)
        finally:
            _render.reset(token)
        if not state.served_page or "Cache-Control" in response:
            return response
        if key is not None and self._storable(request, response, state):
            self._store(request, response, key, state)
            response[HEADER] = "miss"
            _cache_control(response)
        else:
            patch_vary_headers(response, ["Cookie"])
            patch_cache_control(response, private=True, no_cache=True)
        return response

    def _fetch(self, request: HttpRequest, key: str) -> HttpResponse | None:
        entry = _guarded(lambda: cache.get(key), None)
        if not isinstance(entry, dict):
            return None
        deps: dict[str, str] = entry["deps"]
        current: dict[str, Any] = _guarded(lambda: cache.get_many(list(deps)), {})
        if any(current.get(name) != value for name, value in deps.items()):
            return None
        response = HttpResponse(entry["body"].replace(NONCE_PLACEHOLDER, _nonce(request)), status=entry["status"])
        for name, value in entry["headers"]:
            response[name] = value
        response[HEADER] = "hit"
        _cache_control(response)
        return response

    def _storable(self, request: HttpRequest, response: HttpResponseBase, state: _Render) -> bool:
        if not state.is_page or response.status_code != 200 or not isinstance(response, HttpResponse):
            return False
        if response.cookies or request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            return False
        session = getattr(request, "session", None)
        if session is not None and session.modified:
            return False
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            return False
        vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
        if not vary <= _STORABLE_VARY:
            return False
        if b"csrfmiddlewaretoken" in response.content:
            return False
        return all(token is not None for token in state.deps.values())

    def _store(self, request: HttpRequest, response: HttpResponse, key: str, state: _Render) -> None:
        timeout = min(float(settings.PAGE_CACHE_SECONDS), state.expires - time.time())
        if timeout < 1:
            return
        nonce = _nonce(request)
        body = response.content.replace(nonce, NONCE_PLACEHOLDER) if nonce else response.content
        headers = [(name, value) for name, value in response.items() if name.lower() not in _UNSTORED_HEADERS]
        entry = {"status": response.status_code, "headers": headers, "body": body, "deps": state.deps}
        _guarded(lambda: cache.set(key, entry, timeout=int(timeout)), None)
