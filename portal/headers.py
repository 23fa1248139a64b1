"""Browser security headers: Content-Security-Policy (django-csp) and Permissions-Policy.

Two CSP policies, both from settings:

* ``CONTENT_SECURITY_POLICY`` for every page of the site: scripts and styles only from the
  portal itself or inline with this response's nonce, nothing framed but Stripe, and the site
  itself never framed.
* ``CONTENT_SECURITY_POLICY_ADMIN`` for the Wagtail admin. Wagtail still writes ``style``
  attributes in its markup and from its scripts (wagtail/wagtail#1288), so ``style-src`` allows
  inline styles there; a nonce cannot cover attributes, and ``'unsafe-inline'`` next to a nonce
  would be ignored by browsers. Scripts stay nonce-only, because the admin is where an injected
  script would do most harm. The few inline scripts Wagtail renders get the nonce: templates
  (inline panels, date and time pickers) are overridden under ``portal/templates/wagtailadmin/``
  with ``{% csp_nonce %}`` (an app directory rather than ``templates/``, so that the form
  renderer, which only searches apps, finds them before Wagtail's), and the chooser widgets,
  which write their script in Python, are wrapped by :func:`nonce_wagtail_chooser_scripts`.
  The browser test ``tests/browser/test_csp_journey.py`` opens the page editor and its choosers
  and fails on any violation, so a Wagtail upgrade that adds an inline script is caught. The
  admin's preview frames itself, so it may be framed by itself.

Every response gets a fresh nonce, generated up front: templates (and later Stripe's loader) can
use ``request.csp_nonce`` or ``{% csp_nonce %}`` without caring whether the header was already
built. A nonce the page does not use costs nothing.
"""

from __future__ import annotations

from contextvars import ContextVar

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.safestring import mark_safe
from wagtail.admin.widgets.chooser import BaseChooser

# The nonce of the request being handled, for templates rendered without the request in their
# context (Django form widgets, e.g. Wagtail's date pickers). Set and cleared by the middleware.
current_nonce: ContextVar[str] = ContextVar("csp_nonce", default="")


def is_admin_path(path: str) -> bool:
    return path.startswith(settings.CONTENT_SECURITY_POLICY_ADMIN_PREFIX)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's policy under ``/admin/`` and an eager nonce."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        # django-csp sets ``csp_nonce`` on the request; the token restores the context afterwards.
        request._csp_token = current_nonce.set(str(request.csp_nonce))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        token = getattr(request, "_csp_token", None)
        if token is not None:
            current_nonce.reset(token)
            request._csp_token = None  # type: ignore[attr-defined]
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        # A view's own @csp_replace/@csp_update still applies on top of the admin policy.
        if not report_only and parts.config is None and is_admin_path(request.path_info):
            parts.config = default_config(settings.CONTENT_SECURITY_POLICY_ADMIN["DIRECTIVES"])
        return parts


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "payment": ["self", "https://js.stripe.com"]}`` → the header's syntax."""
    parts = []
    for feature, allowed in policy.items():
        origins = " ".join(origin if origin in ("self", "*") else f'"{origin}"' for origin in allowed)
        parts.append(f"{feature}=({origins})")
    return ", ".join(parts)


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (from ``PERMISSIONS_POLICY``) to every response that lacks one."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


def nonce_wagtail_chooser_scripts() -> None:
    """Make Wagtail's chooser widgets (page, image, document, snippet) put the nonce on their script.

    ``BaseChooser.render`` ends its output with ``<script>…</script>`` built in Python
    (wagtail/admin/widgets/chooser.py), out of reach of template overrides. The wrapper adds the
    current request's nonce to that last script tag and to nothing else; outside a request (no
    nonce) the output is unchanged. Idempotent.
    """
    original = BaseChooser.render
    if getattr(original, "adds_csp_nonce", False):
        return

    def render(self, name, value, attrs=None, renderer=None):
        html = original(self, name, value, attrs, renderer)
        nonce = current_nonce.get()
        head, tag, tail = str(html).rpartition("<script>")
        if not nonce or not tag or not tail.endswith("</script>"):
            return html
        return mark_safe(f'{head}<script nonce="{nonce}">{tail}')  # noqa: S308 - Wagtail's own output, plus our nonce

    render.adds_csp_nonce = True  # type: ignore[attr-defined]  # marks the patch as applied
    BaseChooser.render = render
