"""The doctors index's filters, read from a plain GET query string so every result is a shareable URL.

A value the page does not know (a misspelt specialization, ``within=banana``) is never applied
and never silently dropped either: it comes back as a note the page shows, and the rest of the
filters still apply. Parsing does not touch the database beyond the option lists it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from .search import MAX_QUERY_LENGTH, query_terms

if TYPE_CHECKING:
    from .models import SpecializationPage

# "Free within" choices, in days from today.
WITHIN_CHOICES: tuple[tuple[int, str], ...] = ((1, "today or tomorrow"), (3, "3 days"), (7, "a week"), (14, "2 weeks"))
SORT_CHOICES: tuple[tuple[str, str], ...] = (("name", "Name"), ("soonest", "Soonest available"), ("fee", "Lowest fee"))
MAX_FEE = Decimal("100000")


@dataclass
class DoctorFilters:
    query: str = ""
    terms: list[str] = field(default_factory=list)
    specialization: SpecializationPage | None = None
    language: str = ""
    online: bool = False
    within_days: int | None = None
    fee_min: Decimal | None = None
    fee_max: Decimal | None = None
    sort: str = "name"
    notes: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (for "Clear filters" and the empty-result message)."""
        return bool(
            self.terms
            or self.specialization
            or self.language
            or self.online
            or self.within_days
            or self.fee_min is not None
            or self.fee_max is not None
        )

    @property
    def needs_availability(self) -> bool:
        return self.within_days is not None or self.sort == "soonest"


def _fee(raw: str, label: str, notes: list[str]) -> Decimal | None:
    raw = raw.strip().lstrip("£$€")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal(0) <= value <= MAX_FEE:
        notes.append(f"The {label} fee “{raw[:20]}” is not an amount, so it was not applied.")
        return None
    return value.quantize(Decimal("0.01"))


def parse_doctor_filters(
    params: Mapping[str, str], specializations: Sequence[SpecializationPage], languages: Sequence[str]
) -> DoctorFilters:
    """Read the index's GET parameters against the options the page offers."""
    notes: list[str] = []
    query = params.get("q", "").strip()[:MAX_QUERY_LENGTH]
    terms = query_terms(query)
    if query and not terms:
        notes.append(f"“{query[:40]}” has no word of three letters or more to search for, so it was not applied.")

    specialization = None
    slug = params.get("specialization", "").strip()
    if slug:
        specialization = next((s for s in specializations if s.slug == slug), None)
        if specialization is None:
            notes.append(f"There is no specialization “{slug[:40]}”, so all specializations are shown.")

    language = ""
    raw_language = params.get("language", "").strip()
    if raw_language:
        language = next((lang for lang in languages if lang.casefold() == raw_language.casefold()), "")
        if not language:
            notes.append(f"No doctor lists the language “{raw_language[:40]}”, so all languages are shown.")

    online = False
    raw_online = params.get("online", "").strip()
    if raw_online:
        online = raw_online in ("1", "on", "yes", "true")
        if not online and raw_online not in ("0", "off", "no", "false"):
            notes.append(f"“{raw_online[:20]}” is not a choice for online consultations, so it was not applied.")

    within_days = None
    raw_within = params.get("within", "").strip()
    if raw_within:
        allowed = {str(days): days for days, _ in WITHIN_CHOICES}
        within_days = allowed.get(raw_within)
        if within_days is None:
            notes.append(f"“{raw_within[:20]}” is not one of the offered time frames, so it was not applied.")

    fee_min = _fee(params.get("fee_min", ""), "lowest", notes)
    fee_max = _fee(params.get("fee_max", ""), "highest", notes)
    if fee_min is not None and fee_max is not None and fee_min > fee_max:
        notes.append("The lowest fee is above the highest fee, so the fee range was not applied.")
        fee_min = fee_max = None

    sort = params.get("sort", "").strip() or "name"
    if sort not in dict(SORT_CHOICES):
        notes.append(f"“{sort[:20]}” is not a way to sort, so doctors are sorted by name.")
        sort = "name"

    return DoctorFilters(
        query=query,
        terms=terms,
        specialization=specialization,
        language=language,
        online=online,
        within_days=within_days,
        fee_min=fee_min,
        fee_max=fee_max,
        sort=sort,
        notes=notes,
    )
