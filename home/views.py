"""Views of the public site that are not pages in the tree: site search."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static

from .models import DoctorIndexPage
from .search import site_search


def search(request: HttpRequest) -> HttpResponse:
    """``/search/?q=``: specializations, doctors and pages that match, grouped by kind.

    Any query is answered with a normal page: an empty or unsearchable one shows the box again
    with a hint, never an error (see :func:`home.search.query_terms`).
    """
    raw = request.GET.get("q", "")
    results = site_search(raw)
    context = {
        "results": results,
        "search_query": results.query,
        "doctor_index": DoctorIndexPage.objects.live().first(),
    }
    return TemplateResponse(request, "home/search_results.html", context)


# Private or per-visitor areas that have nothing for a search engine.
ROBOTS_DISALLOW = ("/admin/", "/accounts/", "/me/", "/appointments/", "/doctor/", "/search/")


def robots_txt(request: HttpRequest) -> HttpResponse:
    """``/robots.txt``: keep crawlers out of private areas and point them at the sitemap."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, asked for by browsers and crawlers whatever the page links to.

    A temporary redirect: the static file's name carries a content hash in production.
    """
    return redirect(static("img/favicon-32.png"))
