"""What search engines and link previews read about a page: description, image, structured data.

Kept apart from the templates so the fallbacks (a doctor without a promote-tab description still
gets one) and the schema.org shapes are plain functions, tested by parsing what they produce.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.html import strip_tags
from django.utils.text import Truncator
from wagtail.models import Page

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import ClinicSettings

DESCRIPTION_LENGTH = 160


def _plain(text: str) -> str:
    return " ".join(strip_tags(text or "").split())


def meta_description(page: Page, clinic: ClinicSettings) -> str:
    """The promote tab's search description, else a sentence built from the page's own content."""
    specific: Any = page.specific_deferred if isinstance(page, Page) else page
    if getattr(specific, "search_description", ""):
        return specific.search_description
    from .models import DoctorPage, HomePage, SpecializationPage, StandardPage

    text = ""
    if isinstance(specific, DoctorPage):
        specialties = ", ".join(s.title for s in specific.specializations)
        role = specific.job_title or "Doctor"
        text = f"{specific.title}, {role}{f' ({specialties})' if specialties else ''} at {clinic.name}. Book online."
    elif isinstance(specific, SpecializationPage):
        text = specific.summary
    elif isinstance(specific, HomePage):
        text = specific.hero_text or clinic.tagline or f"{clinic.name}: book an appointment online."
    elif isinstance(specific, StandardPage):
        text = specific.intro
    text = text or _plain(getattr(specific, "intro", "")) or f"{page.title} · {clinic.name}"
    return Truncator(_plain(text)).chars(DESCRIPTION_LENGTH)


def share_image(page: Page):
    """The page's own picture for link previews (doctor photo, specialization or hero image)."""
    specific: Any = page.specific_deferred if isinstance(page, Page) else page
    for name in ("photo", "image", "hero_image"):
        image = getattr(specific, name, None)
        if image is not None:
            return image
    return None


def _address(clinic: ClinicSettings, lines: list[str] | None = None) -> dict | None:
    lines = lines if lines is not None else clinic.address_lines
    if not lines:
        return None
    return {"@type": "PostalAddress", "streetAddress": ", ".join(lines)}


def _compact(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def clinic_data(clinic: ClinicSettings, request: HttpRequest) -> dict:
    """schema.org ``MedicalClinic`` for the home page."""
    return _compact(
        {
            "@context": "https://schema.org",
            "@type": "MedicalClinic",
            "name": clinic.name,
            "description": clinic.tagline,
            "url": request.build_absolute_uri("/"),
            "telephone": str(clinic.phone or ""),
            "email": clinic.email,
            "address": _address(clinic),
            "openingHours": clinic.opening_hours_lines,
        }
    )


def physician_data(doctor, clinic: ClinicSettings, request: HttpRequest, image_url: str = "") -> dict:
    """schema.org ``Physician`` for a doctor's page: specialty, address, languages, the clinic."""
    own_address = [line for line in doctor.address.splitlines() if line.strip()]
    return _compact(
        {
            "@context": "https://schema.org",
            "@type": "Physician",
            "name": doctor.title,
            "url": doctor.get_full_url(request),
            "image": image_url,
            "description": meta_description(doctor, clinic),
            "medicalSpecialty": [s.title for s in doctor.specializations],
            "knowsLanguage": doctor.language_list,
            "telephone": str(doctor.phone or clinic.phone or ""),
            "address": _address(clinic, own_address or None),
            "priceRange": f"{doctor.consultation_fee}" if doctor.consultation_fee else "",
            "isAcceptingNewPatients": True,
            "memberOf": _compact(
                {"@type": "MedicalClinic", "name": clinic.name, "url": request.build_absolute_uri("/")}
            ),
        }
    )


def breadcrumb_data(page: Page, request: HttpRequest) -> dict | None:
    """schema.org ``BreadcrumbList`` from the site's home down to ``page`` (one query)."""
    trail = list(page.get_ancestors(inclusive=True).filter(depth__gt=1).specific(defer=True))
    if len(trail) < 2:
        return None
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": crumb.title, "item": crumb.get_full_url(request)}
            for n, crumb in enumerate(trail, start=1)
        ],
    }
