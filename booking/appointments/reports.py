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
from django.db.models import CharField, Count, ExpressionWrapper, F, Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from home.models import DoctorPage
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

    Counted by the database, grouped by (doctor id, status) with no join and no ``ORDER BY``
    (an inherited ordering would make it sort the rows it groups). Naming every status lets
    MariaDB read the dates of each status as a range of the (status, starts_at, doctor) index, so
    a month of a busy clinic is counted from the index alone. The doctors' titles come afterwards,
    for the doctors in the result only.
    """
    statuses = list(Appointment.Status)
    queryset = Appointment.objects.starting_between(first, last).filter(status__in=[s.value for s in statuses])
    if doctor_id is not None:
        queryset = queryset.filter(doctor_id=doctor_id)
    grouped = (
        queryset.order_by()
        .values("doctor_id", "status")
        .annotate(n=Count("pk"))
        .values_list("doctor_id", "status", "n")
    )
    counts: dict[tuple[int, str], int] = {}
    for doc_id, status, n in grouped:
        counts[(doc_id, status)] = n
    titles = dict(
        DoctorPage.objects.filter(pk__in={doc_id for doc_id, _ in counts}).order_by().values_list("pk", "title")
    )
    rows = [
        DoctorRow(
            doctor_id=doc_id,
            doctor=titles.get(doc_id, ""),
            counts=[counts.get((doc_id, s.value), 0) for s in statuses],
            total=sum(counts.get((doc_id, s.value), 0) for s in statuses),
        )
        for doc_id in sorted({doc_id for doc_id, _ in counts}, key=lambda pk: (titles.get(pk, ""), pk))
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


# Rows per query when streaming a CSV; the first query reads fewer, so the download starts at once.
CSV_CHUNK = 2000
CSV_FIRST_CHUNK = 200
CSV_COLUMNS = ("pk", "reference", "starts_at", "doctor_id", "full_name", "email", "mobile_text", "status", "mode")


def appointment_rows(
    queryset: QuerySet[Appointment],
    *,
    with_doctor: bool,
    with_contact: bool,
    extra_columns: Sequence[tuple[str, Callable[[Mapping[str, object]], object]]] = (),
) -> Iterator[list]:
    """Header then one row per appointment, local date and time, free text made formula-safe.

    Rows come in (start, doctor, id) order, :data:`CSV_CHUNK` at a time, each chunk starting
    after the last row of the previous one (keyset paging on the (starts_at, doctor) index): the
    first bytes leave after one small query, memory stays flat however long the range, and no
    query has to skip rows or keep a cursor open. Plain values, not model instances; doctors'
    titles are read once per doctor.

    ``extra_columns`` are (header, value of a row) pairs another feature adds to the export; a
    row is a mapping of the columns above and of the queryset's annotations (payments annotate
    paid and refunded amounts and add paid, refunded and net).
    """
    tz = clinic_zone()
    header = ["reference", "date", "time"]
    header += ["doctor"] if with_doctor else []
    header += ["patient"] + (["email", "mobile"] if with_contact else []) + ["status", "mode"]
    header += [name for name, _ in extra_columns]
    yield header
    titles: dict[int, str] = {}
    for chunk in _keyset_chunks(queryset):
        if with_doctor:
            missing = {row["doctor_id"] for row in chunk} - titles.keys()
            if missing:
                titles.update(DoctorPage.objects.filter(pk__in=missing).order_by().values_list("pk", "title"))
        for values in chunk:
            local = values["starts_at"].astimezone(tz)
            row: list[object] = [values["reference"], local.date().isoformat(), local.strftime("%H:%M")]
            if with_doctor:
                row.append(csv_safe(titles.get(values["doctor_id"], "")))
            row.append(csv_safe(values["full_name"]))
            if with_contact:
                row += [csv_safe(values["email"]), csv_safe(values["mobile_text"])]
            row += [values["status"], values["mode"]]
            extras = (value(values) for _, value in extra_columns)
            # Numbers stay numbers (a formula guard would turn "-5" into text); anything else is made safe.
            row += [v if isinstance(v, int | Decimal) else csv_safe(v) for v in extras]
            yield row


def _keyset_chunks(queryset: QuerySet[Appointment]) -> Iterator[list[dict]]:
    # The mobile as stored text: the phone field would parse every number with libphonenumber
    # (a tenth of a millisecond a row, most of a big export's time) only for it to be printed.
    annotations = tuple(queryset.query.annotations)
    ordered = (
        queryset.order_by("starts_at", "doctor_id", "pk")
        .annotate(mobile_text=ExpressionWrapper(F("mobile"), output_field=CharField()))
        .values(*CSV_COLUMNS, *annotations)
    )
    size = CSV_FIRST_CHUNK
    chunk = list(ordered[:size])
    while chunk:
        yield chunk
        if len(chunk) < size:
            return
        size = CSV_CHUNK
        last = chunk[-1]
        pk, starts_at, doctor_id = last["pk"], last["starts_at"], last["doctor_id"]
        after = (
            Q(starts_at__gt=starts_at)
            | Q(starts_at=starts_at, doctor_id__gt=doctor_id)
            | Q(starts_at=starts_at, doctor_id=doctor_id, pk__gt=pk)
        )
        chunk = list(ordered.filter(after)[:size])


def csv_download(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV attachment, so a year of appointments never sits in memory."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
