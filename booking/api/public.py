"""Public, read-only endpoints: the clinic, its CMS pages, specializations, doctors and free times.

The doctor list uses the doctor index page's own filters (``DoctorIndexPage.filtered_doctors``),
free times the availability selectors that the booking service re-checks, so what the API offers
is exactly what the site offers.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from wagtail.models import Page

from home.filters import parse_doctor_filters
from home.models import ClinicSettings, DoctorIndexPage, DoctorPage, SpecializationPage
from portal.phones import display_phone

from ..availability.selectors import booking_window, doctor_free_slots, upcoming_days
from ..models import clinic_zone
from .errors import InvalidInput, responds
from .pagination import Paged, PageParams, paginate
from .schemas import (
    ClinicOut,
    DoctorDetailOut,
    DoctorOut,
    ObjectId,
    PageDetailOut,
    PageOut,
    SaneDate,
    SlotOut,
    SpecializationOut,
)

router = Router(tags=["public"])

# The longest range of free times one request may ask for.
MAX_SLOT_DAYS = 31


def _specialization(page: SpecializationPage) -> dict:
    return {"id": page.pk, "title": page.title, "slug": page.slug, "summary": page.summary}


def _doctor(request: HttpRequest, doctor: DoctorPage) -> dict:
    return {
        "id": doctor.pk,
        "name": doctor.title,
        "slug": doctor.slug,
        "job_title": doctor.job_title,
        "specializations": [_specialization(s) for s in doctor.specializations],
        "languages": doctor.language_list,
        "consultation_fee": doctor.consultation_fee,
        "slot_minutes": doctor.slot_minutes,
        "offers_online": doctor.offers_online,
        "url": doctor.get_url(request) or "",
    }


def live_doctor(doctor_id: int) -> DoctorPage:
    """The live doctor page with this id, or 404."""
    doctor = DoctorPage.objects.live().with_cards().filter(pk=doctor_id).first()
    if doctor is None:
        raise Http404("No such doctor.")
    return doctor


@router.get("/clinic", response=responds(ClinicOut), auth=None, summary="The clinic's details and booking rules")
def clinic(request: HttpRequest):
    details = ClinicSettings.current(request)
    return {
        "name": details.name,
        "tagline": details.tagline,
        "address": details.address_lines,
        "phone": display_phone(details.phone) if details.phone else "",
        "email": details.email,
        "opening_hours": details.opening_hours_lines,
        "time_zone": str(clinic_zone()),
        "booking_horizon_days": settings.BOOKING_HORIZON_DAYS,
        "cancel_cutoff_hours": settings.BOOKING_CANCEL_CUTOFF_HOURS,
        "guest_confirmation_minutes": settings.GUEST_CONFIRMATION_MINUTES,
    }


@router.get("/specializations", response=responds(Paged[SpecializationOut]), auth=None, summary="Specializations")
def specializations(request: HttpRequest, page: Query[PageParams]):
    return paginate(SpecializationPage.objects.live().order_by("title", "pk"), page, _specialization)


@router.get(
    "/doctors", response=responds(Paged[DoctorOut]), auth=None, summary="Doctors, filtered like the doctors page"
)
def doctors(
    request: HttpRequest,
    page: Query[PageParams],
    q: str = "",
    specialization: str = "",
    language: str = "",
    online: str = "",
    within: str = "",
    fee_min: str = "",
    fee_max: str = "",
    sort: str = "name",
):
    """The doctors page's own filters and search (``home.filters``), read from the same parameters:
    ``q`` (names, specializations, conditions, languages), ``specialization`` (a slug), ``language``,
    ``online`` (1/0), ``within`` (days: 1, 3, 7, 14), ``fee_min``/``fee_max``, ``sort``
    (name, soonest, fee). A value the page would note and not apply is a 400 here."""
    index = DoctorIndexPage.objects.live().first()
    if index is None:
        return paginate([], page, lambda d: d)
    params = {
        "q": q,
        "specialization": specialization,
        "language": language,
        "online": online,
        "within": within,
        "fee_min": fee_min,
        "fee_max": fee_max,
        "sort": sort,
    }
    specializations = list(SpecializationPage.objects.live().order_by("title").only("id", "title", "slug"))
    filters = parse_doctor_filters(params, specializations, index.doctor_languages())
    if filters.notes:
        raise InvalidInput("Some filters are not valid; nothing was listed.", {"filters": filters.notes})
    return paginate(index.listed_doctors(filters), page, lambda d: _doctor(request, d))


@router.get(
    "/doctors/{doctor_id}", response=responds(DoctorDetailOut), auth=None, summary="A doctor, with next free times"
)
def doctor_detail(request: HttpRequest, doctor_id: ObjectId):
    doctor = live_doctor(doctor_id)
    next_free = [slot for _day, slots in upcoming_days(doctor) for slot in slots]
    return {
        **_doctor(request, doctor),
        "qualifications": doctor.qualification_list,
        "address": doctor.address,
        "next_free_times": [{"starts_at": s.start, "ends_at": s.end} for s in next_free],
    }


class SlotRange(Schema):
    start: SaneDate | None = None
    end: SaneDate | None = None


@router.get(
    "/doctors/{doctor_id}/slots",
    response=responds(list[SlotOut]),
    auth=None,
    summary="Free times of a doctor between two dates",
)
def doctor_slots(request: HttpRequest, doctor_id: ObjectId, range: Query[SlotRange]):
    """Local dates ``start``..``end`` (both included, at most 31 days; default: the next 7).

    Only times inside the booking window are listed: nothing earlier than the minimum notice,
    nothing past the booking horizon.
    """
    doctor = live_doctor(doctor_id)
    first_bookable, last_bookable = booking_window()
    start: date = range.start or first_bookable
    end: date = range.end or start + timedelta(days=6)
    if end < start:
        raise InvalidInput("The end date is before the start date.", {"end": ["Must not be before start."]})
    if (end - start).days + 1 > MAX_SLOT_DAYS:
        raise InvalidInput(f"Ask for at most {MAX_SLOT_DAYS} days.", {"end": [f"At most {MAX_SLOT_DAYS} days."]})
    start, end = max(start, first_bookable), min(end, last_bookable)
    if end < start:
        return []
    return [{"starts_at": s.start, "ends_at": s.end} for s in doctor_free_slots(doctor, start, end)]


def _page(request: HttpRequest, page: Page) -> dict:
    return {
        "id": page.pk,
        "title": page.title,
        "slug": page.slug,
        "url": page.get_url(request) or "",
        "type": page.specific_class._meta.label_lower if page.specific_class else "wagtailcore.page",
    }


@router.get("/pages", response=responds(Paged[PageOut]), auth=None, summary="Published CMS pages")
def pages(request: HttpRequest, page: Query[PageParams]):
    return paginate(
        Page.objects.live().public().filter(depth__gt=1).order_by("path"), page, lambda p: _page(request, p)
    )


@router.get("/pages/{page_id}", response=responds(PageDetailOut), auth=None, summary="One published CMS page")
def page_detail(request: HttpRequest, page_id: ObjectId):
    page = Page.objects.live().public().filter(depth__gt=1, pk=page_id).first()
    if page is None:
        raise Http404("No such page.")
    specific = page.specific
    return {
        **_page(request, page),
        "search_description": page.search_description,
        "intro": str(getattr(specific, "intro", "") or ""),
        "summary": str(getattr(specific, "summary", "") or ""),
    }
