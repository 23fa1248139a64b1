"""Appointment reports shared by the doctor's dashboard and the staff admin: CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from .models import Appointment, clinic_zone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """Neutralise spreadsheet formulas: a patient named ``=HYPERLINK(…)`` must stay text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def appointment_rows(queryset: QuerySet[Appointment], *, with_doctor: bool, with_contact: bool) -> Iterator[list]:
    """Header then one row per appointment, local date and time, free text made formula-safe."""
    tz = clinic_zone()
    header = ["reference", "date", "time"]
    header += ["doctor"] if with_doctor else []
    header += ["patient"] + (["email", "mobile"] if with_contact else []) + ["status", "mode"]
    yield header
    for appointment in queryset.iterator(chunk_size=500):
        local = appointment.starts_at.astimezone(tz)
        row = [appointment.reference, local.date().isoformat(), local.strftime("%H:%M")]
        if with_doctor:
            row.append(csv_safe(appointment.doctor.title))
        row.append(csv_safe(appointment.full_name))
        if with_contact:
            row += [csv_safe(appointment.email), csv_safe(appointment.mobile)]
        row += [appointment.status, appointment.mode]
        yield row


def csv_download(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV attachment, so a year of appointments never sits in memory."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
