from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from booking import urls as booking_urls
from booking.api import urls as api_urls
from home import views as home_views

from .views import healthz, signup

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Wagtail's own login form would sign staff in with a password alone, past allauth's limits
    # and second factor: it only ever redirects to allauth's (the query string, ?next=, is kept).
    path("admin/login/", RedirectView.as_view(url=settings.WAGTAILADMIN_LOGIN_URL, query_string=True)),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # Ahead of allauth's own sign-up URL: the same view, with a lost race answered by a message.
    path("accounts/signup/", signup, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("search/", home_views.search, name="search"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", home_views.robots_txt, name="robots_txt"),
    # Browsers and crawlers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", home_views.favicon, name="favicon"),
    # The JSON API, and allauth's headless accounts API (sign-up, sign-in, tokens) for its clients.
    path("api/v1/auth/", include("allauth.headless.urls")),
    path("api/v1/", include(api_urls)),
    path("", include(booking_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
