"""Views of the public site that are not pages in the tree: site search."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

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
