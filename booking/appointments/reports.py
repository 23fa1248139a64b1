"""Appointment reports, shared by the doctor's dashboard and the staff admin.

One form (two dates, both included, at most :data:`MAX_REPORT_DAYS`), one aggregation (counted
in the database, grouped by doctor id so two doctors with one name stay apart) and one CSV
export. The doctor's report is the staff report restricted to one doctor.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from portal.validation import EARLIEST_DATE, LATEST_DATE

from ..models import Appointment, clinic_zone

MAX_REPORT_DAYS = 366  # a whole leap year, first and last day included


def this_month() -> tuple[date, date]:
    """The first and last day of the current month in the clinic's time zone (the default report)."""
    today = timezone.localdate(timezone=clinic_zone())
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


class ReportForm(forms.Form):
    """Two dates from the query string (``?from=…&to=…``), both days included.

    The field names are the URL's, so links and bookmarks stay readable; ``from`` is a Python
    keyword, hence the fields are added in ``__init__`` rather than declared on the class.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label="From",
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"required": "Enter the first date.", "invalid": "Enter the first date as a real date."},
        )
        self.fields["to"] = forms.DateField(
            label="To (inclusive)",
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={"required": "Enter the last date.", "invalid": "Enter the last date as a real date."},
        )

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ReportForm:
        """Bind to the query string; a missing or empty date falls back to this month's bound."""
        first, last = this_month()
        return cls({"from": query.get("from") or first.isoformat(), "to": query.get("to") or last.isoformat()})

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        # Dates far from today are typos; near date.min/date.max they would also overflow when
        # turned into aware datetimes for the query. The range is the portal's shared one.
        for value in (start, end):
            if value and not EARLIEST_DATE <= value <= LATEST_DATE:
                raise ValidationError(f"Choose dates between {EARLIEST_DATE.year} and {LATEST_DATE.year}.")
        if start and end:
            if end < start:
                raise ValidationError("The first date must not be after the last date.")
            if (end - start).days + 1 > MAX_REPORT_DAYS:
                raise ValidationError(f"Choose at most {MAX_REPORT_DAYS} days.")
        return data

    @property
    def start(self) -> date:
        return self.cleaned_data["from"]

    @property
    def end(self) -> date:
        return self.cleaned_data["to"]

    @property
    def errors_list(self) -> list[str]:
        """Every problem as one flat list of sentences, for messages above the report."""
        errors = [str(error) for error in self.non_field_errors()]
        return errors + [str(error) for name in ("from", "to") for error in self.errors.get(name, [])]

    @property
    def query(self) -> str:
        """The query string that reproduces this report (for the CSV link)."""
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


@dataclass(frozen=True)
class DoctorRow:
    doctor_id: int
    doctor: str
    counts: list[int]  # one per status, in ``Appointment.Status`` order
    total: int


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    statuses: list[Appointment.Status]
    rows: list[DoctorRow]
    totals: list[int]
    grand_total: int


def appointment_report(first: date, last: date, *, doctor_id: int | None = None) -> Report:
    """Appointments per doctor and status starting on local dates ``first``..``last``.

    One grouped query: the database counts, Python only lays the numbers out in a table.
    """
    queryset = Appointment.objects.starting_between(first, last)
    if doctor_id is not None:
        queryset = queryset.filter(doctor_id=doctor_id)
    grouped = (
        queryset.order_by()
        .values("doctor_id", "doctor__title", "status")
        .annotate(n=Count("pk"))
        .values_list("doctor_id", "doctor__title", "status", "n")
    )
    statuses = list(Appointment.Status)
    titles: dict[int, str] = {}
    counts: dict[tuple[int, str], int] = {}
    for doc_id, title, status, n in grouped:
        titles[doc_id] = title
        counts[(doc_id, status)] = n
    rows = [
        DoctorRow(
            doctor_id=doc_id,
            doctor=titles[doc_id],
            counts=[counts.get((doc_id, s.value), 0) for s in statuses],
            total=sum(counts.get((doc_id, s.value), 0) for s in statuses),
        )
        for doc_id in sorted(titles, key=lambda pk: (titles[pk], pk))
    ]
    totals = [sum(row.counts[i] for row in rows) for i in range(len(statuses))]
    return Report(first, last, statuses, rows, totals, sum(totals))


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """Neutralise spreadsheet formulas: a patient named ``=HYPERLINK(…)`` must stay text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def appointment_rows(
    queryset: QuerySet[Appointment],
    *,
    with_doctor: bool,
    with_contact: bool,
    extra_columns: Sequence[tuple[str, Callable[[Appointment], object]]] = (),
) -> Iterator[list]:
    """Header then one row per appointment, local date and time, free text made formula-safe.

    ``extra_columns`` are (header, value for an appointment) pairs another feature adds to the
    export (payments add paid, refunded and net, from an annotated queryset).
    """
    tz = clinic_zone()
    header = ["reference", "date", "time"]
    header += ["doctor"] if with_doctor else []
    header += ["patient"] + (["email", "mobile"] if with_contact else []) + ["status", "mode"]
    header += [name for name, _ in extra_columns]
    yield header
    for appointment in queryset.iterator(chunk_size=500):
        local = appointment.starts_at.astimezone(tz)
        row: list[object] = [appointment.reference, local.date().isoformat(), local.strftime("%H:%M")]
        if with_doctor:
            row.append(csv_safe(appointment.doctor.title))
        row.append(csv_safe(appointment.full_name))
        if with_contact:
            row += [csv_safe(appointment.email), csv_safe(appointment.mobile)]
        row += [appointment.status, appointment.mode]
        extras = (value(appointment) for _, value in extra_columns)
        # Numbers stay numbers (a formula guard would turn "-5" into text); anything else is made safe.
        row += [v if isinstance(v, int | Decimal) else csv_safe(v) for v in extras]
        yield row


def csv_download(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV attachment, so a year of appointments never sits in memory."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
