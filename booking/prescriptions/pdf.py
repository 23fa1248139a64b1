"""Prescriptions as PDF letters: the clinic's letterhead, the doctor's lines, the signature.

Built with **fpdf2** because it is pure Python and actively maintained, and needs no system
libraries: WeasyPrint needs Pango/Cairo, xhtml2pdf drags in ReportLab's C parts and an HTML
layer, wkhtmltopdf is a browser binary. A plain ``pip install`` works the same on a laptop, in CI
and in a slim container, and the layout is code we can test.

Text is set in DejaVu Sans (a Unicode TrueType font) so names such as "José Müller-Łukasik" and
"½ tablet" print as typed. DejaVu ships with Debian/Ubuntu (``fonts-dejavu-core``); where it is
missing the built-in Helvetica is used and text is reduced to Latin-1 (accents kept where
Latin-1 has them, others decomposed or replaced), so the PDF still renders on any machine.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF, FontFace

from home.models import ClinicSettings
from portal.phones import display_phone

from ..models import Prescription, clinic_zone
from .snapshots import PrescriptionSnapshot, current_snapshot

DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}

PRIMARY = (11, 93, 107)  # the site's --primary
INK = (23, 38, 46)
MUTED = (74, 92, 101)
LINE = (214, 225, 228)
SOFT = (231, 243, 244)
ERROR = (179, 38, 30)

MARGIN = 18  # mm
MEDICATION_COLUMNS = (("Drug", 44), ("Dose", 24), ("Frequency", 32), ("Duration", 26), ("Instructions", 48))

# Typographic characters Latin-1 lacks, for the core-font fallback.
_LATIN1_REPLACEMENTS = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‑": "-",
        "‘": "'",
        "’": "'",
        "‚": ",",
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "•": "-",
        "€": "EUR",
        # Letters with no Unicode decomposition to a Latin-1 base.
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Œ": "OE",
        "œ": "oe",
        "ı": "i",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def to_latin1(text: str) -> str:
    """Reduce ``text`` to what the core PDF fonts can show: keep Latin-1, strip other accents."""
    text = str(text).translate(_LATIN1_REPLACEMENTS)
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 256 and not unicodedata.combining(c))
        out.append(base or "?")
    return "".join(out)


def _font_dir() -> Path:
    return Path(getattr(settings, "PRESCRIPTION_PDF_FONT_DIR", DEFAULT_FONT_DIR))


class PrescriptionDocument(FPDF):
    """An A4 page with the clinic's letterhead on page one and a numbered footer on every page."""

    def __init__(self, *, clinic, reference: str, version: int, total_pages: int | None = None):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.clinic = clinic
        self.reference = reference
        self.version = version
        # Known on the second pass. fpdf2's "{nb}" alias is measured as typed, which would push
        # the right-aligned "Page 1 of 1" off the margin; the real count is not.
        self.total_pages = total_pages
        self.unicode = self._add_unicode_fonts()
        self.family = "DejaVu" if self.unicode else "Helvetica"
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=22)

    def _add_unicode_fonts(self) -> bool:
        directory = _font_dir()
        paths = {style: directory / name for style, name in FONT_FILES.items()}
        if not all(path.is_file() for path in paths.values()):
            return False
        for style, path in paths.items():
            self.add_font("DejaVu", style, str(path))
        return True

    # Text helpers -------------------------------------------------------------------------

    def t(self, text) -> str:
        """Text as the current font can show it."""
        return str(text) if self.unicode else to_latin1(text)

    def font(self, style: str = "", size: float = 10, color: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, style, size)
        self.set_text_color(*color)

    def rule(self, color: tuple[int, int, int] = LINE, width: float = 0.3) -> None:
        self.set_draw_color(*color)
        self.set_line_width(width)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 50:  # keep a heading with at least a few lines of its section
            self.add_page()
        self.ln(4)
        self.font("B", 11.5, PRIMARY)
        self.cell(0, 7, self.t(text), new_x="LMARGIN", new_y="NEXT")
        self.rule(PRIMARY, 0.4)
        self.ln(2)

    def paragraph(self, text: str, *, size: float = 10, style: str = "", color=INK) -> None:
        self.font(style, size, color)
        self.multi_cell(0, 5.2, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")

    # Page furniture -----------------------------------------------------------------------

    def header(self) -> None:
        if self.page_no() == 1:
            self._letterhead()
            return
        self.font("B", 9, PRIMARY)
        self.cell(0, 5, self.t(self.clinic.name), new_x="LMARGIN", new_y="NEXT")
        self.font("", 8.5, MUTED)
        self.cell(0, 4.5, self.t(f"Prescription {self.reference} · version {self.version} (continued)"))
        self.ln(7)
        self.rule()
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-15)
        self.rule()
        self.ln(1.5)
        self.font("", 8, MUTED)
        width = (self.w - 2 * MARGIN) / 2
        self.cell(width, 5, self.t(f"{self.clinic.name} · Prescription {self.reference} · version {self.version}"))
        self.cell(width, 5, self.t(f"Page {self.page_no()} of {self.total_pages or '?'}"), align="R")

    def _letterhead(self) -> None:
        clinic = self.clinic
        top = self.get_y()
        # A simple cross mark in the brand colour, like the site's logo.
        self.set_fill_color(*PRIMARY)
        self.rect(MARGIN, top, 12, 12, style="F", round_corners=True, corner_radius=2.5)
        self.set_fill_color(255, 255, 255)
        self.rect(MARGIN + 4.9, top + 2.5, 2.2, 7, style="F")
        self.rect(MARGIN + 2.5, top + 4.9, 7, 2.2, style="F")

        self.set_xy(MARGIN + 15, top - 0.5)
        self.font("B", 17, PRIMARY)
        self.cell(95, 8, self.t(clinic.name), new_x="LEFT", new_y="NEXT")
        if getattr(clinic, "tagline", ""):
            self.font("", 9, MUTED)
            self.cell(95, 4.5, self.t(clinic.tagline), new_x="LEFT", new_y="NEXT")

        contact = list(clinic.address_lines)
        if clinic.phone:
            contact.append(f"Tel. {display_phone(clinic.phone)}")
        if clinic.email:
            contact.append(clinic.email)
        right = 70
        self.set_xy(self.w - MARGIN - right, top)
        self.font("", 8.5, MUTED)
        for line in contact:
            self.cell(right, 4.3, self.t(line), align="R", new_x="LEFT", new_y="NEXT")
        self.set_y(max(self.get_y(), top + 16) + 3)
        self.rule(PRIMARY, 0.8)
        self.ln(6)


