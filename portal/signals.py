"""Signal receivers of the portal app, connected in ``PortalConfig.ready``."""

from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.images.models import AbstractImage
from wagtail.models import BaseViewRestriction, Page, Site

from . import pagecache
from .middleware import stamp_session
from .ratelimit import SigninAttempt

# Saved or deleted, these change what cached pages show. Pages themselves count only once live
# content changes (published, unpublished, moved), but a deleted page (post_delete) always does.
PAGE_CACHE_MODELS = (Site, BaseSiteSetting, BaseGenericSetting, AbstractImage, BaseViewRestriction)


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """Start the session's timeout clocks and trust this address for the account's sign-in limit.

    Django sends this only once every sign-in stage has passed, the second factor included, so
    an address that knows the password but not the code is never trusted.
    """
    if request is None or not hasattr(request, "session"):
        return
    stamp_session(request)
    SigninAttempt(request, user.email, account=f"user:{user.pk}").remember_address()


def bump_pages(sender, instance=None, **kwargs) -> None:
    """Any page, site, setting, image or view restriction changed: every cached page may show it.

    One site-wide version rather than working out which pages show which: menus, footers and
    cards show other pages, and publishing is rare next to page views.
    """
    pagecache.bump("pages")


def bump_pages_on_save(sender, instance, **kwargs) -> None:
    """``post_save`` of any model: only sites, site settings, images and view restrictions count.

    A page's own save does not: drafts and revisions save it too; what visitors see changes only
    through the publishing signals above.
    """
    if isinstance(instance, PAGE_CACHE_MODELS):
        pagecache.bump("pages")


def bump_pages_on_delete(sender, instance, **kwargs) -> None:
    """``post_delete`` of any model: the same, plus pages (deleting a live page unpublishes nothing)."""
    if isinstance(instance, (Page, *PAGE_CACHE_MODELS)):
        pagecache.bump("pages")


def connect_page_cache() -> None:
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import page_published, page_unpublished, post_page_move

    page_published.connect(bump_pages, dispatch_uid="portal.pagecache.published")
    page_unpublished.connect(bump_pages, dispatch_uid="portal.pagecache.unpublished")
    post_page_move.connect(bump_pages, dispatch_uid="portal.pagecache.moved")
    post_save.connect(bump_pages_on_save, dispatch_uid="portal.pagecache.saved")
    post_delete.connect(bump_pages_on_delete, dispatch_uid="portal.pagecache.deleted")
