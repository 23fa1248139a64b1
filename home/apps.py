from django.apps import AppConfig
from wagtail.users.apps import WagtailUsersAppConfig


class HomeConfig(AppConfig):
    # Explicit: this module also holds the wagtail.users config below, so Django would not pick
    # this one on its own for the "home" entry in INSTALLED_APPS.
    default = True
    name = "home"
    verbose_name = "Site pages"


class ClinicUsersAppConfig(WagtailUsersAppConfig):
    """``wagtail.users`` with the clinic's user viewset; listed in INSTALLED_APPS in its place.

    Wagtail 6.2+ takes custom user forms from the viewset named here (the old
    ``WAGTAIL_USER_EDIT_FORM``-style settings are gone in Wagtail 8). It lives in ``home`` rather
    than ``portal`` because the viewset links accounts to doctor pages, and ``portal`` must not
    know about page models; see ``home/users.py``.
    """

    default = False
    user_viewset = "home.users.UserViewSet"