def _format_when(value: datetime) -> str:
    local = timezone.localtime(value, clinic_zone())
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({local.tzname()})"


def _format_day(value: date) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def prescription_pdf(
    prescription: Prescription,
    *,
    snapshot: PrescriptionSnapshot | None = None,
    clinic=None,
    compress: bool = True,
) -> bytes:
    """Render one version of ``prescription`` as an A4 PDF letter and return its bytes.

    ``snapshot`` picks the version (views pass what the reader may see; the default is the live
    prescription). ``clinic`` is the letterhead (``ClinicSettings``), looked up from the default
    site if not given. ``compress=False`` leaves content streams readable, for tests and debugging.
    """
    snapshot = snapshot or current_snapshot(prescription)
    clinic = clinic or ClinicSettings.current()
    # Two passes: the first only counts pages, so the footer can say "Page 1 of 2" exactly.
    pages = _render(prescription, snapshot, clinic, compress=compress, total_pages=None).pages_count
    return bytes(_render(prescription, snapshot, clinic, compress=compress, total_pages=pages).output())


def _render(
    prescription: Prescription,
    snapshot: PrescriptionSnapshot,
    clinic,
    *,
    compress: bool,
    total_pages: int | None,
) -> PrescriptionDocument:
    appointment = prescription.appointment
    pdf = PrescriptionDocument(
        clinic=clinic, reference=appointment.reference, version=snapshot.version, total_pages=total_pages
    )
    pdf.set_compression(compress)
    pdf.set_title(pdf.t(f"Prescription {appointment.reference} (version {snapshot.version})"))
    pdf.set_author(pdf.t(snapshot.doctor_name))
    pdf.set_subject(pdf.t(f"Prescription for {appointment.full_name}"))
    pdf.set_creator(pdf.t(clinic.name))
    pdf.add_page()

    # Title and status.
    pdf.font("B", 15)
    pdf.cell(100, 8, pdf.t("Prescription"))
    if snapshot.is_signed:
        pdf.font("", 9.5, MUTED)
        pdf.cell(0, 8, pdf.t(f"Version {snapshot.version}"), align="R", new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.font("B", 9.5, ERROR)
        pdf.cell(0, 8, pdf.t(f"DRAFT – version {snapshot.version}, not signed"), align="R")
        pdf.ln(8)
    pdf.ln(2)

    # Patient and appointment facts, in two columns on a tinted panel.
    facts = [
        ("Patient", appointment.full_name, "Reference", appointment.reference),
        (
            "Appointment",
            _format_when(appointment.starts_at),
            "Doctor",
            ", ".join(part for part in (snapshot.doctor_name, snapshot.doctor_job_title) if part),
        ),
    ]
    column = (pdf.w - 2 * MARGIN) / 2
    panel_top = pdf.get_y()
    pdf.set_fill_color(*SOFT)
    pdf.rect(MARGIN, panel_top, pdf.w - 2 * MARGIN, 12 * len(facts) + 4, style="F")
    pdf.set_y(panel_top + 2)
    for left_label, left_value, right_label, right_value in facts:
        y = pdf.get_y()
        for offset, label, value in ((0, left_label, left_value), (column, right_label, right_value)):
            pdf.set_xy(MARGIN + 4 + offset, y)
            pdf.font("", 7.5, MUTED)
            pdf.cell(column - 8, 4, pdf.t(label.upper()), new_x="LEFT", new_y="NEXT")
            pdf.font("B", 10)
            pdf.cell(column - 8, 6, pdf.t(value), new_x="LEFT", new_y="NEXT")
        pdf.set_y(y + 12)
    pdf.set_y(panel_top + 12 * len(facts) + 6)

    # Medication.
    pdf.heading("Medication")
    if snapshot.medications:
        pdf.font("", 9.5)
        pdf.set_fill_color(255, 255, 255)  # body rows: white, with every other row tinted below
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.2)
        with pdf.table(
            col_widths=[width for _, width in MEDICATION_COLUMNS],
            width=pdf.w - 2 * MARGIN,
            line_height=5,
            padding=(1.6, 1.8),
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD", color=PRIMARY, fill_color=SOFT, size_pt=8.5),
            cell_fill_color=(247, 250, 251),
            cell_fill_mode="EVEN_ROWS",
            text_align="LEFT",
        ) as table:
            heading_row = table.row()
            for title, _width in MEDICATION_COLUMNS:
                heading_row.cell(pdf.t(title))
            for line in snapshot.medications:
                row = table.row()
                for value in (line.drug, line.dose, line.frequency, line.duration, line.instructions):
                    row.cell(pdf.t(value or "—"))
    else:
        pdf.paragraph("No medication prescribed.", style="I", color=MUTED)

    # Tests.
    if snapshot.tests:
        pdf.heading("Recommended tests")
        for test in snapshot.tests:
            pdf.font("B", 10)
            text = f"•  {test.name}" if pdf.unicode else f"-  {test.name}"
            pdf.multi_cell(0, 5.4, pdf.t(text), new_x="LMARGIN", new_y="NEXT")
            if test.notes:
                pdf.set_x(MARGIN + 5)
                pdf.font("", 9.5, MUTED)
                pdf.multi_cell(0, 5, pdf.t(test.notes), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)

    if snapshot.advice.strip():
        pdf.heading("Advice")
        pdf.paragraph(snapshot.advice)

    if snapshot.follow_up_on:
        pdf.heading("Follow-up")
        pdf.paragraph(f"Please come back on or around {_format_day(snapshot.follow_up_on)}.")

    if snapshot.attachments:
        pdf.heading("Attached documents")
        for attachment in snapshot.attachments:
            pdf.paragraph(f"{attachment.original_name}  ({attachment.content_type})", size=9.5, color=MUTED)

    # Signature.
    if pdf.get_y() > pdf.h - 55:
        pdf.add_page()
    pdf.ln(8)
    pdf.rule()
    pdf.ln(3)
    if snapshot.signed_at is not None:
        pdf.font("", 10)
        pdf.cell(0, 6, pdf.t(f"Version {snapshot.version}"), new_x="LMARGIN", new_y="NEXT")
        pdf.font("B", 10.5)
        signed = f"Signed by {snapshot.signed_by or snapshot.doctor_name} on {_format_when(snapshot.signed_at)}"
        pdf.multi_cell(0, 6, pdf.t(signed), new_x="LMARGIN", new_y="NEXT")
        if snapshot.version > 1:
            pdf.font("", 8.5, MUTED)
            pdf.cell(0, 5, pdf.t(f"This version replaces version {snapshot.version - 1}."))
    else:
        pdf.font("B", 10.5, ERROR)
        pdf.multi_cell(
            0,
            6,
            pdf.t(f"Version {snapshot.version} – DRAFT, not signed. Not valid for dispensing."),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return pdf
