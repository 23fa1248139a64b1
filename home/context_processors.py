"""Template context shared by every page: the main navigation."""

from django.utils.functional import SimpleLazyObject
from wagtail.models import Site


def _menu_pages(request):
    site = Site.find_for_request(request)
    if site is None:
        return []
    return list(site.root_page.get_children().live().in_menu().only("id", "title", "url_path", "path", "depth"))


def navigation(request):
    """``nav_pages``: the home page's children marked "show in menus", fetched only if used."""
    return {"nav_pages": SimpleLazyObject(lambda: _menu_pages(request))}
