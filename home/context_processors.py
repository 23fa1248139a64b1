"""Template context shared by every page: the main navigation and the clinic's details."""

from django.utils.functional import SimpleLazyObject
from wagtail.models import Site

from .models import ClinicSettings


def _menu_pages(request):
    site = Site.find_for_request(request)
    if site is None:
        return []
    return list(site.root_page.get_children().live().in_menu().only("id", "title", "url_path", "path", "depth"))


def navigation(request):
    """``nav_pages``: the home page's children marked "show in menus", fetched only if used."""
    return {"nav_pages": SimpleLazyObject(lambda: _menu_pages(request))}


def clinic(request):
    """``clinic_settings``: the clinic's name, address and phone, read once and never written on a GET."""
    return {"clinic_settings": SimpleLazyObject(lambda: ClinicSettings.current(request))}
