"""The portal's URLs plus the trivial view every page is compared with; bench settings only."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def ok(request: HttpRequest) -> HttpResponse:
    """The cheapest response the stack can give: the same middleware, no template, no query."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ok", ok), *portal_urlpatterns]
