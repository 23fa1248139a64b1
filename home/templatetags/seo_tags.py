"""``{% load seo_tags %}``: meta description, share image and schema.org JSON-LD for a page."""

from __future__ import annotations

import json

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from home import seo
from home.models import ClinicSettings, DoctorPage, HomePage

register = template.Library()

# What a JSON value must not contain inside a <script> element (as Django's json_script escapes).
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def meta_description(context, page) -> str:
    return seo.meta_description(page, ClinicSettings.current(context.get("request")))


@register.simple_tag
def og_type(page) -> str:
    """Open Graph's type: a doctor's page is a person's profile, everything else a website."""
    return "profile" if issubclass(page.specific_class or type(page), DoctorPage) else "website"


@register.simple_tag
def share_image(page):
    return seo.share_image(page)


@register.simple_tag(takes_context=True)
def structured_data(context, page, image_url: str = ""):
    """The page's JSON-LD blocks: MedicalClinic (home), Physician (doctors), BreadcrumbList (others)."""
    request = context["request"]
    clinic = ClinicSettings.current(request)
    specific = page.specific_deferred
    blocks = []
    if isinstance(specific, HomePage):
        blocks.append(seo.clinic_data(clinic, request))
    else:
        if isinstance(specific, DoctorPage):
            blocks.append(seo.physician_data(specific, clinic, request, image_url))
        breadcrumbs = seo.breadcrumb_data(page, request)
        if breadcrumbs:
            blocks.append(breadcrumbs)
    nonce = escape(str(getattr(request, "csp_nonce", "")))
    return mark_safe(  # noqa: S308 - JSON with the script-breaking characters escaped
        "".join(
            f'<script type="application/ld+json" nonce="{nonce}">'
            f"{json.dumps(block, ensure_ascii=False).translate(_SCRIPT_ESCAPES)}</script>"
            for block in blocks
        )
    )
