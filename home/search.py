"""Site search: specializations (and the conditions they treat), doctors, and the clinic's pages.

Everything goes through Wagtail's search backend (``modelsearch``'s database backend: FTS5 on
SQLite, InnoDB FULLTEXT on MariaDB/MySQL). The two engines differ where patients notice:

* accents and case: FTS5's ``unicode61`` tokenizer folds them, a MariaDB full-text index only as
  far as the column's collation does;
* partial words: only the backend's *autocomplete* query matches a prefix ("cardio" →
  "cardiology"), the plain ``search`` matches whole words;
* short words and stopwords: InnoDB never indexes words under three letters nor its stopwords,
  and a required (``+``) term it cannot match empties the whole result on MariaDB, while SQLite
  would still match it.

So each searchable page indexes one ASCII-folded, lower-cased ``search_keywords`` text as an
autocomplete field (folded with ``anyascii``, which Wagtail already depends on), and a query is
folded the same way and reduced to the words both engines can match. The result is the same on
both databases: "marquez" finds "Márquez", "cardio" finds "Cardiology", "heart" finds the
specialization that lists heart conditions, and punctuation or SQL-looking input is only ever a
list of plain words (MariaDB's boolean-mode parser never sees an operator typed by a user).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from anyascii import anyascii

if TYPE_CHECKING:
    from wagtail.models import Page

    from .models import DoctorPage, SpecializationPage

MAX_QUERY_LENGTH = 100
MAX_TERMS = 6
MAX_TERM_LENGTH = 40
# InnoDB's default ``innodb_ft_min_token_size``: shorter words are never in a MariaDB index.
MIN_TERM_LENGTH = 3
# InnoDB's default full-text stopwords (``INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD``): never
# indexed there, so they are dropped from every query on every database alike.
STOPWORDS = frozenset(
    {"a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how", "i", "in", "is"}
    | {"it", "la", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "who", "will"}
    | {"with", "und", "www"}
)
# Enough for any real list of matches on one site; a cap so a one-letter-ish query stays cheap.
MAX_HITS = 500


def fold(text: str) -> str:
    """ASCII-fold and lower-case ``text``: 'Márquez' → 'marquez', 'Ørsted' → 'orsted'."""
    return anyascii(text).lower()


def keywords(*parts: str | Iterable[str]) -> str:
    """One folded text from strings and lists of strings: what a page indexes as its keywords."""
    words: list[str] = []
    for part in parts:
        if isinstance(part, str):
            words.append(part)
        else:
            words.extend(part)
    return fold(" ".join(w for w in words if w))


def query_terms(raw: str) -> list[str]:
    """The words of a visitor's query that every supported database can match.

    Folded, split on anything that is not a letter or digit, without stopwords and words too
    short for a MariaDB index, each cut to a sane length, at most :data:`MAX_TERMS`. Empty when
    nothing searchable is left (the caller shows "type a word" rather than everything).
    """
    words = re.findall(r"[a-z0-9]+", fold(raw[:MAX_QUERY_LENGTH]))
    terms: list[str] = []
    for word in words:
        if len(word) < MIN_TERM_LENGTH or word in STOPWORDS:
            continue
        word = word[:MAX_TERM_LENGTH]
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _matching_ids(queryset, terms: list[str]) -> list[int]:
    """Primary keys of ``queryset``'s rows whose keywords hold every term (the last as a prefix).

    Each term is also tried as a prefix on its own (``autocomplete`` makes only the *last* word a
    prefix), so "cardio heart" and "heart cardio" find the same pages.
    """
    if not terms:
        return []
    found: set[int] | None = None
    for term in terms:
        ids = {page.pk for page in queryset.autocomplete(term)[:MAX_HITS]}
        found = ids if found is None else found & ids
        if not found:
            return []
    return sorted(found or ())


@dataclass
class SearchResults:
    """What ``/search/`` shows, grouped by kind; ``terms`` are the words actually searched for."""

    query: str
    terms: list[str]
    specializations: list[SpecializationPage] = field(default_factory=list)
    doctors: list[DoctorPage] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.specializations) + len(self.doctors) + len(self.pages)


def matching_specialization_ids(terms: list[str]) -> list[int]:
    from .models import SpecializationPage

    return _matching_ids(SpecializationPage.objects.live(), terms)


def matching_doctor_ids(terms: list[str], specialization_ids: list[int] | None = None) -> set[int]:
    """Doctors found by name, title or language, plus every doctor of a matching specialization.

    "heart" finds Cardiology through its conditions, and with it the cardiologists, although no
    doctor's own profile says "heart". Pass ``specialization_ids`` when already known.
    """
    from .models import DoctorPage

    ids = set(_matching_ids(DoctorPage.objects.live(), terms))
    if specialization_ids is None:
        specialization_ids = matching_specialization_ids(terms)
    if specialization_ids:
        ids.update(
            DoctorPage.objects.live()
            .filter(specialization_links__specialization_id__in=specialization_ids)
            .values_list("pk", flat=True)
        )
    return ids


def site_search(raw_query: str, *, limit: int = 50) -> SearchResults:
    """Search the whole site for ``raw_query``: a bounded number of queries whatever it holds."""
    from .models import DoctorPage, SpecializationPage, StandardPage

    query = raw_query.strip()[:MAX_QUERY_LENGTH]
    terms = query_terms(query)
    results = SearchResults(query=query, terms=terms)
    if not terms:
        return results
    specialization_ids = matching_specialization_ids(terms)
    results.specializations = list(
        SpecializationPage.objects.live()
        .filter(pk__in=specialization_ids)
        .select_related("image")
        .order_by("title")[:limit]
    )
    doctor_ids = matching_doctor_ids(terms, specialization_ids)
    results.doctors = list(DoctorPage.objects.live().filter(pk__in=doctor_ids).order_by("title").with_cards()[:limit])
    page_ids = _matching_ids(StandardPage.objects.live().public(), terms)
    results.pages = list(StandardPage.objects.filter(pk__in=page_ids).order_by("title")[:limit])
    return results
